"""The C library's single-precision functions, what ``std::exp(float)`` and friends call (and
its double-precision ``exp``).

The references' lookup-table builders and ``CheckedLog2`` call these; NumPy's own float32
``exp``/``log`` can differ from them in the last place, so they are called through ctypes.
:func:`expf_array` gives the C library's ``expf`` of a whole array at NumPy speed.
"""

from __future__ import annotations

import ctypes
import ctypes.util

import numpy as np

_libm = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
for _name in ("expf", "tanhf", "logf", "roundf", "sinf", "cosf", "expm1f"):
    getattr(_libm, _name).restype = ctypes.c_float
    getattr(_libm, _name).argtypes = [ctypes.c_float]
_libm.powf.restype = ctypes.c_float
_libm.powf.argtypes = [ctypes.c_float, ctypes.c_float]


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


# glibc's expf evaluates exp in double with a relative error below 2**-33 before its one rounding
# to float32 (its documented bound is 1.69 * 2**-34), so it returns the correctly rounded float32
# unless exp(x) lies that close to a midpoint between two float32 values. Values that close (a
# margin, 2**-31: about 1% of them) are computed by the C library itself.
_MIDPOINT_MARGIN = 2.0**-31


def expf_array(x) -> np.ndarray:
    """``expf`` of every element of ``x`` (float32), bit for bit as the C library computes it."""
    x = np.asarray(x, np.float32)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        wide = np.exp(x.astype(np.float64))
        result = wide.astype(np.float32)
        below = np.nextafter(result, np.float32(-np.inf)).astype(np.float64)
        above = np.nextafter(result, np.float32(np.inf)).astype(np.float64)
        exact = result.astype(np.float64)
        to_midpoint = np.minimum(np.abs(wide - (exact + below) / 2), np.abs(wide - (exact + above) / 2))
        unsure = ~np.isfinite(result) | ~(to_midpoint > _MIDPOINT_MARGIN * wide)
    if unsure.any():
        result[unsure] = [_libm.expf(v) for v in x[unsure].tolist()]
    return result


def _each(function, x) -> np.ndarray:
    x = np.asarray(x, np.float32)
    return np.array([function(v) for v in x.reshape(-1).tolist()], np.float32).reshape(x.shape)


def tanhf_array(x) -> np.ndarray:
    """``tanhf`` of every element of ``x`` (float32) from the C library, one call per element
    (about 0.7 us each): glibc's tanhf is not correctly rounded, so no wider NumPy computation
    predicts its last bit."""
    return _each(_libm.tanhf, x)


def logf_array(x) -> np.ndarray:
    """``logf`` of every element of ``x`` (float32) from the C library, one call per element
    (glibc's logf is not correctly rounded either; nor are sinf, cosf, expm1f and powf below)."""
    return _each(_libm.logf, x)


def sinf_array(x) -> np.ndarray:
    return _each(_libm.sinf, x)


def cosf_array(x) -> np.ndarray:
    return _each(_libm.cosf, x)


def expm1f_array(x) -> np.ndarray:
    return _each(_libm.expm1f, x)


def powf_array(base, exponent) -> np.ndarray:
    """``powf(base, exponent)`` element by element (the operands broadcast), from the C library."""
    base, exponent = np.broadcast_arrays(np.asarray(base, np.float32), np.asarray(exponent, np.float32))
    values = [_libm.powf(a, b) for a, b in zip(base.reshape(-1).tolist(), exponent.reshape(-1).tolist())]
    return np.array(values, np.float32).reshape(base.shape)
