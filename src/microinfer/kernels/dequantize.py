"""DEQUANTIZE: int8 / uint8 / int16 (LiteRT also float16 and constant int4) -> float32.

Per tensor: ``float(scale * (x - zero_point))`` with the scale widened to double (the product of
an 8/16-bit integer and a float32 scale is exact in double, so this is also the float32 product).
A per-channel input: LiteRT (int8, uint8) applies each channel's scale and zero point; TFLite
Micro reads only the tensor's first scale and zero point and applies them to every element.
float16 converts exactly. int4 constants (weights) come unpacked to int8 values, which LiteRT
dequantizes like int8 ones, per tensor or per channel.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _elementwise as ew
from . import _quantization as q
from ._quantization import F16, F32, I4, I8, I16, U8
from .registry import TFLITE, TFLM, Kernel, Node, register

LITERT_MAX_VERSION = 9


@dataclass(frozen=True)
class DequantizeData:
    kind: str  # "affine" (one scale and zero point), "per_channel" or "float16"
    scale: np.ndarray | float = 1.0  # double, or per-channel float32 widened, broadcastable
    zero_point: np.ndarray | int = 0


def _types(node: Node) -> bool:
    """int8, uint8 or int16 input (LiteRT also float16 and int4), float32 output"""
    return node.input(0).type in (I8, U8, I16, F16, I4) and node.outputs[0].type is F32


def _tflm_no_float16(node: Node) -> bool:
    """With reference='tflm': the input is not float16 or int4 (TFLite Micro refuses them)"""
    return node.reference != TFLM or node.input(0).type not in (F16, I4)


def _int4_constant(node: Node) -> bool:
    """An int4 input is a constant tensor"""
    return node.input(0).type is not I4 or node.input(0).is_constant


def _litert_version(node: Node) -> bool:
    """With reference='tflite': the operator version is at most 9 (LiteRT's reference resolver)"""
    return node.reference != TFLITE or node.op.version <= LITERT_MAX_VERSION


def _litert_int16_symmetric(node: Node) -> bool:
    """int16 input (LiteRT reference): quantized per tensor with zero point 0"""
    x = node.input(0)
    if node.reference == TFLM or x.type is not I16:
        return True
    return not q.per_channel(x) and q.kernel_params(x, node.reference)[1] == 0


@register("DEQUANTIZE", versions=range(1, 10), types=("int8", "uint8", "int16", "float16", "int4"),
          inputs=1, outputs=1)
class Dequantize(Kernel):
    constraints = (
        _types,
        _tflm_no_float16,
        _int4_constant,
        _litert_version,
        ew.unary_same_shape,
        q.integer_tensors_have_parameters,
        q.positive_finite_scales,
        q.zero_points_in_range,
        _litert_int16_symmetric,
    )

    def prepare(self, node: Node) -> DequantizeData:
        x = node.input(0)
        if x.type is F16:
            return DequantizeData("float16")
        if node.reference == TFLITE and q.per_channel(x):  # int8, uint8, int4 (int16 refused)
            scales, zero_points = q.channel_params(x)
            return DequantizeData("per_channel", scales.astype(np.float64), zero_points)
        scale, zero_point = q.kernel_params(x, node.reference)
        return DequantizeData("affine", scale, zero_point)

    def eval(self, data: DequantizeData, inputs):
        x = inputs[0]
        if data.kind == "float16":
            return [x.astype(np.float32)]
        return [(data.scale * (x.astype(np.int64) - data.zero_point)).astype(np.float32)]
