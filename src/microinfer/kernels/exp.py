"""EXP: e**x. float32 in both references (the C library's expf); int8 and int16 with LiteRT, whose
kernel looks each value up in a table built from expf by LUTPopulate (int16 interpolated, zero points
0)."""

from __future__ import annotations

import numpy as np

from . import _unary as u
from ._libm import expf
from .registry import Node, register


def _table(node: Node) -> u.QuantizedTable:
    return u.litert_lut_table(node, expf)


@register("EXP", versions=range(1, 3), types=("float32", "int8", "int16"), inputs=1, outputs=1)
class Exp(u.UnaryKernel):
    constraints = u.litert_lut_constraints(_table)
    element = u.float_function(np.exp)
    table = staticmethod(_table)
