"""MAX_POOL_2D in C: mi_max_pool_s8 / mi_max_pool_s16 (float32 runs in NumPy)."""

from __future__ import annotations

from ...kernels.max_pool import MaxPoolData
from ...kernels.registry import Node
from ..binding import CCall, CKernel, register_c
from ._pool import pool_call


@register_c("MAX_POOL_2D")
class MaxPoolC(CKernel):
    def prepare(self, node: Node, spec: MaxPoolData) -> CCall:
        return pool_call("MAX_POOL_2D", self.lib, "max_pool", node, spec.kind, spec.geometry,
                         (spec.act_min, spec.act_max))
