"""SLICE in C: one strided copy of the block (mi_copy_nd)."""

from __future__ import annotations

import numpy as np

from ...kernels.registry import Node
from ...kernels.slice import SliceData
from ..binding import CCall, CKernel, register_c
from ._copy import copy_call
from .strided_slice import index_block


@register_c("SLICE")
class SliceC(CKernel):
    def prepare(self, node: Node, spec: SliceData) -> CCall:
        x, y = node.inputs[0], node.outputs[0]
        block = index_block(tuple(x.shape), [np.arange(s.start, s.stop) for s in spec.index])
        return copy_call("SLICE", self.lib, node, (0,), [block], tuple(y.shape), y.type.numpy_dtype)
