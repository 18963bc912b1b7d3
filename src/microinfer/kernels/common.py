"""Helpers shared by kernels: quantization parameters, activation ranges, common constraints."""

from __future__ import annotations

import numpy as np

from ..tflite.model import Tensor
from ..tflite.types import ActivationFunction, TensorType
from .registry import TFLM, Node

INTEGER_RANGE = {
    TensorType.INT8: (-128, 127),
    TensorType.UINT8: (0, 255),
    TensorType.INT16: (-32768, 32767),
    TensorType.INT32: (-(1 << 31), (1 << 31) - 1),
}


def scale_of(t: Tensor) -> np.float32:
    return np.float32(t.quantization.scale[0]) if t.quantization is not None and len(t.quantization.scale) else np.float32(0)


def zero_point_of(t: Tensor) -> int:
    q = t.quantization
    return int(q.zero_point[0]) if q is not None and len(q.zero_point) else 0


def channel_scales(t: Tensor) -> np.ndarray:
    return np.asarray(t.quantization.scale, dtype=np.float32)


def round_half_away(x: float) -> int:
    """std::round for one value."""
    return int(np.floor(abs(x) + 0.5)) * (1 if x >= 0 else -1)


def std_round(values) -> np.ndarray:
    """``std::round`` (``roundf``) of float32 values, half away from zero, as float64 integers
    (exact: float64 holds x + 0.5)."""
    v = np.asarray(values, dtype=np.float64)
    return np.trunc(v + np.copysign(0.5, v))


def roundf_to_int32(values) -> np.ndarray:
    """``(int32_t)roundf(v)`` of float32 values, as int64: half away from zero, and INT32_MIN where
    x86's conversion overflows (beyond int32, NaN)."""
    with np.errstate(invalid="ignore"):
        rounded = std_round(np.asarray(values, np.float32))
        fits = np.isfinite(rounded) & (rounded >= -(2.0**31)) & (rounded < 2.0**31)
        return np.where(fits, np.nan_to_num(rounded), -(2.0**31)).astype(np.int64)


def quantize_value(value: float, t: Tensor) -> int:
    """zero_point + round(value / scale) with float32 division, as TFLite's activation ranges do."""
    return zero_point_of(t) + round_half_away(float(np.float32(value) / scale_of(t)))


def uint8_real_multiplier(x: Tensor, w: Tensor, y: Tensor) -> float:
    """LiteRT's legacy uint8 multiplier (GetQuantizedConvolutionMultipler): the input and weight
    scales multiplied in float32, then divided by the output scale in double."""
    return float(np.float32(scale_of(x) * scale_of(w))) / float(scale_of(y))


def activation_range_quantized(activation: ActivationFunction, output: Tensor) -> tuple[int, int]:
    """TFLite's CalculateActivationRangeQuantized."""
    qmin, qmax = INTEGER_RANGE[output.type]
    if activation == ActivationFunction.RELU:
        return max(qmin, quantize_value(0.0, output)), qmax
    if activation == ActivationFunction.RELU6:
        return max(qmin, quantize_value(0.0, output)), min(qmax, quantize_value(6.0, output))
    if activation == ActivationFunction.RELU_N1_TO_1:
        return max(qmin, quantize_value(-1.0, output)), min(qmax, quantize_value(1.0, output))
    return qmin, qmax


def activation_range_float(activation: ActivationFunction) -> tuple[float, float]:
    if activation == ActivationFunction.RELU:
        return 0.0, np.inf
    if activation == ActivationFunction.RELU6:
        return 0.0, 6.0
    if activation == ActivationFunction.RELU_N1_TO_1:
        return -1.0, 1.0
    return -np.inf, np.inf


FLT_MAX = float(np.finfo(np.float32).max)


def activation_range_int(activation: ActivationFunction, tensor_type: TensorType) -> tuple[int, int]:
    """CalculateActivationRange<int32/int64>: RELU [0, max], RELU6 [0, 6], RELU_N1_TO_1 [-1, 1]."""
    info = np.iinfo(tensor_type.numpy_dtype)
    bounds = {ActivationFunction.RELU: (0, int(info.max)), ActivationFunction.RELU6: (0, 6),
              ActivationFunction.RELU_N1_TO_1: (-1, 1)}
    return bounds.get(activation, (int(info.min), int(info.max)))


def activation_min_max_float(activation: ActivationFunction) -> tuple[float, float]:
    """CalculateActivationRange<float> as ActivationFunctionWithMinMax uses it: without an
    activation (or above RELU) the bound is FLT_MAX, so an infinite result clamps to +-FLT_MAX."""
    lo, hi = activation_range_float(activation)
    return max(lo, -FLT_MAX), min(hi, FLT_MAX)


# -- constraints shared by several kernels (docstrings are user-facing) ------------------------

def supported_activation(node: Node) -> bool:
    """The fused activation is NONE, RELU, RELU_N1_TO_1 or RELU6"""
    activation = getattr(node.options, "fused_activation_function", ActivationFunction.NONE)
    return activation in (
        ActivationFunction.NONE, ActivationFunction.RELU, ActivationFunction.RELU_N1_TO_1, ActivationFunction.RELU6,
    )


def quantized_tensors_have_parameters(node: Node) -> bool:
    """Every int8, int16 or uint8 input and output carries quantization parameters"""
    for t in (*node.inputs, *node.outputs):
        if t is not None and t.type in (TensorType.INT8, TensorType.INT16, TensorType.UINT8) and (
            t.quantization is None or len(t.quantization.scale) == 0
        ):
            return False
    return True


def tflm_refuses_uint8(node: Node) -> bool:
    """With reference='tflm': no uint8 tensors (TFLite Micro's kernels take int8, not uint8)"""
    return node.reference != TFLM or not any(
        t is not None and t.type is TensorType.UINT8 for t in (*node.inputs, *node.outputs))


def uint8_tensors_have_parameters(node: Node) -> bool:
    """Every uint8 input and output carries quantization parameters"""
    return all(t.quantization is not None and len(t.quantization.scale) > 0
               for t in (*node.inputs, *node.outputs) if t is not None and t.type is TensorType.UINT8)


def static_shapes(node: Node) -> bool:
    """Every tensor has a fully known shape (no -1 dimensions)"""
    return all(t is None or all(d >= 0 for d in t.shape) for t in (*node.inputs, *node.outputs))


def value_at_run_time(node: Node, t: Tensor | None) -> bool:
    """Whether tensor ``t`` (an input of ``node``) has a value when the node runs: constant data, a
    variable, a model input, or the output of an earlier operator. (A sparse constant has no dense
    data: it is none of these.)"""
    if t is None or t.is_constant or t.is_variable:
        return True
    if t.is_sparse:
        return False
    graph = node.model.main
    if t.index in graph.inputs:
        return True
    return any(t.index in op.outputs for op in graph.operators[: node.op.index])


def weights_and_bias_available(what: str, plural: str):
    """A constraint: inputs 1 and 2 (the weights, called ``what``, ``plural`` for several, and
    the bias) are constant or have a value at run time; int4 weights are constant (the loader
    unpacks only constants)."""

    def check(node: Node) -> bool:
        w = node.input(1)
        if w is not None and w.type is TensorType.INT4 and not w.is_constant:
            return False
        return all(value_at_run_time(node, t) for t in node.inputs[1:3])

    check.__doc__ = (f"{what} and bias are constant or computed at run time (by an earlier operator, "
                     f"or model inputs); int4 and sparse {plural} are constant")
    return check
