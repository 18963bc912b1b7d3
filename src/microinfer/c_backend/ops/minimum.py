"""MINIMUM of int8/int16 in C: mi_minimum_s8 / _s16 on the raw values (see _minmax.py)."""

from __future__ import annotations

from ...kernels.registry import Node
from ..binding import CCall, CKernel, register_c
from ._minmax import minmax_call


@register_c("MINIMUM")
class MinimumC(CKernel):
    def prepare(self, node: Node, spec) -> CCall:
        return minmax_call("MINIMUM", self.lib, node)
