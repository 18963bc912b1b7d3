"""NEG: -x. float32 in both references; int8, int16, int32 and int64 with LiteRT, which negates
the stored integers (ignoring any quantization; the most negative value wraps to itself)."""

from __future__ import annotations

import numpy as np

from . import _unary as u
from .registry import register


@register("NEG", versions=range(1, 2), types=("float32", "int8", "int16", "int32", "int64"), inputs=1, outputs=1)
class Neg(u.UnaryKernel):
    constraints = (
        *u.operand_constraints((u.F32,), (u.F32, u.I8, u.I16, u.I32, u.I64)),
    )
    element = staticmethod(np.negative)
