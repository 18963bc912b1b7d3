"""What CONV_2D and DEPTHWISE_CONV_2D bindings share: checked dims, filter, biases, the call."""

from __future__ import annotations

import ctypes
from ctypes import POINTER, c_int32

import numpy as np

from ..kernels._conv_util import Requantizer
from ..kernels.fixedpoint import wrap_int32
from . import binding
from .binding import CCall, one_input_call, Fallback, accumulator_bound, address, contiguous, dims, pointers, \
    requant, scratch
from .structs import Activation, Dims, Tile, kernel_argtypes, kernel_argtypes_s16


def activation(q: Requantizer) -> Activation:
    return Activation(int(q.act_min), int(q.act_max))


def conv_tiles(stride, pad, dilation) -> tuple[Tile, Tile, Tile]:
    """(stride, padding, dilation), each (height, width)."""
    if min(*stride, *dilation) < 1 or min(pad) < 0:
        raise Fallback(f"stride {stride}, dilation {dilation} or padding {pad} out of range")
    return Tile(*stride), Tile(*pad), Tile(*dilation)


def check_window(op: str, kernel, output_hw, stride, pad, dilation) -> None:
    """Every input coordinate the kernel computes (output * stride - pad + tap * dilation), and
    every step of it, fits the C kernel's int32 arithmetic."""
    if min(*stride, *dilation) < 1 or min(pad) < 0:
        raise Fallback(f"{op}: stride {stride}, dilation {dilation} or padding {pad} out of range")
    for k, out, s, p, d in zip(kernel, output_hw, stride, pad, dilation):
        if (out - 1) * s + (k - 1) * d + p + 1 >= binding.INT32_LIMIT:
            raise Fallback(f"{op}: strides and dilations reach beyond the C kernel's int32 arithmetic")


def bias_arrays(q: Requantizer, int16: bool) -> tuple:
    """The bias arguments of the C call: (bias32,) for int8; (bias64, bias32, wide) for int16x8."""
    if not int16:
        return (None if q.bias is None else contiguous(q.bias, np.int32),)
    if q.wide:
        return (None if q.bias is None else contiguous(q.bias, np.int64), None, 1)
    return (None, None if q.bias is None else contiguous(q.bias, np.int32), 0)


def folded_bias(q: Requantizer, input_offset: int, channel_weights: np.ndarray) -> np.ndarray:
    """bias[c] + input_offset * sum(channel_weights[c]), wrapped to int32 (CMSIS-NN's kernel sums,
    computed once here): with it the int8 kernels sum raw products; the reference's int32 sum
    wraps the same way, so the wrapped sums agree."""
    sums = np.asarray(channel_weights, np.int64).reshape(channel_weights.shape[0], -1).sum(axis=1)
    bias = np.zeros(sums.shape, np.int64) if q.bias is None else np.asarray(q.bias, np.int64).reshape(-1)
    if bias.shape != sums.shape:
        raise Fallback(f"{bias.size} biases for {sums.size} output channels")
    return contiguous(wrap_int32(bias + input_offset * sums), np.int32)


class ConvFamilyCall:
    """The checked tensors of one convolution node, turned into one prepared C call."""

    def __init__(self, lib: ctypes.CDLL, op: str, input_shape, filter_shape, output_shape, int16: bool,
                 filter_data, window: tuple | None = None):
        shapes = (tuple(input_shape), tuple(filter_shape), tuple(output_shape))
        if any(len(s) != 4 or min(s) < 1 for s in shapes):
            raise Fallback(f"{op}: shapes {shapes} are not non-empty 4-D shapes")
        if window is not None:
            check_window(op, shapes[1][1:3], shapes[2][1:3], *window)
        self.lib, self.op, self.int16 = lib, op, int16
        self.input_size = int(np.prod(input_shape))
        self.in_dims, self.filter_dims, self.out_dims = (dims(s) for s in shapes)
        self.filter = contiguous(filter_data, np.int8)
        if self.filter.shape != shapes[1]:
            raise Fallback(f"{op}: filter data {self.filter.shape} does not match its shape {shapes[1]}")
        self.channels = shapes[2][3]
        self.output = np.empty(shapes[2], np.int16 if int16 else np.int8)

    def require_sum_bound(self, terms: int, largest_product: int) -> None:
        binding.require_sum_bound(self.op, terms, largest_product)

    @staticmethod
    def size_argtypes(params_type) -> list:
        if params_type is None:
            return [POINTER(Dims)]
        return [POINTER(params_type), POINTER(Dims), POINTER(Dims), POINTER(Dims)]

    def size_args(self, params) -> list:
        return pointers(params, self.in_dims, self.filter_dims, self.out_dims)

    def output_dims_pointer(self):
        return ctypes.pointer(self.out_dims)

    def fold_offset(self, params, q: Requantizer, input_offset: int, channel_weights: np.ndarray) -> None:
        """int8: gives ``params`` its folded bias (kept alive with the call) and bounds the
        accumulators for the requantizer's fast form. ``channel_weights``: one row per output channel."""
        self.folded = folded_bias(q, input_offset, channel_weights)
        params.folded_bias = self.folded.ctypes.data
        self.accumulator_bound = accumulator_bound(q.bias, channel_weights, input_offset)

    def finish(self, function: str, params, q: Requantizer, *biases, scratch_size: int) -> CCall:
        for bias in biases:
            if isinstance(bias, np.ndarray) and bias.size != self.channels:
                raise Fallback(f"{self.op}: {bias.size} biases for {self.channels} output channels")
        quant, quant_arrays = requant(q.multiplier, q.shift, self.channels, wide=self.int16 and q.wide,
                                      accumulator_bound=getattr(self, "accumulator_bound", None))
        context, buffer = scratch(int(scratch_size))
        fn = getattr(self.lib, function)
        fn.argtypes = (kernel_argtypes_s16 if self.int16 else kernel_argtypes)(type(params))
        fn.restype = c_int32
        head = pointers(context, params, quant, self.in_dims)
        bias_args = [address(b) if isinstance(b, np.ndarray) or b is None else b for b in biases]
        tail = (ctypes.pointer(self.filter_dims), address(self.filter), *bias_args, ctypes.pointer(self.out_dims),
                address(self.output))
        keep = [self.filter, quant_arrays, buffer, biases, head, tail, params, getattr(self, "folded", None)]
        return CCall(self.op, one_input_call(fn, head, tail), (np.dtype(np.int16 if self.int16 else np.int8),),
                     (self.input_size,), self.output, keep)
