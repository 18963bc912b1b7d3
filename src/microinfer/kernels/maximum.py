"""MAXIMUM: the larger of two elements, with broadcasting.

Both references compare raw values (``a > b ? a : b``) whatever the tensors' quantization, so a
NaN in ``a`` yields ``b`` and a NaN in ``b`` yields NaN, and max(+0, -0) is -0.
"""

from __future__ import annotations

import numpy as np

from . import _binary as bw
from . import _elementwise as ew
from .registry import register

TYPES = (bw.F32, bw.I8, bw.I16, bw.I32, bw.I64)


@register("MAXIMUM", versions=range(1, 5), types=("float32", "int8", "int16", "int32", "int64"),
          inputs=2, outputs=1)
class Maximum(bw.BinaryKernel):
    constraints = (*bw.types(TYPES, TYPES), bw.output_is_broadcast, ew.max_rank(6))

    @staticmethod
    def function(constants, a, b):
        return np.where(a > b, a, b)
