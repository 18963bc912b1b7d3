"""SUB: element-wise difference with broadcasting and a fused activation, int8 / int16 / float32.

Same left-shift scheme as ADD. TFLite Micro computes the three real multipliers in float32 (ADD
uses double); LiteRT negates the second input's multiplier and runs the ADD arithmetic, so its
rounding of the second term differs at exact ties.
"""

from __future__ import annotations

from . import _elementwise as ew
from . import common
from .registry import TFLM, Kernel, Node, register


@register("SUB", versions=range(1, 6), types=("int8", "int16", "float32"))
class Sub(Kernel):
    constraints = (
        ew.add_sub_types,
        ew.binary_output_is_broadcast,
        ew.max_rank(6),
        common.supported_activation,
        common.quantized_tensors_have_parameters,
        ew.all_per_tensor,
        ew.positive_scales,
        ew.zero_points_in_range,
        ew.add_sub_output_multiplier_below_one,
        ew.litert_int16_zero_points,
        ew.pot_path_shifts_valid,
    )

    def prepare(self, node: Node) -> ew.AddSubData:
        return ew.prepare_add_sub(node, -1, multipliers_in_float=node.reference == TFLM, negate_in_litert=True)

    def eval(self, data: ew.AddSubData, inputs):
        return [ew.eval_add_sub(data, inputs[0], inputs[1])]
