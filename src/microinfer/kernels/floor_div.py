"""FLOOR_DIV: ``floor(a / b)`` element-wise with broadcasting.

Both references divide in double and floor (float32 in both; int8, int16 and int32 in LiteRT)
and fail on a zero divisor, float32 too; the double result converts to the output type
(INT32_MIN / -1 gives 2**31, which x86 converts to INT32_MIN).
"""

from __future__ import annotations

import numpy as np

from . import _binary as bw
from . import _elementwise as ew
from .registry import register


@register("FLOOR_DIV", versions=range(1, 4), types=("float32", "int8", "int16", "int32"), inputs=2, outputs=1)
class FloorDiv(bw.BinaryKernel):
    constraints = (
        *bw.types((bw.F32,), (bw.F32, bw.I8, bw.I16, bw.I32)),
        bw.output_is_broadcast,
        ew.max_rank(6),
    )

    @staticmethod
    def function(constants, a, b):
        if np.any(b == 0):
            bw.fail("FLOOR_DIV", "a divisor is 0; both references fail on it")
        quotient = np.floor(a.astype(np.float64) / b.astype(np.float64))
        if a.dtype == np.float32:
            return quotient.astype(np.float32)
        info = np.iinfo(a.dtype)
        return np.where(quotient > info.max, info.min, quotient).astype(np.int64)
