"""ABS: |x|. float32 in both references; int8 and int16 quantized in both: ``|x - zp_in|``,
requantized by ``input scale / output scale`` when the two scales differ (TFLite Micro divides
in double, LiteRT in float32), plus the output zero point, saturated; int16 without quantization
(both) and int32 (LiteRT) as plain integers, where |-2**15| (|-2**31|) wraps to itself as the C
cast does."""

from __future__ import annotations

import numpy as np

from . import _elementwise as ew
from . import _unary as u
from . import common
from .fixedpoint import quantize_multiplier
from .registry import TFLM, Node, register


def _quantized(node: Node) -> bool:
    """Whether the node takes the requantizing path: int8, or int16 with quantization parameters."""
    return node.input(0).type is u.I8 or (node.input(0).type is u.I16 and u.has_quantization(node))


def _real_multiplier(node: Node) -> float:
    in_scale, _, out_scale, _ = u.quantization(node)
    if node.reference == TFLM:
        return float(in_scale) / float(out_scale)
    with np.errstate(all="ignore"):
        return float(np.float32(in_scale / out_scale))


def _parameters(node: Node) -> bool:
    """int8, and int16 with a quantized input: input and output carry quantization parameters"""
    return not _quantized(node) or common.quantized_tensors_have_parameters(node)


def _multiplier_fits(node: Node) -> bool:
    """The rescale factor input scale / output scale is below 2**30"""
    if not (_quantized(node) and common.quantized_tensors_have_parameters(node) and ew.positive_scales(node)
            and ew.all_per_tensor(node)):
        return True  # nothing to rescale, or already refused
    return ew.shift_fits(_real_multiplier(node))


def _requantized_only(check, doc):
    def constraint(node: Node) -> bool:
        return not _quantized(node) or check(node)

    constraint.__doc__ = doc
    return constraint


def _table(node: Node) -> u.QuantizedTable | None:
    """|x - zp_in|, requantized when the scales differ, plus zp_out; None for int16 without
    quantization (plain integers)."""
    if not _quantized(node):
        return None
    in_scale, in_zp, out_scale, out_zp = u.quantization(node)
    magnitude = np.abs(u.input_values(node.input(0)) - in_zp)
    if np.float32(in_scale) != np.float32(out_scale):
        multiplier, shift = quantize_multiplier(_real_multiplier(node))
        magnitude = ew.requantize(magnitude, multiplier, shift, ew.ELEMENTWISE_ROUNDING)
    info = np.iinfo(u.NUMPY_TYPES[node.outputs[0].type])
    return u.QuantizedTable(np.clip(magnitude + out_zp, info.min, info.max))


@register("ABS", versions=range(1, 6), types=("float32", "int8", "int16", "int32"), inputs=1, outputs=1)
class Abs(u.UnaryKernel):
    constraints = (
        *u.operand_constraints((u.F32, u.I8, u.I16), (u.F32, u.I8, u.I16, u.I32)),
        u.litert_version_at_most(3),
        _parameters,
        *(_requantized_only(c, c.__doc__) for c in (ew.all_per_tensor, ew.positive_scales, ew.zero_points_in_range)),
        u.int16_zero_points,
        _multiplier_fits,
    )
    element = staticmethod(np.abs)
    table = staticmethod(_table)
