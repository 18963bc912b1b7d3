"""CONCATENATION: join tensors along one axis.

Both references copy the quantized values unchanged, so they insist that every int8 input has the
output's scale and zero point, and that int16 zero points are 0; no fused activation is allowed.
LiteRT's legacy uint8 kernel (``ConcatenationWithScaling``) copies the inputs quantized like the
output and rescales the others in float32: ``round(x * (s_in * (1 / s_out)) + -zp_in * that) +
zp_out``, clamped to [0, 255]. TFLite Micro has no uint8 concatenation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import ActivationFunction, TensorType
from . import _shapes, common
from .fixedpoint import wrap_int32
from .registry import Kernel, Node, register

TYPES = (
    TensorType.FLOAT32, TensorType.INT8, TensorType.INT16, TensorType.INT32,
    TensorType.INT64, TensorType.BOOL,
)
LITERT_TYPES = TYPES + (TensorType.UINT8,)  # LiteRT also takes these


@dataclass(frozen=True)
class Rescaling:
    """The float32 scale and bias that map one uint8 input onto the output's quantization."""

    scale: np.float32
    bias: np.float32
    output_zero_point: int


@dataclass(frozen=True)
class ConcatenationData:
    axis: int
    dtype: np.dtype
    rescalings: tuple[Rescaling | None, ...] = ()  # uint8: per input, None where it is copied


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


@register("CONCATENATION", versions=range(1, 5), types=_shapes.type_labels(LITERT_TYPES),
          inputs=(1, None), outputs=1)
class Concatenation(Kernel):
    constraints = (
        _inputs,
        *_shapes.types_by_reference(TYPES, LITERT_TYPES),
        _no_activation,
        _shapes_concatenate,
        _quantization,
        common.tflm_refuses_uint8,
        common.uint8_tensors_have_parameters,
    )

    def prepare(self, node: Node) -> ConcatenationData:
        y = node.outputs[0]
        rescalings = tuple(_rescaling(t, y) for t in node.inputs) if y.type is TensorType.UINT8 else ()
        return ConcatenationData(_axis(node), y.type.numpy_dtype, rescalings)

    def eval(self, data: ConcatenationData, inputs):
        if data.rescalings:
            inputs = [x if r is None else _rescale(x, r) for x, r in zip(inputs, data.rescalings)]
        return [np.concatenate(inputs, axis=data.axis).astype(data.dtype, copy=False)]


def _rescaling(x, y) -> Rescaling | None:
    in_scale, out_scale = common.scale_of(x), common.scale_of(y)
    if common.zero_point_of(x) == common.zero_point_of(y) and in_scale == out_scale:
        return None
    scale = np.float32(in_scale * np.float32(np.float32(1) / out_scale))
    return Rescaling(scale, np.float32(np.float32(-common.zero_point_of(x)) * scale), common.zero_point_of(y))


def _rescale(x: np.ndarray, r: Rescaling) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):
        whole = common.roundf_to_int32((x.astype(np.float32) * r.scale + r.bias).astype(np.float32))
    return np.clip(wrap_int32(whole + r.output_zero_point), 0, 255).astype(np.uint8)
