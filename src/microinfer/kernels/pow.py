"""POW: ``a ** b`` element-wise with broadcasting; LiteRT only (TFLite Micro has no POW kernel).

float32: ``powf``. int32 (LiteRT fails on a negative exponent): inputs of one shape take
``std::pow`` in double converted to int32 (a result outside int32 converts to INT32_MIN, as x86
does); broadcasting against a one-element exponent takes LiteRT's scalar loop, repeated int32
multiplication (the result modulo 2**32). Both measured against the pinned LiteRT.
"""

from __future__ import annotations

import numpy as np

from . import _binary as bw
from . import _elementwise as ew
from ._libm import powf_array
from ._shapes import tflm_only
from .registry import Node, register


def _no_tflm_kernel(node) -> bool:
    return False


@register("POW", versions=range(1, 2), types=("float32", "int32"), inputs=2, outputs=1)
class Pow(bw.BinaryKernel):
    constraints = (
        tflm_only(_no_tflm_kernel, "With reference='tflm': TFLite Micro has no POW kernel"),
        *bw.types((), (bw.F32, bw.I32)),
        bw.output_is_broadcast,
        ew.max_rank(6),
    )

    def constants(self, node: Node) -> bool:
        """Whether LiteRT takes its scalar-exponent loop (int32 arithmetic differs between loops)."""
        base, exponent = node.input(0), node.input(1)
        return tuple(base.shape) != tuple(exponent.shape) and exponent.num_elements == 1

    @staticmethod
    def function(scalar_exponent: bool, a, b):
        if a.dtype == np.float32:
            return powf_array(a, b)  # the C library's powf, bit for bit
        if np.any(b < 0):
            bw.fail("POW", "an int32 exponent is negative; LiteRT fails on it")
        return wrapping_power(a, b) if scalar_exponent else converted_power(a, b)


def converted_power(base, exponent) -> np.ndarray:
    """std::pow(double, double) of int32 values converted to int32 (INT32_MIN when out of range)."""
    real = np.power(base.astype(np.float64), exponent.astype(np.float64))
    fits = (real >= -(2.0**31)) & (real < 2.0**31)
    return np.where(fits, np.trunc(np.where(fits, real, 0)), -(2.0**31)).astype(np.int64)


def wrapping_power(base, exponent) -> np.ndarray:
    """base ** exponent (exponent >= 0) modulo 2**32, as signed int32 values: square and multiply."""
    mask = np.uint64(0xFFFFFFFF)
    base, exponent = np.broadcast_arrays(base.astype(np.int64).astype(np.uint64) & mask, exponent.astype(np.int64))
    result = np.ones(base.shape, np.uint64)
    square = base.copy()
    for bit in range(31):
        odd = ((exponent >> bit) & 1).astype(bool)
        result = np.where(odd, (result * square) & mask, result)
        square = (square * square) & mask
    return ew.wrap_int32(result.astype(np.int64))
