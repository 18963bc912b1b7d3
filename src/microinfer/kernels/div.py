"""DIV: element-wise quotient with broadcasting and a fused activation.

float32: IEEE division clamped to the activation range, whose bounds without an activation are
+-FLT_MAX (so x/0 gives +-FLT_MAX, 0/0 NaN). int32: C division (truncating); both references fail
on a zero divisor, and on INT32_MIN / -1 TFLite Micro crashes while LiteRT returns INT32_MAX.
Quantized (int8; int16 too with reference='tflite'): the divisor's reciprocal in fixed point
(GetReciprocal), the dividend normalised by its headroom, then one rescale by
``s1 / (s2 * s_out)``, computed in double by TFLite Micro and in float32 by LiteRT (scales such as
0.1 / (0.08 * 0.05) give exact ties, which round apart by that last bit). A divisor equal to its zero point is an error in LiteRT;
TFLite Micro runs its arithmetic on it (the reciprocal of 0 with CountLeadingZeros(0) = 32), which
microinfer reproduces.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _binary as bw
from . import _elementwise as ew
from . import common
from .fixedpoint import (
    count_leading_sign_bits_i32,
    get_reciprocal,
    multiply_by_quantized_multiplier_greater_than_one,
    quantize_multiplier,
    rounding_divide_by_pot_x86,
    saturating_rounding_doubling_high_mul,
    wrap_int32,
)
from .registry import TFLM, Node, register

INT32_MIN = -(1 << 31)
# The fewest redundant sign bits of a dividend (input minus zero point) of each quantized type:
# the largest output shift for which the references' final right shift stays a right shift.
_MIN_HEADROOM = {bw.I8: 23, bw.I16: 15}


@dataclass(frozen=True)
class DivConstants:
    kind: str  # "float", "int" or "quantized"
    reference: str
    act_min: float
    act_max: float
    input1_offset: int = 0
    input2_offset: int = 0
    output_offset: int = 0
    multiplier: int = 0
    shift: int = 0


def real_multiplier(node: Node) -> float:
    """s1 / (s2 * s_out): in double for TFLite Micro (measured: its ties follow the double
    quotient), in float32 for LiteRT."""
    s1, s2, so = (common.scale_of(t) for t in (node.input(0), node.input(1), node.outputs[0]))
    if node.reference == TFLM:
        return float(s1) / (float(s2) * float(so))
    return float(ew.f32(s1 / ew.f32(s2 * so)))


def _quantized_multiplier_fits(node: Node) -> bool:
    """Quantized: the rescale factor input1 scale / (input2 scale x output scale) is below 2**23 (int8) or 2**15 (int16)"""
    y = node.outputs[0]
    if y.type not in bw.QUANTIZED or not bw.quantized_per_tensor(node):  # (refused by that constraint)
        return True
    return quantize_multiplier(real_multiplier(node))[1] <= _MIN_HEADROOM[y.type]


def _int32_unquantized(node: Node) -> bool:
    """With reference='tflm': int32 inputs carry no quantization parameters"""
    if node.reference != TFLM or node.outputs[0].type is not bw.I32:
        return True
    return all(t.quantization is None or len(t.quantization.scale) == 0 for t in node.inputs)


def quantized_quotient(c: DivConstants, a, b):
    v1 = a.astype(np.int64) + c.input1_offset
    v2 = b.astype(np.int64) + c.input2_offset
    v1, v2 = np.broadcast_arrays(v1, v2)
    if c.reference != TFLM and np.any(v2 == 0):
        bw.fail("DIV", "a divisor element equals its zero point (division by zero); LiteRT fails on it")
    negative = v2 < 0
    v1 = np.where(negative, -v1, v1)
    v2 = np.where(negative, -v2, v2)
    reciprocal, recip_shift = get_reciprocal(v2, 31)
    headroom = count_leading_sign_bits_i32(v1)
    unscaled = multiply_by_quantized_multiplier_greater_than_one(v1, reciprocal, headroom)
    total_shift = c.shift - recip_shift - headroom
    out = rounding_divide_by_pot_x86(saturating_rounding_doubling_high_mul(unscaled, c.multiplier), -total_shift)
    return np.clip(wrap_int32(out + c.output_offset), c.act_min, c.act_max)


def int_quotient(c: DivConstants, a, b):
    a, b = np.broadcast_arrays(a.astype(np.int64), b.astype(np.int64))
    if np.any(b == 0):
        bw.fail("DIV", "an int32 divisor is 0; both references fail on it")
    overflow = (a == INT32_MIN) & (b == -1)
    if c.reference == TFLM and np.any(overflow):
        bw.fail("DIV", "INT32_MIN / -1 overflows; TFLite Micro crashes on it (LiteRT returns INT32_MAX)")
    quotient = np.where(overflow, -INT32_MIN - 1, _trunc_div(a, b))
    return np.clip(quotient, c.act_min, c.act_max)


def _trunc_div(a, b):
    q = np.abs(a) // np.abs(np.where(b == 0, 1, b))
    return np.where((a < 0) != (b < 0), -q, q)


@register("DIV", versions=range(1, 3), types=("float32", "int8", "int16", "int32"), inputs=2, outputs=1)
class Div(bw.BinaryKernel):
    constraints = (
        *bw.types((bw.F32, bw.I32, bw.I8), (bw.F32, bw.I32, bw.I8, bw.I16)),
        bw.output_is_broadcast,
        ew.max_rank(6),
        common.supported_activation,
        bw.quantized_per_tensor,
        _int32_unquantized,
        _quantized_multiplier_fits,
    )

    def constants(self, node: Node) -> DivConstants:
        y = node.outputs[0]
        lo, hi = bw.activation_bounds(node)
        if y.type is bw.F32:
            return DivConstants("float", node.reference, lo, hi)
        if y.type is bw.I32:
            return DivConstants("int", node.reference, lo, hi)
        multiplier, shift = quantize_multiplier(real_multiplier(node))
        return DivConstants("quantized", node.reference, lo, hi,
                            -common.zero_point_of(node.input(0)), -common.zero_point_of(node.input(1)),
                            common.zero_point_of(y), multiplier, shift)

    @staticmethod
    def function(c: DivConstants, a, b):
        if c.kind == "float":
            return np.clip(a / b, c.act_min, c.act_max)
        if c.kind == "int":
            return int_quotient(c, a, b)
        return quantized_quotient(c, a, b)
