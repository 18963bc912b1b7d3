"""STRIDED_SLICE in C: one strided copy (mi_copy_nd), strides possibly negative."""

from __future__ import annotations

import numpy as np

from ...kernels.registry import Node
from ...kernels.strided_slice import StridedSliceData
from ..binding import CCall, CKernel, Fallback, register_c
from ._copy import Block, copy_call, strides


def index_block(input_shape, axes: list[np.ndarray]) -> Block:
    """The copy reading, per input dimension, the evenly spaced indices ``axes[d]``."""
    in_strides = strides(input_shape)
    dims, steps, start = [], [], 0
    for indices, stride in zip(axes, in_strides):
        indices = np.asarray(indices).reshape(-1)
        if indices.size > 2 and np.any(np.diff(indices) != indices[1] - indices[0]):
            raise Fallback("indices are not evenly spaced (a bug)")
        step = int(indices[1] - indices[0]) if indices.size > 1 else 1
        dims.append(int(indices.size))
        steps.append(step * stride)
        start += int(indices[0]) * stride if indices.size else 0
    return Block(0, tuple(dims), tuple(steps), strides(dims), start, 0)


@register_c("STRIDED_SLICE")
class StridedSliceC(CKernel):
    def prepare(self, node: Node, spec: StridedSliceData) -> CCall:
        x, y = node.inputs[0], node.outputs[0]
        block = index_block(tuple(x.shape), list(spec.index))
        if int(np.prod(block.dims)) != y.num_elements:
            raise Fallback("STRIDED_SLICE: slice and output sizes differ (a bug)")
        return copy_call("STRIDED_SLICE", self.lib, node, (0,), [block], tuple(y.shape), y.type.numpy_dtype)
