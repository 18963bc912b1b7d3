"""MUL in C: mi_elementwise_mul_s8, any broadcast (int16 and float32 run in NumPy)."""

from __future__ import annotations

import ctypes
from ctypes import c_int32

import numpy as np

from ...kernels.fixedpoint import DOUBLE
from ...kernels.mul import MulData
from ...kernels.registry import Node
from ..binding import MAX_SHIFT, MIN_SHIFT, CCall, CKernel, Fallback, register_c
from ..structs import Activation
from ._broadcast import Scale, binary_call


class MulParams(ctypes.Structure):
    """Mirror of mi_mul_params (kernels_c/include/mi_nn_elementwise.h)."""

    _fields_ = [("input1_offset", c_int32), ("input2_offset", c_int32), ("output_offset", c_int32),
                ("output_scale", Scale), ("activation", Activation)]


@register_c("MUL")
class MulC(CKernel):
    def prepare(self, node: Node, spec: MulData) -> CCall:
        if spec.kind != "quantized" or np.dtype(spec.dtype) != np.int8:
            raise Fallback(f"MUL: {np.dtype(spec.dtype).name} runs in NumPy")
        if spec.rounding != DOUBLE or not (MIN_SHIFT <= spec.shift <= MAX_SHIFT and 0 <= spec.multiplier < 1 << 31):
            raise Fallback("MUL: requantization other than double rounding by a non-negative multiplier with a "
                           "shift in [-31, 30]")
        if max(abs(spec.input1_offset), abs(spec.input2_offset)) > 128:
            raise Fallback("MUL: zero points outside int8")  # keeps the int32 product exact
        params = MulParams(spec.input1_offset, spec.input2_offset, spec.output_offset,
                           Scale(spec.multiplier, spec.shift), Activation(int(spec.act_min), int(spec.act_max)))
        return binary_call("MUL", self.lib.mi_elementwise_mul_s8, params, node, spec.output_shape, np.int8)
