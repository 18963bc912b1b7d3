"""RSQRT: 1 / sqrt(x). float32 in both references (1.f / sqrtf); int8 in both and int16 (zero
points 0) in both, computed differently:

* fixed point (int8 in both, int16 in TFLite Micro): the offset input's inverse square root comes
  from GetInvSqrtQuantizedMultiplierExp (Newton-Raphson in Q3.28), is applied to 1 with 20 bits of
  headroom and rescaled by ``1 / (sqrt(input scale) * output scale)``; an input at the zero point
  gives the type's largest value. TFLite Micro computes that rescale factor in double, LiteRT takes
  the square root and the product in float32.
* LiteRT int16: its lookup table of 1.f / sqrtf, interpolated, with 32767 * output scale at and
  below zero.

Both references fail their Invoke on an input below the zero point.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from . import _unary as u
from ._libm import sqrtf
from .fixedpoint import inv_sqrt_quantized_multiplier_exp, multiply_by_quantized_multiplier, quantize_multiplier
from .registry import TFLM, Node, register

NEGATIVE_INPUT = "RSQRT: the reference fails on an input below its zero point (Rsqrt is only defined for positive values)"
HEADROOM_BITS = 20  # kShift: the inverse square root is applied to 1 << 20


def _uses_lut(node: Node) -> bool:
    return node.reference != TFLM and node.input(0).type is u.I16


def _real_multiplier(node: Node) -> float:
    """1 / (sqrt(input scale) * output scale): TFLite Micro in double, LiteRT's square root and
    product in float32 (inf where that product underflows to 0)."""
    in_scale, _, out_scale, _ = u.quantization(node)
    if node.reference == TFLM:
        return 1.0 / (math.sqrt(float(in_scale)) * float(out_scale))
    product = float(np.float32(sqrtf(in_scale) * out_scale))
    return 1.0 / product if product > 0 else math.inf


def _shifts_defined(node: Node) -> bool:
    """int8 (int16 with reference='tflm'): the rescale factor 1 / (sqrt(input scale) * output scale) lies in [2**-12, 2**50) (shifted by 20 bits, the references shift by at most 31)"""
    if not u.quantization_usable(node) or _uses_lut(node):
        return True
    real = _real_multiplier(node)
    return math.isfinite(real) and -31 <= quantize_multiplier(real)[1] - HEADROOM_BITS <= 30


@functools.lru_cache(maxsize=64)
def _lut_transform(output_scale: float):
    f = np.float32
    at_most_zero = f(f(32767) * f(output_scale))

    def transform(value):
        return at_most_zero if value <= 0 else f(f(1) / sqrtf(value))

    return transform


def _lut_table(node: Node) -> u.QuantizedTable:
    return u.litert_lut_table(node, _lut_transform(float(u.quantization(node)[2])))


def _table(node: Node) -> u.QuantizedTable:
    x, y = node.input(0), node.outputs[0]
    values = u.input_values(x)
    in_zp, out_zp = u.quantization(node)[1], u.quantization(node)[3]
    offset = values - in_zp
    invalid = offset < 0
    if _uses_lut(node):
        return u.QuantizedTable(_lut_table(node).values, invalid, NEGATIVE_INPUT)
    inv_multiplier, inv_shift = inv_sqrt_quantized_multiplier_exp(np.maximum(offset, 0))
    scaled_one = multiply_by_quantized_multiplier(1, inv_multiplier, inv_shift + HEADROOM_BITS)
    multiplier, shift = quantize_multiplier(_real_multiplier(node))
    out = multiply_by_quantized_multiplier(scaled_one, multiplier, shift - HEADROOM_BITS) + out_zp
    info = np.iinfo(u.NUMPY_TYPES[y.type])
    out = np.where(offset == 0, info.max, np.clip(out, info.min, info.max))
    return u.QuantizedTable(out, invalid, NEGATIVE_INPUT)


@register("RSQRT", versions=range(1, 4), types=("float32", "int8", "int16"), inputs=1, outputs=1)
class Rsqrt(u.UnaryKernel):
    constraints = (
        *u.operand_constraints((u.F32, u.I8, u.I16), (u.F32, u.I8, u.I16)),
        *u.QUANTIZED_CONSTRAINTS,
        u.int16_zero_points,
        _shifts_defined,
        u.lut_defined(lambda node: _lut_table(node) if _uses_lut(node) else None),
    )

    @staticmethod
    def element(x: np.ndarray) -> np.ndarray:
        x = x.astype(np.float32)
        return np.float32(1) / np.sqrt(x)

    table = staticmethod(_table)
