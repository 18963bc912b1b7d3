"""SQUEEZE: drop dimensions of size 1 (the listed ones, or all of them when none are listed)."""

from __future__ import annotations

from dataclasses import dataclass

from ..tflite.types import TensorType
from . import _shapes
from .registry import Kernel, Node, register

TYPES = (
    TensorType.FLOAT32, TensorType.INT8, TensorType.INT16, TensorType.INT32,
    TensorType.UINT8, TensorType.INT64, TensorType.BOOL,
)


@dataclass(frozen=True)
class SqueezeData:
    output_shape: tuple[int, ...]


def squeezed_shape(node: Node) -> tuple[int, ...] | None:
    """The shape both references compute; None when a listed dimension is out of range or not 1."""
    shape = node.inputs[0].shape
    rank = len(shape)
    dims = tuple(node.options.squeeze_dims or ()) if node.options is not None else ()
    if not dims:
        return tuple(d for d in shape if d != 1)
    drop = set()
    for d in dims:
        axis = _shapes.normalize_axis(d, rank)
        if axis is None or shape[axis] != 1:
            return None
        drop.add(axis)
    return tuple(d for i, d in enumerate(shape) if i not in drop)


def _valid_dims(node: Node) -> bool:
    """Every squeeze_dims entry lies in [-rank, rank) and names a dimension of size 1 (at most 8 entries)"""
    dims = tuple(node.options.squeeze_dims or ()) if node.options is not None else ()
    return len(dims) <= 8 and squeezed_shape(node) is not None


def _output_shape(node: Node) -> bool:
    """The output tensor has the squeezed shape"""
    return squeezed_shape(node) == tuple(node.outputs[0].shape)


@register("SQUEEZE", versions=range(1, 2), types=tuple(t.name.lower() for t in TYPES), inputs=1, outputs=1)
class Squeeze(Kernel):
    constraints = (_shapes.same_type_among(TYPES), _valid_dims, _output_shape)

    def prepare(self, node: Node) -> SqueezeData:
        return SqueezeData(tuple(node.outputs[0].shape))

    def eval(self, data: SqueezeData, inputs):
        return [inputs[0].reshape(data.output_shape)]
