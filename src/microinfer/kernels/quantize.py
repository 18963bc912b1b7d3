"""QUANTIZE: float32 -> int8/uint8/int16, and requantization between integer types.

float32 input: ``zp + (int32)roundf(x / scale)`` with the division in float32 (both wheels; the
division by a double that older sources show is not what they run), saturated to the output
type. A quotient outside int32 (or NaN) converts the way x86 does, to INT32_MIN, and the zero
point is added with int32 wrap-around. LiteRT also quantizes float32 per channel, with each
channel's scale and zero point.

Requantization: ``zp_out + MultiplyByQuantizedMultiplier(x - zp_in, s_in / s_out)`` with the
multiplier computed in double from the float32 scales; ``x - zp_in`` wraps like int32. The
parameters are what each kernel reads: for a per-channel input TFLite Micro takes the first
channel's, LiteRT none (scale 0: every output is the output zero point).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _elementwise as ew
from . import _quantization as q
from . import common
from ._quantization import F32, I8, I16, I32, U8
from .fixedpoint import quantize_multiplier, wrap_int32
from .registry import TFLITE, TFLM, Kernel, Node, register

# (input, output) types some reference converts, and those only one of them runs.
PAIRS = {(F32, I8), (F32, U8), (F32, I16), (I8, I8), (I8, U8), (I8, I16), (I8, I32),
         (U8, I8), (U8, U8), (U8, I16), (I16, I8), (I16, I16), (I16, I32), (I32, I8), (I32, I16)}
NOT_IN_TFLM = {(F32, U8), (U8, U8), (U8, I16)}  # TFLite Micro's Eval fails on these
NOT_IN_LITERT = {(I8, I32)}  # LiteRT's Prepare refuses it
LITERT_MAX_VERSION = 6


@dataclass(frozen=True)
class QuantizeData:
    kind: str  # "affine" (float32, per tensor), "per_channel" (float32) or "requantize"
    dtype: type
    scale: np.ndarray | np.float32 = np.float32(1)  # float32 output scale(s), broadcastable
    output_zero_point: np.ndarray | int = 0
    input_zero_point: int = 0
    multiplier: int = 0
    shift: int = 0


def _pair(node: Node):
    return node.input(0).type, node.outputs[0].type


def _types(node: Node) -> bool:
    """float32, int8 or uint8 to int8, uint8 or int16; int8 or int16 to int32; int16 or int32 to int8 or int16"""
    return _pair(node) in PAIRS


def _tflm_types(node: Node) -> bool:
    """With reference='tflm': not float32 to uint8, nor uint8 to uint8 or int16 (TFLite Micro fails to run them)"""
    return node.reference != TFLM or _pair(node) not in NOT_IN_TFLM


def _litert_types(node: Node) -> bool:
    """With reference='tflite': not int8 to int32 (LiteRT refuses it)"""
    return node.reference != TFLITE or _pair(node) not in NOT_IN_LITERT


def _litert_version(node: Node) -> bool:
    """With reference='tflite': the operator version is at most 6 (LiteRT's reference resolver)"""
    return node.reference != TFLITE or node.op.version <= LITERT_MAX_VERSION


def _output_per_tensor(node: Node) -> bool:
    """The output is quantized per tensor (LiteRT also quantizes float32 per channel)"""
    if not q.per_channel(node.outputs[0]):
        return True
    return node.reference == TFLITE and node.input(0).type is F32


def _litert_int16_symmetric(node: Node) -> bool:
    """int16 to int16 (LiteRT reference): zero points are 0"""
    if node.reference == TFLM or _pair(node) != (I16, I16):
        return True
    return all(q.kernel_params(t, node.reference)[1] == 0 for t in (node.input(0), node.outputs[0]))


def _requantize_real(node: Node) -> float:
    in_scale = q.kernel_params(node.input(0), node.reference)[0]
    return in_scale / q.kernel_params(node.outputs[0], node.reference)[0]


def _multiplier_fits(node: Node) -> bool:
    """The rescale factor input scale / output scale is below 2**30"""
    return node.input(0).type is F32 or ew.shift_fits(_requantize_real(node))


@register("QUANTIZE", versions=range(1, 7), types=("float32", "int8", "uint8", "int16", "int32"),
          inputs=1, outputs=1)
class Quantize(Kernel):
    constraints = (
        _types,
        _tflm_types,
        _litert_types,
        _litert_version,
        ew.unary_same_shape,
        q.integer_tensors_have_parameters,
        _output_per_tensor,
        q.positive_finite_scales,
        q.zero_points_in_range,
        _litert_int16_symmetric,
        _multiplier_fits,
    )

    def prepare(self, node: Node) -> QuantizeData:
        x, y = node.input(0), node.outputs[0]
        dtype = q.INTEGER_DTYPES[y.type]
        if x.type is F32 and q.per_channel(y):
            scales, zero_points = q.channel_params(y)
            return QuantizeData("per_channel", dtype, scale=scales, output_zero_point=zero_points)
        out_scale, out_zero_point = q.kernel_params(y, node.reference)
        if x.type is F32:
            return QuantizeData("affine", dtype, scale=np.float32(out_scale), output_zero_point=out_zero_point)
        multiplier, shift = quantize_multiplier(_requantize_real(node))
        return QuantizeData("requantize", dtype, input_zero_point=q.kernel_params(x, node.reference)[1],
                            output_zero_point=out_zero_point, multiplier=multiplier, shift=shift)

    def eval(self, data: QuantizeData, inputs):
        x = inputs[0]
        if data.kind == "requantize":
            offset = wrap_int32(x.astype(np.int64) - data.input_zero_point)
            out = ew.requantize(offset, data.multiplier, data.shift, ew.ELEMENTWISE_ROUNDING)
        else:
            out = _round_to_int32(x, data.scale)
        out = wrap_int32(out + data.output_zero_point)
        info = np.iinfo(data.dtype)
        return [np.clip(out, info.min, info.max).astype(data.dtype)]



def _round_to_int32(x: np.ndarray, scale) -> np.ndarray:
    """``(int32)roundf(x / scale)`` with the division in float32."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return common.roundf_to_int32((x.astype(np.float32) / scale).astype(np.float32))
