"""RELU: max(x, 0), float32 / int8 / int16 (int16 with zero points 0); uint8 with LiteRT.

Quantized: ``zp_out + requantize(x - zp_in, s_in / s_out)`` clamped below at the output's zero
point. TFLite Micro divides the scales in double (activations_common.cc, CalculateReluOpData);
LiteRT divides them in float32 and widens the quotient (activations.cc, ReluPrepare).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType
from . import _elementwise as ew
from . import common
from .fixedpoint import quantize_multiplier
from .registry import TFLM, Kernel, Node, register


@dataclass(frozen=True)
class ReluXData:
    kind: str  # "float32" or "quantized"
    dtype: type
    input_offset: int
    output_offset: int
    multiplier: int
    shift: int
    act_min: float
    act_max: float


def relux_range_fits(upper: float | None):
    """Constraint factory: the quantized activation bounds are representable (C casts of roundf)."""

    def check(node: Node) -> bool:
        y = node.outputs[0]
        if y.type not in ew.QUANTIZED_NUMPY:
            return True
        bounds = [0.0] + ([] if upper is None else [upper])
        with np.errstate(all="ignore"):
            return all(ew.float_to_int32_fits(ew.round_half_away_f32(ew.f32(v) / common.scale_of(y))) for v in bounds)

    check.__doc__ = "The activation bounds divided by the output scale fit in int32"
    return check


def relux_real(node: Node) -> float:
    s_in, s_out = common.scale_of(node.input(0)), common.scale_of(node.outputs[0])
    if node.reference == TFLM:
        return float(s_in) / float(s_out)
    with np.errstate(all="ignore"):
        return float(ew.f32(s_in / s_out))


def prepare_relux(node: Node, lower: float, upper: float | None) -> ReluXData:
    """LiteRT's QuantizedReluX (and TFLM's RELU): requantize, then clamp to [lower, upper]."""
    x, y = node.input(0), node.outputs[0]
    if y.type is TensorType.FLOAT32:
        return ReluXData("float32", np.float32, 0, 0, 0, 0, lower, np.inf if upper is None else upper)
    multiplier, shift = quantize_multiplier(relux_real(node))
    qmin, qmax = common.INTEGER_RANGE[y.type]
    zp = common.zero_point_of(y)
    act_min = max(qmin, zp + int(ew.round_half_away_f32(ew.f32(lower) / common.scale_of(y))))
    act_max = qmax if upper is None else min(qmax, zp + int(ew.round_half_away_f32(ew.f32(upper) / common.scale_of(y))))
    return ReluXData("quantized", ew.QUANTIZED_NUMPY[y.type], common.zero_point_of(x), zp, multiplier, shift,
                     act_min, act_max)


def eval_relux(data: ReluXData, x: np.ndarray) -> np.ndarray:
    if data.kind == "float32":
        return np.clip(x, data.act_min, data.act_max).astype(np.float32)
    scaled = ew.requantize(x.astype(np.int64) - data.input_offset, data.multiplier, data.shift,
                           ew.ELEMENTWISE_ROUNDING)
    return ew.clamp_cast(scaled + data.output_offset, data.act_min, data.act_max, data.dtype)


def int16_zero_points(node: Node) -> bool:
    """int16: input and output have zero point 0"""
    if node.outputs[0].type is not TensorType.INT16:
        return True
    return common.zero_point_of(node.input(0)) == 0 and common.zero_point_of(node.outputs[0]) == 0


@register("RELU", versions=range(1, 4), types=("int8", "int16", "float32", "uint8"),
          inputs=1, outputs=1)
class Relu(Kernel):
    constraints = (
        *ew.unary_constraints(TensorType.FLOAT32, TensorType.INT8, TensorType.INT16, TensorType.UINT8),
        common.tflm_refuses_uint8,
        int16_zero_points,
        relux_range_fits(None),
        ew.multipliers_fit(relux_real),
    )

    def prepare(self, node: Node) -> ReluXData:
        return prepare_relux(node, 0.0, None)

    def eval(self, data: ReluXData, inputs):
        return [eval_relux(data, inputs[0])]
