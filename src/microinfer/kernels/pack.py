"""PACK: stack equally shaped tensors along a new axis."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType
from . import _shapes
from .registry import Kernel, Node, register

TYPES = (TensorType.FLOAT32, TensorType.INT8, TensorType.INT16, TensorType.INT32, TensorType.INT64)
LITERT_TYPES = TYPES + (TensorType.UINT8,)  # LiteRT also takes these


@dataclass(frozen=True)
class PackData:
    axis: int


def pack_axis(node: Node) -> int | None:
    return _shapes.normalize_axis(node.options.axis, len(node.outputs[0].shape))


def _values_count(node: Node) -> bool:
    """values_count equals the number of inputs"""
    return node.options.values_count == len(node.inputs)


def _output_shape(node: Node) -> bool:
    """All inputs share one shape; the axis lies in [-rank-1, rank]; the output inserts values_count there"""
    shape = tuple(node.inputs[0].shape)
    if any(tuple(t.shape) != shape for t in node.inputs):
        return False
    axis = _shapes.normalize_axis(node.options.axis, len(shape) + 1)
    if axis is None:
        return False
    return shape[:axis] + (len(node.inputs),) + shape[axis:] == tuple(node.outputs[0].shape)


@register("PACK", versions=range(1, 5), types=_shapes.type_labels(LITERT_TYPES), inputs=(1, None), outputs=1)
class Pack(Kernel):
    constraints = (
        _values_count,
        *_shapes.types_by_reference(TYPES, LITERT_TYPES),
        _output_shape,
        _shapes.litert_only(
            lambda node: _shapes.same_quantization((*node.inputs, *node.outputs)),
            "With reference='tflite': int8/int16 inputs share the output's scale and zero point (LiteRT checks it)",
        ),
    )

    def prepare(self, node: Node) -> PackData:
        return PackData(pack_axis(node))

    def eval(self, data: PackData, inputs):
        return [np.stack(inputs, axis=data.axis)]
