"""MEAN over constant axes: float32, int8 and int16.

Quantized (both references, ``QuantizedMeanOrSum``): the int32 sum of the raw values over the
reduced axes, minus ``input_zero_point * count``, requantized with ``input_scale / output_scale``
into which ``1/count`` is folded: with ``s = min(floor(log2(count)), 32, 31 + shift)`` the
multiplier becomes ``(multiplier << s) / count`` (truncated) and the shift ``shift - s``. The
requantization uses double rounding in both references: LiteRT 2.3.0's reference MEAN was
observed to round like TFLite Micro, not with single rounding. This one path reproduces every case
of both references, including the 4-D mean over height and width with keep_dims and equal
input/output quantization.

float32: sum over the reduced axes, divided by the count.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType
from . import common
from .fixedpoint import DOUBLE, multiply_by_quantized_multiplier, quantize_multiplier, wrap_int32
from .registry import TFLITE, TFLM, Kernel, Node, register


@dataclass(frozen=True)
class MeanData:
    kind: str  # "float32", "int8", "int16"
    axes: tuple[int, ...]
    output_shape: tuple[int, ...]
    count: int
    input_zero_point: int
    output_zero_point: int
    multiplier: int
    shift: int
    rounding: str


def _resolved_axes(node: Node) -> tuple[int, ...] | None:
    x, axis = node.input(0), node.input(1)
    if x is None or axis is None or axis.data is None:
        return None
    rank = len(x.shape)
    resolved: list[int] = []
    for a in np.asarray(axis.data).reshape(-1).tolist():
        a = a + rank if a < 0 else a
        if not 0 <= a < rank:
            return None
        if a not in resolved:
            resolved.append(a)
    return tuple(resolved)


def _expected_shape(node: Node, axes) -> tuple[int, ...]:
    shape = node.inputs[0].shape
    if node.options.keep_dims:
        return tuple(1 if i in axes else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in axes)


# -- constraints ----------------------------------------------------------------------------------

def _types_supported(node: Node) -> bool:
    """Input and output are both float32, both int8 or both int16"""
    x = node.input(0)
    return (x is not None and x.type in (TensorType.FLOAT32, TensorType.INT8, TensorType.INT16)
            and len(node.outputs) == 1 and node.outputs[0].type == x.type)


def _constant_axes(node: Node) -> bool:
    """The axes are a constant int32 tensor of valid (possibly negative) dimensions"""
    axis = node.input(1)
    return (len(node.inputs) == 2 and axis is not None and axis.type is TensorType.INT32 and axis.is_constant
            and axis.data is not None and _resolved_axes(node) is not None)


def _rank(node: Node) -> bool:
    """The input has rank 1 to 5 and no empty dimension"""
    x = node.input(0)
    return x is not None and 1 <= len(x.shape) <= 5 and all(d > 0 for d in x.shape)


def _at_most_two_axes(node: Node) -> bool:
    """At most two distinct axes are reduced (TFLite Micro)"""
    if node.reference != TFLM:
        return True
    axes = _resolved_axes(node)
    return axes is not None and len(axes) <= 2


def _output_shape(node: Node) -> bool:
    """The output shape is the input shape reduced over the axes (kept as 1 with keep_dims)"""
    axes = _resolved_axes(node)
    return axes is not None and tuple(node.outputs[0].shape) == _expected_shape(node, axes)


def _int16_zero_points(node: Node) -> bool:
    """int16 input and output zero points are 0 (LiteRT)"""
    x = node.input(0)
    if node.reference != TFLITE or x is None or x.type is not TensorType.INT16:
        return True
    y = node.outputs[0]
    return (x.quantization is not None and y.quantization is not None
            and common.zero_point_of(x) == 0 and common.zero_point_of(y) == 0)


def _multiplier_quantizable(node: Node) -> bool:
    """input_scale / output_scale is positive and below 2**31"""
    x = node.input(0)
    if x is None or x.type is TensorType.FLOAT32 or x.quantization is None or node.outputs[0].quantization is None:
        return True
    out_scale = float(common.scale_of(node.outputs[0]))
    if out_scale <= 0:
        return False
    real = float(common.scale_of(x)) / out_scale
    return real > 0 and np.frexp(real)[1] <= 31


@register("MEAN", versions=range(1, 4), types=("float32", "int8", "int16"))
class Mean(Kernel):
    constraints = (
        _types_supported,
        _constant_axes,
        _rank,
        _at_most_two_axes,
        _output_shape,
        common.quantized_tensors_have_parameters,
        _int16_zero_points,
        _multiplier_quantizable,
    )

    def prepare(self, node: Node) -> MeanData:
        x, y = node.inputs[0], node.outputs[0]
        axes = _resolved_axes(node)
        count = int(np.prod([x.shape[a] for a in axes], dtype=np.int64)) if axes else 1
        if x.type is TensorType.FLOAT32:
            return MeanData("float32", axes, tuple(y.shape), count, 0, 0, 0, 0, "")
        rounding = DOUBLE  # observed in both references, see the module docstring
        multiplier, shift = quantize_multiplier(float(common.scale_of(x)) / float(common.scale_of(y)))
        # Fold 1/count into the multiplier, as QuantizedMeanOrSum does.
        s = min(count.bit_length() - 1, 32, 31 + shift)
        multiplier = (multiplier << s) // count  # s >= 0: quantize_multiplier keeps shift >= -31
        shift -= s
        return MeanData(x.type.name.lower(), axes, tuple(y.shape), count, common.zero_point_of(x),
                        common.zero_point_of(y), multiplier, shift, rounding)

    def eval(self, data: MeanData, inputs):
        x = inputs[0]
        if data.kind == "float32":
            total = np.sum(x.astype(np.float32), axis=data.axes, dtype=np.float32)
            return [(total / np.float32(data.count)).astype(np.float32).reshape(data.output_shape)]
        total = wrap_int32(np.sum(x.astype(np.int64), axis=data.axes))
        shifted = wrap_int32(total - data.input_zero_point * data.count)
        scaled = wrap_int32(multiply_by_quantized_multiplier(shifted, data.multiplier, data.shift, data.rounding))
        info = np.iinfo(np.int8 if data.kind == "int8" else np.int16)
        out = np.clip(scaled + data.output_zero_point, info.min, info.max)
        return [out.astype(info.dtype).reshape(data.output_shape)]
