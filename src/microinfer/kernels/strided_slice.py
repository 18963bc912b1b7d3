"""STRIDED_SLICE: ``input[begin:end:stride]`` per dimension, with begin/end/shrink-axis masks.

TFLite Micro reads begin, end and strides from constant int32 tensors of one entry per input
dimension (at most 4; LiteRT allows 5) and ignores the ellipsis and new-axis masks and the ``offset`` option, so
models using those are refused here rather than sliced differently from what they mean.

Per axis of size n with stride s (never 0): a negative begin/end counts from the end (+n), then is
clamped to [0, n] (s > 0) or [-1, n-1] (s < 0); a begin-mask bit makes begin 0 (s > 0) or n-1
(s < 0), an end-mask bit makes end n (s > 0) or -1 (s < 0). A shrink-axis bit takes the single
element at begin and drops the dimension.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType
from . import _shapes
from .registry import Kernel, Node, register

TYPES = (TensorType.FLOAT32, TensorType.INT8, TensorType.INT16, TensorType.INT32, TensorType.BOOL)
LITERT_TYPES = TYPES + (TensorType.INT64, TensorType.UINT8)  # LiteRT also takes these
MAX_RANK = 5  # LiteRT's limit; TFLite Micro's is 4


@dataclass(frozen=True)
class StridedSliceData:
    index: tuple[np.ndarray, ...]  # one index array per input dimension, for np.ix_
    output_shape: tuple[int, ...]


def _clamp(v: int, lo: int, hi: int) -> int:
    return hi if v > hi else lo if v < lo else v


def axis_range(n: int, begin: int, end: int, stride: int, begin_masked: bool, end_masked: bool,
               shrink: bool) -> tuple[int, int]:
    """(start, stop) of one axis as TFLite Micro computes them; iterate with range(start, stop, stride)."""
    start = begin + n if begin < 0 else begin
    start = _clamp(start, 0, n) if stride > 0 else _clamp(start, -1, n - 1)
    if begin_masked:
        start = 0 if stride > 0 else n - 1
    if shrink:
        return start, (start if start >= n else start + 1)
    stop = end + n if end < 0 else end
    stop = _clamp(stop, 0, n) if stride > 0 else _clamp(stop, -1, n - 1)
    if end_masked:
        stop = n if stride > 0 else -1
    return start, stop


def _vectors(node: Node):
    rank = len(node.inputs[0].shape)
    vectors = []
    for t in node.inputs[1:4]:
        if t is None or not t.is_constant or t.type is not TensorType.INT32 or t.num_elements != rank:
            return None
        vectors.append([int(v) for v in np.asarray(t.data).reshape(-1)])
    return vectors


def _ranges(node: Node):
    """Per axis (start, stop, stride, shrink), or None when the slice is not one this kernel runs."""
    vectors = _vectors(node)
    if vectors is None:
        return None
    o = node.options
    out = []
    for axis, (n, b, e, s) in enumerate(zip(node.inputs[0].shape, *vectors)):
        if s == 0:
            return None
        shrink = bool(o.shrink_axis_mask >> axis & 1)
        start, stop = axis_range(n, b, e, s, bool(o.begin_mask >> axis & 1), bool(o.end_mask >> axis & 1), shrink)
        out.append((start, stop, s, shrink))
    return out


def _rank(node: Node) -> bool:
    """The input has 1 to 5 dimensions"""
    return 1 <= len(node.inputs[0].shape) <= MAX_RANK


def _constant_indices(node: Node) -> bool:
    """begin, end and strides are constant int32 tensors with one entry per input dimension, strides non-zero"""
    return _ranges(node) is not None


def _masks(node: Node) -> bool:
    """The ellipsis and new-axis masks are 0 and the offset option is false (TFLite Micro ignores them)"""
    o = node.options
    return o.ellipsis_mask == 0 and o.new_axis_mask == 0 and not o.offset


def _shrink_in_range(node: Node) -> bool:
    """Each shrunk axis has a positive stride and a begin inside the dimension"""
    ranges = _ranges(node) or ()
    return all(not shrink or (stride > 0 and 0 <= start < n)
               for (start, _, stride, shrink), n in zip(ranges, node.inputs[0].shape))


def _output_shape(node: Node) -> bool:
    """The output tensor has the shape of the slice (shrunk axes removed)"""
    ranges = _ranges(node)
    if ranges is None:
        return False
    expected = tuple(len(range(a, b, s)) for a, b, s, shrink in ranges if not shrink)
    return expected == tuple(node.outputs[0].shape)


@register("STRIDED_SLICE", versions=range(1, 9), types=_shapes.type_labels(LITERT_TYPES), inputs=4, outputs=1)
class StridedSlice(Kernel):
    constraints = (
        _shapes.litert_only(lambda node: node.op.version <= 4,
                            "With reference='tflite': the operator version is at most 4 (LiteRT's reference resolver)"),
        *_shapes.types_by_reference(TYPES, LITERT_TYPES, inputs=(0,)),
        _rank,
        _shapes.tflm_only(lambda node: len(node.inputs[0].shape) <= 4,
                          "With reference='tflm': the input has at most 4 dimensions"),
        _constant_indices,
        _masks,
        _shrink_in_range,
        _output_shape,
        _shapes.tflm_only(
            lambda node: node.outputs[0].num_elements > 0 or len(node.outputs[0].shape) <= 1,
            "With reference='tflm': a slice of two or more dimensions is not empty (TFLite Micro fails "
            "to allocate such an output)",
        ),
    )

    def prepare(self, node: Node) -> StridedSliceData:
        index = tuple(np.arange(a, b, s, dtype=np.intp) for a, b, s, _ in _ranges(node))
        return StridedSliceData(np.ix_(*index), tuple(node.outputs[0].shape))

    def eval(self, data: StridedSliceData, inputs):
        return [inputs[0][data.index].reshape(data.output_shape)]
