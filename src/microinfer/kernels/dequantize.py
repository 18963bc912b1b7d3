"""DEQUANTIZE: int8 / int16 -> float32, ``float(scale * (x - zero_point))`` in double."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType
from . import _elementwise as ew
from . import common
from .registry import TFLM, Kernel, Node, register


@dataclass(frozen=True)
class DequantizeData:
    scale: float
    zero_point: int


def _types(node: Node) -> bool:
    """int8 or int16 input, float32 output"""
    x, y = node.input(0), node.outputs[0]
    return x is not None and len(node.inputs) == 1 and x.type in (TensorType.INT8, TensorType.INT16) \
        and y.type is TensorType.FLOAT32


def _input_per_tensor(node: Node) -> bool:
    """The input is quantized per tensor"""
    return ew.per_tensor(node.input(0))


def _litert_int16_symmetric(node: Node) -> bool:
    """int16 input (LiteRT reference): zero point 0"""
    x = node.input(0)
    return node.reference == TFLM or x.type is not TensorType.INT16 or common.zero_point_of(x) == 0


@register("DEQUANTIZE", versions=range(1, 5), types=("int8", "int16"))
class Dequantize(Kernel):
    constraints = (
        _types,
        ew.unary_same_shape,
        common.quantized_tensors_have_parameters,
        _input_per_tensor,
        ew.positive_scales,
        ew.zero_points_in_range,
        _litert_int16_symmetric,
    )

    def prepare(self, node: Node) -> DequantizeData:
        x = node.input(0)
        return DequantizeData(float(common.scale_of(x)), common.zero_point_of(x))

    def eval(self, data: DequantizeData, inputs):
        x = inputs[0].astype(np.int64) - data.zero_point
        return [(data.scale * x).astype(np.float32)]
