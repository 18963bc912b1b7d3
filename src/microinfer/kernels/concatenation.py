"""CONCATENATION: join tensors along one axis.

Both references copy the quantized values unchanged, so they insist that every int8 input has the
output's scale and zero point, and that int16 zero points are 0; no fused activation is allowed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import ActivationFunction, TensorType
from . import _shapes
from .registry import Kernel, Node, register

TYPES = (
    TensorType.FLOAT32, TensorType.INT8, TensorType.INT16, TensorType.INT32,
    TensorType.INT64, TensorType.BOOL,
)
LITERT_TYPES = TYPES + (TensorType.UINT8,)  # LiteRT also takes these


@dataclass(frozen=True)
class ConcatenationData:
    axis: int
    dtype: np.dtype


def _axis(node: Node) -> int | None:
    return _shapes.normalize_axis(node.options.axis, len(node.outputs[0].shape))


def _inputs(node: Node) -> bool:
    """One or more inputs (none omitted) and one output"""
    return len(node.inputs) >= 1 and None not in node.inputs and len(node.outputs) == 1


def _no_activation(node: Node) -> bool:
    """The fused activation is NONE"""
    return node.options.fused_activation_function == ActivationFunction.NONE


def _shapes_concatenate(node: Node) -> bool:
    """The axis lies in [-rank, rank); all inputs have the output's rank and agree with it off the axis; the output's axis is the sum"""
    axis = _axis(node)
    if axis is None:
        return False
    out = tuple(node.outputs[0].shape)
    total = 0
    for t in node.inputs:
        shape = tuple(t.shape)
        if len(shape) != len(out) or shape[:axis] + shape[axis + 1:] != out[:axis] + out[axis + 1:]:
            return False
        total += shape[axis]
    return total == out[axis]


def _quantization(node: Node) -> bool:
    """int8 inputs share the output's scale and zero point; int16 zero points are 0"""
    y = node.outputs[0]
    if y.type is TensorType.INT8:
        return _shapes.same_quantization((*node.inputs, y))
    if y.type is TensorType.INT16:
        return all(_shapes.quantization_key(t)[1] == 0 for t in (*node.inputs, y))
    return True


@register("CONCATENATION", versions=range(1, 5), types=_shapes.type_labels(LITERT_TYPES))
class Concatenation(Kernel):
    constraints = (
        _inputs,
        *_shapes.types_by_reference(TYPES, LITERT_TYPES),
        _no_activation,
        _shapes_concatenate,
        _quantization,
    )

    def prepare(self, node: Node) -> ConcatenationData:
        return ConcatenationData(_axis(node), node.outputs[0].type.numpy_dtype)

    def eval(self, data: ConcatenationData, inputs):
        return [np.concatenate(inputs, axis=data.axis).astype(data.dtype, copy=False)]
