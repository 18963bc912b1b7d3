"""FULLY_CONNECTED in C: mi_fully_connected_s8 / mi_fully_connected_s16.

The spec's bias already holds the input offset (input_offset * sum of each weight row), so the
C kernel runs with input offset 0: the same int32 (or, wide, int64) sum, wrapped the same way.
"""

from __future__ import annotations

import ctypes

import numpy as np

from ...kernels.fixedpoint import wrap_int32
from ...kernels.fully_connected import FullyConnectedData, HybridFullyConnectedData
from ...kernels.registry import Node
from ..binding import HYBRID_IN_NUMPY, RUNTIME_WEIGHTS_IN_NUMPY, CCall, one_input_call, CKernel, Fallback, accumulator_bound, address, contiguous, matrix_dims, pointers, register_c, requant, \
    require_sum_bound, scratch
from ..structs import Activation, FcParams, kernel_argtypes, kernel_argtypes_s16


@register_c("FULLY_CONNECTED")
class FullyConnectedC(CKernel):
    def prepare(self, node: Node, spec: FullyConnectedData | HybridFullyConnectedData) -> CCall:
        if isinstance(spec, HybridFullyConnectedData):
            raise Fallback(HYBRID_IN_NUMPY)
        if spec.kind not in ("int8", "int16x8"):
            raise Fallback(f"{spec.kind} runs in NumPy")
        if spec.runtime_weights or spec.runtime_bias:
            raise Fallback(RUNTIME_WEIGHTS_IN_NUMPY)
        if spec.weights_zero_point != 0:
            raise Fallback("weights with a nonzero zero point run in NumPy (the C kernel takes symmetric weights)")
        int16 = spec.kind == "int16x8"
        weights = contiguous(node.input(1).data, np.int8)
        units, depth = weights.shape
        rows = node.input(0).num_elements // depth
        require_sum_bound("FULLY_CONNECTED", depth, (1 << 15 if int16 else 1 << 7) * 128)
        output = np.empty(spec.output_shape, np.int16 if int16 else np.int8)
        if output.size != rows * units:
            raise Fallback(f"output shape {spec.output_shape} does not hold {rows} x {units} values")
        bound = None if int16 else accumulator_bound(spec.bias, weights, 0)  # the offset is in the bias
        quant, quant_arrays = requant(spec.multiplier, spec.shift, units, spec.real_scale, wide=spec.wide_accumulator,
                                      accumulator_bound=bound)
        params = FcParams(0, spec.output_offset, Activation(int(spec.act_min), int(spec.act_max)))
        context, buffer = scratch(0)
        in_dims, filter_dims, out_dims = matrix_dims(rows, depth), matrix_dims(units, depth), matrix_dims(rows, units)
        keep = [weights, quant_arrays, buffer, output]
        head = pointers(context, params, quant, in_dims)
        if int16:
            bias64 = contiguous(spec.bias, np.int64) if spec.wide_accumulator else None
            bias32 = None if spec.wide_accumulator else contiguous(wrap_int32(spec.bias), np.int32)
            keep += [bias64, bias32]
            fn = self.lib.mi_fully_connected_s16
            fn.argtypes = kernel_argtypes_s16(FcParams)
            tail = (ctypes.pointer(filter_dims), address(weights), address(bias64), address(bias32),
                    int(spec.wide_accumulator), ctypes.pointer(out_dims), address(output))
        else:
            bias = contiguous(wrap_int32(spec.bias), np.int32)
            keep.append(bias)
            fn = self.lib.mi_fully_connected_s8
            fn.argtypes = kernel_argtypes(FcParams)
            tail = (ctypes.pointer(filter_dims), address(weights), address(bias), ctypes.pointer(out_dims),
                    address(output))
        keep += [head, tail]
        return CCall("FULLY_CONNECTED", one_input_call(fn, head, tail), (np.dtype(np.int16 if int16 else np.int8),),
                     (rows * depth,), output, keep)
