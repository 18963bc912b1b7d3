"""QUANTIZE: float32 -> int8/int16, and requantization int8/int16 -> int8/int16/int32.

float32 input: ``zp + round(x / scale)`` with the division in float32 and roundf (half away
from zero), saturated to the output type; a quotient outside int32 converts the way x86 does
(to INT32_MIN), as the references' C cast does on this platform. Requantization:
``zp_out + requantize(x - zp_in, s_in / s_out)`` with the multiplier computed in double.
LiteRT needs zero points 0 for int16 -> int16 and does not requantize int8 -> int32.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType
from . import _elementwise as ew
from . import common
from .fixedpoint import quantize_multiplier
from .registry import TFLM, Kernel, Node, register

F32, I8, I16, I32 = TensorType.FLOAT32, TensorType.INT8, TensorType.INT16, TensorType.INT32
OUTPUT_DTYPES = {I8: np.int8, I16: np.int16, I32: np.int32}


@dataclass(frozen=True)
class QuantizeData:
    kind: str  # "affine" (from float32) or "requantize"
    dtype: type
    scale: float = 1.0  # output scale, as a double
    input_zero_point: int = 0
    output_zero_point: int = 0
    multiplier: int = 0
    shift: int = 0


def _types(node: Node) -> bool:
    """float32 to int8 or int16, or int8/int16 to int8, int16 or int32 (LiteRT: not int8 to int32)"""
    x, y = node.input(0), node.outputs[0]
    if x is None or len(node.inputs) != 1:
        return False
    pairs = {(F32, I8), (F32, I16), (I8, I8), (I8, I16), (I16, I8), (I16, I16), (I16, I32)}
    if node.reference == TFLM:
        pairs.add((I8, I32))
    return (x.type, y.type) in pairs


def _litert_int16_requantize_symmetric(node: Node) -> bool:
    """int16 to int16 (LiteRT reference): zero points are 0"""
    x, y = node.input(0), node.outputs[0]
    if node.reference == TFLM or (x.type, y.type) != (I16, I16):
        return True
    return common.zero_point_of(x) == 0 and common.zero_point_of(y) == 0


def _output_per_tensor(node: Node) -> bool:
    """The output is quantized per tensor (an int32 output with a positive scale); a quantized input too"""
    x, y = node.input(0), node.outputs[0]
    ok = ew.per_tensor(y) and (x.type is F32 or ew.per_tensor(x))
    return ok and (y.type is not I32 or float(common.scale_of(y)) > 0)


def _requantize_real(node: Node) -> float:
    x = node.input(0)
    return 0.0 if x.type is F32 else float(common.scale_of(x)) / float(common.scale_of(node.outputs[0]))


@register("QUANTIZE", versions=range(1, 3), types=("float32", "int8", "int16"))
class Quantize(Kernel):
    constraints = (
        _types,
        ew.unary_same_shape,
        common.quantized_tensors_have_parameters,
        _output_per_tensor,
        ew.positive_scales,
        ew.zero_points_in_range,
        _litert_int16_requantize_symmetric,
        ew.multipliers_fit(_requantize_real),
    )

    def prepare(self, node: Node) -> QuantizeData:
        x, y = node.input(0), node.outputs[0]
        dtype = OUTPUT_DTYPES[y.type]
        if x.type is F32:
            return QuantizeData("affine", dtype, scale=float(common.scale_of(y)),
                                output_zero_point=common.zero_point_of(y))
        multiplier, shift = quantize_multiplier(_requantize_real(node))
        return QuantizeData("requantize", dtype, input_zero_point=common.zero_point_of(x),
                            output_zero_point=common.zero_point_of(y), multiplier=multiplier, shift=shift)

    def eval(self, data: QuantizeData, inputs):
        x = inputs[0]
        info = np.iinfo(data.dtype)
        if data.kind == "affine":
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                # both references divide in float32 (val / static_cast<float>(scale)) and round
                # the float quotient half away from zero; rounding its exact double value is the same
                q = (x.astype(np.float32) / np.float32(data.scale)).astype(np.float64)
                rounded = np.sign(q) * np.floor(np.abs(q) + 0.5)
                fits = np.isfinite(rounded) & (rounded >= -(2.0**31)) & (rounded < 2.0**31)
                as_int = np.where(fits, np.nan_to_num(rounded), -(2.0**31)).astype(np.int64)
            out = ew.wrap_int32(as_int + data.output_zero_point)
            return [np.clip(out, info.min, info.max).astype(data.dtype)]
        scaled = ew.requantize(x.astype(np.int64) - data.input_zero_point, data.multiplier, data.shift,
                               ew.ELEMENTWISE_ROUNDING)
        out = ew.wrap_int32(scaled + data.output_zero_point)
        return [np.clip(out, info.min, info.max).astype(data.dtype)]
