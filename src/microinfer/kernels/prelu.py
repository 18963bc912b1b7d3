"""PRELU: x if x >= 0 else alpha * x, with alpha broadcast against x; int8, int16 (with int8
alpha), float32.

Quantized: the non-negative side is requantized by ``s_in / s_out``, the negative side's product
``(x - zp_in) * (alpha - zp_alpha)`` by ``s_in * s_alpha / s_out``; the result saturates to the
output type. TFLite Micro computes the multipliers in double, LiteRT in float32.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType
from . import _elementwise as ew
from . import common
from .fixedpoint import quantize_multiplier
from .registry import TFLM, Kernel, Node, register


@dataclass(frozen=True)
class PreluData:
    kind: str  # "float32" or "quantized"
    output_shape: tuple[int, ...]
    dtype: type
    input_offset: int = 0
    alpha_offset: int = 0
    output_offset: int = 0
    multiplier_1: int = 0
    shift_1: int = 0
    multiplier_2: int = 0
    shift_2: int = 0


def _types(node: Node) -> bool:
    """Input, alpha and output are all float32, all int8 or all uint8, or int16 input and output with int8 alpha"""
    x, alpha, y = node.input(0), node.input(1), node.outputs[0]
    if x is None or alpha is None or len(node.inputs) != 2:
        return False
    return (x.type, alpha.type, y.type) in _TYPE_COMBOS


_TYPE_COMBOS = {(TensorType.FLOAT32,) * 3, (TensorType.INT8,) * 3, (TensorType.UINT8,) * 3,
                (TensorType.INT16, TensorType.INT8, TensorType.INT16)}


def _output_is_input_shape(node: Node) -> bool:
    """alpha broadcasts to the input's shape, which is also the output's"""
    x, alpha, y = node.input(0), node.input(1), node.outputs[0]
    return ew.broadcast_shape(x.shape, alpha.shape) == tuple(x.shape) == tuple(y.shape)


def _rank(node: Node) -> bool:
    """Tensors have at most 4 dimensions (TFLM always; LiteRT when alpha is broadcast)"""
    if node.reference != TFLM and tuple(node.input(0).shape) == tuple(node.input(1).shape):
        return True
    return ew.max_rank(4)(node)


def _reals(node: Node) -> tuple[float, float]:
    s_in, s_alpha, s_out = (common.scale_of(t) for t in (node.input(0), node.input(1), node.outputs[0]))
    if node.reference == TFLM:
        return float(s_in) / float(s_out), float(s_in) * float(s_alpha) / float(s_out)
    with np.errstate(all="ignore"):
        return float(ew.f32(s_in / s_out)), float(ew.f32(ew.f32(s_in * s_alpha) / s_out))


@register("PRELU", versions=range(1, 2), types=("int8", "int16x8", "float32", "uint8"),
          inputs=2, outputs=1)
class Prelu(Kernel):
    constraints = (
        _types,
        common.tflm_refuses_uint8,
        _output_is_input_shape,
        _rank,
        *ew.QUANTIZATION_CONSTRAINTS,
        ew.multipliers_fit(lambda n: _reals(n)[0], lambda n: _reals(n)[1]),
    )

    def prepare(self, node: Node) -> PreluData:
        x, alpha, y = node.input(0), node.input(1), node.outputs[0]
        shape = tuple(y.shape)
        if y.type is TensorType.FLOAT32:
            return PreluData("float32", shape, np.float32)
        real_1, real_2 = _reals(node)
        m1, sh1 = quantize_multiplier(real_1)
        m2, sh2 = quantize_multiplier(real_2)
        return PreluData("quantized", shape, ew.QUANTIZED_NUMPY[y.type], -common.zero_point_of(x),
                         -common.zero_point_of(alpha), common.zero_point_of(y), m1, sh1, m2, sh2)

    def eval(self, data: PreluData, inputs):
        x, alpha = inputs
        if data.kind == "float32":
            with np.errstate(over="ignore", invalid="ignore"):
                out = np.where(x >= 0, x, x * alpha).astype(np.float32)
            return [np.broadcast_to(out, data.output_shape).copy()]
        v = x.astype(np.int64) + data.input_offset
        a = alpha.astype(np.int64) + data.alpha_offset
        r = ew.ELEMENTWISE_ROUNDING
        out = np.where(
            v >= 0,
            ew.requantize(v, data.multiplier_1, data.shift_1, r),
            ew.requantize(ew.wrap_int32(v * a), data.multiplier_2, data.shift_2, r),
        ) + data.output_offset
        lo, hi = np.iinfo(data.dtype).min, np.iinfo(data.dtype).max
        return [ew.clamp_cast(np.broadcast_to(out, data.output_shape), lo, hi, data.dtype)]
