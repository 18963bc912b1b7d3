"""PACK in C: CONCATENATION along a new axis of size 1 per input (see concatenation.py)."""

from __future__ import annotations

from ...kernels.pack import PackData
from ...kernels.registry import Node
from ..binding import CCall, CKernel, register_c
from ._copy import copy_call
from .concatenation import stacked_blocks


@register_c("PACK")
class PackC(CKernel):
    def prepare(self, node: Node, spec: PackData) -> CCall:
        y = node.outputs[0]
        shapes = [tuple(int(d) for d in t.shape[:spec.axis]) + (1,) + tuple(int(d) for d in t.shape[spec.axis:])
                  for t in node.inputs]
        blocks = stacked_blocks(shapes, tuple(y.shape), spec.axis)
        return copy_call("PACK", self.lib, node, tuple(range(len(node.inputs))), blocks, tuple(y.shape),
                         y.type.numpy_dtype)
