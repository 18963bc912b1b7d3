"""GATHER_ND: slices of the input addressed by the last dimension of the indices.

With indices of shape ``(..., k)`` each index row picks ``input[i0, ..., ik-1]``, a slice of
shape ``input.shape[k:]``; the output is ``indices.shape[:-1] + input.shape[k:]``. An index out of
range fails the run in both references, and in microinfer, naming the operator.
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
TFLM_MAX_DEPTH = 5


@dataclass(frozen=True)
class GatherNdData:
    depth: int  # k, the length of one index row
    dims: tuple[int, ...]  # the input's first k dimensions
    output_shape: tuple[int, ...]


def _depth(node: Node) -> int | None:
    x, idx = node.inputs
    if len(idx.shape) < 1 or len(x.shape) < 1:
        return None
    k = idx.shape[-1]
    return k if 1 <= k <= len(x.shape) else None


def gathered_shape(node: Node) -> tuple[int, ...] | None:
    k = _depth(node)
    if k is None:
        return None
    x, idx = node.inputs
    return tuple(idx.shape[:-1]) + tuple(x.shape[k:])


def _index_type(node: Node) -> bool:
    """The indices are int32 (LiteRT also int16 and int64)"""
    allowed = (I32,) if node.reference == TFLM else (I16, I32, I64)
    return node.inputs[1].type in allowed


def _depth_valid(node: Node) -> bool:
    """The indices have at least one dimension, and their last dimension lies in [1, input rank]"""
    return _depth(node) is not None


def _output_shape(node: Node) -> bool:
    """The output's shape is indices.shape[:-1] + input.shape[k:] (k: the indices' last dimension)"""
    return gathered_shape(node) == tuple(node.outputs[0].shape)


@register("GATHER_ND", versions=range(1, 7), types=_shapes.type_labels(TFLM_TYPES, LITERT_TYPES),
          inputs=2, outputs=1)
class GatherNd(Kernel):
    constraints = (
        *_shapes.types_by_reference(TFLM_TYPES, LITERT_TYPES, inputs=(0,)),
        _index_type,
        _depth_valid,
        _shapes.tflm_only(lambda node: (_depth(node) or 0) <= TFLM_MAX_DEPTH,
                          "With reference='tflm': an index row has at most 5 entries"),
        _output_shape,
        _shapes.tflm_allocates_outputs,
    )

    def prepare(self, node: Node) -> GatherNdData:
        k = _depth(node)
        return GatherNdData(k, tuple(node.inputs[0].shape[:k]), tuple(node.outputs[0].shape))

    def eval(self, data: GatherNdData, inputs):
        x, indices = inputs
        rows = np.asarray(indices).reshape(-1, data.depth).astype(np.int64)
        for position, size in enumerate(data.dims):
            _shapes.check_indices("GATHER_ND", rows[:, position], size)
        picked = x[tuple(rows.T)] if rows.size else x.reshape(-1)[:0]
        return [np.ascontiguousarray(picked).reshape(data.output_shape)]
