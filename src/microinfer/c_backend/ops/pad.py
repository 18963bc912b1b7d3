"""PAD and PADV2 in C: fill the output with the pad value (mi_fill), then copy the input into its
interior (mi_copy_nd). Any element type of 1, 2, 4 or 8 bytes; PADV2's value must be constant."""

from __future__ import annotations

import numpy as np

from ...kernels.pad import PadData
from ...kernels.registry import Node
from ..binding import CCall, CKernel, Fallback, register_c
from ._copy import Block, copy_call, strides


def pad_call(op: str, lib, node: Node, spec: PadData) -> CCall:
    x = node.inputs[0]
    value = spec.pad_value
    if len(node.inputs) >= 3 and node.inputs[2] is not None:
        constant = node.inputs[2]
        if constant.data is None:
            raise Fallback(f"{op}: the pad value is not a constant")
        value = np.asarray(constant.data).reshape(-1)[0]
    out_strides = strides(spec.output_shape)
    start = sum(int(s.start) * st for s, st in zip(spec.inner, out_strides))
    block = Block(0, tuple(int(d) for d in x.shape), strides(x.shape), out_strides, 0, start)
    return copy_call(op, lib, node, (0,), [block] if x.num_elements else [], spec.output_shape, spec.dtype,
                     fill=value)


@register_c("PAD")
class PadC(CKernel):
    def prepare(self, node: Node, spec: PadData) -> CCall:
        return pad_call("PAD", self.lib, node, spec)


@register_c("PADV2")
class PadV2C(CKernel):
    def prepare(self, node: Node, spec: PadData) -> CCall:
        return pad_call("PADV2", self.lib, node, spec)
