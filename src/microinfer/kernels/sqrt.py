"""SQRT: the square root. float32 in both references (sqrtf, NaN below 0); int8 and int16 (zero
points 0) with LiteRT, which per element dequantizes in float32, takes sqrtf, divides by the output
scale, truncates toward zero and adds the output zero point. LiteRT fails its Invoke on an input
below the zero point."""

from __future__ import annotations

import numpy as np

from . import _unary as u
from .registry import Node, register

NEGATIVE_INPUT = "SQRT: LiteRT fails on an input below its zero point (Sqrt is only defined for non-negative values)"


def _quotients(node: Node) -> tuple[np.ndarray, np.ndarray]:
    """(sqrt(input) / output scale in float32, valid) for every input value."""
    in_scale, in_zp, out_scale, _ = u.quantization(node)
    values = u.input_values(node.input(0))
    with np.errstate(all="ignore"):
        dequantized = np.float32(in_scale) * (values - in_zp).astype(np.float32)
        quotients = np.sqrt(dequantized) / np.float32(out_scale)
    valid = dequantized >= 0
    return quotients, valid


def _output_fits(node: Node) -> bool:
    """int8/int16: sqrt of the largest input divided by the output scale, plus the output zero point, is below 2**31 (LiteRT's int arithmetic)"""
    if not u.quantization_usable(node):
        return True
    quotients, valid = _quotients(node)
    return bool(np.all(np.trunc(quotients[valid]) + u.quantization(node)[3] < 2.0**31))


def _table(node: Node) -> u.QuantizedTable:
    quotients, valid = _quotients(node)
    truncated = np.trunc(np.where(valid, quotients, 0)).astype(np.int64)
    info = np.iinfo(u.NUMPY_TYPES[node.outputs[0].type])
    values = np.clip(truncated + u.quantization(node)[3], info.min, info.max)
    return u.QuantizedTable(values, ~valid, NEGATIVE_INPUT)


@register("SQRT", versions=range(1, 3), types=("float32", "int8", "int16"), inputs=1, outputs=1)
class Sqrt(u.UnaryKernel):
    constraints = (
        *u.operand_constraints((u.F32,), (u.F32, u.I8, u.I16)),
        *u.QUANTIZED_CONSTRAINTS,
        u.int16_zero_points,
        _output_fits,
    )
    element = u.float_function(np.sqrt)
    table = staticmethod(_table)
