"""FULLY_CONNECTED: y = activation(x W^T + b), int8 / int16x8 / float32, hybrid, and (LiteRT)
uint8 with a weights zero point.

int8 activations may also come with int4 weights (TensorType.INT4, two values a byte): the loader
unpacks them to int8 values as both references do before running their int8 kernel, so the
arithmetic is that of int8 weights.

Hybrid (dynamic-range) layers take float32 input and output with int8 (or int4) weights: LiteRT
quantizes each input row at run time (see :mod:`._hybrid`); TFLite Micro cannot run them.

Weights and bias may be computed at run time (by an earlier operator, or model inputs): both
references read them when the layer runs, so what prepare derives from constant weights (the
input offset folded into the bias, the transposed weights) is then derived in eval; the
requantization still comes from the tensors' quantization, which is static.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import ActivationFunction, TensorType
from . import _conv_util as cu
from . import _float_sums, _hybrid, common
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
    # Weights or bias computed at run time: eval derives weights_t and bias from them.
    runtime_weights: bool = False
    runtime_bias: bool = False
    weights_zero_point: int = 0
    input_offset: int = 0
    weights_dtype: type = np.float64


@dataclass(frozen=True)
class HybridFullyConnectedData:
    """Float32 input and output, int8 weights: LiteRT's EvalHybrid."""

    output_shape: tuple[int, ...]
    depth: int
    product: _hybrid.SseMatrixProduct | None  # None: weights computed at run time
    filter_scale: np.ndarray  # float32: one scale, or one per unit
    bias: np.ndarray | None  # float32 (None: no bias, or computed at run time)
    runtime_bias: bool
    asymmetric: bool
    activation: ActivationFunction


_COMBOS = {
    (TensorType.INT8, TensorType.INT8, TensorType.INT8),
    (TensorType.INT8, TensorType.INT4, TensorType.INT8),
    (TensorType.INT16, TensorType.INT8, TensorType.INT16),
    (TensorType.UINT8, TensorType.UINT8, TensorType.UINT8),  # LiteRT
    (TensorType.FLOAT32, TensorType.FLOAT32, TensorType.FLOAT32),
    (TensorType.FLOAT32, TensorType.INT8, TensorType.FLOAT32),  # hybrid
    (TensorType.FLOAT32, TensorType.INT4, TensorType.FLOAT32),  # hybrid
}


def _types_supported(node: Node) -> bool:
    """Input/output int8 with int8 or int4 weights, int16 with int8 weights, all uint8 (LiteRT), all float32, or float32 with int8 or int4 weights (hybrid)"""
    x, w = node.input(0), node.input(1)
    y = node.outputs[0]
    if w is None:
        return False
    return (x.type, w.type, y.type) in _COMBOS


def _is_hybrid(node: Node) -> bool:
    return _hybrid.is_hybrid(node)


def _hybrid_asymmetric_constant(node: Node) -> bool:
    """Hybrid with asymmetric_quantize_inputs: the weights are constant (LiteRT keeps the weight row sums of its first run)"""
    w = node.input(1)
    return not (_is_hybrid(node) and node.options.asymmetric_quantize_inputs) or w.is_constant


def _hybrid_quantization(node: Node) -> bool:
    """Hybrid: the weights have one scale, or one per unit (dimension 0), and the bias, when given, is float32"""
    if not _is_hybrid(node):
        return True
    w, b = node.input(1), node.input(2)
    if b is not None and b.type is not TensorType.FLOAT32:
        return False
    q = w.quantization
    if q is None or len(q.scale) == 0:
        return False
    return len(q.scale) == 1 or (len(w.shape) == 2 and q.quantized_dimension == 0 and len(q.scale) == w.shape[0])


def _activation_supported(node: Node) -> bool:
    """The fused activation is NONE, RELU, RELU_N1_TO_1 or RELU6 (hybrid: also TANH or SIGN_BIT)"""
    activation = node.options.fused_activation_function
    if _is_hybrid(node):
        return activation in _hybrid.HYBRID_ACTIVATIONS
    return common.supported_activation(node)


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


def _tflm_int8_multipliers_in_range(node: Node) -> bool:
    """With reference='tflm', int8: input scale x weight scale / output scale is below 2**30 for every unit (TFLite Micro shifts the int32 sum left by its exponent; LiteRT scales in double)"""
    x, w, y = node.input(0), node.input(1), node.outputs[0]
    if node.reference != TFLM or x.type is not TensorType.INT8 or y.type is not TensorType.INT8:
        return True
    if w is None or w.quantization is None or not _weights_2d(node) or not _weight_scale_count(node):
        return True  # refused by those constraints
    return cu.multipliers_in_range(x, w, y, w.shape[0], False)


def _uint8_shifted_sums_fit(node: Node) -> bool:
    """uint8 (LiteRT): where input scale x weight scale / output scale is 1 or more, every sum shifted left by the multiplier's exponent fits in int32 (LiteRT's legacy kernel overflows there, with an undefined result)"""
    x, w, b, y = node.input(0), node.input(1), node.input(2), node.outputs[0]
    if x.type is not TensorType.UINT8 or not all(float(common.scale_of(t)) > 0 for t in (x, w, y)):
        return True
    if not _weights_2d(node) or not _multiplier_in_range(node):
        return True  # left to those constraints
    shift = quantize_multiplier(_real_multipliers(x, w, y)[0])[1]
    if shift <= 0:
        return True
    x_zero, w_zero = common.zero_point_of(x), common.zero_point_of(w)
    largest_input = max(x_zero, 255 - x_zero)
    units, depth = w.shape
    if w.is_constant:
        weight_sums = np.abs(np.asarray(w.data, np.int64) - w_zero).sum(axis=1)
    else:
        weight_sums = np.full(units, depth * max(w_zero, 255 - w_zero), np.int64)
    if b is None:
        bias = np.zeros(units, np.int64)
    elif b.is_constant:
        bias = np.abs(np.asarray(b.data, np.int64).reshape(-1))
    else:
        bias = np.full(units, 1 << 31, np.int64)
    largest_sum = int((largest_input * weight_sums + bias).max(initial=0))
    return largest_sum << shift < 1 << 31


def _weights_2d(node: Node) -> bool:
    """Weights are 2-D (units, depth) and the input's element count is a multiple of depth"""
    w = node.input(1)
    x = node.input(0)
    return w is not None and len(w.shape) == 2 and w.shape[1] > 0 and x.num_elements % w.shape[1] == 0


def _output_shape(node: Node) -> bool:
    """The output's last dimension is the weights' units and it holds one row per input row (with keep_num_dims: the input's shape with units last)"""
    x, w, y = node.input(0), node.input(1), node.outputs[0]
    if not _weights_2d(node) or not y.shape:
        return True  # refused for its weights
    units, depth = w.shape
    rows = x.num_elements // depth
    if node.options.keep_num_dims and tuple(y.shape) != (*x.shape[:-1], units):
        return False
    return y.shape[-1] == units and y.num_elements == rows * units


def _bias_size(node: Node) -> bool:
    """The bias, when given, has one element per unit"""
    w, b = node.input(1), node.input(2)
    return b is None or not _weights_2d(node) or b.num_elements == w.shape[0]


_BIAS_TYPES = {TensorType.INT8: (TensorType.INT32,), TensorType.UINT8: (TensorType.INT32,),
               TensorType.INT16: (TensorType.INT64, TensorType.INT32), TensorType.FLOAT32: (TensorType.FLOAT32,)}


def _bias_type(node: Node) -> bool:
    """The bias, when given, is int32 (int8 and uint8 inputs), int64 or int32 (int16) or float32 (float32, hybrid): the type the kernels read"""
    x, b = node.input(0), node.input(2)
    return b is None or b.type in _BIAS_TYPES.get(x.type, (b.type,))


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


def _weight_scale_count(node: Node) -> bool:
    """Quantized weights carry one scale, or one per unit (both references read a scale per unit when there are several)"""
    w = node.input(1)
    if w is None or w.quantization is None or not _weights_2d(node):
        return True
    return len(w.quantization.scale) in (0, 1, w.shape[0])


def _bias_scale_matches(node: Node) -> bool:
    """Quantized, with per-tensor weights and a bias: input scale x weight scale and the bias scale differ by at most 0.02 x the output scale (both references check it; a bias without quantization has scale 0, and so has, for LiteRT, a bias with per-channel scales)"""
    x, w, b, y = node.input(0), node.input(1), node.input(2), node.outputs[0]
    if b is None or x is None or x.type is TensorType.FLOAT32 or w is None or w.quantization is None:
        return True  # (float32 and hybrid layers have float32 biases)
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


@register("FULLY_CONNECTED", versions=range(1, 14), types=("int8", "int4x8", "int16x8", "uint8", "float32", "hybrid"),
          inputs=(2, 3), outputs=1, optional_inputs=(2,))
class FullyConnected(Kernel):
    constraints = (
        _types_supported,
        _hybrid.needs_litert(),
        common.tflm_refuses_uint8,
        common.weights_and_bias_available("Weights", "weights"),
        _hybrid_asymmetric_constant,
        _weights_2d,
        _weight_scale_count,
        _tflm_int8_multipliers_in_range,
        _output_shape,
        _bias_size,
        _bias_type,
        _default_weights_format,
        _int4_weights_quantized,
        _int4_per_tensor_for_tflm,
        _hybrid_quantization,
        _activation_supported,
        common.quantized_tensors_have_parameters,
        _uint8_weights_per_tensor,
        _bias_scale_matches,
        _multiplier_in_range,
        _uint8_shifted_sums_fit,
    )

    def prepare(self, node: Node) -> FullyConnectedData | HybridFullyConnectedData:
        x, w, b = node.input(0), node.input(1), node.input(2)
        y = node.outputs[0]
        activation = node.options.fused_activation_function
        if _is_hybrid(node):
            return _prepare_hybrid(node)
        runtime_weights, runtime_bias = not w.is_constant, b is not None and not b.is_constant
        if x.type is TensorType.FLOAT32:
            lo, hi = common.activation_min_max_float(activation)
            weights_t = None if runtime_weights else np.ascontiguousarray(np.asarray(w.data, np.float32).T)
            bias = None if b is None or runtime_bias else np.asarray(b.data, np.float32).reshape(-1)
            return FullyConnectedData(
                "float32", y.shape, weights_t, bias, None, np.zeros(0), np.zeros(0), 0, lo, hi, False, False,
                runtime_weights=runtime_weights, runtime_bias=runtime_bias,
            )
        reals = _real_multipliers(x, w, y)
        multipliers = [quantize_multiplier(m) for m in reals]
        units, depth = w.shape
        multiplier = np.broadcast_to(np.array([m for m, _ in multipliers], np.int64), units)
        shift = np.broadcast_to(np.array([s for _, s in multipliers], np.int64), units)
        input_offset = -common.zero_point_of(x)
        max_input = {TensorType.INT16: 1 << 15, TensorType.UINT8: 255}.get(x.type, 1 << 7)
        if runtime_weights or runtime_bias:
            weights_t, bias = None, None
            max_weight, may_wrap = 255, True  # wrapping a sum that does not overflow changes nothing
        else:
            weights_t, bias = _integer_terms(w.data, _weights_zero_point(w), input_offset, None if b is None else b.data,
                                             np.float64)
            max_weight = int(np.abs(weights_t).max(initial=0))
            bound = depth * (max_input + abs(input_offset)) * max_weight + int(np.abs(bias).max(initial=0))
            may_wrap = bound >= 1 << 31
        weights_dtype = _exact_dtype(depth * max_input * max_weight)
        lo, hi = common.activation_range_quantized(activation, y)
        wide = x.type is TensorType.INT16 and (b is None or b.type is TensorType.INT64)
        # LiteRT scales int8/int16 sums in double; its legacy uint8 kernel uses the fixed-point
        # multiplier as TFLite Micro does.
        litert = node.reference != TFLM and x.type is not TensorType.UINT8
        return FullyConnectedData(
            kind={TensorType.INT16: "int16x8", TensorType.UINT8: "uint8"}.get(x.type, "int8"),
            output_shape=y.shape,
            weights_t=None if weights_t is None else np.ascontiguousarray(weights_t.astype(weights_dtype)),
            bias=bias,
            rescale=None if litert else Rescale.of(multiplier, shift, DOUBLE),
            multiplier=multiplier,
            shift=shift,
            output_offset=common.zero_point_of(y),
            act_min=lo,
            act_max=hi,
            wide_accumulator=wide,
            may_wrap=not wide and may_wrap,
            real_scale=np.broadcast_to(np.array(reals, np.float64), units).copy() if litert else None,
            runtime_weights=runtime_weights,
            runtime_bias=runtime_bias,
            weights_zero_point=_weights_zero_point(w),
            input_offset=input_offset,
            weights_dtype=weights_dtype,
        )

    def eval(self, data, inputs):
        if isinstance(data, HybridFullyConnectedData):
            return [_eval_hybrid(data, inputs)]
        weights_t, bias = data.weights_t, data.bias
        if data.kind == "float32":
            if data.runtime_weights:
                weights_t = np.ascontiguousarray(inputs[1].astype(np.float32).T)
            if data.runtime_bias and len(inputs) > 2:
                bias = inputs[2].astype(np.float32).reshape(-1)
            rows = inputs[0].reshape(-1, weights_t.shape[0]).astype(np.float32)
            # Both references: total += x[b, k] * w[u, k] in ascending k, then + bias, then clamp.
            sums = _float_sums.dot(rows.T[:, :, None], weights_t[:, None, :])
            return [common.float_bias_and_clamp(sums, bias, data.act_min, data.act_max).reshape(data.output_shape)]
        if data.runtime_weights or data.runtime_bias:
            bias_values = inputs[2] if len(inputs) > 2 else None
            weights_t, bias = _integer_terms(inputs[1], data.weights_zero_point, data.input_offset, bias_values,
                                             data.weights_dtype)
        rows = inputs[0].reshape(-1, weights_t.shape[0])
        # Integer products summed in floating point are exact while below 2**24 (float32) or
        # 2**53 (float64), so BLAS does the multiply-accumulates.
        acc = (rows.astype(weights_t.dtype) @ weights_t).astype(np.int64) + bias
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


def _weights_zero_point(w) -> int:
    """The offset the references take off every weight: a per-tensor zero point; none for weights
    quantized per channel (both references' per-channel kernels ignore the zero points, measured)."""
    if w.quantization is not None and len(w.quantization.scale) > 1:
        return 0
    return common.zero_point_of(w)


def _integer_terms(weights, weights_zero_point: int, input_offset: int, bias, dtype) -> tuple[np.ndarray, np.ndarray]:
    """(weights - zero point) transposed to (depth, units) in ``dtype``, and the int64 bias with
    the input offset folded in: (x + offset).w = x.w + offset * sum(w)."""
    w = np.asarray(weights, np.int64) - weights_zero_point
    folded = np.zeros(w.shape[0], np.int64) if bias is None else np.asarray(bias, np.int64).reshape(-1).copy()
    folded += input_offset * w.sum(axis=1)
    return np.ascontiguousarray(w.T.astype(dtype)), folded


def _prepare_hybrid(node: Node) -> HybridFullyConnectedData:
    x, w, b, y = node.input(0), node.input(1), node.input(2), node.outputs[0]
    return HybridFullyConnectedData(
        output_shape=y.shape,
        depth=w.shape[1],
        product=_hybrid.SseMatrixProduct.of(w.data) if w.is_constant else None,
        filter_scale=common.channel_scales(w),
        bias=None if b is None or not b.is_constant else np.asarray(b.data, np.float32),
        runtime_bias=b is not None and not b.is_constant,
        asymmetric=bool(node.options.asymmetric_quantize_inputs),
        activation=node.options.fused_activation_function,
    )


def _eval_hybrid(data: HybridFullyConnectedData, inputs) -> np.ndarray:
    """LiteRT's EvalHybridDense: quantize each row, int32 sums, bias + sum * scale, activation."""
    x = inputs[0].reshape(-1, data.depth)
    bias = inputs[2].astype(np.float32) if data.runtime_bias else data.bias
    units = data.output_shape[-1]
    out = np.zeros((x.shape[0], units), np.float32) if bias is None else np.tile(bias, (x.shape[0], 1))
    if x.any():  # LiteRT leaves the output at the bias when the whole input is zero
        rows = _hybrid.quantize_rows(x, data.asymmetric)
        product = data.product or _hybrid.SseMatrixProduct.of(inputs[1])
        if len(data.filter_scale) == 1:
            scale = (rows.scale * data.filter_scale[0]).astype(np.float32)[:, None]
        else:
            scale = (data.filter_scale[None, :] * rows.scale[:, None]).astype(np.float32)
        out = (out + (product(rows).astype(np.float32) * scale).astype(np.float32)).astype(np.float32)
    return _hybrid.apply_activation(out, data.activation).reshape(data.output_shape)


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
