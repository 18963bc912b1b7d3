"""FULLY_CONNECTED: y = activation(x W^T + b), int8 / int16x8 / float32."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType
from . import common
from .fixedpoint import (
    multiply_by_quantized_multiplier,
    multiply_by_quantized_multiplier_int64,
    quantize_multiplier,
    SINGLE,
)
from .registry import Kernel, Node, register


@dataclass(frozen=True)
class FullyConnectedData:
    kind: str  # "int8", "int16x8", "float32"
    output_shape: tuple[int, ...]
    weights: np.ndarray  # (units, depth), offset applied, float64 for exact BLAS products
    bias: np.ndarray | None  # int64 or float32
    input_offset: int
    output_offset: int
    multiplier: np.ndarray  # per output unit
    shift: np.ndarray
    act_min: float
    act_max: float
    rounding: str
    wide_accumulator: bool  # int16x8 with 64-bit bias: 64-bit sums and the int64 requantizer


def _types_supported(node: Node) -> bool:
    """Input/output int8 with int8 weights, int16 with int8 weights, or all float32"""
    x, w = node.input(0), node.input(1)
    y = node.outputs[0]
    if w is None:
        return False
    combos = {
        (TensorType.INT8, TensorType.INT8, TensorType.INT8),
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


@register("FULLY_CONNECTED", versions=range(1, 14), types=("int8", "int16x8", "float32"))
class FullyConnected(Kernel):
    constraints = (
        _types_supported,
        _constant_weights,
        _weights_2d,
        _default_weights_format,
        common.supported_activation,
        common.quantized_tensors_have_parameters,
    )

    def prepare(self, node: Node) -> FullyConnectedData:
        x, w, b = node.input(0), node.input(1), node.input(2)
        y = node.outputs[0]
        activation = node.options.fused_activation_function
        weights = np.asarray(w.data, dtype=np.float64)
        if x.type is TensorType.FLOAT32:
            lo, hi = common.activation_range_float(activation)
            return FullyConnectedData(
                "float32", y.shape, weights.astype(np.float32),
                None if b is None else np.asarray(b.data, np.float32),
                0, 0, np.zeros(0), np.zeros(0), lo, hi, "", False,
            )
        rounding = common.rounding_of(node)
        multipliers = [
            quantize_multiplier(m, single_rounding=rounding == SINGLE) for m in _real_multipliers(x, w, y)
        ]
        units = w.shape[0]
        multiplier = np.broadcast_to(np.array([m for m, _ in multipliers], np.int64), units)
        shift = np.broadcast_to(np.array([s for _, s in multipliers], np.int64), units)
        weights = weights - common.zero_point_of(w)
        lo, hi = common.activation_range_quantized(activation, y)
        return FullyConnectedData(
            kind="int16x8" if x.type is TensorType.INT16 else "int8",
            output_shape=y.shape,
            weights=weights,
            bias=None if b is None else np.asarray(b.data, np.int64),
            input_offset=-common.zero_point_of(x),
            output_offset=common.zero_point_of(y),
            multiplier=multiplier,
            shift=shift,
            act_min=lo,
            act_max=hi,
            rounding=rounding,
            wide_accumulator=x.type is TensorType.INT16 and (b is None or b.type is TensorType.INT64),
        )

    def eval(self, data: FullyConnectedData, inputs):
        x = inputs[0]
        depth = data.weights.shape[1]
        rows = x.reshape(-1, depth)
        if data.kind == "float32":
            out = rows.astype(np.float32) @ data.weights.T
            if data.bias is not None:
                out = out + data.bias
            return [np.clip(out, data.act_min, data.act_max).astype(np.float32).reshape(data.output_shape)]
        # int8 x int8 products summed in float64 are exact (|sum| < 2**53), so BLAS does the MACs.
        acc = ((rows.astype(np.float64) + data.input_offset) @ data.weights.T).astype(np.int64)
        if data.bias is not None:
            acc += data.bias
        if data.wide_accumulator:
            scaled = multiply_by_quantized_multiplier_int64(acc, data.multiplier, data.shift)
        else:
            scaled = multiply_by_quantized_multiplier(acc, data.multiplier, data.shift, data.rounding)
        out = np.clip(scaled + data.output_offset, data.act_min, data.act_max)
        dtype = np.int16 if data.kind == "int16x8" else np.int8
        return [out.astype(dtype).reshape(data.output_shape)]


def _real_multipliers(x, w, y) -> list[float]:
    """input_scale * weight_scale / output_scale, per channel or per tensor, in double."""
    input_scale = float(common.scale_of(x))
    output_scale = float(common.scale_of(y))
    return [input_scale * float(s) / output_scale for s in common.channel_scales(w)]
