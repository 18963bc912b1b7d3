"""FULLY_CONNECTED: y = activation(x W^T + b), int8 / int16x8 / float32.

int8 activations may also come with int4 weights (TensorType.INT4, two values a byte): the loader
unpacks them to int8 values as both references do before running their int8 kernel, so the
arithmetic is that of int8 weights.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType
from . import common
from .fixedpoint import (
    DOUBLE,
    SINGLE,
    Rescale,
    multiply_by_quantized_multiplier_int64,
    quantize_multiplier,
    wrap_int32,
)
from .registry import TFLM, Kernel, Node, register


@dataclass(frozen=True)
class FullyConnectedData:
    kind: str  # "int8", "int16x8", "float32"
    output_shape: tuple[int, ...]
    weights_t: np.ndarray  # (depth, units): float32/float64 holding exact integers, or float32
    bias: np.ndarray | None  # int64 with the input offset folded in (sum_k offset*w[u,k]), or float32
    rescale: Rescale | None  # per output unit
    multiplier: np.ndarray
    shift: np.ndarray
    output_offset: int
    act_min: float
    act_max: float
    wide_accumulator: bool  # int16x8 with 64-bit bias: 64-bit sums and the int64 requantizer
    may_wrap: bool  # the reference's int32 sum can overflow (huge bias): wrap as it does
    overflow_to_min: bool = False  # LiteRT, multiplier above 1: see _overflowed_to_int32_min


def _types_supported(node: Node) -> bool:
    """Input/output int8 with int8 or int4 weights, int16 with int8 weights, or all float32"""
    x, w = node.input(0), node.input(1)
    y = node.outputs[0]
    if w is None:
        return False
    combos = {
        (TensorType.INT8, TensorType.INT8, TensorType.INT8),
        (TensorType.INT8, TensorType.INT4, TensorType.INT8),
        (TensorType.INT16, TensorType.INT8, TensorType.INT16),
        (TensorType.FLOAT32, TensorType.FLOAT32, TensorType.FLOAT32),
    }
    return (x.type, w.type, y.type) in combos


def _constant_weights(node: Node) -> bool:
    """Weights (and bias, when given) are constant tensors"""
    return all(t is None or t.is_constant for t in node.inputs[1:3])


def _weights_2d(node: Node) -> bool:
    """Weights are 2-D (units, depth) and the input's element count is a multiple of depth"""
    w = node.input(1)
    x = node.input(0)
    return w is not None and len(w.shape) == 2 and w.shape[1] > 0 and x.num_elements % w.shape[1] == 0


def _default_weights_format(node: Node) -> bool:
    """Weights use the default (not shuffled) format"""
    return int(node.options.weights_format) == 0


def _int4_weights_quantized(node: Node) -> bool:
    """int4 weights carry quantization parameters"""
    w = node.input(1)
    if w is None or w.type is not TensorType.INT4:
        return True
    return w.quantization is not None and len(w.quantization.scale) > 0


def _int4_per_tensor_for_tflm(node: Node) -> bool:
    """TFLite Micro: int4 weights are quantized per tensor (it fails to prepare per-channel int4 weights)"""
    w = node.input(1)
    if node.reference != TFLM or w is None or w.type is not TensorType.INT4 or w.quantization is None:
        return True
    return len(w.quantization.scale) == 1


@register("FULLY_CONNECTED", versions=range(1, 14), types=("int8", "int4x8", "int16x8", "float32"))
class FullyConnected(Kernel):
    constraints = (
        _types_supported,
        _constant_weights,
        _weights_2d,
        _default_weights_format,
        _int4_weights_quantized,
        _int4_per_tensor_for_tflm,
        common.supported_activation,
        common.quantized_tensors_have_parameters,
    )

    def prepare(self, node: Node) -> FullyConnectedData:
        x, w, b = node.input(0), node.input(1), node.input(2)
        y = node.outputs[0]
        activation = node.options.fused_activation_function
        if x.type is TensorType.FLOAT32:
            lo, hi = common.activation_range_float(activation)
            bias = None if b is None else np.asarray(b.data, np.float32)
            return FullyConnectedData(
                "float32", y.shape, np.ascontiguousarray(np.asarray(w.data, np.float32).T), bias,
                None, np.zeros(0), np.zeros(0), 0, lo, hi, False, False,
            )
        rounding = _rounding(node)
        multipliers = [
            quantize_multiplier(m, single_rounding=rounding == SINGLE) for m in _real_multipliers(x, w, y)
        ]
        units, depth = w.shape
        multiplier = np.broadcast_to(np.array([m for m, _ in multipliers], np.int64), units)
        shift = np.broadcast_to(np.array([s for _, s in multipliers], np.int64), units)
        weights = np.asarray(w.data, np.int64) - common.zero_point_of(w)
        input_offset = -common.zero_point_of(x)
        bias = np.zeros(units, np.int64) if b is None else np.asarray(b.data, np.int64).copy()
        bias += input_offset * weights.sum(axis=1)  # (x + offset).w = x.w + offset*sum(w)
        max_input = 1 << (15 if x.type is TensorType.INT16 else 7)
        max_weight = int(np.abs(weights).max(initial=0))
        bound = depth * (max_input + abs(input_offset)) * max_weight + int(np.abs(bias).max(initial=0))
        lo, hi = common.activation_range_quantized(activation, y)
        wide = x.type is TensorType.INT16 and (b is None or b.type is TensorType.INT64)
        return FullyConnectedData(
            kind="int16x8" if x.type is TensorType.INT16 else "int8",
            output_shape=y.shape,
            weights_t=np.ascontiguousarray(weights.T.astype(_exact_dtype(depth * max_input * max_weight))),
            bias=bias,
            rescale=Rescale.of(multiplier, shift, rounding),
            multiplier=multiplier,
            shift=shift,
            output_offset=common.zero_point_of(y),
            act_min=lo,
            act_max=hi,
            wide_accumulator=wide,
            may_wrap=not wide and bound >= 1 << 31,
            overflow_to_min=not wide and rounding == SINGLE and int(shift.max(initial=0)) > 0,
        )

    def eval(self, data: FullyConnectedData, inputs):
        rows = inputs[0].reshape(-1, data.weights_t.shape[0])
        if data.kind == "float32":
            out = rows.astype(np.float32) @ data.weights_t
            if data.bias is not None:
                out = out + data.bias
            return [np.clip(out, data.act_min, data.act_max).astype(np.float32).reshape(data.output_shape)]
        # Integer products summed in floating point are exact while below 2**24 (float32) or
        # 2**53 (float64), so BLAS does the multiply-accumulates.
        acc = (rows.astype(data.weights_t.dtype) @ data.weights_t).astype(np.int64) + data.bias
        if data.wide_accumulator:
            scaled = multiply_by_quantized_multiplier_int64(acc, data.multiplier, data.shift)
        else:
            scaled = data.rescale(wrap_int32(acc) if data.may_wrap else acc)
            if data.overflow_to_min:
                out = np.clip(_overflowed_to_int32_min(scaled, data.output_offset), data.act_min, data.act_max)
                dtype = np.int16 if data.kind == "int16x8" else np.int8
                return [out.astype(dtype).reshape(data.output_shape)]
        out = np.clip(scaled + data.output_offset, data.act_min, data.act_max)
        dtype = np.int16 if data.kind == "int16x8" else np.int8
        return [out.astype(dtype).reshape(data.output_shape)]


def _rounding(node: Node) -> str:
    """TFLite Micro requantizes with double rounding. LiteRT's reference FULLY_CONNECTED uses
    single rounding (measured on ai-edge-litert 2.3.0), unlike its convolution, pooling,
    softmax, element-wise and recurrent kernels, which use double rounding as TFLite Micro does."""
    return DOUBLE if node.reference == TFLM else SINGLE


def _overflowed_to_int32_min(scaled: np.ndarray, offset: int) -> np.ndarray:
    """LiteRT 2.3.0 (single rounding, multiplier above 1): a rescaled sum outside int32 comes out
    as INT32_MIN (like an out-of-range conversion on x86), and adding the output zero point then
    wraps in int32. Measured: with a negative zero point an overflow, whatever its sign, gives the
    top of the range, otherwise the bottom."""
    in_range = (scaled >= -(1 << 31)) & (scaled < (1 << 31))
    return wrap_int32(np.where(in_range, scaled, -(1 << 31)) + offset)


def _exact_dtype(largest_sum: int) -> type:
    if largest_sum < 1 << 24:
        return np.float32
    if largest_sum < 1 << 53:
        return np.float64
    raise ValueError("FULLY_CONNECTED: sums too large to accumulate exactly")


def _real_multipliers(x, w, y) -> list[float]:
    """input_scale * weight_scale / output_scale, per channel or per tensor, in double."""
    input_scale = float(common.scale_of(x))
    output_scale = float(common.scale_of(y))
    return [input_scale * float(s) / output_scale for s in common.channel_scales(w)]
