"""DEQUANTIZE in C for int8 inputs quantized per tensor: a 256-entry table from the NumPy kernel
(see _lookup.py); per-channel inputs and other input types run in NumPy."""

from __future__ import annotations

from ..binding import CCall, Fallback, register_c
from ._lookup import LookupS8C


@register_c("DEQUANTIZE")
class DequantizeC(LookupS8C):
    def prepare(self, node, spec) -> CCall:
        if spec.kind != "affine":
            raise Fallback(f"DEQUANTIZE: {spec.kind.replace('_', '-')} inputs run in NumPy (one table per tensor)")
        return super().prepare(node, spec)
