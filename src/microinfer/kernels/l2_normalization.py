"""L2_NORMALIZATION over the last dimension: float32 and int8 in both references, uint8 in LiteRT.

float32: each value divided by ``max(sqrt(sum of squares), 1e-6)``, the sum in order.

int8: ``x - input_zero_point`` times the inverse square root of the int32 sum of squares
(:func:`.fixedpoint.inv_sqrt_quantized_multiplier_exp`) with 7 more bits of left shift, clamped:
the output is always on the scale 1/128 with zero point 0. LiteRT requires the output tensor to
say so; TFLite Micro does not look at the output quantization.

uint8 (LiteRT's legacy path): ``128 * (x - input_zero_point)`` scaled down by the same inverse
square root, plus 128, clamped to 0..255: the output scale is 1/128 with zero point 128.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import ActivationFunction
from ..tflite.types import TensorType as T
from . import common
from ._elementwise import QUANTIZATION_CONSTRAINTS, unary_same_shape
from ._reduce import no_empty_dimension, uint8_quantized
from ._shapes import litert_only
from .fixedpoint import (
    inv_sqrt_quantized_multiplier_exp,
    multiply_by_quantized_multiplier,
    multiply_by_quantized_multiplier_smaller_than_one_exp,
)
from .registry import TFLM, Kernel, Node, register

EPSILON = np.float32(1e-6)
OUTPUT_SCALE_BITS = 7  # the int8 output's scale is 2**-7


@dataclass(frozen=True)
class L2NormData:
    kind: str  # "float32", "int8" or "uint8"
    input_zero_point: int  # 0 for float32


def _types(node: Node) -> bool:
    """Input and output are both float32 or both int8 (with reference='tflite' also both uint8)"""
    x, y = node.input(0), node.outputs[0]
    allowed = (T.FLOAT32, T.INT8) + ((T.UINT8,) if node.reference != TFLM else ())
    return x is not None and x.type is y.type and x.type in allowed


def _rank(node: Node) -> bool:
    """The input has at least one dimension; with reference='tflm' at most four"""
    rank = len(node.inputs[0].shape)
    return rank >= 1 and (node.reference != TFLM or rank <= 4)


def _no_activation(node: Node) -> bool:
    """The fused activation is NONE"""
    return getattr(node.options, "fused_activation_function", ActivationFunction.NONE) == ActivationFunction.NONE


def _output_quantization(node: Node) -> bool:
    y = node.outputs[0]
    zero_point = {T.INT8: 0, T.UINT8: 128}.get(y.type)
    return zero_point is None or (float(common.scale_of(y)) == 1 / 128 and common.zero_point_of(y) == zero_point)


@register("L2_NORMALIZATION", versions=range(1, 3), types=("float32", "int8", "uint8"), inputs=1, outputs=1)
class L2Normalization(Kernel):
    constraints = (
        _types,
        unary_same_shape,
        _rank,
        no_empty_dimension,
        _no_activation,
        *QUANTIZATION_CONSTRAINTS,
        uint8_quantized,
        litert_only(_output_quantization,
                    "With reference='tflite': an int8 (uint8) output has scale 1/128 and zero point 0 (128), as LiteRT checks"),
    )

    def prepare(self, node: Node) -> L2NormData:
        x = node.inputs[0]
        return L2NormData(x.type.name.lower(), common.zero_point_of(x))

    def eval(self, data: L2NormData, inputs):
        x = inputs[0]
        rows = x.reshape(-1, x.shape[-1])
        if data.kind == "float32":
            squares = np.zeros(rows.shape[0], np.float32)
            for c in range(rows.shape[1]):
                squares = squares + rows[:, c] * rows[:, c]
            norm = np.maximum(np.sqrt(squares), EPSILON)
            return [(rows / norm[:, None]).astype(np.float32).reshape(x.shape)]
        diff = rows.astype(np.int64) - data.input_zero_point
        multiplier, shift = inv_sqrt_quantized_multiplier_exp((diff * diff).sum(axis=1))
        multiplier, shift = multiplier[:, None], shift[:, None]
        if data.kind == "int8":
            out = np.clip(multiply_by_quantized_multiplier(diff, multiplier, shift + OUTPUT_SCALE_BITS), -128, 127)
        else:
            out = np.clip(128 + multiply_by_quantized_multiplier_smaller_than_one_exp(128 * diff, multiplier, shift),
                          0, 255)
        return [out.astype(x.dtype).reshape(x.shape)]
