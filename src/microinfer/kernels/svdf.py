"""SVDF: a rank-factorised fully connected layer over a sliding window of past feature vectors.

The op keeps, per batch and per filter, the last ``memory`` outputs of a feature projection in a
variable tensor (the activation state). Each invoke pushes one new column, multiplies the window
by the time weights and sums groups of ``rank`` filters into the units.

The state is updated IN PLACE in the array the interpreter passes as input 4 (its copy of the
variable tensor), which is how the new state persists between invokes.

Per invoke (both references, measured): shift the whole state left by one, write the new
feature column (requantized to the state type) into the last slot of every filter's row, take the
dot product of each row with its time weights, sum groups of ``rank`` filters, add the bias and
requantize. Differences between the references, all measured against the live interpreters:

* both requantize SVDF with DOUBLE rounding (LiteRT 2.3.0 included, unlike its other kernels);
* TFLite Micro computes the effective scales in double, LiteRT in float32;
* int8: neither applies the fused activation to the int8 output (LiteRT demands RELU, TFLite
  Micro ignores it). TFLite Micro also accepts an int8 state with int8 time weights and honours
  the state zero point (clamp to the state type, add the zero point, narrow with a wrapping cast);
  LiteRT only takes an int16 state and ignores its zero point;
* TFLite Micro requires the bias (it dereferences it), LiteRT does not;
* int8 input with int8 time weights and state: TFLite Micro runs it; LiteRT reads both as int16
  (past their ends), so microinfer refuses it there.

Hybrid (LiteRT only): float32 input, state and output with int8 feature and time weights. The
feature projection quantizes each input row at run time (see :mod:`._hybrid`; LiteRT skips it for
an all-zero input), the time weights are dequantized to float32 once, and the rest is the float32
SVDF.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import ActivationFunction, TensorType
from . import _hybrid, common
from .fixedpoint import DOUBLE, multiply_by_quantized_multiplier, quantize_multiplier, wrap_int32
from .registry import TFLM, Kernel, Node, register


@dataclass(frozen=True)
class SvdfData:
    kind: str  # "int8" or "float32"
    reference: str
    batch: int
    filters: int
    units: int
    rank: int
    memory: int
    weights_feature: np.ndarray  # (filters, input): float64 (int8 values) or float32
    weights_time: np.ndarray  # (filters, memory): int64 or float32
    bias: np.ndarray | None  # (units,) int64 or float32
    input_zero_point: int
    state_zero_point: int
    output_zero_point: int
    state_min: int
    state_max: int
    state_dtype: type
    multiplier_1: int
    shift_1: int
    multiplier_2: int
    shift_2: int
    rounding: str
    activation: ActivationFunction
    # hybrid only
    feature_product: _hybrid.SseMatrixProduct | None = None
    feature_scale: np.float32 = np.float32(0)
    asymmetric: bool = False


_FLOAT_ACTIVATIONS = (
    ActivationFunction.NONE,
    ActivationFunction.RELU,
    ActivationFunction.RELU_N1_TO_1,
    ActivationFunction.RELU6,
    ActivationFunction.TANH,
)


def _int8(node: Node) -> bool:
    return node.input(0) is not None and node.input(0).type is TensorType.INT8


def _is_hybrid(node: Node) -> bool:
    return _hybrid.is_hybrid(node, types=(TensorType.INT8,))


def _types_supported(node: Node) -> bool:
    """Types are all float32; float32 input, state, bias and output with int8 feature and time weights (hybrid); or int8 input/feature weights/output with int32 bias and int16 time weights and state (TFLite Micro also: int8 time weights and state, which LiteRT reads as int16 past their ends)"""
    x, wf, wt, b, s = (node.input(i) for i in range(5))
    y = node.outputs[0]
    if x is None or wf is None or wt is None or s is None:
        return False
    if x.type is TensorType.FLOAT32:
        weights = (TensorType.INT8,) * 2 if wf.type is TensorType.INT8 else (TensorType.FLOAT32,) * 2
        return ((wf.type, wt.type) == weights and all(t.type is TensorType.FLOAT32 for t in (s, y))
                and (b is None or b.type is TensorType.FLOAT32))
    if x.type is not TensorType.INT8 or wf.type is not TensorType.INT8 or y.type is not TensorType.INT8:
        return False
    if b is not None and b.type is not TensorType.INT32:
        return False
    if wt.type is TensorType.INT16 and s.type is TensorType.INT16:
        return True
    return node.reference == TFLM and wt.type is TensorType.INT8 and s.type is TensorType.INT8


def _shapes(node: Node) -> bool:
    """Input (batch, input_size), feature weights (filters, input_size), time weights (filters, memory), bias (units,), state (batch, memory*filters), output (batch, units) with filters = units*rank, rank >= 1"""
    x, wf, wt, b, s = (node.input(i) for i in range(5))
    y = node.outputs[0]
    rank = node.options.rank
    if len(x.shape) != 2 or len(wf.shape) != 2 or len(wt.shape) != 2 or len(s.shape) != 2 or len(y.shape) != 2:
        return False
    batch, size = x.shape
    filters, memory = wt.shape
    if rank < 1 or filters % rank or wf.shape != (filters, size) or memory < 1 or filters < 1:
        return False
    units = filters // rank
    if b is not None and b.shape != (units,):
        return False
    return s.shape == (batch, memory * filters) and y.shape == (batch, units) and batch >= 1


def _state_is_variable(node: Node) -> bool:
    """The activation state (input 4) is a variable tensor"""
    s = node.input(4)
    return s is not None and s.is_variable and not s.is_constant


def _constant_weights(node: Node) -> bool:
    """Feature weights, time weights and bias are constant tensors"""
    return all(t is None or t.is_constant for t in node.inputs[1:4])


def _bias_given(node: Node) -> bool:
    """TFLite Micro: the bias is given (its SVDF dereferences the bias unconditionally)"""
    return node.reference != TFLM or node.input(3) is not None


def _int8_bias_scale(node: Node) -> bool:
    """int8 (TFLite Micro): the bias scale equals state scale * time-weights scale within 1e-5"""
    if not _int8(node) or node.reference != TFLM or node.input(3) is None:
        return True
    b, wt, s = node.input(3), node.input(2), node.input(4)
    product = np.float32(common.scale_of(s) * common.scale_of(wt))
    return abs(float(common.scale_of(b)) - float(product)) < 1e-5


def _activation(node: Node) -> bool:
    """float32: activation is NONE, RELU, RELU_N1_TO_1, RELU6 or TANH; int8 (LiteRT): RELU, which neither reference applies to the int8 output"""
    act = node.options.fused_activation_function
    if _int8(node):
        return node.reference == TFLM or act == ActivationFunction.RELU
    return act in _FLOAT_ACTIVATIONS


def _per_tensor(node: Node) -> bool:
    """Quantized tensors are quantized per tensor"""
    return all(
        t is None or t.quantization is None or len(t.quantization.scale) <= 1 for t in (*node.inputs, *node.outputs)
    )


@register("SVDF", versions=range(1, 5), types=("int8", "float32", "hybrid"), inputs=5, outputs=1,
          optional_inputs=(3,))
class Svdf(Kernel):
    """Inputs: input, feature weights, time weights, bias, activation state."""

    constraints = (
        _types_supported,
        _hybrid.needs_litert(types=(TensorType.INT8,)),
        _shapes,
        _state_is_variable,
        _constant_weights,
        _bias_given,
        _int8_bias_scale,
        _activation,
        _per_tensor,
        common.quantized_tensors_have_parameters,
    )

    def prepare(self, node: Node) -> SvdfData:
        x, wf, wt, b, s = (node.input(i) for i in range(5))
        y = node.outputs[0]
        rank = node.options.rank
        batch = x.shape[0]
        filters, memory = wt.shape
        act = node.options.fused_activation_function
        if x.type is TensorType.FLOAT32:
            hybrid = _is_hybrid(node)
            # Hybrid: the time weights dequantized once, int8 x float32 scale in float32.
            weights_time = (np.asarray(wt.data, np.float32) * common.scale_of(wt)).astype(np.float32) if hybrid \
                else np.asarray(wt.data, np.float32)
            return SvdfData(
                "hybrid" if hybrid else "float32", node.reference, batch, filters, filters // rank, rank, memory,
                None if hybrid else np.asarray(wf.data, np.float32), weights_time,
                None if b is None else np.asarray(b.data, np.float32),
                0, 0, 0, 0, 0, np.float32, 0, 0, 0, 0, "", act,
                feature_product=_hybrid.SseMatrixProduct.of(wf.data) if hybrid else None,
                feature_scale=common.scale_of(wf),
                asymmetric=bool(node.options.asymmetric_quantize_inputs),
            )
        # Measured: both references requantize SVDF with double rounding (LiteRT included); TFLite
        # Micro computes the effective scales in double, LiteRT in float32.
        rounding = DOUBLE
        scale_1 = _effective_scale(common.scale_of(x), common.scale_of(wf), common.scale_of(s), node.reference)
        scale_2 = _effective_scale(common.scale_of(s), common.scale_of(wt), common.scale_of(y), node.reference)
        m1, s1 = quantize_multiplier(scale_1)
        m2, s2 = quantize_multiplier(scale_2)
        state_dtype = s.type.numpy_dtype
        info = np.iinfo(state_dtype)
        return SvdfData(
            kind="int8",
            reference=node.reference,
            batch=batch,
            filters=filters,
            units=filters // rank,
            rank=rank,
            memory=memory,
            weights_feature=np.asarray(wf.data, np.float64),
            weights_time=np.asarray(wt.data, np.int64),
            bias=None if b is None else np.asarray(b.data, np.int64),
            input_zero_point=common.zero_point_of(x),
            # LiteRT assumes a symmetric state and ignores its zero point.
            state_zero_point=common.zero_point_of(s) if node.reference == TFLM else 0,
            output_zero_point=common.zero_point_of(y),
            state_min=int(info.min),
            state_max=int(info.max),
            state_dtype=state_dtype,
            multiplier_1=m1,
            shift_1=s1,
            multiplier_2=m2,
            shift_2=s2,
            rounding=rounding,
            activation=act,
        )

    def eval(self, data: SvdfData, inputs):
        x, state = inputs[0], inputs[4]
        # The state array is the interpreter's own copy of the variable tensor: update it in place.
        window = state.reshape(data.batch, data.filters, data.memory)
        flat = state.reshape(-1)
        flat[:-1] = flat[1:].copy()
        if data.kind == "float32":
            feature = x.astype(np.float32) @ data.weights_feature.T  # (batch, filters)
            window[:, :, -1] = feature
            out = _time_and_reduce_float(data, window)
        elif data.kind == "hybrid":
            window[:, :, -1] = _hybrid_feature(data, x)
            out = _time_and_reduce_float(data, window)
        else:
            acc = ((x.astype(np.float64) - data.input_zero_point) @ data.weights_feature.T).astype(np.int64)
            feature = multiply_by_quantized_multiplier(acc, data.multiplier_1, data.shift_1, data.rounding)
            # TFLite Micro clamps to the state type's range, then adds the state zero point and
            # narrows with a plain cast (wrapping on overflow); LiteRT's zero point is 0.
            feature = np.clip(feature, data.state_min, data.state_max) + data.state_zero_point
            window[:, :, -1] = feature.astype(np.int64).astype(data.state_dtype)
            time = wrap_int32(
                np.einsum("bfm,fm->bf", window.astype(np.int64) - data.state_zero_point, data.weights_time)
            )
            sums = time.reshape(data.batch, data.units, data.rank).sum(axis=2)
            if data.bias is not None:
                sums = sums + data.bias
            sums = wrap_int32(sums)
            scaled = multiply_by_quantized_multiplier(sums, data.multiplier_2, data.shift_2, data.rounding)
            out = np.clip(scaled + data.output_zero_point, -128, 127).astype(np.int8)
        return [out]


def _hybrid_feature(data: SvdfData, x: np.ndarray) -> np.ndarray:
    """LiteRT's EvalHybridSVDF projection: 0 + sum * (input scale * feature scale), per row."""
    if not x.any():
        return np.zeros((data.batch, data.filters), np.float32)
    rows = _hybrid.quantize_rows(x, data.asymmetric)
    scale = (rows.scale * data.feature_scale).astype(np.float32)[:, None]
    return (np.float32(0) + (data.feature_product(rows).astype(np.float32) * scale).astype(np.float32)).astype(np.float32)


def _effective_scale(a: np.float32, b: np.float32, c: np.float32, reference: str) -> float:
    if reference == TFLM:
        return float(a) * float(b) / float(c)
    return float(np.float32(np.float32(a * b) / c))


def _time_and_reduce_float(data: SvdfData, window: np.ndarray) -> np.ndarray:
    time = np.einsum("bfm,fm->bf", window.astype(np.float32), data.weights_time).astype(np.float32)
    out = time.reshape(data.batch, data.units, data.rank).sum(axis=2, dtype=np.float32)
    if data.bias is not None:
        out = out + data.bias
    return _float_activation(out.astype(np.float32), data.activation)


def _float_activation(x: np.ndarray, act: ActivationFunction) -> np.ndarray:
    if act == ActivationFunction.TANH:
        return np.tanh(x).astype(np.float32)
    lo, hi = common.activation_range_float(act)
    return np.clip(x, lo, hi).astype(np.float32)
