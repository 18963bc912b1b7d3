"""PAD: surround the input with a constant, ``paddings[i] = (before, after)`` per dimension.

Without a constant value input both references pad int8 with the output's zero point and float32 /
int32 with 0. They differ for int16: TFLite Micro pads with 0, LiteRT with the output's zero point
(when the tensor is quantized). PADV2 shares this kernel (its third input is the constant).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType
from . import _shapes
from .registry import TFLITE, Kernel, Node, register

TYPES = (TensorType.FLOAT32, TensorType.INT8, TensorType.INT16, TensorType.INT32)
LITERT_TYPES = TYPES + (TensorType.INT64, TensorType.BOOL, TensorType.UINT8)  # LiteRT also takes these
MAX_RANK = 5


@dataclass(frozen=True)
class PadData:
    output_shape: tuple[int, ...]
    inner: tuple[slice, ...]  # where the input lands in the output
    pad_value: int | float  # used when the constant-value input is absent
    dtype: np.dtype


def paddings_of(node: Node) -> np.ndarray | None:
    """The constant int32 (rank, 2) paddings, or None."""
    p = node.input(1)
    if p is None or not p.is_constant or p.type is not TensorType.INT32:
        return None
    values = np.asarray(p.data, dtype=np.int64)
    rank = len(node.inputs[0].shape)
    if values.size != 2 * rank or values.ndim != 2 or values.shape[1] != 2:
        return None
    return values.reshape(rank, 2)


def _constant_value(node: Node):
    return node.input(2) if len(node.inputs) == 3 else None


def _rank(node: Node) -> bool:
    """The input has at most 5 dimensions"""
    return len(node.inputs[0].shape) <= MAX_RANK


def _paddings(node: Node) -> bool:
    """The paddings are a constant int32 tensor of shape (rank, 2) with no negative entry"""
    p = paddings_of(node)
    return p is not None and bool((p >= 0).all())


def _output_shape(node: Node) -> bool:
    """The output's shape is the input's plus the paddings before and after"""
    p = paddings_of(node)
    if p is None:
        return False
    expected = tuple(int(d) + int(a) + int(b) for d, (a, b) in zip(node.inputs[0].shape, p))
    return expected == tuple(node.outputs[0].shape)


def _constant_scalar(node: Node) -> bool:
    """The constant value, when given, is one element of the input's type"""
    c = _constant_value(node)
    return c is None or (c.type is node.inputs[0].type and c.num_elements == 1)


def _constant_quantization(node: Node) -> bool:
    """An int8 constant value has the output's scale and zero point"""
    c = _constant_value(node)
    y = node.outputs[0]
    return c is None or y.type is not TensorType.INT8 or _shapes.quantization_key(c) == _shapes.quantization_key(y)


def _litert_int16_constant(node: Node) -> bool:
    c = _constant_value(node)
    y = node.outputs[0]
    return c is None or y.type is not TensorType.INT16 or y.quantization is None or \
        len(y.quantization.scale) == 0 or _shapes.quantization_key(c) == _shapes.quantization_key(y)


def _uint8_or_int16_zero_point(t) -> int:
    q = t.quantization
    return int(q.zero_point[0]) if len(q.zero_point) else 0


def _quantized(t) -> bool:
    return t.quantization is not None and len(t.quantization.scale) > 0


class PadBase(Kernel):
    constraints = (
        *_shapes.types_by_reference(TYPES, LITERT_TYPES, inputs=(0,)),
        _rank,
        _paddings,
        _output_shape,
        _constant_scalar,
        _constant_quantization,
        _shapes.litert_only(
            _litert_int16_constant,
            "With reference='tflite': a quantized int16 constant value has the output's scale and "
            "zero point (LiteRT checks it)",
        ),
    )

    def prepare(self, node: Node) -> PadData:
        x, y = node.inputs[0], node.outputs[0]
        p = paddings_of(node)
        inner = tuple(slice(int(a), int(a) + int(d)) for d, (a, _) in zip(x.shape, p))
        pad_value: int | float = 0
        if y.type is TensorType.INT8:
            pad_value = _shapes.quantization_key(y)[1]
        elif y.type in (TensorType.INT16, TensorType.UINT8) and node.reference == TFLITE and _quantized(x):
            pad_value = _uint8_or_int16_zero_point(y)  # LiteRT; TFLite Micro pads int16 with 0
        return PadData(tuple(y.shape), inner, pad_value, y.type.numpy_dtype)

    def eval(self, data: PadData, inputs):
        x = inputs[0]
        value = data.pad_value if len(inputs) < 3 or inputs[2] is None else np.asarray(inputs[2]).reshape(-1)[0]
        out = np.full(data.output_shape, value, dtype=data.dtype)
        out[data.inner] = x
        return [out]


@register("PAD", versions=range(1, 5), types=_shapes.type_labels(LITERT_TYPES), inputs=(2, 3), outputs=1,
          optional_inputs=(2,))
class Pad(PadBase):
    pass
