"""Dynamic-range ("hybrid") arithmetic: float32 activations with int8 constant weights.

LiteRT runs such models (the converter's dynamic-range quantization) by quantizing each batch row
of the float input to int8 at run time, multiplying with the int8 weights in int32 and scaling
the sums back to float. TFLite Micro has no hybrid kernels: its Prepare fails.

What is integer here is reproduced bit for bit (the quantized input, its scale and zero point,
the int32 sums); the float stages follow LiteRT's order of operations, measured against the
pinned ai-edge-litert 2.3.0 wheel:

* symmetric quantization (``SymmetricQuantizeFloats``): scale = max|x| / 127 in float32, values
  round(x * (127 / max|x|)) with ``std::round`` on float32 products, clamped to [-127, 127]; an
  all-zero row quantizes to zeros with scale 1;
* asymmetric quantization (``AsymmetricQuantizeFloats``): the range [min(0, min x), max(0, max x)]
  is subtracted in float32, divided by 255 in double; the zero point comes from the end with the
  smaller error term, in double, and is nudged into [-128, 127]; values round(zp + x / scale) in
  float32. Measured: the float32 subtraction matters (a double subtraction differs in the last
  place of the scale on some rows);
* the wheel's x86 matrix-times-batch-vector kernel (``SseMatrixBatchVectorMultiplyAccumulate``,
  used by FULLY_CONNECTED, SVDF and the LSTM) multiplies blocks of 16 columns as
  ``maddubs(|x|, sign(w, x))``: a weight of -128 times a negative input gives -128 * |x| instead
  of 128 * |x| (negating -128 wraps). It also sums each weight row for the asymmetric zero-point
  correction in eight int16 lanes, which wrap for long rows. :class:`SseMatrixProduct`
  reproduces both (weights from the converter lie in [-127, 127] and rows rarely wrap, so real
  models seldom meet either).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import ActivationFunction, TensorType
from . import common
from .fixedpoint import wrap, wrap_int32
from .registry import TFLM, Node

HYBRID_ACTIVATIONS = (
    ActivationFunction.NONE,
    ActivationFunction.RELU,
    ActivationFunction.RELU_N1_TO_1,
    ActivationFunction.RELU6,
    ActivationFunction.TANH,
    ActivationFunction.SIGN_BIT,
)


def tflm_refusal(how: str) -> str:
    """The message of the constraint that refuses a hybrid layer under reference='tflm';
    ``how`` says what TFLite Micro does with it."""
    return ("With reference='tflm': TFLite Micro cannot run dynamic-range (hybrid) models, float32 "
            f"activations with int8 weights ({how}); converting with a representative dataset "
            "(full-integer quantization) gives a model it runs")


TFLM_REFUSAL = tflm_refusal("it fails to prepare them")
WEIGHT_TYPES = (TensorType.INT8, TensorType.INT4)


def is_hybrid(node: Node, weights: int = 1, types: tuple[TensorType, ...] = WEIGHT_TYPES) -> bool:
    """Float32 input with weights (input ``weights``) of one of ``types``: a dynamic-range layer."""
    x, w = node.input(0), node.input(weights)
    return x is not None and w is not None and x.type is TensorType.FLOAT32 and w.type in types


def needs_litert(how: str = "it fails to prepare them", weights: int = 1,
                 types: tuple[TensorType, ...] = WEIGHT_TYPES):
    """The constraint that refuses a hybrid layer under reference='tflm' (see :func:`tflm_refusal`)."""

    def check(node: Node) -> bool:
        return node.reference != TFLM or not is_hybrid(node, weights, types)

    check.__doc__ = tflm_refusal(how)
    return check


@dataclass(frozen=True)
class QuantizedRows:
    """Each row of a float matrix quantized to int8, with its scale and zero point."""

    values: np.ndarray  # int8 (rows, depth) as float64 (exact, ready for BLAS)
    scale: np.ndarray  # float32 (rows,)
    zero_point: np.ndarray  # int64 (rows,), 0 for symmetric quantization


def quantize_rows(x: np.ndarray, asymmetric: bool) -> QuantizedRows:
    """LiteRT's ``BatchQuantizeFloats`` of the rows of ``x`` (rows, depth)."""
    x = np.asarray(x, dtype=np.float32)
    return _asymmetric(x) if asymmetric else _symmetric(x)


def _symmetric(x: np.ndarray) -> QuantizedRows:
    extent = np.maximum(np.abs(x.min(axis=1, initial=0)), np.abs(x.max(axis=1, initial=0)))
    zero = extent == 0
    safe = np.where(zero, np.float32(1), extent).astype(np.float32)
    scale = np.where(zero, np.float32(1), safe / np.float32(127)).astype(np.float32)
    inverse = (np.float32(127) / safe).astype(np.float32)
    products = (x * inverse[:, None]).astype(np.float32)
    values = np.clip(common.std_round(products), -127, 127)
    values[zero] = 0
    return QuantizedRows(values, scale, np.zeros(len(x), np.int64))


def _asymmetric(x: np.ndarray) -> QuantizedRows:
    low = np.minimum(np.float32(0), x.min(axis=1, initial=0)).astype(np.float32)
    high = np.maximum(np.float32(0), x.max(axis=1, initial=0)).astype(np.float32)
    flat = low == high
    width = (high - low).astype(np.float32).astype(np.float64)  # float32 subtraction, then double
    scale = np.where(flat, 1.0, width / 255.0)
    low64, high64 = low.astype(np.float64), high.astype(np.float64)
    from_min = -128.0 - low64 / scale
    from_max = 127.0 - high64 / scale
    min_error = 128.0 + np.abs(low64 / scale)
    max_error = 127.0 + np.abs(high64 / scale)
    zero_point = np.where(min_error < max_error, from_min, from_max)
    zero_point = np.where(zero_point <= -128, -128, np.where(zero_point >= 127, 127, common.std_round(zero_point)))
    zero_point = np.where(flat, 0, zero_point).astype(np.int64)
    scale32 = scale.astype(np.float32)
    inverse = (np.float32(1) / scale32).astype(np.float32)
    shifted = (zero_point.astype(np.float32)[:, None] + (x * inverse[:, None]).astype(np.float32)).astype(np.float32)
    values = np.clip(common.std_round(shifted), -128, 127)
    values[flat] = 0
    return QuantizedRows(values, scale32, zero_point)


SSE_BLOCK = 16  # columns the x86 kernel multiplies with maddubs(|x|, sign(w, x))


@dataclass(frozen=True)
class SseMatrixProduct:
    """int32 sums ``weights @ (q - zero_point)`` for each quantized row ``q``, as the pinned
    wheel's x86 ``SseMatrixBatchVectorMultiplyAccumulate`` computes them (see the module doc)."""

    weights_t: np.ndarray  # (depth, units) float64 holding the int8 weights
    minus_128_t: np.ndarray | None  # (block, units) 1.0 where a block weight is -128, or None
    block: int
    row_sums: np.ndarray  # int64 (units,): each weight row's sum, as the kernel computes it

    @classmethod
    def of(cls, weights: np.ndarray, sse: bool = True) -> SseMatrixProduct:
        """The product with ``weights`` (units, depth); ``sse=False``: exact sums (the callers
        whose sums the wheel computes with an integer GEMM instead)."""
        w = np.asarray(weights, dtype=np.int64)
        depth = w.shape[1]
        block = depth - depth % SSE_BLOCK
        minus_128 = w[:, :block] == -128
        return cls(
            weights_t=np.ascontiguousarray(w.T.astype(np.float64)),
            minus_128_t=np.ascontiguousarray(minus_128.T.astype(np.float64)) if sse and minus_128.any() else None,
            block=block,
            row_sums=_sse_row_sums(w),
        )

    def sums(self, values: np.ndarray) -> np.ndarray:
        """(rows, units) int64 holding the kernel's int32 sums for int8 ``values`` (rows, depth)."""
        acc = (values @ self.weights_t).astype(np.int64)
        if self.minus_128_t is not None:
            negative = np.minimum(values[:, : self.block], 0.0)
            acc += 256 * (negative @ self.minus_128_t).astype(np.int64)  # -128|x| where 128|x| was due
        return wrap_int32(acc)

    def __call__(self, rows: QuantizedRows) -> np.ndarray:
        """The sums for quantized rows, less zero point x row sum (asymmetric quantization)."""
        acc = self.sums(rows.values)
        if rows.zero_point.any():
            acc = wrap_int32(acc - wrap_int32(rows.zero_point[:, None] * self.row_sums))
        return acc


def _sse_row_sums(w: np.ndarray) -> np.ndarray:
    """``SseReductionSumVector``: pairs of 16-column blocks summed into eight int16 lanes (which
    wrap), the next 8 columns added one a lane (SSE4.1), the lanes summed in int32, then the
    remaining columns one by one."""
    units, depth = w.shape
    block = depth - depth % SSE_BLOCK
    lanes = w[:, :block].reshape(units, -1, 8, 2).sum(axis=(1, 3))
    column = block
    if depth - column >= 8:
        lanes = lanes + w[:, column : column + 8]
        column += 8
    return wrap_int32(wrap(lanes, 16).sum(axis=1) + w[:, column:].sum(axis=1))


def apply_activation(values: np.ndarray, activation: ActivationFunction) -> np.ndarray:
    """LiteRT's ``ApplyActivationToVector`` on float32 values."""
    values = np.asarray(values, dtype=np.float32)
    if activation == ActivationFunction.RELU:
        return np.maximum(values, np.float32(0))
    if activation == ActivationFunction.RELU_N1_TO_1:
        return np.clip(values, np.float32(-1), np.float32(1))
    if activation == ActivationFunction.RELU6:
        return np.clip(values, np.float32(0), np.float32(6))
    if activation == ActivationFunction.TANH:
        return np.tanh(values).astype(np.float32)
    if activation == ActivationFunction.SIGN_BIT:
        return np.signbit(values).astype(np.float32)
    return values
