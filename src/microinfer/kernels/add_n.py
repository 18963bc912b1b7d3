"""ADD_N: the element-wise sum of two or more tensors of one shape (no broadcasting).

float32 in both references (summed in input order from 0); int32 (wrapping) in LiteRT. int8 in
TFLite Micro, whose inputs share one scale and zero point: each input is offset, shifted left by
20 bits and halved (a multiplier of exactly 1/2), the sum rescaled by ``2 s_in / (2**20 s_out)``.
TFLite Micro's sum starts from the scaled input offset (-zero point) rather than from 0, so its
result is one input zero point lower than the real sum (measured: it matches the reference).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _binary as bw
from . import _elementwise as ew
from . import _shapes
from . import common
from .registry import Kernel, Node, register

LEFT_SHIFT = 20


@dataclass(frozen=True)
class AddNData:
    dtype: type
    input_offset: int = 0
    input_multiplier: int = 0
    input_shift: int = 0
    output_offset: int = 0
    output_multiplier: int = 0
    output_shift: int = 0


def _same_shapes(node: Node) -> bool:
    """Every input has the output's shape"""
    return all(tuple(t.shape) == tuple(node.outputs[0].shape) for t in node.inputs)


def _int8_inputs_share_quantization(node: Node) -> bool:
    """int8: the inputs share one scale and zero point"""
    return node.outputs[0].type is not bw.I8 or _shapes.same_quantization(node.inputs)


def _real_multipliers(node: Node) -> tuple[float, float]:
    s_in, s_out = float(common.scale_of(node.inputs[0])), float(common.scale_of(node.outputs[0]))
    return 0.5, 2 * s_in / ((1 << LEFT_SHIFT) * s_out)


def _output_multiplier_below_one(node: Node) -> bool:
    """int8: the output rescale factor 2 * input scale / (2**20 * output scale) is below 1"""
    if node.outputs[0].type is not bw.I8 or not bw.quantized_per_tensor(node):
        return True
    return _real_multipliers(node)[1] < 1.0


@register("ADD_N", versions=range(1, 2), types=("float32", "int8", "int32"), inputs=(2, None), outputs=1)
class AddN(Kernel):
    constraints = (
        *bw.types((bw.F32, bw.I8), (bw.F32, bw.I32)),
        _same_shapes,
        ew.max_rank(6),
        bw.quantized_per_tensor,
        _int8_inputs_share_quantization,
        _output_multiplier_below_one,
    )

    def prepare(self, node: Node) -> AddNData:
        y = node.outputs[0]
        if y.type is not bw.I8:
            return AddNData(y.type.numpy_dtype)
        r_in, r_out = _real_multipliers(node)
        m_in, sh_in = ew.quantize_smaller_than_one(r_in, ew.ELEMENTWISE_ROUNDING)
        m_out, sh_out = ew.quantize_smaller_than_one(r_out, ew.ELEMENTWISE_ROUNDING)
        return AddNData(np.int8, -common.zero_point_of(node.inputs[0]), m_in, sh_in,
                        common.zero_point_of(y), m_out, sh_out)

    def eval(self, data: AddNData, inputs):
        if data.dtype is not np.int8:
            total = np.zeros_like(inputs[0])
            with np.errstate(over="ignore"):
                for x in inputs:
                    total = total + x  # float32 in input order; int32 wraps
            return [total.astype(data.dtype)]
        r = ew.ELEMENTWISE_ROUNDING
        total = ew.scale_smaller_than_one(np.int64(data.input_offset) << LEFT_SHIFT, data.input_multiplier,
                                          data.input_shift, r)
        for x in inputs:
            total = total + ew.scale_smaller_than_one((x.astype(np.int64) + data.input_offset) << LEFT_SHIFT,
                                                      data.input_multiplier, data.input_shift, r)
        out = ew.scale_smaller_than_one(ew.wrap_int32(total), data.output_multiplier, data.output_shift, r)
        return [np.clip(out + data.output_offset, -128, 127).astype(np.int8)]
