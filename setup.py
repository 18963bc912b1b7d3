"""Build hook: compile kernels_c/ into microinfer/c_backend/libmicroinfer_nn.so.

The library uses no Python C API, so it is one plain shared object (no ABI tag). Without a
working C compiler the install still succeeds, with a warning: backend="numpy" works, and
backend="c" then says how to rebuild. Everything else is in pyproject.toml.
"""

import importlib.util
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent
TARGET = "microinfer.c_backend.libmicroinfer_nn"


def _c_build_module():
    """src/microinfer/c_backend/build.py, loaded by path (microinfer is not installed yet)."""
    spec = importlib.util.spec_from_file_location("_microinfer_c_build", HERE / "src/microinfer/c_backend/build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class BuildKernelLibrary(build_ext):
    """Compiles the kernels with the C compiler directly (a plain library, not a Python module)."""

    def get_ext_filename(self, fullname):
        return str(Path(*fullname.split(".")[:-1]) / _c_build_module().LIBRARY_NAME)

    def build_extension(self, ext):
        output = Path(self.get_ext_fullpath(ext.name))
        try:
            _c_build_module().build_library(output, root=HERE / "kernels_c")
        except (RuntimeError, OSError) as error:
            print(f"WARNING: microinfer's C kernels were not built ({error}); backend='c' will be "
                  "unavailable, backend='numpy' works.", file=sys.stderr)


setup(
    ext_modules=[Extension(TARGET, sources=[str(p.relative_to(HERE)) for p in sorted((HERE / "kernels_c/src").rglob("*.c"))])],
    cmdclass={"build_ext": BuildKernelLibrary},
)
