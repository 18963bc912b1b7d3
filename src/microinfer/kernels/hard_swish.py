"""HARD_SWISH: x * relu6(x + 3) / 6, float32 and int8; uint8 with LiteRT.

The int8 (uint8) path is TFLite's 16-bit fixed-point evaluation (identical in both references): the input
is moved onto a "hires" scale (x 128), multiplied by a 16-bit output multiplier, and by a
"relu-ish" factor in [0, 1] obtained by rescaling x from [-3, 3] with saturation; the multipliers
are computed in float32 and reduced to 16 bits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType
from . import _elementwise as ew
from . import common
from .fixedpoint import (
    quantize_multiplier,
    rounding_divide_by_pot,
    saturating_left_shift,
    saturating_rounding_doubling_high_mul,
    wrap,
)
from .registry import Kernel, Node, register

INT16_MIN, INT16_MAX = -(1 << 15), (1 << 15) - 1


@dataclass(frozen=True)
class HardSwishData:
    kind: str  # "float32" or "quantized"
    dtype: type = np.float32
    input_zero_point: int = 0
    output_zero_point: int = 0
    output_multiplier: int = 0  # 16-bit
    output_exponent: int = 0
    reluish_multiplier: int = 0  # 16-bit
    reluish_exponent: int = 0


def _multipliers(node: Node) -> tuple[float, float]:
    s_in, s_out = common.scale_of(node.input(0)), common.scale_of(node.outputs[0])
    with np.errstate(all="ignore"):
        hires = ew.f32(ew.f32(1.0 / 128.0) * s_in)
        return float(ew.f32(hires / s_out)), float(ew.f32(hires / ew.f32(3.0 / 32768.0)))


def _downscale_to_int16(multiplier: int) -> int:
    """DownScaleInt32ToInt16Multiplier: round a Q31 multiplier to Q15, saturating."""
    if multiplier >= INT32_MAX_MINUS_ROUNDING:
        return INT16_MAX
    return (multiplier + (1 << 15)) >> 16


INT32_MAX_MINUS_ROUNDING = (1 << 31) - 1 - (1 << 15)


def _exponents_valid(node: Node) -> bool:
    """int8/uint8: the output rescale (input scale / 128 / output scale) is at most 1 and the relu-ish exponent at most 30"""
    if node.input(0).type not in (TensorType.INT8, TensorType.UINT8) or not ew.positive_scales(node):
        return True
    out_real, reluish_real = _multipliers(node)
    if not (math.isfinite(out_real) and math.isfinite(reluish_real)):
        return False  # a float32 quotient overflowed
    return quantize_multiplier(out_real)[1] <= 0 and quantize_multiplier(reluish_real)[1] <= 30


@register("HARD_SWISH", versions=range(1, 2), types=("int8", "float32", "uint8"),
          inputs=1, outputs=1)
class HardSwish(Kernel):
    constraints = (
        *ew.unary_constraints(TensorType.FLOAT32, TensorType.INT8, TensorType.UINT8),
        common.tflm_refuses_uint8,
        _exponents_valid,
    )

    def prepare(self, node: Node) -> HardSwishData:
        if node.input(0).type is TensorType.FLOAT32:
            return HardSwishData("float32")
        out_real, reluish_real = _multipliers(node)
        out_m, out_e = quantize_multiplier(out_real)
        rel_m, rel_e = quantize_multiplier(reluish_real)
        return HardSwishData(
            "quantized", ew.QUANTIZED_NUMPY[node.input(0).type], common.zero_point_of(node.input(0)),
            common.zero_point_of(node.outputs[0]),
            _downscale_to_int16(out_m), out_e, _downscale_to_int16(rel_m), rel_e,
        )

    def eval(self, data: HardSwishData, inputs):
        x = inputs[0]
        if data.kind == "float32":
            f = np.float32
            return [(x * np.minimum(f(6), np.maximum(f(0), x + f(3))) / f(6)).astype(np.float32)]
        value = wrap(x.astype(np.int64) - data.input_zero_point, 16)
        hires = wrap(value * 128, 16)
        preshift_output = saturating_rounding_doubling_high_mul(hires, data.output_multiplier, bits=16)
        reluish = hires
        if data.reluish_exponent > 0:
            reluish = saturating_left_shift(reluish, data.reluish_exponent - 1, bits=16)
        reluish = saturating_rounding_doubling_high_mul(reluish, data.reluish_multiplier, bits=16)
        if data.reluish_exponent > 0:
            reluish = saturating_left_shift(reluish, 1, bits=16)
        if data.reluish_exponent < 0:
            reluish = rounding_divide_by_pot(reluish, -data.reluish_exponent, bits=16)
        reluish = (reluish + (1 << 15)) >> 1
        product = reluish * preshift_output  # SaturatingDoublingHighMul: truncating division
        preshift = wrap(np.where(product >= 0, product >> 15, -((-product) >> 15)), 16)
        preshift = np.where((reluish == INT16_MIN) & (preshift_output == INT16_MIN), INT16_MAX, preshift)
        out = wrap(rounding_divide_by_pot(preshift, -data.output_exponent, bits=16) + data.output_zero_point, 16)
        info = np.iinfo(data.dtype)
        return [np.clip(out, info.min, info.max).astype(data.dtype)]
