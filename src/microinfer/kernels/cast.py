"""CAST: convert every element to the output's type, as C++'s conversions on the wheels' builds do.

Integers wrap to narrower integers; anything becomes bool as ``x != 0``; bool becomes 0 or 1.
float32 to an integer type truncates toward zero and saturates at the type's limits; NaN becomes
0 with TFLite Micro and the type's maximum with LiteRT (measured on both wheels).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType
from . import _shapes
from .registry import TFLM, Kernel, Node, register

F32, I8, I16, I32, I64, BOOL, U8 = (TensorType.FLOAT32, TensorType.INT8, TensorType.INT16, TensorType.INT32,
                                    TensorType.INT64, TensorType.BOOL, TensorType.UINT8)
TFLM_TYPES = (F32, I8, I16, I32, BOOL)
LITERT_TYPES = (F32, I8, I16, I32, I64, BOOL, U8)


@dataclass(frozen=True)
class CastData:
    dtype: np.dtype
    nan_value: int  # what NaN becomes in an integer output


def _types(node: Node) -> bool:
    """Input and output are float32, int8, int16, int32, int64, bool or uint8"""
    return node.inputs[0].type in LITERT_TYPES and node.outputs[0].type in LITERT_TYPES


def _tflm_types(node: Node) -> bool:
    return node.inputs[0].type in TFLM_TYPES and node.outputs[0].type in TFLM_TYPES


def _same_shape(node: Node) -> bool:
    """The output has the input's shape"""
    return tuple(node.inputs[0].shape) == tuple(node.outputs[0].shape)


@register("CAST", versions=range(1, 10), types=_shapes.type_labels(LITERT_TYPES), inputs=1, outputs=1)
class Cast(Kernel):
    constraints = (
        _types,
        _shapes.tflm_only(_tflm_types, "With reference='tflm': input and output are float32, int8, "
                                       "int16, int32 or bool (TFLite Micro fails on int64 and uint8)"),
        _same_shape,
    )

    def prepare(self, node: Node) -> CastData:
        dtype = node.outputs[0].type.numpy_dtype
        nan_value = 0
        if np.issubdtype(dtype, np.integer) and node.reference != TFLM:
            nan_value = int(np.iinfo(dtype).max)
        return CastData(dtype, nan_value)

    def eval(self, data: CastData, inputs):
        x = inputs[0]
        if data.dtype == np.bool_:
            return [x != 0]
        if x.dtype == np.float32 and np.issubdtype(data.dtype, np.integer):
            return [float_to_integer(x, data.dtype, data.nan_value)]
        return [x.astype(data.dtype)]


def float_to_integer(x: np.ndarray, dtype: np.dtype, nan_value: int) -> np.ndarray:
    """Truncate toward zero, saturate at the limits of ``dtype``, NaN to ``nan_value``."""
    info = np.iinfo(dtype)
    t = np.trunc(x.astype(np.float64))
    high = t >= float(info.max) + 1.0  # exact: the limits + 1 are powers of two
    low = t < float(info.min)
    nan = np.isnan(t)
    inside = np.where(high | low | nan, 0.0, t).astype(dtype)
    out = np.where(high, info.max, np.where(low, info.min, inside)).astype(dtype)
    out[nan] = nan_value
    return out
