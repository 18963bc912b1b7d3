"""RELU6: min(max(x, 0), 6), float32 / int8 / int16; uint8 with LiteRT.

The references differ on quantized tensors: TFLite Micro clamps the raw input between its zero
point and the quantized value of 6 on the *input* scale (the output's parameters are ignored),
while LiteRT requantizes onto the output scale as RELU does and clamps there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType
from . import _elementwise as ew
from . import common
from .registry import TFLM, Kernel, Node, register
from .relu import ReluXData, eval_relux, prepare_relux, relux_range_fits, relux_real


@dataclass(frozen=True)
class Relu6ClampData:
    """TFLM's quantized RELU6: clamp the input values to [zero, six]."""

    dtype: type
    zero: int
    six: int


def _tflm_six(node: Node) -> int:
    x = node.input(0)
    qmin, qmax = common.INTEGER_RANGE[x.type]
    value = ew.round_half_away_f32(ew.f32(6.0) / common.scale_of(x)) + ew.f32(common.zero_point_of(x))
    return int(min(max(int(value), qmin), qmax))


def _six_fits(node: Node) -> bool:
    """The quantized value of 6.0 (on the input scale for TFLM, the output scale for LiteRT) fits in int32"""
    x = node.input(0)
    if x.type not in ew.QUANTIZED_NUMPY:
        return True
    if node.reference == TFLM:
        value = ew.round_half_away_f32(ew.f32(6.0) / common.scale_of(x)) + ew.f32(common.zero_point_of(x))
        return ew.float_to_int32_fits(value)
    return relux_range_fits(6.0)(node)


def _litert_multiplier_fits(node: Node) -> bool:
    """LiteRT: the rescale factor input scale / output scale is below 2**30"""
    return node.reference == TFLM or ew.multipliers_fit(relux_real)(node)


@register("RELU6", versions=range(1, 4), types=("int8", "int16", "float32", "uint8"),
          inputs=1, outputs=1)
class Relu6(Kernel):
    constraints = (
        *ew.unary_constraints(TensorType.FLOAT32, TensorType.INT8, TensorType.INT16, TensorType.UINT8),
        common.tflm_refuses_uint8,
        ew.litert_int16_zero_points,
        _six_fits,
        _litert_multiplier_fits,
    )

    def prepare(self, node: Node):
        x = node.input(0)
        if x.type is TensorType.FLOAT32 or node.reference != TFLM:
            return prepare_relux(node, 0.0, 6.0)
        return Relu6ClampData(ew.NUMPY_INT[x.type], common.zero_point_of(x), _tflm_six(node))

    def eval(self, data, inputs):
        if isinstance(data, ReluXData):
            return [eval_relux(data, inputs[0])]
        x = inputs[0]
        # (lower wins when six < zero, as the C ternary does: val > six ? six : val < zero ? zero : val)
        out = np.where(x > data.six, data.six, np.where(x < data.zero, data.zero, x))
        return [out.astype(data.dtype)]
