"""AVERAGE_POOL_2D in C: mi_avgpool_s8 (int8; int16 and float32 run in NumPy)."""

from __future__ import annotations

from ctypes import c_int32

from ...kernels.average_pool import AveragePoolData
from ...kernels.registry import Node
from ..binding import CCall, CKernel, register_c, scratch
from ._pool import int8_pool_call


@register_c("AVERAGE_POOL_2D")
class AveragePoolC(CKernel):
    def prepare(self, node: Node, spec: AveragePoolData) -> CCall:
        size_of = self.lib.mi_avgpool_s8_get_buffer_size
        size_of.argtypes = [c_int32]
        channels = int(node.inputs[0].shape[-1])
        context, buffer = scratch(size_of(channels))
        return int8_pool_call("AVERAGE_POOL_2D", self.lib.mi_avgpool_s8, node, spec.kind, spec.geometry,
                              (spec.act_min, spec.act_max), context, [buffer])
