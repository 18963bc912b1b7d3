"""FULLY_CONNECTED: y = activation(x W^T + b), int8 / int16x8 / float32, and (LiteRT) uint8 with
a weights zero point.

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
    Rescale,
    multiply_by_quantized_multiplier_int64,
    quantize_multiplier,
    wrap_int32,
)
from .registry import TFLM, Kernel, Node, register


@dataclass(frozen=True)
class FullyConnectedData:
    kind: str  # "int8", "int16x8", "uint8", "float32"
    output_shape: tuple[int, ...]
    weights_t: np.ndarray  # (depth, units): float32/float64 holding exact integers, or float32
    bias: np.ndarray | None  # int64 with the input offset folded in (sum_k offset*w[u,k]), or float32
    rescale: Rescale | None  # per output unit (TFLite Micro)
    multiplier: np.ndarray
    shift: np.ndarray
    output_offset: int
    act_min: float
    act_max: float
    wide_accumulator: bool  # int16x8 with 64-bit bias: 64-bit sums (and TFLM's int64 requantizer)
    may_wrap: bool  # the reference's int32 sum can overflow (huge bias): wrap as it does
    real_scale: np.ndarray | None = None  # LiteRT: per-unit scale applied in double, see _scale_in_double


def _types_supported(node: Node) -> bool:
    """Input/output int8 with int8 or int4 weights, int16 with int8 weights, all uint8 (LiteRT), or all float32"""
    x, w = node.input(0), node.input(1)
    y = node.outputs[0]
    if w is None:
        return False
    combos = {
        (TensorType.INT8, TensorType.INT8, TensorType.INT8),
        (TensorType.INT8, TensorType.INT4, TensorType.INT8),
        (TensorType.INT16, TensorType.INT8, TensorType.INT16),
        (TensorType.UINT8, TensorType.UINT8, TensorType.UINT8),
        (TensorType.FLOAT32, TensorType.FLOAT32, TensorType.FLOAT32),
    }
    return (x.type, w.type, y.type) in combos


def _uint8_weights_per_tensor(node: Node) -> bool:
    """uint8 (LiteRT): the weights have one scale and zero point"""
    w = node.input(1)
    if w is None or w.type is not TensorType.UINT8:
        return True
    return w.quantization is not None and len(w.quantization.scale) == 1


def _multiplier_in_range(node: Node) -> bool:
    """uint8 (LiteRT): input scale x weight scale / output scale is below 2**30"""
    x, w, y = node.input(0), node.input(1), node.outputs[0]
    if x.type is not TensorType.UINT8 or not all(float(common.scale_of(t)) > 0 for t in (x, w, y)):
        return True
    return quantize_multiplier(_real_multipliers(x, w, y)[0])[1] <= 30


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


def _bias_scale_matches(node: Node) -> bool:
    """Quantized, with per-tensor weights and a bias: input scale x weight scale and the bias scale differ by at most 0.02 x the output scale (both references check it; a bias without quantization has scale 0, and so has, for LiteRT, a bias with per-channel scales)"""
    x, w, b, y = node.input(0), node.input(1), node.input(2), node.outputs[0]
    if b is None or x is None or x.type is TensorType.FLOAT32 or w is None or w.quantization is None:
        return True
    if len(w.quantization.scale) != 1 or y.quantization is None:
        return True
    # (kernel_util.cc, GetQuantizedConvolutionMultipler with a bias: the scale TfLiteTensor.params
    # holds, which TFLM takes from the first channel and LiteRT leaves 0 for several channels)
    scales = [] if b.quantization is None else list(b.quantization.scale)
    if node.reference != TFLM and len(scales) > 1:
        scales = []
    bias_scale = float(np.float32(scales[0])) if scales else 0.0
    product = float(common.scale_of(x)) * float(common.scale_of(w))
    return abs(product - bias_scale) / float(common.scale_of(y)) <= 0.02


@register("FULLY_CONNECTED", versions=range(1, 14), types=("int8", "int4x8", "int16x8", "uint8", "float32"))
class FullyConnected(Kernel):
    constraints = (
        _types_supported,
        common.tflm_refuses_uint8,
        _constant_weights,
        _weights_2d,
        _default_weights_format,
        _int4_weights_quantized,
        _int4_per_tensor_for_tflm,
        common.supported_activation,
        common.quantized_tensors_have_parameters,
        common.uint8_tensors_have_parameters,
        _uint8_weights_per_tensor,
        _bias_scale_matches,
        _multiplier_in_range,
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
        reals = _real_multipliers(x, w, y)
        multipliers = [quantize_multiplier(m) for m in reals]
        units, depth = w.shape
        multiplier = np.broadcast_to(np.array([m for m, _ in multipliers], np.int64), units)
        shift = np.broadcast_to(np.array([s for _, s in multipliers], np.int64), units)
        weights = np.asarray(w.data, np.int64) - common.zero_point_of(w)
        input_offset = -common.zero_point_of(x)
        bias = np.zeros(units, np.int64) if b is None else np.asarray(b.data, np.int64).copy()
        bias += input_offset * weights.sum(axis=1)  # (x + offset).w = x.w + offset*sum(w)
        max_input = {TensorType.INT16: 1 << 15, TensorType.UINT8: 255}.get(x.type, 1 << 7)
        max_weight = int(np.abs(weights).max(initial=0))
        bound = depth * (max_input + abs(input_offset)) * max_weight + int(np.abs(bias).max(initial=0))
        lo, hi = common.activation_range_quantized(activation, y)
        wide = x.type is TensorType.INT16 and (b is None or b.type is TensorType.INT64)
        # LiteRT scales int8/int16 sums in double; its legacy uint8 kernel uses the fixed-point
        # multiplier as TFLite Micro does.
        litert = node.reference != TFLM and x.type is not TensorType.UINT8
        return FullyConnectedData(
            kind={TensorType.INT16: "int16x8", TensorType.UINT8: "uint8"}.get(x.type, "int8"),
            output_shape=y.shape,
            weights_t=np.ascontiguousarray(weights.T.astype(_exact_dtype(depth * max_input * max_weight))),
            bias=bias,
            rescale=None if litert else Rescale.of(multiplier, shift, DOUBLE),
            multiplier=multiplier,
            shift=shift,
            output_offset=common.zero_point_of(y),
            act_min=lo,
            act_max=hi,
            wide_accumulator=wide,
            may_wrap=not wide and bound >= 1 << 31,
            real_scale=np.broadcast_to(np.array(reals, np.float64), units).copy() if litert else None,
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
        if data.may_wrap:
            acc = wrap_int32(acc)
        if data.real_scale is not None:
            out = wrap_int32(_scale_in_double(acc, data.real_scale) + data.output_offset)
        elif data.wide_accumulator:
            out = multiply_by_quantized_multiplier_int64(acc, data.multiplier, data.shift) + data.output_offset
        else:
            out = data.rescale(acc) + data.output_offset
        out = np.clip(out, data.act_min, data.act_max)
        dtype = {"int16x8": np.int16, "uint8": np.uint8}.get(data.kind, np.int8)
        return [out.astype(dtype).reshape(data.output_shape)]


def _scale_in_double(acc: np.ndarray, real_scale: np.ndarray) -> np.ndarray:
    """LiteRT 2.3.0's reference FULLY_CONNECTED (int8 and int16x8, per tensor and per channel:
    the reference_integer_ops::FullyConnected / FullyConnectedPerChannel overloads that take the
    float scales) scales each sum as ``static_cast<int32_t>(round(double(acc) * real_scale))``.
    Ties round away from zero, a 64-bit sum is scaled without being cut to 32 bits, and a result
    outside int32 converts to INT32_MIN as x86's cvttsd2si does; the caller then adds the output
    zero point with int32 wrap-around."""
    scaled = acc.astype(np.float64) * real_scale
    magnitude = np.abs(scaled)
    whole = np.floor(magnitude)
    rounded = np.copysign(whole + (magnitude - whole >= 0.5), scaled)  # std::round
    in_range = (rounded >= -(2.0**31)) & (rounded < 2.0**31)
    return np.where(in_range, rounded, -(2.0**31)).astype(np.int64)


def _exact_dtype(largest_sum: int) -> type:
    if largest_sum < 1 << 24:
        return np.float32
    if largest_sum < 1 << 53:
        return np.float64
    raise ValueError("FULLY_CONNECTED: sums too large to accumulate exactly")


def _real_multipliers(x, w, y) -> list[float]:
    """input_scale * weight_scale / output_scale, per channel or per tensor, in double (uint8:
    the two scales multiplied in float32 first, as LiteRT's legacy kernel does)."""
    if x.type is TensorType.UINT8:
        return [common.uint8_real_multiplier(x, w, y)]
    input_scale = float(common.scale_of(x))
    output_scale = float(common.scale_of(y))
    return [input_scale * float(s) / output_scale for s in common.channel_scales(w)]
