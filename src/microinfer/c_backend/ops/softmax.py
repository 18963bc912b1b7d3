"""SOFTMAX in C: mi_softmax_s8 (int8 -> int8) and mi_softmax_s8_s16 (int8 -> int16).

Both references compute the int8-input softmax the same way (see kernels/softmax.py), so the C
kernel serves both; float32 and int16 input run in NumPy. Where the reference kernels abort (a
row's sum of exponentials out of range), the C kernel returns an error and the NumPy kernel
raises the spec's error.
"""

from __future__ import annotations

import ctypes
from ctypes import POINTER, c_int32, c_void_p

import numpy as np

from ...kernels.fixedpoint import DOUBLE
from ...kernels.registry import Node
from ...kernels.softmax import Softmax, SoftmaxData
from ..binding import INT32_LIMIT, CCall, CKernel, CKernelError, Fallback, address, register_c

FUNCTION = {np.dtype(np.int8): "mi_softmax_s8", np.dtype(np.int16): "mi_softmax_s8_s16"}


class SoftmaxParams(ctypes.Structure):
    """Mirror of mi_softmax_params (kernels_c/include/mi_nn_softmax.h)."""

    _fields_ = [("multiplier", c_int32), ("left_shift", c_int32), ("diff_min", c_int32)]


class SoftmaxCall(CCall):
    """On a row the references abort on, the spec raises its error (the C kernel only refuses)."""

    spec: SoftmaxData | None = None

    def eval(self, inputs) -> list[np.ndarray]:
        try:
            return super().eval(inputs)
        except CKernelError:
            return Softmax().eval(self.spec, inputs)


@register_c("SOFTMAX")
class SoftmaxC(CKernel):
    def prepare(self, node: Node, spec: SoftmaxData) -> CCall:
        out_dtype = np.dtype(spec.out_dtype)
        if spec.kind != "int8" or out_dtype not in FUNCTION:
            raise Fallback(f"SOFTMAX: {spec.kind} input runs in NumPy")
        if spec.rounding != DOUBLE or not (0 <= spec.left_shift <= 31 and 0 < spec.multiplier < 1 << 31):
            raise Fallback("SOFTMAX: input scaling outside a multiplier above one with a left shift of 0..31")
        if spec.diff_min > 0:
            raise Fallback("SOFTMAX: positive diff_min")
        shape = tuple(int(d) for d in node.inputs[0].shape)
        size = int(np.prod(shape))
        if not shape or size == 0 or size >= INT32_LIMIT:
            raise Fallback(f"SOFTMAX: shape {shape} is empty, a scalar or too large")
        params = SoftmaxParams(spec.multiplier, spec.left_shift, max(spec.diff_min, -(1 << 31)))
        output = np.empty(shape, out_dtype)
        fn = getattr(self.lib, FUNCTION[out_dtype])
        fn.argtypes = [POINTER(SoftmaxParams), c_int32, c_int32, c_void_p, c_void_p]
        rows, row_length = size // shape[-1], shape[-1]
        head = (ctypes.pointer(params), rows, row_length)
        out = address(output)
        call = SoftmaxCall("SOFTMAX", lambda x: fn(*head, x, out), (np.dtype(np.int8),), (size,), output,
                           [output, head])
        call.spec = spec
        return call
