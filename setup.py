"""Install the top-level ``targets/`` directory (hardware TOML) as ``microinfer/_targets``.

Everything else is configured in pyproject.toml. Editable installs read ``targets/`` in place
(``microinfer.targets.builtin_dir``), so this hook only runs for wheels and regular installs.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

TARGETS = Path(__file__).resolve().parent / "targets"


class BuildPyWithTargets(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        destination = Path(self.build_lib) / "microinfer" / "_targets"
        for source in sorted(TARGETS.rglob("*.toml")):
            target = destination / source.relative_to(TARGETS)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)


setup(cmdclass={"build_py": BuildPyWithTargets})
