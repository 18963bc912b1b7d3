"""SPLIT_V: cut the input along an axis into parts of given sizes (input 1, one may be -1).

TFLite Micro ignores the sizes input: it cuts by the output tensors' sizes along the axis. LiteRT
sizes the outputs from the sizes input (a -1 takes what is left), so with reference='tflite' the
sizes must be constant and agree with the outputs. The axis (input 2) is a constant for both.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType
from . import _shapes
from .registry import Kernel, Node, register

I8, I16, I32, I64, F32, U8 = (TensorType.INT8, TensorType.INT16, TensorType.INT32, TensorType.INT64,
                              TensorType.FLOAT32, TensorType.UINT8)
TFLM_TYPES = (F32, I8, I16, I32)
LITERT_TYPES = (F32, I8, I16, I32, I64, U8)


@dataclass(frozen=True)
class SplitVData:
    axis: int
    cuts: tuple[int, ...]  # where each output after the first starts along the axis


def split_axis(node: Node) -> int | None:
    axis = _shapes.constant_index_vector(node.input(2), (I32, I64))
    if axis is None or axis.size != 1:
        return None
    return _shapes.normalize_axis(int(axis[0]), len(node.inputs[0].shape))


def litert_sizes(node: Node) -> tuple[int, ...] | None:
    """The part sizes LiteRT computes from the sizes input; None when it fails or cannot know."""
    axis = split_axis(node)
    sizes = _shapes.constant_index_vector(node.input(1), (I32, I64))
    if axis is None or sizes is None or len(node.input(1).shape) != 1 or sizes.size != len(node.outputs):
        return None
    sizes = [int(s) for s in sizes]
    total = node.inputs[0].shape[axis]
    if sizes.count(-1) > 1 or any(s < -1 for s in sizes):
        return None
    known = sum(s for s in sizes if s != -1)
    if -1 in sizes:
        if known > total:
            return None
        sizes[sizes.index(-1)] = total - known
    return tuple(sizes) if sum(sizes) == total else None


def _num_splits(node: Node) -> bool:
    """num_splits equals the number of outputs"""
    return node.options is not None and node.options.num_splits == len(node.outputs)


def _axis(node: Node) -> bool:
    """The axis is a constant int32 or int64 tensor of one element in [-rank, rank)"""
    return split_axis(node) is not None


def _output_shapes(node: Node) -> bool:
    """Every output has the input's shape off the axis, and their sizes along it add up to the input's"""
    axis = split_axis(node)
    if axis is None:
        return False
    shape = tuple(node.inputs[0].shape)
    outs = [tuple(t.shape) for t in node.outputs]
    if any(len(s) != len(shape) or s[:axis] + s[axis + 1:] != shape[:axis] + shape[axis + 1:] for s in outs):
        return False
    return sum(s[axis] for s in outs) == shape[axis]


def _litert_sizes_agree(node: Node) -> bool:
    sizes = litert_sizes(node)
    axis = split_axis(node)
    return sizes is not None and all(t.shape[axis] == s for t, s in zip(node.outputs, sizes))


@register("SPLIT_V", versions=range(1, 4), types=_shapes.type_labels(TFLM_TYPES, LITERT_TYPES),
          inputs=3, outputs=(1, None))
class SplitV(Kernel):
    constraints = (
        _num_splits,
        *_shapes.types_by_reference(TFLM_TYPES, LITERT_TYPES, inputs=(0,)),
        _axis,
        _output_shapes,
        _shapes.litert_only(
            _litert_sizes_agree,
            "With reference='tflite': the sizes are a constant 1-D int32 or int64 tensor, one per "
            "output, with at most one -1, giving the outputs' sizes (LiteRT sizes the outputs from them)",
        ),
        _shapes.tflm_allocates_outputs,
    )

    def prepare(self, node: Node) -> SplitVData:
        axis = split_axis(node)
        sizes = [t.shape[axis] for t in node.outputs]
        return SplitVData(axis, tuple(int(c) for c in np.cumsum(sizes)[:-1]))

    def eval(self, data: SplitVData, inputs):
        return [np.ascontiguousarray(p) for p in np.split(inputs[0], data.cuts, axis=data.axis)]
