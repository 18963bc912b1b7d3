"""SQUARED_DIFFERENCE: ``(a - b)**2`` element-wise with broadcasting.

float32 and int32 (wrapping on overflow) in both references. Quantized: each input is offset,
shifted left (7 bits for int8, 0 for int16), scaled onto twice the larger input scale, subtracted
and squared, then rescaled by ``(2 max(s1, s2))**2 / (2**(2 shift) s_out)``. int8 in both; int16
(zero points 0) only in TFLite Micro.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _binary as bw
from . import _elementwise as ew
from . import common
from .fixedpoint import quantize_multiplier
from ._shapes import litert_only
from .registry import Node, register

LEFT_SHIFT = {bw.I8: 7, bw.I16: 0}


@dataclass(frozen=True)
class SquaredDifferenceConstants:
    left_shift: int
    input1_offset: int
    input1_multiplier: int
    input1_shift: int
    input2_offset: int
    input2_multiplier: int
    input2_shift: int
    output_offset: int
    output_multiplier: int
    output_shift: int
    act_min: int
    act_max: int


def real_multipliers(node: Node) -> tuple[float, float, float]:
    """(input1, input2, output) real multipliers, in double from the float32 scales."""
    s1, s2, so = (common.scale_of(t) for t in (node.input(0), node.input(1), node.outputs[0]))
    left_shift = LEFT_SHIFT[node.outputs[0].type]
    twice_max = 2.0 * float(max(s1, s2))
    output_scale = float(ew.f32(np.float32(1 << (2 * left_shift)) * so))  # an int times a float: float32
    return float(s1) / twice_max, float(s2) / twice_max, twice_max * twice_max / output_scale


def _int16_symmetric(node: Node) -> bool:
    """int16: inputs and output have zero point 0"""
    if node.outputs[0].type is not bw.I16:
        return True
    return all(common.zero_point_of(t) == 0 for t in (*node.inputs, node.outputs[0]))


def _output_multiplier_below_one(node: Node) -> bool:
    if node.outputs[0].type not in bw.QUANTIZED or not bw.quantized_per_tensor(node):
        return True
    return real_multipliers(node)[2] < 1.0


@register("SQUARED_DIFFERENCE", versions=range(1, 3), types=("float32", "int8", "int16", "int32"),
          inputs=2, outputs=1)
class SquaredDifference(bw.BinaryKernel):
    constraints = (
        *bw.types((bw.F32, bw.I8, bw.I16, bw.I32), (bw.F32, bw.I8, bw.I32)),
        bw.output_is_broadcast,
        ew.max_rank(6),
        bw.quantized_per_tensor,
        _int16_symmetric,
        ew.multipliers_fit(lambda node: real_multipliers(node)[2] if bw.quantized_per_tensor(node) else 0.0),
        litert_only(_output_multiplier_below_one,
                    "With reference='tflite': the output rescale factor (2 * max input scale)**2 / "
                    "(2**14 * output scale) is below 1 (LiteRT aborts otherwise)"),
    )

    def constants(self, node: Node):
        y = node.outputs[0]
        if y.type not in bw.QUANTIZED:
            return None
        r1, r2, ro = real_multipliers(node)
        m1, sh1 = ew.quantize_smaller_than_one(r1, ew.ELEMENTWISE_ROUNDING)
        m2, sh2 = ew.quantize_smaller_than_one(r2, ew.ELEMENTWISE_ROUNDING)
        mo, sho = quantize_multiplier(ro)
        lo, hi = common.INTEGER_RANGE[y.type]
        return SquaredDifferenceConstants(
            LEFT_SHIFT[y.type], -common.zero_point_of(node.input(0)), m1, sh1,
            -common.zero_point_of(node.input(1)), m2, sh2, common.zero_point_of(y), mo, sho, lo, hi)

    @staticmethod
    def function(c: SquaredDifferenceConstants | None, a, b):
        if c is None:
            if a.dtype == np.int32:
                return ew.wrap_int32((a.astype(np.int64) - b) ** 2)
            diff = a - b
            return diff * diff
        r = ew.ELEMENTWISE_ROUNDING
        sa = ew.scale_smaller_than_one((a.astype(np.int64) + c.input1_offset) << c.left_shift,
                                       c.input1_multiplier, c.input1_shift, r)
        sb = ew.scale_smaller_than_one((b.astype(np.int64) + c.input2_offset) << c.left_shift,
                                       c.input2_multiplier, c.input2_shift, r)
        diff = sa - sb
        out = ew.requantize(ew.wrap_int32(diff * diff), c.output_multiplier, c.output_shift, r)
        return np.clip(ew.wrap_int32(out + c.output_offset), c.act_min, c.act_max)
