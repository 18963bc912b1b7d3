"""GATHER: pick slices of the input along an axis by the indices of input 1.

``output.shape = input.shape[:axis] + indices.shape[batch_dims:] + input.shape[axis + 1:]``; the
first ``batch_dims`` dimensions of input and indices are paired rather than combined. The indices
are run-time data: an index outside [0, input.shape[axis]) makes both references fail the run,
and so does microinfer, naming the operator.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType
from . import _shapes
from .registry import TFLM, Kernel, Node, register

F32, I8, I16, I32, I64, BOOL, U8 = (TensorType.FLOAT32, TensorType.INT8, TensorType.INT16, TensorType.INT32,
                                    TensorType.INT64, TensorType.BOOL, TensorType.UINT8)
TFLM_TYPES = (F32, I8)
LITERT_TYPES = (F32, I8, I16, I32, I64, BOOL, U8)


@dataclass(frozen=True)
class GatherData:
    blocks: tuple[int, int, int, int]  # (batch, outer, axis, inner) view of the input
    coords: tuple[int, int]  # (batch, per-batch count) view of the indices
    output_shape: tuple[int, ...]


def _axes(node: Node) -> tuple[int, int] | None:
    """(axis, batch_dims), normalized, when both references accept them; else None."""
    x, idx = node.inputs
    rank, idx_rank = len(x.shape), len(idx.shape)
    axis = _shapes.normalize_axis(node.options.axis, rank)
    batch_dims = node.options.batch_dims
    if batch_dims < 0:
        batch_dims += idx_rank
    if axis is None or not (0 <= batch_dims <= axis and batch_dims < rank and batch_dims <= idx_rank):
        return None
    if tuple(x.shape[:batch_dims]) != tuple(idx.shape[:batch_dims]):
        return None
    return axis, batch_dims


def gathered_shape(node: Node) -> tuple[int, ...] | None:
    axes = _axes(node)
    if axes is None:
        return None
    axis, batch_dims = axes
    x, idx = node.inputs
    return tuple(x.shape[:axis]) + tuple(idx.shape[batch_dims:]) + tuple(x.shape[axis + 1:])


def _index_type(node: Node) -> bool:
    """The indices are int32 (LiteRT also int16 and int64)"""
    allowed = (I32,) if node.reference == TFLM else (I16, I32, I64)
    return node.inputs[1].type in allowed


def _axes_valid(node: Node) -> bool:
    """The axis lies in [-rank, rank); batch_dims (negative: counted from the indices' rank) is at most the axis and below the input's rank, and the input and indices agree on those leading dimensions"""
    return _axes(node) is not None


def _output_shape(node: Node) -> bool:
    """The output's shape is input.shape[:axis] + indices.shape[batch_dims:] + input.shape[axis+1:]"""
    return gathered_shape(node) == tuple(node.outputs[0].shape)


def _input_not_empty(node: Node) -> bool:
    """The input is not empty (TFLite Micro would skip checking the indices)"""
    return node.inputs[0].num_elements > 0


@register("GATHER", versions=range(1, 9), types=_shapes.type_labels(TFLM_TYPES, LITERT_TYPES),
          inputs=2, outputs=1)
class Gather(Kernel):
    constraints = (
        *_shapes.types_by_reference(TFLM_TYPES, LITERT_TYPES, inputs=(0,)),
        _index_type,
        _axes_valid,
        _output_shape,
        _input_not_empty,
        _shapes.tflm_allocates_outputs,
    )

    def prepare(self, node: Node) -> GatherData:
        axis, batch_dims = _axes(node)
        x, idx = node.inputs
        shape = x.shape
        batch = int(np.prod(shape[:batch_dims], dtype=np.int64))
        blocks = (batch, int(np.prod(shape[batch_dims:axis], dtype=np.int64)), int(shape[axis]),
                  int(np.prod(shape[axis + 1:], dtype=np.int64)))
        coords = (batch, int(np.prod(idx.shape[batch_dims:], dtype=np.int64)))
        return GatherData(blocks, coords, tuple(node.outputs[0].shape))

    def eval(self, data: GatherData, inputs):
        x, indices = inputs
        batch, outer, size, inner = data.blocks
        coords = np.asarray(indices).reshape(data.coords).astype(np.int64)
        _shapes.check_indices("GATHER", coords, size)
        blocks = x.reshape(batch, outer, size, inner)
        picked = blocks[np.arange(batch)[:, None], :, coords]  # (batch, count, outer, inner)
        return [np.ascontiguousarray(picked.transpose(0, 2, 1, 3)).reshape(data.output_shape)]

