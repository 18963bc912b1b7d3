"""EXPAND_DIMS: insert a dimension of size 1 at the axis given by the second (constant) input."""

from __future__ import annotations

from dataclasses import dataclass

from ..tflite.types import TensorType
from . import _shapes
from .registry import Kernel, Node, register

TYPES = (TensorType.FLOAT32, TensorType.INT8, TensorType.INT16)
# LiteRT also takes these
LITERT_TYPES = TYPES + (TensorType.INT32, TensorType.INT64, TensorType.BOOL, TensorType.UINT8)


@dataclass(frozen=True)
class ExpandDimsData:
    output_shape: tuple[int, ...]


def expanded_shape(node: Node) -> tuple[int, ...] | None:
    axis = _shapes.constant_int_vector(node.input(1))
    if axis is None or axis.size != 1:
        return None
    shape = tuple(node.inputs[0].shape)
    position = _shapes.normalize_axis(int(axis[0]), len(shape) + 1)
    if position is None:
        return None
    return shape[:position] + (1,) + shape[position:]


def _constant_axis(node: Node) -> bool:
    """The axis is a constant int32 or int64 tensor of one element, in [-rank-1, rank]"""
    return expanded_shape(node) is not None


def _output_shape(node: Node) -> bool:
    """The output tensor has the input's shape with a 1 inserted at the axis"""
    return expanded_shape(node) == tuple(node.outputs[0].shape)


def _litert_quantization(node: Node) -> bool:
    x, y = node.inputs[0], node.outputs[0]
    if x.type is TensorType.INT16 and _shapes.quantization_key(x)[1] != 0:
        return False
    return _shapes.same_quantization((x, y))


@register("EXPAND_DIMS", versions=range(1, 2), types=_shapes.type_labels(LITERT_TYPES), inputs=2, outputs=1)
class ExpandDims(Kernel):
    constraints = (
        *_shapes.types_by_reference(TYPES, LITERT_TYPES, inputs=(0,)),
        _constant_axis,
        _shapes.tflm_only(
            lambda node: node.input(1).type is TensorType.INT32,
            "With reference='tflm': the axis is int32 (TFLite Micro refuses int64)",
        ),
        _output_shape,
        _shapes.litert_only(
            _litert_quantization,
            "With reference='tflite': input and output share scale and zero point, and an int16 "
            "zero point is 0 (LiteRT checks both)",
        ),
    )

    def prepare(self, node: Node) -> ExpandDimsData:
        return ExpandDimsData(tuple(node.outputs[0].shape))

    def eval(self, data: ExpandDimsData, inputs):
        return [inputs[0].reshape(data.output_shape)]
