"""SUM of int8/int16 in C (TFLite Micro's QuantizedMeanOrSum): the MEAN kernel without the 1/count
(see mean.py). LiteRT's int8 SUM, which reads bytes as uint8, runs in NumPy."""

from __future__ import annotations

from ...kernels.registry import Node
from ...kernels.sum import SumData
from ..binding import CCall, CKernel, Fallback, register_c
from .mean import reduce_call


@register_c("SUM")
class SumC(CKernel):
    def prepare(self, node: Node, spec: SumData) -> CCall:
        if spec.rescale is None or spec.as_bytes:
            raise Fallback("SUM: runs in NumPy unless int8/int16 with TFLite Micro's arithmetic")
        return reduce_call("SUM", self.lib, node, spec.fold.reduction, spec.rescale)
