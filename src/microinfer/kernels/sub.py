"""SUB: element-wise difference with broadcasting and a fused activation, int8 / int16 / float32.

Same left-shift scheme as ADD. TFLite Micro computes the three real multipliers in float32 (ADD
uses double); LiteRT negates the second input's multiplier and runs the ADD arithmetic, so its
rounding of the second term differs at exact ties.
"""

from __future__ import annotations

from . import _elementwise as ew
from .registry import TFLM, Node, register


@register("SUB", versions=range(1, 6), types=("int8", "int16", "float32"))
class Sub(ew.AddSubKernel):

    def prepare(self, node: Node) -> ew.AddSubData:
        return ew.prepare_add_sub(node, -1, multipliers_in_float=node.reference == TFLM, negate_in_litert=True)
