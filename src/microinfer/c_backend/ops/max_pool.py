"""MAX_POOL_2D in C: mi_max_pool_s8 (int8; int16 and float32 run in NumPy)."""

from __future__ import annotations

from ...kernels.max_pool import MaxPoolData
from ...kernels.registry import Node
from ..binding import CCall, CKernel, register_c, scratch
from ._pool import int8_pool_call


@register_c("MAX_POOL_2D")
class MaxPoolC(CKernel):
    def prepare(self, node: Node, spec: MaxPoolData) -> CCall:
        context, buffer = scratch(0)
        return int8_pool_call("MAX_POOL_2D", self.lib.mi_max_pool_s8, node, spec.kind, spec.geometry,
                              (spec.act_min, spec.act_max), context, [buffer])
