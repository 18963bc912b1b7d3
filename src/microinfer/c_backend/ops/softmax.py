"""SOFTMAX in C: mi_softmax_s8 (int8 -> int8), mi_softmax_s8_s16 (int8 -> int16) and mi_softmax_s16
(int16 -> int16); float32 runs in NumPy.

Both references compute the int8-input softmax the same way (see kernels/softmax.py); for int16
input they differ only in their lookup tables, which the spec builds per reference and the C
kernel receives. Where the reference kernels abort (an int8 row's sum of exponentials out of
range), the C kernel returns an error and the NumPy kernel raises the spec's error.
"""

from __future__ import annotations

import ctypes
from ctypes import POINTER, c_int32, c_void_p

import numpy as np

from ...kernels.fixedpoint import DOUBLE
from ...kernels.registry import Node
from ...kernels.softmax import Softmax, SoftmaxData
from ...tflite.types import TensorType
from ..binding import Input, bound_call
from ..binding import INT32_LIMIT, MAX_SHIFT, MIN_SHIFT, CCall, CKernel, CKernelError, Fallback, address, contiguous, \
    register_c

INT8_INPUT_FUNCTION = {np.dtype(np.int8): "mi_softmax_s8", np.dtype(np.int16): "mi_softmax_s8_s16"}
LUT_ENTRIES = 513
MAX_INT16_ROW = 65535  # rows whose int16 exponentials cannot overflow the int32 sum


class SoftmaxParams(ctypes.Structure):
    """Mirror of mi_softmax_params (kernels_c/include/mi_nn_softmax.h)."""

    _fields_ = [("multiplier", c_int32), ("left_shift", c_int32), ("diff_min", c_int32)]


class SoftmaxS16Params(ctypes.Structure):
    """Mirror of mi_softmax_s16_params (kernels_c/include/mi_nn_softmax.h)."""

    _fields_ = [("multiplier", c_int32), ("shift", c_int32), ("exp_table", c_void_p),
                ("one_over_one_plus_x_table", c_void_p)]


class SoftmaxCall(CCall):
    """On a row the references abort on, the spec raises its error (the C kernel only refuses)."""

    spec: SoftmaxData | None = None

    def eval(self, inputs) -> list[np.ndarray]:
        try:
            return super().eval(inputs)
        except CKernelError:
            return Softmax().eval(self.spec, inputs)


def rows_of(shape: tuple[int, ...]) -> tuple[int, int]:
    """(rows, row length) of a softmax over the innermost dimension."""
    size = int(np.prod(shape))
    if not shape or size == 0 or size >= INT32_LIMIT:
        raise Fallback(f"SOFTMAX: shape {shape} is empty, a scalar or too large")
    return size // shape[-1], shape[-1]


def int8_input_params(spec: SoftmaxData) -> tuple[SoftmaxParams, list]:
    if spec.rounding != DOUBLE or not (0 <= spec.left_shift <= 31 and 0 < spec.multiplier < 1 << 31):
        raise Fallback("SOFTMAX: input scaling outside a multiplier above one with a left shift of 0..31")
    if spec.diff_min > 0:
        raise Fallback("SOFTMAX: positive diff_min")
    return SoftmaxParams(spec.multiplier, spec.left_shift, max(spec.diff_min, -(1 << 31))), []


def int16_input_params(spec: SoftmaxData, row_length: int) -> tuple[SoftmaxS16Params, list]:
    if spec.rounding != DOUBLE or not (MIN_SHIFT <= spec.left_shift <= MAX_SHIFT and 0 <= spec.multiplier < 1 << 31):
        raise Fallback("SOFTMAX: int16 input scaling outside a non-negative multiplier with a shift in [-31, 30]")
    if row_length > MAX_INT16_ROW:
        raise Fallback(f"SOFTMAX: int16 rows longer than {MAX_INT16_ROW} run in NumPy")
    tables = [contiguous(t, np.int16) for t in (spec.exp_lut, spec.reciprocal_lut)]
    if any(t.shape != (LUT_ENTRIES,) for t in tables):
        raise Fallback(f"SOFTMAX: lookup tables of other than {LUT_ENTRIES} entries")
    return SoftmaxS16Params(spec.multiplier, spec.left_shift, address(tables[0]), address(tables[1])), tables


@register_c("SOFTMAX")
class SoftmaxC(CKernel):
    def prepare(self, node: Node, spec: SoftmaxData) -> CCall:
        out_dtype = np.dtype(spec.out_dtype)
        shape = tuple(int(d) for d in node.inputs[0].shape)
        rows, row_length = rows_of(shape)
        int8_input = node.inputs[0].type is TensorType.INT8  # (LiteRT's uint8 input runs in NumPy)
        if spec.kind == "int8" and int8_input and out_dtype in INT8_INPUT_FUNCTION:
            in_dtype, name = np.dtype(np.int8), INT8_INPUT_FUNCTION[out_dtype]
            params, tables = int8_input_params(spec)
        elif spec.kind == "int16" and out_dtype == np.int16:
            in_dtype, name = np.dtype(np.int16), "mi_softmax_s16"
            params, tables = int16_input_params(spec, row_length)
        else:
            raise Fallback(f"SOFTMAX: {spec.kind} input runs in NumPy")
        output = np.empty(shape, out_dtype)
        fn = getattr(self.lib, name)
        fn.argtypes = [POINTER(type(params)), c_int32, c_int32, c_void_p, c_void_p]
        head = (ctypes.pointer(params), rows, row_length)
        out = address(output)
        call = SoftmaxCall("SOFTMAX", bound_call(fn, [*head, Input(0), out]), (in_dtype,), (int(np.prod(shape)),), output,
                           [output, head, tables])
        call.spec = spec
        return call
