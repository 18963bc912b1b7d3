"""CONCATENATION in C: each input is one strided copy into its place along the axis (mi_copy_nd)."""

from __future__ import annotations

from ...kernels.concatenation import ConcatenationData
from ...kernels.registry import Node
from ..binding import CCall, CKernel, Fallback, register_c
from ._copy import Block, copy_call, strides


def stacked_blocks(shapes, output_shape, axis: int) -> list[Block]:
    """One block per input shape, placed one after another along ``axis`` of the output."""
    out_strides = strides(output_shape)
    blocks, at = [], 0
    for source, shape in enumerate(shapes):
        blocks.append(Block(source, tuple(shape), strides(shape), out_strides, 0, at * out_strides[axis]))
        at += shape[axis]
    return blocks


@register_c("CONCATENATION")
class ConcatenationC(CKernel):
    def prepare(self, node: Node, spec: ConcatenationData) -> CCall:
        if any(r is not None for r in spec.rescalings):
            raise Fallback("CONCATENATION: uint8 inputs quantized unlike the output are rescaled in NumPy (LiteRT)")
        y = node.outputs[0]
        shapes = [tuple(int(d) for d in t.shape) for t in node.inputs]
        blocks = stacked_blocks(shapes, tuple(y.shape), spec.axis)
        return copy_call("CONCATENATION", self.lib, node, tuple(range(len(node.inputs))), blocks, tuple(y.shape),
                         spec.dtype)
