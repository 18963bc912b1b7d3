"""FLOOR_MOD: the remainder of floor division, with the divisor's sign, element-wise with
broadcasting.

Both references take the C remainder (``%``, or ``fmodf`` for float32) and add the divisor when
the remainder is nonzero and its sign differs from the divisor's. float32 in both; int8, int16,
int32 and int64 in LiteRT, which fails on a zero divisor (and crashes on INT_MIN % -1).
"""

from __future__ import annotations

import numpy as np

from . import _binary as bw
from . import _elementwise as ew
from .registry import register


@register("FLOOR_MOD", versions=range(1, 3), types=("float32", "int8", "int16", "int32", "int64"),
          inputs=2, outputs=1)
class FloorMod(bw.BinaryKernel):
    constraints = (
        *bw.types((bw.F32,), (bw.F32, bw.I8, bw.I16, bw.I32, bw.I64)),
        bw.output_is_broadcast,
        ew.max_rank(6),
    )

    @staticmethod
    def function(constants, a, b):
        if a.dtype == np.float32:
            remainder = np.fmod(a, b)
        else:
            if np.any(b == 0):
                bw.fail("FLOOR_MOD", "an integer divisor is 0; LiteRT fails on it")
            info = np.iinfo(a.dtype)
            if np.any((a == info.min) & (b == -1)):
                bw.fail("FLOOR_MOD", f"{info.min} % -1 overflows; LiteRT crashes on it")
            remainder = np.fmod(a, b)  # C's %: the sign of the dividend
        adjust = (remainder != 0) & ((b < 0) != (remainder < 0))
        return np.where(adjust, remainder + b, remainder)
