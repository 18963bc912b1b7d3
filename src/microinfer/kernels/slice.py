"""SLICE: the block of ``size`` elements from ``begin`` in every dimension (size -1: to the end).

begin and size are constant here. LiteRT checks that the block lies inside the input; TFLite Micro
does not check and reads out of bounds, so such models are refused in both modes.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..tflite.types import TensorType
from . import _shapes
from .registry import Kernel, Node, register

F32, I8, I16, I32, I64, BOOL, U8 = (TensorType.FLOAT32, TensorType.INT8, TensorType.INT16, TensorType.INT32,
                                    TensorType.INT64, TensorType.BOOL, TensorType.UINT8)
TFLM_TYPES = (F32, I8, I16, I32, BOOL)
LITERT_TYPES = (F32, I8, I16, I32, I64, BOOL, U8)
MAX_RANK = 6  # LiteRT; TFLite Micro slices at most 5 dimensions


@dataclass(frozen=True)
class SliceData:
    index: tuple[slice, ...]


def block(node: Node) -> tuple[slice, ...] | None:
    """The slice of every dimension, or None when begin/size are not constant or leave the input."""
    x, begin_t, size_t = node.inputs
    begin = _shapes.constant_index_vector(begin_t, (I32, I64))
    size = _shapes.constant_index_vector(size_t, (I32, I64))
    rank = len(x.shape)
    if begin is None or size is None or begin_t.type is not size_t.type or begin.size != rank or size.size != rank:
        return None
    out = []
    for n, b, s in zip(x.shape, begin, size):
        b, s = int(b), int(s)
        if s == -1:
            s = n - b
        if not (0 <= b <= n and 0 <= s and b + s <= n):
            return None
        out.append(slice(b, b + s))
    return tuple(out)


def _rank(node: Node) -> bool:
    """The input has at most 6 dimensions"""
    return len(node.inputs[0].shape) <= MAX_RANK


def _block(node: Node) -> bool:
    """begin and size are constant int32 or int64 tensors (the same type) with one entry per dimension, and the block (size -1: to the end) lies inside the input"""
    return block(node) is not None


def _output_shape(node: Node) -> bool:
    """The output has the block's shape"""
    index = block(node)
    return index is not None and tuple(s.stop - s.start for s in index) == tuple(node.outputs[0].shape)


@register("SLICE", versions=range(1, 9), types=_shapes.type_labels(LITERT_TYPES), inputs=3, outputs=1)
class Slice(Kernel):
    constraints = (
        *_shapes.types_by_reference(TFLM_TYPES, LITERT_TYPES, inputs=(0,)),
        _rank,
        _shapes.tflm_only(lambda node: len(node.inputs[0].shape) <= 5,
                          "With reference='tflm': the input has at most 5 dimensions"),
        _block,
        _output_shape,
        _shapes.tflm_allocates_outputs,
    )

    def prepare(self, node: Node) -> SliceData:
        return SliceData(block(node))

    def eval(self, data: SliceData, inputs):
        return [inputs[0][data.index].copy()]
