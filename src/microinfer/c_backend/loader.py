"""Find and load the C kernel library: the one place that does.

Search order: the file named by ``MICROINFER_KERNELS_LIB``, then ``libmicroinfer_nn.so`` next to
this module (put there by ``pip install``). A missing or unloadable library is not an error at
import time: :func:`load_library` raises :class:`KernelLibraryError` saying why and how to
rebuild, and :func:`unavailable_reason` tells tests why they skip.
"""

from __future__ import annotations

import ctypes
import functools
import os
from pathlib import Path

from ..errors import MissingDependencyError

ENV_VAR = "MICROINFER_KERNELS_LIB"
LIBRARY_NAME = "libmicroinfer_nn.so"
ABI_VERSION = 2  # MI_NN_ABI_VERSION in kernels_c/include/microinfer_nn.h
REBUILD_HINT = (
    "rebuild it with `pip install -e .` (needs a C compiler) or `python -m microinfer.c_backend.build`, "
    f"or point {ENV_VAR} at a built {LIBRARY_NAME}"
)


class KernelLibraryError(MissingDependencyError):
    """The C kernel library is missing or cannot be loaded; the message says why and how to rebuild."""


def library_path() -> Path:
    override = os.environ.get(ENV_VAR)
    return Path(override) if override else Path(__file__).resolve().parent / LIBRARY_NAME


@functools.lru_cache(maxsize=None)
def _load(path: str) -> ctypes.CDLL | str:
    """The loaded library, or the reason it could not be loaded (cached per path)."""
    if not Path(path).is_file():
        return f"the C kernel library {path} does not exist"
    try:
        lib = ctypes.CDLL(path)
    except OSError as error:
        return f"the C kernel library {path} failed to load: {error}"
    try:
        version = lib.mi_nn_abi_version()
    except AttributeError:
        return f"{path} is not the microinfer kernel library (no mi_nn_abi_version)"
    if version != ABI_VERSION:
        return f"{path} has interface version {version}, this microinfer needs {ABI_VERSION}"
    return lib


def load_library() -> ctypes.CDLL:
    """The C kernel library, or KernelLibraryError saying why not and how to rebuild."""
    result = _load(str(library_path()))
    if isinstance(result, str):
        raise KernelLibraryError(f"backend 'c' is unavailable: {result}; {REBUILD_HINT}")
    return result


def unavailable_reason() -> str | None:
    """None when the library loads, else why it does not (for skips and ``backend="auto"``)."""
    result = _load(str(library_path()))
    return result if isinstance(result, str) else None


def available() -> bool:
    return unavailable_reason() is None
