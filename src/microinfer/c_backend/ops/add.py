"""ADD in C: mi_elementwise_add_s8 / mi_elementwise_add_s16 / mi_elementwise_add_pot_s16, any
broadcast.

The general left-shift path (TFLite Micro always; LiteRT unless its int16 power-of-two path
applies): the spec's multipliers are below one (shift <= 0) and requantize with double rounding.
LiteRT's int16 power-of-two path: one rounding right shift per input.
"""

from __future__ import annotations

import ctypes
from ctypes import c_int32

import numpy as np

from ...kernels._elementwise import AddSubData
from ...kernels.fixedpoint import DOUBLE
from ...kernels.registry import Node
from ..binding import MIN_SHIFT, CCall, CKernel, Fallback, register_c
from ..structs import Activation
from ._broadcast import Scale, binary_call

LEFT_SHIFT = {np.dtype(np.int8): 20, np.dtype(np.int16): 15}
FUNCTION = {np.dtype(np.int8): "mi_elementwise_add_s8", np.dtype(np.int16): "mi_elementwise_add_s16"}


class AddPotParams(ctypes.Structure):
    """Mirror of mi_add_pot_params (kernels_c/include/mi_nn_elementwise.h)."""

    _fields_ = [("input1_right_shift", c_int32), ("input2_right_shift", c_int32), ("activation", Activation)]


class AddParams(ctypes.Structure):
    """Mirror of mi_add_params (kernels_c/include/mi_nn_elementwise.h)."""

    _fields_ = [("input1_offset", c_int32), ("input2_offset", c_int32), ("output_offset", c_int32),
                ("left_shift", c_int32), ("input1_scale", Scale), ("input2_scale", Scale), ("output_scale", Scale),
                ("activation", Activation)]


def smaller_than_one(multiplier: int, shift: int) -> Scale:
    if not (0 <= multiplier < 1 << 31 and MIN_SHIFT <= shift <= 0):
        raise Fallback(f"ADD: scale {multiplier} * 2**({shift} - 31) is not below one")
    return Scale(multiplier, shift)


def add_pot_params(spec: AddSubData) -> AddPotParams:
    """LiteRT's int16 power-of-two path: rounding right shifts (the spec refuses left shifts).
    Any shift from 17 on rounds every int16 value to 0, so larger ones are passed as 31."""
    shifts = (-spec.input1_shift, -spec.input2_shift)
    if np.dtype(spec.dtype) != np.int16 or spec.sign != 1 or min(shifts) < 0:
        raise Fallback("ADD: power-of-two path other than int16 with right shifts runs in NumPy")
    return AddPotParams(*(min(s, 31) for s in shifts), Activation(int(spec.act_min), int(spec.act_max)))


def add_params(spec: AddSubData) -> AddParams:
    """The C parameters, checked so that no int32 expression of the kernel can overflow."""
    dtype = np.dtype(spec.dtype)
    if spec.kind != "general" or dtype not in LEFT_SHIFT:
        raise Fallback(f"ADD: {dtype.name} runs in NumPy")
    if spec.rounding != DOUBLE or spec.negated_multiplier or spec.sign != 1 or spec.left_shift != LEFT_SHIFT[dtype]:
        raise Fallback("ADD: arithmetic other than the double-rounding left-shift scheme runs in NumPy")
    info = np.iinfo(dtype)
    for offset in (spec.input1_offset, spec.input2_offset):
        largest = max(abs(info.min + offset), abs(info.max + offset))
        if largest << spec.left_shift >= 1 << 31:
            raise Fallback("ADD: an offset input shifted left overflows int32")
    return AddParams(
        spec.input1_offset, spec.input2_offset, spec.output_offset, spec.left_shift,
        smaller_than_one(spec.input1_multiplier, spec.input1_shift),
        smaller_than_one(spec.input2_multiplier, spec.input2_shift),
        smaller_than_one(spec.output_multiplier, spec.output_shift),
        Activation(int(spec.act_min), int(spec.act_max)),
    )


@register_c("ADD")
class AddC(CKernel):
    def prepare(self, node: Node, spec: AddSubData) -> CCall:
        dtype = np.dtype(spec.dtype)
        if spec.kind == "pot":
            fn, params = self.lib.mi_elementwise_add_pot_s16, add_pot_params(spec)
        else:
            params = add_params(spec)
            fn = getattr(self.lib, FUNCTION[dtype])
        return binary_call("ADD", fn, params, node, spec.output_shape, dtype)
