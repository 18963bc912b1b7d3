"""SPLIT: cut the input into equal parts along an axis; the axis is input 0, a constant."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType
from . import _shapes
from .registry import Kernel, Node, register

TYPES = (TensorType.FLOAT32, TensorType.INT8, TensorType.INT16, TensorType.INT32)
LITERT_TYPES = TYPES + (TensorType.INT64, TensorType.UINT8)  # LiteRT also takes these


@dataclass(frozen=True)
class SplitData:
    axis: int
    parts: int


def split_axis(node: Node) -> int | None:
    axis = _shapes.constant_int_vector(node.input(0))
    if axis is None or node.input(0).type is not TensorType.INT32 or axis.size != 1:
        return None
    return _shapes.normalize_axis(int(axis[0]), len(node.input(1).shape))


def _num_splits(node: Node) -> bool:
    """num_splits equals the number of outputs"""
    return node.options.num_splits == len(node.outputs)


def _axis(node: Node) -> bool:
    """The axis is a constant int32 tensor of one element in [-rank, rank)"""
    return split_axis(node) is not None


def _output_shapes(node: Node) -> bool:
    """The axis dimension divides evenly into num_splits and every output has the part's shape"""
    axis = split_axis(node)
    if axis is None:
        return False
    shape = list(node.input(1).shape)
    parts = len(node.outputs)
    if shape[axis] % parts:
        return False
    shape[axis] //= parts
    return all(tuple(t.shape) == tuple(shape) for t in node.outputs)


@register("SPLIT", versions=range(1, 5), types=_shapes.type_labels(LITERT_TYPES), inputs=2,
          outputs=(1, None))
class Split(Kernel):
    constraints = (_num_splits, *_shapes.types_by_reference(TYPES, LITERT_TYPES, inputs=(1,)), _axis, _output_shapes)

    def prepare(self, node: Node) -> SplitData:
        return SplitData(split_axis(node), len(node.outputs))

    def eval(self, data: SplitData, inputs):
        return [np.ascontiguousarray(p) for p in np.split(inputs[1], data.parts, axis=data.axis)]
