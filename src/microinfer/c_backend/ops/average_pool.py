"""AVERAGE_POOL_2D in C: mi_avgpool_s8 / mi_avgpool_s16 (float32 runs in NumPy)."""

from __future__ import annotations

from ...kernels.average_pool import AveragePoolData
from ...kernels.registry import Node
from ..binding import CCall, CKernel, register_c
from ._pool import pool_call


@register_c("AVERAGE_POOL_2D")
class AveragePoolC(CKernel):
    def prepare(self, node: Node, spec: AveragePoolData) -> CCall:
        return pool_call("AVERAGE_POOL_2D", self.lib, "avgpool", node, spec.kind, spec.geometry,
                         (spec.act_min, spec.act_max))
