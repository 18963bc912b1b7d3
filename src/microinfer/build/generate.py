"""``generate_library``: a model in, a self-contained C99 library folder out."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..tflite import Model, load
from . import package
from .emit import GeneratedLibrary, c_identifier, generate
from .lower import ArenaLayout, BuildError, LoweredModel, layout, lower

HOST = "host"


@dataclass
class GeneratedFolder:
    """What was written: the folder, the library, and the lowering and arena behind it."""

    folder: Path
    name: str
    model_name: str
    planner: str
    library: GeneratedLibrary
    lowered: LoweredModel
    arena: ArenaLayout
    kernel_sources: list[Path]  # in the folder
    header_path: Path
    source_path: Path

    @property
    def src(self) -> Path:
        return self.folder / "src"

    def c_sources(self) -> list[Path]:
        return [self.source_path, *self.kernel_sources]


def default_name(model_path: str | os.PathLike | None) -> str:
    if model_path is None:
        return "model"
    return c_identifier(Path(model_path).stem).lower()


def generate_library(model: Model | bytes | str | os.PathLike, folder: str | os.PathLike, name: str | None = None,
                     planner: str = "best", model_name: str | None = None, cflags: str = "-O2") -> GeneratedFolder:
    """Write the library for ``model`` into ``folder`` (created; files of an earlier build there are
    replaced). ``name`` prefixes every symbol (default: the model file's name)."""
    path = None if isinstance(model, (Model, bytes)) else Path(model)
    model_name = model_name or (path.name if path is not None else "model")
    name = c_identifier(name) if name else default_name(path)
    loaded = model if isinstance(model, Model) else load(model if path is None else path)
    lowered = lower(loaded)
    arena = layout(lowered, planner)
    library = generate(lowered, arena, name, model_name)
    files = package.kernel_files(library.functions)
    folder = Path(folder)
    src = folder / "src"
    kernels = src / package.KERNELS_FOLDER
    try:
        src.mkdir(parents=True, exist_ok=True)
        if kernels.is_dir():
            for old in kernels.iterdir():
                if old.is_file():
                    old.unlink()
        written = package.write_kernels(kernels, files)
        header_path, source_path = src / f"{name}.h", src / f"{name}.c"
        header_path.write_text(library.header)
        source_path.write_text(library.source)
        kernel_sources = sorted(p for p in written if p.suffix == ".c")
        names = [p.name for p in kernel_sources]
        (folder / "CMakeLists.txt").write_text(package.cmake_lists(name, names))
        (folder / "Makefile").write_text(package.makefile(name, names, cflags))
        (folder / "library.properties").write_text(package.library_properties(name, model_name, _semver()))
    except OSError as error:
        raise BuildError(f"cannot write the library into {str(folder)!r}: {error.strerror or error}") from None
    return GeneratedFolder(folder, name, model_name, arena.plan.planner, library, lowered, arena, kernel_sources,
                           header_path, source_path)


def _semver() -> str:
    parts = [p for p in __version__.split(".") if p.isdigit()]
    return ".".join((parts + ["0", "0", "0"])[:3])
