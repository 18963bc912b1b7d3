"""Compile the C kernel library (``kernels_c/``) into one plain shared object.

The library does not use the Python C API, so one ``libmicroinfer_nn.so`` serves every Python
version. ``setup.py`` calls :func:`build_library` at install time; tests call it to build an
instrumented copy (``sanitize=True``). This module needs nothing beyond the standard library,
so setup.py can load it before microinfer is installed.

    python -m microinfer.c_backend.build            # (re)build next to the loader, for development
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

LIBRARY_NAME = "libmicroinfer_nn.so"
# Portable flags first; host tuning is tried and dropped if the compiler refuses it.
BASE_FLAGS = ("-std=c99", "-O3", "-fPIC", "-shared", "-Wall", "-Wextra")
HOST_FLAGS = ("-march=native",)
SANITIZE_FLAGS = ("-O1", "-g", "-fno-omit-frame-pointer", "-fsanitize=address,undefined",
                  "-fno-sanitize-recover=undefined")


def kernels_dir() -> Path:
    """``kernels_c/`` of the source tree (this file is src/microinfer/c_backend/build.py)."""
    return Path(__file__).resolve().parents[3] / "kernels_c"


def sources(root: Path | None = None) -> list[Path]:
    """Every C file under kernels_c/src, so new kernels build without touching this list."""
    root = root or kernels_dir()
    return sorted((root / "src").rglob("*.c"))


def compiler() -> str | None:
    """$CC, else cc/gcc/clang on PATH."""
    for candidate in (os.environ.get("CC"), "cc", "gcc", "clang"):
        if candidate and shutil.which(shlex.split(candidate)[0]):
            return candidate
    return None


def build_library(output: Path, sanitize: bool = False, root: Path | None = None) -> Path:
    """Compile every kernel into ``output``. Raises RuntimeError with the compiler's message."""
    root = root or kernels_dir()
    cc = compiler()
    if cc is None:
        raise RuntimeError("no C compiler found (set CC, or install gcc or clang)")
    files = [str(p) for p in sources(root)]
    if not files:
        raise RuntimeError(f"no C sources under {root / 'src'}")
    includes = [f"-I{root / 'include'}", f"-I{root / 'src'}"]
    extra = SANITIZE_FLAGS if sanitize else ()
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    attempts = [BASE_FLAGS + extra] if sanitize else [BASE_FLAGS + HOST_FLAGS, BASE_FLAGS]
    errors = ""
    for flags in attempts:
        with tempfile.TemporaryDirectory() as tmp:
            target = Path(tmp) / LIBRARY_NAME  # atomic replace: a loaded library is never half-written
            command = [*shlex.split(cc), *flags, *includes, *files, "-o", str(target)]
            result = subprocess.run(command, capture_output=True, text=True)
            if result.returncode == 0:
                shutil.move(str(target), output)
                return output
            errors = result.stderr
    raise RuntimeError(f"compiling the C kernels failed:\n{errors[-4000:]}")


def main() -> int:
    output = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent / LIBRARY_NAME
    try:
        path = build_library(output)
    except RuntimeError as error:
        print(error, file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
