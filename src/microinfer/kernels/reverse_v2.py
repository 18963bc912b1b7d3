"""REVERSE_V2: reverse the input along the axes of input 1 (constant, 1-D).

Both references take one axis or several adjacent ones (in any order, each once), and fail on
others; the input has at most 8 dimensions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType
from . import _shapes
from .registry import Kernel, Node, register

MAX_RANK = 8
TYPES = _shapes.ALL_TYPES


@dataclass(frozen=True)
class ReverseData:
    axes: tuple[int, ...]


def reversed_axes(node: Node) -> tuple[int, ...] | None:
    axes_t = node.inputs[1]
    values = _shapes.constant_index_vector(axes_t, (TensorType.INT32,))
    rank = len(node.inputs[0].shape)
    if values is None or len(axes_t.shape) != 1 or values.size == 0 or rank == 0:
        return None
    normalized = [_shapes.normalize_axis(int(a), rank) for a in values]
    if None in normalized:
        return None
    axes = sorted(normalized)
    if axes != list(range(axes[0], axes[0] + len(axes))):
        return None
    return tuple(axes)


def _rank(node: Node) -> bool:
    """The input has 1 to 8 dimensions"""
    return 1 <= len(node.inputs[0].shape) <= MAX_RANK


def _axes(node: Node) -> bool:
    """The axes are a constant, non-empty 1-D int32 tensor of adjacent dimensions, each once"""
    return reversed_axes(node) is not None


def _same_shape(node: Node) -> bool:
    """The output has the input's shape"""
    return tuple(node.inputs[0].shape) == tuple(node.outputs[0].shape)


@register("REVERSE_V2", versions=range(1, 5), types=_shapes.type_labels(TYPES), inputs=2, outputs=1)
class ReverseV2(Kernel):
    constraints = (
        _shapes.same_type_among(TYPES, inputs=(0,)),
        _rank,
        _axes,
        _same_shape,
        _shapes.tflm_allocates_outputs,
    )

    def prepare(self, node: Node) -> ReverseData:
        return ReverseData(reversed_axes(node))

    def eval(self, data: ReverseData, inputs):
        return [np.ascontiguousarray(np.flip(inputs[0], axis=data.axes))]
