"""LOG: the natural logarithm. float32 in both references (logf: NaN below 0, -inf at 0); int8 and
int16 (zero points 0) with LiteRT, through its lookup table of logf, where inputs at or below zero
give the output type's lowest real value."""

from __future__ import annotations

import functools

import numpy as np

from . import _unary as u
from ._libm import logf
from .registry import Node, register


@functools.lru_cache(maxsize=64)
def _log_or_output_min(output_min: float):
    f = np.float32

    def transform(value):
        return f(output_min) if value <= 0 else logf(value)

    return transform


def _table(node: Node) -> u.QuantizedTable:
    y = node.outputs[0]
    lowest = int(np.iinfo(u.NUMPY_TYPES[y.type]).min)
    _, _, out_scale, out_zp = u.quantization(node)
    output_min = np.float32(np.float32(lowest - out_zp) * out_scale)
    return u.litert_lut_table(node, _log_or_output_min(float(output_min)))


@register("LOG", versions=range(1, 3), types=("float32", "int8", "int16"), inputs=1, outputs=1)
class Log(u.UnaryKernel):
    constraints = u.litert_lut_constraints(_table)
    element = u.float_function(np.log)
    table = staticmethod(_table)
