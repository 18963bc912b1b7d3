"""SHAPE: the input's dimensions as a 1-D integer tensor (a constant: shapes are static).

TFLite Micro writes int32 whatever the ``out_type`` option says and fails to run an output of
another type. LiteRT types the output by ``out_type`` (int32 or int64; anything else fails to
prepare), whatever the model declares.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType
from . import _shapes
from .registry import Kernel, Node, register

OUTPUT_TYPES = (TensorType.INT32, TensorType.INT64)


@dataclass(frozen=True)
class ShapeData:
    dims: np.ndarray  # the output, computed once


def _out_type(node: Node) -> TensorType | None:
    return getattr(node.options, "out_type", None)


def _input_has_values(node: Node) -> bool:
    """The input has a numeric or bool element type"""
    return node.inputs[0].type.numpy_dtype is not None


def _output_shape(node: Node) -> bool:
    """The output is a 1-D tensor with one element per input dimension"""
    return tuple(node.outputs[0].shape) == (len(node.inputs[0].shape),)


@register("SHAPE", versions=range(1, 2), types=("int32", "int64"), inputs=1, outputs=1)
class Shape(Kernel):
    constraints = (
        _input_has_values,
        _output_shape,
        _shapes.tflm_only(lambda node: node.outputs[0].type is TensorType.INT32,
                          "With reference='tflm': the output is int32 (TFLite Micro fails on any other type)"),
        _shapes.litert_only(
            lambda node: _out_type(node) in OUTPUT_TYPES and node.outputs[0].type is _out_type(node),
            "With reference='tflite': the out_type option is int32 or int64 and the output tensor has "
            "that type (LiteRT types the output by the option)",
        ),
    )

    def prepare(self, node: Node) -> ShapeData:
        dtype = node.outputs[0].type.numpy_dtype
        return ShapeData(np.asarray(node.inputs[0].shape, dtype=dtype).reshape(-1))

    def eval(self, data: ShapeData, inputs):
        return [data.dims.copy()]
