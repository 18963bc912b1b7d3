"""MUL: element-wise product with broadcasting and a fused activation, int8 / int16 / float32
/ int32, and (LiteRT) int64 and uint8.

``out = zp_out + requantize((a - zp_a) * (b - zp_b), s_a * s_b / s_out)``. TFLite Micro computes
the real multiplier in double, LiteRT in float32 (then widens it); both requantize with double
rounding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType
from . import _elementwise as ew
from . import common
from .fixedpoint import DOUBLE, quantize_multiplier
from .registry import TFLM, Kernel, Node, register


@dataclass(frozen=True)
class MulData:
    kind: str  # "float32", "int" (int32/int64) or "quantized"
    output_shape: tuple[int, ...]
    dtype: type
    input1_offset: int
    input2_offset: int
    output_offset: int
    multiplier: int
    shift: int
    rounding: str
    act_min: float
    act_max: float


def _int16_symmetric(node: Node) -> bool:
    """int16: inputs and output have zero point 0"""
    if node.outputs[0].type is not TensorType.INT16:
        return True
    return all(common.zero_point_of(t) == 0 for t in (node.input(0), node.input(1), node.outputs[0]))


def real_multiplier(node: Node) -> float:
    s1, s2, so = (common.scale_of(t) for t in (node.input(0), node.input(1), node.outputs[0]))
    if node.reference == TFLM:
        return float(s1) * float(s2) / float(so)
    return float(ew.f32(ew.f32(s1 * s2) / so))


@register("MUL", versions=range(1, 8), types=("int8", "int16", "uint8", "float32", "int32", "int64"),
          inputs=2, outputs=1)
class Mul(Kernel):
    constraints = (
        *ew.BINARY_ARITHMETIC_CONSTRAINTS,
        _int16_symmetric,
        ew.multipliers_fit(real_multiplier),
    )

    def prepare(self, node: Node) -> MulData:
        y = node.outputs[0]
        activation = node.options.fused_activation_function
        shape = tuple(y.shape)
        if y.type is TensorType.FLOAT32:
            lo, hi = common.activation_min_max_float(activation)
            return MulData("float32", shape, np.float32, 0, 0, 0, 0, 0, "", lo, hi)
        if y.type in ew.UNQUANTIZED_INT:
            lo, hi = common.activation_range_int(activation, y.type)
            return MulData("int", shape, ew.UNQUANTIZED_INT[y.type], 0, 0, 0, 0, 0, "", lo, hi)
        # Both references requantize MUL with double rounding (LiteRT 2.3.0 verified on ties
        # and on overflowing left shifts, where single rounding would differ).
        rounding = DOUBLE
        multiplier, shift = quantize_multiplier(real_multiplier(node))
        lo, hi = common.activation_range_quantized(activation, y)
        return MulData(
            "quantized", shape, ew.QUANTIZED_NUMPY[y.type],
            -common.zero_point_of(node.input(0)), -common.zero_point_of(node.input(1)),
            common.zero_point_of(y), multiplier, shift, rounding, lo, hi,
        )

    def eval(self, data: MulData, inputs):
        a, b = inputs
        if data.kind == "float32":
            with np.errstate(over="ignore", invalid="ignore"):
                out = np.clip(a * b, data.act_min, data.act_max).astype(np.float32)
            return [out.reshape(data.output_shape)]
        if data.kind == "int":
            out = ew.wrapping(np.multiply, a, b, data.dtype)
            return [np.clip(out, data.act_min, data.act_max).astype(data.dtype).reshape(data.output_shape)]
        product = ew.wrap_int32((a.astype(np.int64) + data.input1_offset) * (b.astype(np.int64) + data.input2_offset))
        out = ew.requantize(product, data.multiplier, data.shift, data.rounding) + data.output_offset
        out = np.broadcast_to(out, data.output_shape)
        return [ew.clamp_cast(out, data.act_min, data.act_max, data.dtype)]
