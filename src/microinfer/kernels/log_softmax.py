"""LOG_SOFTMAX over the last axis: float32 and int8, the same arithmetic in both references.

float32: ``x - max - logf(sum(expf(x - max)))`` per row.

int8 (output scale 16/256, zero point 127, i.e. [-16, 0) in steps of 1/16): gemmlowp fixed point as
SOFTMAX's int8 path. Each difference to the row maximum is scaled by ``input_scale`` into Q5.26
(``PreprocessLogSoftmaxScalingExp`` with beta 1, which also gives the inverse of that scaling),
differences below ``diff_min`` are dropped, the exps are summed in Q12.19, and
``log_x_for_x_greater_than_or_equal_to_1`` gives the row's log-sum in Q5.26. An output is the
scaled difference minus the log-sum, rounded to Q4.3 plus 127; differences at or below what the
log-sum leaves representable give -128.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType
from . import _unary as u
from . import common
from .fixedpoint import (
    INT32_MIN,
    calculate_input_radius,
    log_x_for_x_greater_than_or_equal_to_1,
    multiply_by_quantized_multiplier,
    quantize_multiplier,
    rounding_divide_by_pot,
    wrap_int32,
)
from .registry import Kernel, Node, register
from .softmax import (
    ACCUMULATION_INTEGER_BITS,
    SCALED_DIFF_INTEGER_BITS,
    int8_difference_exps,
    scaled_int8_differences,
)

OUTPUT_SCALE = 16.0 / 256
OUTPUT_ZERO_POINT = 127
OUTPUT_INTEGER_BITS = 4


@dataclass(frozen=True)
class LogSoftmaxData:
    kind: str  # "float32" or "int8"
    diff_min: int = 0
    reverse_multiplier: int = 0
    reverse_shift: int = 0  # a left shift, <= 0
    scaled_differences: np.ndarray | None = None  # Q5.26 value of each difference -255..0
    accumulated_exps: np.ndarray | None = None  # Q12.19 exp of each difference -255..0


def _real_multiplier(node: Node) -> float:
    """PreprocessSoftmaxScaling with beta 1: input_scale * 2**26, capped below 2**31."""
    return min(float(common.scale_of(node.input(0))) * (1 << (31 - SCALED_DIFF_INTEGER_BITS)), (1 << 31) - 1.0)


def _reverse_real(left_shift: int, multiplier: int) -> float:
    return (1 << (31 - left_shift)) / float(multiplier)


def _types(node: Node) -> bool:
    """Input and output are both float32 or both int8, of one shape with at least one dimension"""
    x, y = node.input(0), node.outputs[0]
    return (x.type is y.type and x.type in (TensorType.FLOAT32, TensorType.INT8)
            and tuple(x.shape) == tuple(y.shape) and len(x.shape) >= 1)


def _output_quantization(node: Node) -> bool:
    """int8 output has scale 16/256 and zero point 127"""
    y = node.outputs[0]
    if y.type is not TensorType.INT8 or y.quantization is None:
        return True
    return float(common.scale_of(y)) == OUTPUT_SCALE and common.zero_point_of(y) == OUTPUT_ZERO_POINT


def _input_scale(node: Node) -> bool:
    """int8 input scale times 2**26 is greater than 1 (the references check it)"""
    if node.input(0).type is not TensorType.INT8 or not u.quantization_usable(node):
        return True
    real = _real_multiplier(node)
    if not real > 1.0:
        return False
    multiplier, left_shift = quantize_multiplier(real)
    return 0.0 < _reverse_real(left_shift, multiplier) < 1.0


@register("LOG_SOFTMAX", versions=range(1, 3), types=("float32", "int8"), inputs=1, outputs=1)
class LogSoftmax(Kernel):
    constraints = (
        _types,
        u.tflm_allocates,
        *u.QUANTIZED_CONSTRAINTS,
        _output_quantization,
        _input_scale,
    )

    def prepare(self, node: Node) -> LogSoftmaxData:
        if node.input(0).type is TensorType.FLOAT32:
            return LogSoftmaxData("float32")
        multiplier, left_shift = quantize_multiplier(_real_multiplier(node))
        reverse_multiplier, reverse_shift = quantize_multiplier(_reverse_real(left_shift, multiplier))
        accumulated = int8_difference_exps(multiplier, left_shift)[1]
        return LogSoftmaxData("int8", -calculate_input_radius(SCALED_DIFF_INTEGER_BITS, left_shift),
                              reverse_multiplier, reverse_shift, scaled_int8_differences(multiplier, left_shift),
                              accumulated)

    def eval(self, data: LogSoftmaxData, inputs):
        x = inputs[0]
        if x.size == 0:
            return [x.copy()]
        if data.kind == "float32":
            return [_log_softmax_float(x)]
        return [_log_softmax_int8(x, data)]


def _log_softmax_float(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.float32)
    shifted = x - x.max(axis=-1, keepdims=True)
    with np.errstate(all="ignore"):
        sums = np.exp(shifted.astype(np.float64)).astype(np.float32).sum(axis=-1, keepdims=True, dtype=np.float32)
        return (shifted - np.log(sums.astype(np.float64)).astype(np.float32)).astype(np.float32)


def _log_softmax_int8(x: np.ndarray, data: LogSoftmaxData) -> np.ndarray:
    x = x.astype(np.int64)
    diff = x - x.max(axis=-1, keepdims=True)
    index = diff + 255
    sum_of_exps = wrap_int32(np.where(diff >= data.diff_min, data.accumulated_exps[index], 0)
                             .sum(axis=-1, keepdims=True))
    log_sum = log_x_for_x_greater_than_or_equal_to_1(sum_of_exps, SCALED_DIFF_INTEGER_BITS,
                                                     ACCUMULATION_INTEGER_BITS)
    lowest_kept = multiply_by_quantized_multiplier(wrap_int32(log_sum + INT32_MIN), data.reverse_multiplier,
                                                   data.reverse_shift)
    adjusted_diff_min = np.maximum(data.diff_min - 1, lowest_kept)
    exponent = 31 - SCALED_DIFF_INTEGER_BITS - OUTPUT_INTEGER_BITS
    out = rounding_divide_by_pot(wrap_int32(data.scaled_differences[index] - log_sum), exponent) + OUTPUT_ZERO_POINT
    return np.where(diff > adjusted_diff_min, np.clip(out, -128, 127), -128).astype(np.int8)
