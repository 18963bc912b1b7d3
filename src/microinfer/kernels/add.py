"""ADD: element-wise sum with broadcasting and a fused activation, int8 / int16 / float32
/ int32, and (LiteRT) int64 and uint8.

Quantized inputs use the left-shift scheme of :mod:`._elementwise` (20 bits for int8, 15 for
int16). TFLite Micro always takes that general path; LiteRT takes its power-of-two int16 path when
``pot_scale_int16`` is set and all three scales are powers of two.
"""

from __future__ import annotations

from . import _elementwise as ew
from .registry import Node, register


def _pot_path_same_shapes(node: Node) -> bool:
    """int16 with pot_scale_int16 and power-of-two scales (LiteRT): both inputs have the same shape"""
    return not ew.uses_pot_int16_path(node) or not ew.needs_broadcast(node)


@register("ADD", versions=range(1, 6), types=("int8", "int16", "uint8", "float32", "int32", "int64"),
          inputs=2, outputs=1)
class Add(ew.AddSubKernel):
    constraints = (*ew.ADD_SUB_CONSTRAINTS, _pot_path_same_shapes)

    def prepare(self, node: Node) -> ew.AddSubData:
        return ew.prepare_add_sub(node, +1, negate_in_litert=False)
