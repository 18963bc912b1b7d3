"""SUB: element-wise difference with broadcasting and a fused activation, int8 / int16 / float32
/ int32, and (LiteRT) int64 and uint8.

Same left-shift scheme as ADD, with the same real multipliers (in double). LiteRT negates the
second input's multiplier and runs the ADD arithmetic.
"""

from __future__ import annotations

from . import _elementwise as ew
from .registry import Node, register


@register("SUB", versions=range(1, 6), types=("int8", "int16", "uint8", "float32", "int32", "int64"),
          inputs=2, outputs=1)
class Sub(ew.AddSubKernel):

    def prepare(self, node: Node) -> ew.AddSubData:
        return ew.prepare_add_sub(node, -1, negate_in_litert=True)
