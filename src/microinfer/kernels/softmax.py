"""SOFTMAX over the last axis: float32, int8 -> int8, int8 -> int16 and int16 -> int16; with LiteRT
also uint8 -> uint8 and uint8 -> int16 (the int8 arithmetic, its output unchecked).

int8 input: gemmlowp fixed point. The input difference to the row maximum is scaled by
``beta * input_scale`` into Q5.26 (``PreprocessSoftmaxScaling``), differences below ``diff_min``
contribute nothing, exp() is gemmlowp's ``exp_on_negative_values``, the sum is kept in Q12.19 and
inverted with ``one_over_one_plus_x_for_x_in_0_1``. Both references scale the difference with the
doubling high multiply here: LiteRT 2.3.0's softmax was observed to requantize with double rounding
(its int16 path shows it unambiguously), unlike its convolutions.

int16 input: table lookups with interpolation (exp on [-10, 0] and 1/(1+x) on [0, 1]). TFLite
Micro builds the two tables in float32 from explicit ranges, LiteRT in float64 from quantization
parameters; the tables can differ in the last place, so each reference gets its own.
"""

from __future__ import annotations

import dataclasses

import math
from dataclasses import dataclass

import numpy as np

from ..errors import InvalidInputError
from ..tflite.types import TensorType
from . import common
from ._libm import expf
from ._lookup_tables import lut_int16, lut_lookup_int16
from .fixedpoint import (
    DOUBLE,
    calculate_input_radius,
    count_leading_zeros_u32,
    exp_on_negative_values,
    multiply_by_quantized_multiplier,
    one_over_one_plus_x_for_x_in_0_1,
    quantize_multiplier,
    rescale,
    rounding_divide_by_pot,
    saturating_rounding_doubling_high_mul,
    wrap_int32,
)
from ._unary import tflm_allocates
from .registry import TFLITE, TFLM, Kernel, Node, register

SCALED_DIFF_INTEGER_BITS = 5
ACCUMULATION_INTEGER_BITS = 12


@dataclass(frozen=True)
class SoftmaxData:
    kind: str  # "float32", "int8", "int16"
    beta: float
    out_dtype: type
    multiplier: int
    left_shift: int
    diff_min: int
    rounding: str
    exp_lut: np.ndarray | None
    reciprocal_lut: np.ndarray | None


# -- constraints ------------------------------------------------------------------------------

_COMBOS = {
    (TensorType.FLOAT32, TensorType.FLOAT32),
    (TensorType.INT8, TensorType.INT8),
    (TensorType.INT8, TensorType.INT16),
    (TensorType.INT16, TensorType.INT16),
    (TensorType.UINT8, TensorType.UINT8),  # LiteRT only (common.tflm_refuses_uint8)
    (TensorType.UINT8, TensorType.INT16),
}
EIGHT_BIT = (TensorType.INT8, TensorType.UINT8)


def _types_supported(node: Node) -> bool:
    """Input/output float32/float32, int8/int8, int8/int16, int16/int16, uint8/uint8 or uint8/int16"""
    x = node.input(0)
    return x is not None and (x.type, node.outputs[0].type) in _COMBOS


def _one_input(node: Node) -> bool:
    """One input of rank at least 1, one output of the same shape"""
    x = node.input(0)
    return (len(node.inputs) == 1 and len(node.outputs) == 1 and x is not None and len(x.shape) >= 1
            and tuple(x.shape) == tuple(node.outputs[0].shape))


def _near(value: float, target: float) -> bool:
    return abs(float(np.float32(value)) - target) <= 0.001 * target


def _output_quantization(node: Node) -> bool:
    """Quantized output: int8 scale 1/256 (TFLite Micro exactly, LiteRT within 0.1%) and zero point -128; int16 from int16 scale 1/32768 within 0.1% and zero point 0; int16 from int8 (TFLite Micro only) 1/65536 within 0.1% and -32768; from uint8 (LiteRT) any"""
    x, y = node.input(0), node.outputs[0]
    if x is None or x.type is TensorType.FLOAT32 or y.quantization is None:
        return x is not None and (x.type is TensorType.FLOAT32 or y.quantization is not None)
    if x.type is TensorType.UINT8:  # LiteRT writes p * 256 (or -32768 + p * 65536) unchecked
        return True
    scale, zero_point = float(common.scale_of(y)), common.zero_point_of(y)
    if x.type is TensorType.INT16:
        return zero_point == 0 and _near(scale, 1.0 / 32768)
    if y.type is TensorType.INT16:  # LiteRT writes -32768 + 65536 * p whatever the tensor says
        return node.reference != TFLM or (zero_point == -32768 and _near(scale, 1.0 / 65536))
    if node.reference == TFLM:
        return zero_point == -128 and np.float32(scale) == np.float32(1.0 / 256)
    return zero_point == -128 and _near(scale, 1.0 / 256)


def _int16_input_zero_point(node: Node) -> bool:
    """int16 input has zero point 0"""
    x = node.input(0)
    if x is None or x.type is not TensorType.INT16:
        return True
    return x.quantization is not None and common.zero_point_of(x) == 0


def _int16_rank(node: Node) -> bool:
    """int16 input has rank 1 to 4 (LiteRT)"""
    x = node.input(0)
    if node.reference != TFLITE or x is None or x.type is not TensorType.INT16:
        return True
    return 1 <= len(x.shape) <= 4


def _int8_multiplier_above_one(node: Node) -> bool:
    """int8/uint8 input: beta * input_scale * 2**26 is greater than 1"""
    x = node.input(0)
    if x is None or x.type not in EIGHT_BIT or x.quantization is None:
        return True
    return _int8_real_multiplier(node) > 1.0


def _int16_multiplier_in_range(node: Node) -> bool:
    """int16 input: beta * input_scale / (10 / 65535) is positive and below 2**30"""
    x = node.input(0)
    if x is None or x.type is not TensorType.INT16 or x.quantization is None:
        return True
    real = _int16_real_multiplier(node)
    return real > 0 and math.frexp(real)[1] <= 30


def _int8_real_multiplier(node: Node) -> float:
    cap = (1 << 31) - 1.0
    beta = float(np.float32(node.options.beta))
    scale = float(common.scale_of(node.inputs[0]))
    return min(beta * scale * (1 << (31 - SCALED_DIFF_INTEGER_BITS)), cap)


def _int16_real_multiplier(node: Node) -> float:
    """input_scale * beta / (10 / 65535): TFLite Micro multiplies the two float32 values in double
    (softmax_common.cc, CalculateSoftmaxParams), LiteRT in float32 before dividing in double
    (activations.cc, SoftmaxPrepare), which can change the multiplier's last bits."""
    beta = np.float32(node.options.beta)
    scale = common.scale_of(node.inputs[0])
    product = float(scale) * float(beta) if node.reference == TFLM else float(scale * beta)
    return product / (10.0 / 65535.0)


# -- the int16 tables ----------------------------------------------------------------------------

_LUT_CACHE: dict[str, tuple[np.ndarray, np.ndarray]] = {}


def _int16_luts(reference: str) -> tuple[np.ndarray, np.ndarray]:
    if reference not in _LUT_CACHE:
        if reference == TFLM:
            f = np.float32
            exp_lut = lut_int16(expf, -10.0, 0.0, -1.0, 1.0, f)
            recip_lut = lut_int16(lambda v: f(f(1.0) / f(f(1.0) + v)), 0.0, 1.0, -1.0, 1.0, f)
        else:
            rng = 65535
            d = np.float64
            exp_lut = lut_int16(lambda v: d(math.exp(float(v))), d(10.0 / rng) * (-32768 - 32767),
                                   d(10.0 / rng) * (32767 - 32767), d(2.0 / rng) * -32768, d(2.0 / rng) * 32767, d)
            recip_lut = lut_int16(lambda v: d(1.0 / (1.0 + float(v))), d(1.0 / rng) * (-32768 + 32768),
                                     d(1.0 / rng) * (32767 + 32768), d(2.0 / rng) * -32768, d(2.0 / rng) * 32767, d)
        _LUT_CACHE[reference] = (exp_lut, recip_lut)
    return _LUT_CACHE[reference]


@register("SOFTMAX", versions=range(1, 4), types=("float32", "int8", "int16", "uint8"),
          inputs=1, outputs=1)
class Softmax(Kernel):
    constraints = (
        _types_supported,
        common.tflm_refuses_uint8,
        _one_input,
        tflm_allocates,
        common.quantized_tensors_have_parameters,
        _output_quantization,
        _int16_input_zero_point,
        _int16_rank,
        _int8_multiplier_above_one,
        _int16_multiplier_in_range,
    )

    def prepare(self, node: Node) -> SoftmaxData:
        x, y = node.inputs[0], node.outputs[0]
        beta = float(np.float32(node.options.beta))
        rounding = DOUBLE  # both references, see the module docstring
        if x.type is TensorType.FLOAT32:
            return SoftmaxData("float32", beta, np.float32, 0, 0, 0, "", None, None)
        if x.type in EIGHT_BIT:
            multiplier, left_shift = quantize_multiplier(_int8_real_multiplier(node))
            radius = calculate_input_radius(SCALED_DIFF_INTEGER_BITS, left_shift)
            out_dtype = {TensorType.INT8: np.int8, TensorType.UINT8: np.uint8, TensorType.INT16: np.int16}[y.type]
            data = SoftmaxData("int8", beta, out_dtype, multiplier, left_shift, -radius, rounding, None, None)
            return dataclasses.replace(data, exp_lut=int8_difference_exps(multiplier, left_shift))
        multiplier, shift = quantize_multiplier(_int16_real_multiplier(node))
        exp_lut, recip_lut = _int16_luts(node.reference)
        return SoftmaxData("int16", beta, np.int16, multiplier, shift, 0, rounding, exp_lut, recip_lut)

    def eval(self, data: SoftmaxData, inputs):
        x = inputs[0]
        if x.size == 0:
            return [np.zeros(x.shape, data.out_dtype)]
        if data.kind == "float32":
            return [_softmax_float(x, data.beta)]
        if data.kind == "int8":
            return [_softmax_int8(x, data)]
        return [_softmax_int16(x, data)]


def _softmax_float(x, beta: float):
    x = x.astype(np.float32)
    shifted = (x - x.max(axis=-1, keepdims=True)).astype(np.float32) * np.float32(beta)
    e = np.exp(shifted.astype(np.float32)).astype(np.float32)
    return (e / e.sum(axis=-1, keepdims=True, dtype=np.float32)).astype(np.float32)


INT8_DIFFERENCES = np.arange(-255, 1, dtype=np.int64)  # x - max(row) of int8 values, at index d + 255


def scaled_int8_differences(multiplier: int, left_shift: int) -> np.ndarray:
    """MultiplyByQuantizedMultiplierGreaterThanOne (double rounding) of every int8 difference
    -255..0: the differences scaled into Q5.26 (SOFTMAX and LOG_SOFTMAX)."""
    return saturating_rounding_doubling_high_mul(wrap_int32(INT8_DIFFERENCES << left_shift), multiplier)


def int8_difference_exps(multiplier: int, left_shift: int) -> np.ndarray:
    """exp() of every scaled int8 difference -255..0 (Q0.31) and its value in the Q12.19
    accumulator the row sums are kept in, stacked.

    A difference of int8 values takes only 256 values, so the fixed-point exp is computed once
    (at prepare time), with exactly the operations the reference applies per element.
    """
    exps = exp_on_negative_values(scaled_int8_differences(multiplier, left_shift), SCALED_DIFF_INTEGER_BITS)
    return np.stack([exps, rescale(exps, 0, ACCUMULATION_INTEGER_BITS)])


def _softmax_int8(x, data: SoftmaxData):
    x = x.astype(np.int64)
    diff = x - x.max(axis=-1, keepdims=True)
    used = diff >= data.diff_min
    exps, accumulated = data.exp_lut[:, diff + 255]
    sum_of_exps = wrap_int32(np.where(used, accumulated, 0).sum(axis=-1, keepdims=True))
    headroom = count_leading_zeros_u32(sum_of_exps)
    bits_over_unit = ACCUMULATION_INTEGER_BITS - headroom
    shifted_sum_minus_one = wrap_int32(((sum_of_exps & 0xFFFFFFFF) << headroom) - (1 << 31))
    shifted_scale = one_over_one_plus_x_for_x_in_0_1(shifted_sum_minus_one)
    out_bits = np.iinfo(data.out_dtype).bits
    exponent = bits_over_unit + 31 - out_bits
    if np.any((exponent < 0) | (exponent > 31)):
        raise InvalidInputError("SOFTMAX: the sum of exponentials is out of the range the reference kernel checks "
                              "(it aborts on this input)")
    unsaturated = rounding_divide_by_pot(saturating_rounding_doubling_high_mul(shifted_scale, exps), exponent)
    info = np.iinfo(data.out_dtype)
    out = np.clip(unsaturated + info.min, info.min, info.max)
    return np.where(used, out, info.min).astype(data.out_dtype)


def _softmax_int16(x, data: SoftmaxData):
    x = x.astype(np.int64)
    diff = x - x.max(axis=-1, keepdims=True)
    scaled = wrap_int32(multiply_by_quantized_multiplier(diff, data.multiplier, data.left_shift, data.rounding))
    symmetric = np.clip(scaled + 32767, -32768, 32767)
    exps = lut_lookup_int16(symmetric, data.exp_lut)
    sum_of_exps = wrap_int32(exps.sum(axis=-1, keepdims=True))
    headroom_plus_one = count_leading_zeros_u32(sum_of_exps)
    shifted_sum = ((sum_of_exps << (headroom_plus_one - 1)) + (1 << 13)) >> 14
    symmetric_sum = np.clip(shifted_sum - ((1 << 15) + (1 << 16)), -32768, 32767)
    reciprocal = lut_lookup_int16(symmetric_sum, data.reciprocal_lut)
    right_shift = 31 - headroom_plus_one
    result = (exps * reciprocal + (np.int64(1) << (right_shift - 1))) >> right_shift
    return np.clip(wrap_int32(result), 0, 32767).astype(np.int16)
