"""TRANSPOSE in C: one strided copy reading the input in the permuted order (mi_copy_nd)."""

from __future__ import annotations

from ...kernels.registry import Node
from ...kernels.transpose import TransposeData
from ..binding import CCall, CKernel, register_c
from ._copy import Block, copy_call, strides


@register_c("TRANSPOSE")
class TransposeC(CKernel):
    def prepare(self, node: Node, spec: TransposeData) -> CCall:
        x, y = node.inputs[0], node.outputs[0]
        in_strides = strides(x.shape)
        dims = tuple(int(x.shape[p]) for p in spec.perm)
        block = Block(0, dims, tuple(in_strides[p] for p in spec.perm), strides(dims))
        return copy_call("TRANSPOSE", self.lib, node, (0,), [block], tuple(y.shape), y.type.numpy_dtype)
