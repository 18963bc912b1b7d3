"""MUL in C: mi_elementwise_mul_s8 / mi_elementwise_mul_s16, any broadcast (float32 runs in NumPy)."""

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


FUNCTION = {np.dtype(np.int8): "mi_elementwise_mul_s8", np.dtype(np.int16): "mi_elementwise_mul_s16"}


class MulParams(ctypes.Structure):
    """Mirror of mi_mul_params (kernels_c/include/mi_nn_elementwise.h)."""

    _fields_ = [("input1_offset", c_int32), ("input2_offset", c_int32), ("output_offset", c_int32),
                ("output_scale", Scale), ("activation", Activation)]


@register_c("MUL")
class MulC(CKernel):
    def prepare(self, node: Node, spec: MulData) -> CCall:
        dtype = np.dtype(spec.dtype)
        if spec.kind != "quantized" or dtype not in FUNCTION:
            raise Fallback(f"MUL: {dtype.name} runs in NumPy")
        if spec.rounding != DOUBLE or not (MIN_SHIFT <= spec.shift <= MAX_SHIFT and 0 <= spec.multiplier < 1 << 31):
            raise Fallback("MUL: requantization other than double rounding by a non-negative multiplier with a "
                           "shift in [-31, 30]")
        info = np.iinfo(dtype)
        largest1, largest2 = (max(abs(info.min + o), abs(info.max + o)) for o in (spec.input1_offset, spec.input2_offset))
        if largest1 * largest2 >= 1 << 31:
            raise Fallback("MUL: the product of the offset inputs can overflow int32")
        params = MulParams(spec.input1_offset, spec.input2_offset, spec.output_offset,
                           Scale(spec.multiplier, spec.shift), Activation(int(spec.act_min), int(spec.act_max)))
        return binary_call("MUL", getattr(self.lib, FUNCTION[dtype]), params, node, spec.output_shape, dtype)
