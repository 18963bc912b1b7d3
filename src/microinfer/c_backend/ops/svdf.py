"""SVDF of int8 in C: mi_svdf_s8, the state (a variable tensor, the op's second variable input)
updated in place as the NumPy kernel updates the interpreter's copy; float32 runs in NumPy."""

from __future__ import annotations

import ctypes
from ctypes import POINTER, c_int32, c_void_p

import numpy as np

from ...kernels.registry import Node
from ...kernels.svdf import SvdfData
from ..binding import (INT32_LIMIT, MAX_SHIFT, MIN_SHIFT, CCall, CKernel, Fallback, address, contiguous, register_c,
                       require_sum_bound)


class SvdfParams(ctypes.Structure):
    """Mirror of mi_svdf_params (kernels_c/include/mi_nn_svdf.h)."""

    _c_name_ = "mi_svdf_params"
    _fields_ = [(name, c_int32) for name in (
        "batch", "input_size", "filters", "memory", "rank", "input_offset", "state_zero_point", "output_zero_point",
        "state_min", "state_max", "multiplier_1", "shift_1", "multiplier_2", "shift_2", "state_bytes")]


@register_c("SVDF")
class SvdfC(CKernel):
    def prepare(self, node: Node, spec: SvdfData) -> CCall:
        if spec.kind != "int8":
            raise Fallback(f"SVDF: {spec.kind} runs in NumPy")
        state_dtype = np.dtype(spec.state_dtype)
        if state_dtype not in (np.dtype(np.int16), np.dtype(np.int8)):
            raise Fallback(f"SVDF: {state_dtype.name} state")
        for shift in (spec.shift_1, spec.shift_2):
            if not MIN_SHIFT <= shift <= MAX_SHIFT:
                raise Fallback(f"SVDF: shift {shift} outside [{MIN_SHIFT}, {MAX_SHIFT}]")
        size = int(node.inputs[0].shape[1])
        require_sum_bound("SVDF", size, (128 + abs(spec.input_zero_point)) * 128)
        state_size = spec.batch * spec.filters * spec.memory
        if max(state_size, spec.batch * size) >= INT32_LIMIT:
            raise Fallback("SVDF: more elements than int32 indexing")
        weights_feature = contiguous(node.inputs[1].data, np.int8).reshape(spec.filters, size)
        weights_time = contiguous(node.inputs[2].data, state_dtype).reshape(spec.filters, spec.memory)
        bias = None if spec.bias is None else contiguous(spec.bias, np.int32)
        params = SvdfParams(spec.batch, size, spec.filters, spec.memory, spec.rank, -spec.input_zero_point,
                            spec.state_zero_point, spec.output_zero_point, spec.state_min, spec.state_max,
                            spec.multiplier_1, spec.shift_1, spec.multiplier_2, spec.shift_2, state_dtype.itemsize)
        output = np.empty((spec.batch, spec.units), np.int8)
        fn = self.lib.mi_svdf_s8
        fn.argtypes = [POINTER(SvdfParams), c_void_p, c_void_p, c_void_p, c_void_p, c_void_p, c_void_p]
        fn.restype = c_int32
        head = ctypes.pointer(params)
        constants = (address(weights_feature), address(weights_time), address(bias))
        out = address(output)
        return CCall("SVDF", lambda x, state: fn(head, x, *constants, state, out),
                     (np.dtype(np.int8), state_dtype), (spec.batch * size, state_size), output,
                     [output, head, params, weights_feature, weights_time, bias], input_positions=(0, 4))
