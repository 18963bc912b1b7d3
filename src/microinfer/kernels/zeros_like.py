"""ZEROS_LIKE: a tensor of the input's shape and type, every element 0 (the raw value 0, not the
zero point, for TFLite Micro's int8)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType
from . import _shapes
from .registry import Kernel, Node, register

F32, I8, I32, I64 = TensorType.FLOAT32, TensorType.INT8, TensorType.INT32, TensorType.INT64
TFLM_TYPES = (F32, I8, I32, I64)
LITERT_TYPES = (F32, I32, I64)


@dataclass(frozen=True)
class ZerosLikeData:
    shape: tuple[int, ...]
    dtype: np.dtype


def _same_shape(node: Node) -> bool:
    """The output has the input's shape"""
    return tuple(node.inputs[0].shape) == tuple(node.outputs[0].shape)


@register("ZEROS_LIKE", versions=range(1, 2), types=_shapes.type_labels(TFLM_TYPES, LITERT_TYPES),
          inputs=1, outputs=1)
class ZerosLike(Kernel):
    constraints = (
        *_shapes.types_by_reference(TFLM_TYPES, LITERT_TYPES),
        _same_shape,
        _shapes.tflm_allocates_outputs,
    )

    def prepare(self, node: Node) -> ZerosLikeData:
        y = node.outputs[0]
        return ZerosLikeData(tuple(y.shape), y.type.numpy_dtype)

    def eval(self, data: ZerosLikeData, inputs):
        return [np.zeros(data.shape, data.dtype)]
