"""BROADCAST_TO: repeat the input along dimensions of size 1 (and new leading ones) to the
constant shape of input 1, by NumPy's (TFLite's) broadcasting rules."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType
from . import _shapes
from .registry import Kernel, Node, register

TYPES = _shapes.ALL_TYPES
MAX_RANK = 8  # LiteRT; TFLite Micro broadcasts to at most 5 dimensions


@dataclass(frozen=True)
class BroadcastToData:
    shape: tuple[int, ...]


def target_shape(node: Node) -> tuple[int, ...] | None:
    shape_t = node.inputs[1]
    values = _shapes.constant_index_vector(shape_t, (TensorType.INT32, TensorType.INT64))
    if values is None or len(shape_t.shape) != 1 or (values < 0).any():
        return None
    shape = tuple(int(v) for v in values)
    x = tuple(node.inputs[0].shape)
    if len(x) > len(shape):
        return None
    for have, want in zip(reversed(x), reversed(shape)):
        if have != want and have != 1:
            return None
    return shape


def _shape(node: Node) -> bool:
    """The shape is a constant 1-D int32 or int64 tensor the input broadcasts to"""
    return target_shape(node) is not None


def _output_shape(node: Node) -> bool:
    """The output has that shape, of at most 8 dimensions"""
    shape = target_shape(node)
    return shape is not None and len(shape) <= MAX_RANK and shape == tuple(node.outputs[0].shape)


@register("BROADCAST_TO", versions=range(2, 5), types=_shapes.type_labels(TYPES), inputs=2, outputs=1)
class BroadcastTo(Kernel):
    constraints = (
        _shapes.same_type_among(TYPES, inputs=(0,)),
        _shape,
        _output_shape,
        _shapes.tflm_only(lambda node: len(node.outputs[0].shape) <= 5,
                          "With reference='tflm': the output has at most 5 dimensions"),
        _shapes.tflm_allocates_outputs,
    )

    def prepare(self, node: Node) -> BroadcastToData:
        return BroadcastToData(target_shape(node))

    def eval(self, data: BroadcastToData, inputs):
        return [np.ascontiguousarray(np.broadcast_to(inputs[0], data.shape))]
