"""REDUCE_ANY over constant axes: a logical or of bool values (LiteRT only; TFLite Micro has no
kernel for it)."""

from __future__ import annotations

from ..tflite.types import TensorType as T
from . import _reduce as R
from .registry import Kernel, Node, register


@register("REDUCE_ANY", versions=range(1, 2), types=("bool",), inputs=2, outputs=1)
class ReduceAny(Kernel):
    constraints = (R.NOT_IN_TFLM, R.same_type((T.BOOL,)), *R.AXES_CONSTRAINTS)

    def prepare(self, node: Node) -> R.FoldData:
        return R.fold_data(node)

    def eval(self, data: R.FoldData, inputs):
        return [R.extremum(inputs[0], data, largest=True)]
