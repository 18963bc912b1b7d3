"""The C library's single-precision functions, what ``std::exp(float)`` and friends call (and
its double-precision ``exp``).

The references' lookup-table builders and ``CheckedLog2`` call these; NumPy's own float32
``exp``/``log`` can differ from them in the last place, so they are called through ctypes.
"""

from __future__ import annotations

import ctypes
import ctypes.util

import numpy as np

_libm = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
for _name in ("expf", "tanhf", "logf", "roundf"):
    getattr(_libm, _name).restype = ctypes.c_float
    getattr(_libm, _name).argtypes = [ctypes.c_float]


_libm.exp.restype = ctypes.c_double
_libm.exp.argtypes = [ctypes.c_double]


def exp(x: float) -> float:
    """The C library's double-precision exp (``std::exp(double)``)."""
    return _libm.exp(float(x))


def expf(x) -> np.float32:
    return np.float32(_libm.expf(float(x)))


def tanhf(x) -> np.float32:
    return np.float32(_libm.tanhf(float(x)))


def logf(x) -> np.float32:
    return np.float32(_libm.logf(float(x)))


def roundf(x) -> np.float32:
    return np.float32(_libm.roundf(float(x)))


def sqrtf(x) -> np.float32:
    return np.float32(np.sqrt(np.float32(x)))  # IEEE square root: correctly rounded everywhere
