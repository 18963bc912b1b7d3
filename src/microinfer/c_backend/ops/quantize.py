"""QUANTIZE in C: float32 -> int8/int16 with mi_quantize_f32 (the references' float32 division and
rounding, no libm); int8 -> int8/int16/int32 requantization by table (see _lookup.py); int16 ->
int8/int16/int32 with mi_requantize_s16."""

from __future__ import annotations

import ctypes
from ctypes import POINTER, c_float, c_int32, c_void_p

import numpy as np

from ...kernels.quantize import QuantizeData
from ...kernels.registry import Node
from ...tflite.types import TensorType
from ..binding import Input, bound_call
from ..binding import INT32_LIMIT, MAX_SHIFT, MIN_SHIFT, CCall, CKernel, Fallback, address, register_c
from ._lookup import lookup_call


class QuantizeParams(ctypes.Structure):
    """Mirror of mi_quantize_params (kernels_c/include/mi_nn_unary.h)."""

    _c_name_ = "mi_quantize_params"
    _fields_ = [("scale", c_float), ("zero_point", c_int32), ("count", c_int32), ("element_bytes", c_int32)]


class RequantizeParams(ctypes.Structure):
    """Mirror of mi_requantize_params (kernels_c/include/mi_nn_unary.h)."""

    _c_name_ = "mi_requantize_params"
    _fields_ = [("multiplier", c_int32), ("shift", c_int32), ("input_zero_point", c_int32),
                ("output_zero_point", c_int32), ("count", c_int32), ("element_bytes", c_int32)]


def requantize_s16_call(lib, node: Node, spec: QuantizeData) -> CCall:
    x = node.inputs[0]
    dtype = np.dtype(spec.dtype)
    count = x.num_elements
    if count == 0 or count >= INT32_LIMIT or tuple(node.outputs[0].shape) != tuple(x.shape):
        raise Fallback("QUANTIZE: empty, too large, or output shape differs from the input's")
    if not (MIN_SHIFT <= spec.shift <= MAX_SHIFT) or dtype.itemsize not in (1, 2, 4):
        raise Fallback(f"QUANTIZE: shift {spec.shift} outside [{MIN_SHIFT}, {MAX_SHIFT}] or {dtype.name} output")
    output = np.empty(tuple(x.shape), dtype)
    params = RequantizeParams(int(spec.multiplier), int(spec.shift), int(spec.input_zero_point),
                              int(spec.output_zero_point), count, dtype.itemsize)
    fn = lib.mi_requantize_s16
    fn.argtypes = [POINTER(RequantizeParams), c_void_p, c_void_p]
    fn.restype = c_int32
    head = ctypes.pointer(params)
    out = address(output)
    return CCall("QUANTIZE", bound_call(fn, [head, Input(0), out]), (np.dtype(np.int16),), (count,), output,
                 [output, head, params])


@register_c("QUANTIZE")
class QuantizeC(CKernel):
    def prepare(self, node: Node, spec: QuantizeData) -> CCall:
        x = node.inputs[0]
        if x.type is TensorType.INT8:
            return lookup_call("QUANTIZE", self.lib, node, spec)
        if x.type is TensorType.INT16 and spec.kind == "requantize":
            return requantize_s16_call(self.lib, node, spec)
        if x.type is TensorType.FLOAT32 and spec.kind == "per_channel":
            raise Fallback("QUANTIZE: float32 to per-channel output (LiteRT) runs in NumPy")
        if x.type is not TensorType.FLOAT32 or spec.kind != "affine":
            raise Fallback(f"QUANTIZE: {x.type.name.lower()} input runs in NumPy")
        dtype = np.dtype(spec.dtype)
        if dtype not in (np.dtype(np.int8), np.dtype(np.int16)):
            raise Fallback(f"QUANTIZE: float32 to {dtype.name} runs in NumPy")
        count = x.num_elements
        if count == 0 or count >= INT32_LIMIT or tuple(node.outputs[0].shape) != tuple(x.shape):
            raise Fallback("QUANTIZE: empty, too large, or output shape differs from the input's")
        scale = np.float32(spec.scale)
        if float(scale) != spec.scale:
            raise Fallback("QUANTIZE: the output scale is not a float32 value")
        output = np.empty(tuple(x.shape), dtype)
        params = QuantizeParams(float(scale), int(spec.output_zero_point), count, dtype.itemsize)
        fn = self.lib.mi_quantize_f32
        fn.argtypes = [POINTER(QuantizeParams), c_void_p, c_void_p]
        fn.restype = c_int32
        head = ctypes.pointer(params)
        out = address(output)
        return CCall("QUANTIZE", bound_call(fn, [head, Input(0), out]), (np.dtype(np.float32),), (count,), output,
                     [output, head, params])
