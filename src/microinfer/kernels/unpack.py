"""UNPACK: split a tensor along an axis into that many tensors, each without the axis."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType
from . import _shapes
from .registry import Kernel, Node, register

TYPES = (TensorType.FLOAT32, TensorType.INT8, TensorType.INT16, TensorType.INT32)
LITERT_TYPES = TYPES + (TensorType.BOOL, TensorType.UINT8)  # LiteRT also takes these


@dataclass(frozen=True)
class UnpackData:
    axis: int


def unpack_axis(node: Node) -> int | None:
    return _shapes.normalize_axis(node.options.axis, len(node.inputs[0].shape))


def _num(node: Node) -> bool:
    """num equals the number of outputs"""
    return node.options.num == len(node.outputs)


def _output_shapes(node: Node) -> bool:
    """The axis lies in [-rank, rank), its dimension equals num, and every output drops it"""
    axis = unpack_axis(node)
    shape = tuple(node.inputs[0].shape)
    if axis is None or shape[axis] != len(node.outputs):
        return False
    return all(tuple(t.shape) == shape[:axis] + shape[axis + 1:] for t in node.outputs)


@register("UNPACK", versions=range(1, 5), types=_shapes.type_labels(LITERT_TYPES), inputs=1,
          outputs=(1, None))
class Unpack(Kernel):
    constraints = (
        _num,
        *_shapes.types_by_reference(TYPES, LITERT_TYPES),
        _output_shapes,
        _shapes.litert_only(
            lambda node: _shapes.same_quantization((*node.inputs, *node.outputs)),
            "With reference='tflite': int8/int16 outputs share the input's scale and zero point (LiteRT checks it)",
        ),
    )

    def prepare(self, node: Node) -> UnpackData:
        return UnpackData(unpack_axis(node))

    def eval(self, data: UnpackData, inputs):
        x = np.moveaxis(inputs[0], data.axis, 0)
        return [part.copy() for part in x]
