"""HARD_SWISH: x * relu6(x + 3) / 6, float32 and int8.

The int8 path is TFLite's 16-bit fixed-point evaluation (identical in both references): the input
is moved onto a "hires" scale (x 128), multiplied by a 16-bit output multiplier, and by a
"relu-ish" factor in [0, 1] obtained by rescaling x from [-3, 3] with saturation; the multipliers
are computed in float32 and reduced to 16 bits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType
from . import _elementwise as ew
from . import common
from .fixedpoint import quantize_multiplier
from .registry import Kernel, Node, register

INT16_MIN, INT16_MAX = -(1 << 15), (1 << 15) - 1


@dataclass(frozen=True)
class HardSwishData:
    kind: str  # "float32" or "int8"
    input_zero_point: int = 0
    output_zero_point: int = 0
    output_multiplier: int = 0  # 16-bit
    output_exponent: int = 0
    reluish_multiplier: int = 0  # 16-bit
    reluish_exponent: int = 0


def _multipliers(node: Node) -> tuple[float, float]:
    s_in, s_out = common.scale_of(node.input(0)), common.scale_of(node.outputs[0])
    hires = ew.f32(ew.f32(1.0 / 128.0) * s_in)
    return float(ew.f32(hires / s_out)), float(ew.f32(hires / ew.f32(3.0 / 32768.0)))


def _downscale_to_int16(multiplier: int) -> int:
    """DownScaleInt32ToInt16Multiplier: round a Q31 multiplier to Q15, saturating."""
    if multiplier >= INT32_MAX_MINUS_ROUNDING:
        return INT16_MAX
    return (multiplier + (1 << 15)) >> 16


INT32_MAX_MINUS_ROUNDING = (1 << 31) - 1 - (1 << 15)


def _exponents_valid(node: Node) -> bool:
    """int8: the output rescale (input scale / 128 / output scale) is at most 1 and the relu-ish exponent at most 30"""
    if node.input(0).type is not TensorType.INT8:
        return True
    out_real, reluish_real = _multipliers(node)
    return quantize_multiplier(out_real)[1] <= 0 and quantize_multiplier(reluish_real)[1] <= 30


def _srdhm16(a, b):
    """gemmlowp's SaturatingRoundingDoublingHighMul on int16 values."""
    a = np.asarray(a, np.int64)
    b = np.asarray(b, np.int64)
    ab = a * b
    nudge = np.where(ab >= 0, 1 << 14, 1 - (1 << 14))
    q = ab + nudge
    out = np.where(q >= 0, q >> 15, -((-q) >> 15))  # C division rounds toward zero
    return np.where((a == b) & (a == INT16_MIN), INT16_MAX, out)


def _sat_left_shift16(x, amount: int):
    return np.clip(x * (1 << amount), INT16_MIN, INT16_MAX)


def _rdbp16(x, exponent: int):
    """gemmlowp's RoundingDivideByPOT on int16 values: the mask is an int16 too, so exponents
    of 16 or more round every nonzero value to +-1 (and 0 to 1), as the C code does."""
    x = np.asarray(x, np.int64)
    mask = int(_wrap16((1 << exponent) - 1))
    remainder = _wrap16(x & mask)
    threshold = _wrap16((mask >> 1) + (x < 0))
    return _wrap16((x >> exponent) + (remainder > threshold))


def _wrap16(x):
    return ((np.asarray(x, np.int64) + (1 << 15)) & 0xFFFF) - (1 << 15)


@register("HARD_SWISH", versions=range(1, 2), types=("int8", "float32"))
class HardSwish(Kernel):
    constraints = (
        ew.same_type_in(TensorType.FLOAT32, TensorType.INT8),
        ew.unary_same_shape,
        common.quantized_tensors_have_parameters,
        ew.all_per_tensor,
        ew.positive_scales,
        ew.zero_points_in_range,
        _exponents_valid,
    )

    def prepare(self, node: Node) -> HardSwishData:
        if node.input(0).type is TensorType.FLOAT32:
            return HardSwishData("float32")
        out_real, reluish_real = _multipliers(node)
        out_m, out_e = quantize_multiplier(out_real)
        rel_m, rel_e = quantize_multiplier(reluish_real)
        return HardSwishData(
            "int8", common.zero_point_of(node.input(0)), common.zero_point_of(node.outputs[0]),
            _downscale_to_int16(out_m), out_e, _downscale_to_int16(rel_m), rel_e,
        )

    def eval(self, data: HardSwishData, inputs):
        x = inputs[0]
        if data.kind == "float32":
            f = np.float32
            return [(x * np.minimum(f(6), np.maximum(f(0), x + f(3))) / f(6)).astype(np.float32)]
        value = _wrap16(x.astype(np.int64) - data.input_zero_point)
        hires = _wrap16(value * 128)
        preshift_output = _srdhm16(hires, data.output_multiplier)
        reluish = hires
        if data.reluish_exponent > 0:
            reluish = _sat_left_shift16(reluish, data.reluish_exponent - 1)
        reluish = _srdhm16(reluish, data.reluish_multiplier)
        if data.reluish_exponent > 0:
            reluish = _sat_left_shift16(reluish, 1)
        if data.reluish_exponent < 0:
            reluish = _rdbp16(reluish, -data.reluish_exponent)
        reluish = (reluish + (1 << 15)) >> 1
        product = reluish * preshift_output  # SaturatingDoublingHighMul: truncating division
        preshift = _wrap16(np.where(product >= 0, product >> 15, -((-product) >> 15)))
        preshift = np.where((reluish == INT16_MIN) & (preshift_output == INT16_MIN), INT16_MAX, preshift)
        out = _wrap16(_rdbp16(preshift, -data.output_exponent) + data.output_zero_point)
        return [np.clip(out, -128, 127).astype(np.int8)]
