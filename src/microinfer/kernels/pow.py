"""POW: ``a ** b`` element-wise with broadcasting; LiteRT only (TFLite Micro has no POW kernel).

float32: ``powf``. int32: ``std::pow`` in double, converted to int32 (a result outside int32
converts to INT32_MIN, as x86 does); LiteRT fails on a negative exponent.
"""

from __future__ import annotations

import numpy as np

from . import _binary as bw
from . import _elementwise as ew
from ._shapes import tflm_only
from .registry import register


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

    @staticmethod
    def function(constants, a, b):
        if a.dtype == np.float32:
            return np.power(a, b)
        if np.any(b < 0):
            bw.fail("POW", "an int32 exponent is negative; LiteRT fails on it")
        real = np.power(a.astype(np.float64), b.astype(np.float64))
        fits = (real >= -(2.0**31)) & (real < 2.0**31)
        return np.where(fits, np.trunc(np.where(fits, real, 0)), -(2.0**31)).astype(np.int64)
