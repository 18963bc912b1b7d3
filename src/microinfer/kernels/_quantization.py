"""Helpers shared by QUANTIZE and DEQUANTIZE: integer types, quantization parameters as each
reference's kernel reads them, and the constraints both operators make.

A kernel reads a tensor's per-tensor parameters (``params.scale``, ``params.zero_point``). TFLite
Micro fills them from the first entry of the tensor's quantization, per-channel or not; LiteRT
only for a tensor with exactly one scale, and leaves them (0, 0) for a per-channel one.
"""

from __future__ import annotations

import math

import numpy as np

from ..tflite.model import Tensor
from ..tflite.types import TensorType
from . import common
from .registry import TFLM, Node

F32, F16 = TensorType.FLOAT32, TensorType.FLOAT16
I4, I8, U8, I16, I32 = TensorType.INT4, TensorType.INT8, TensorType.UINT8, TensorType.INT16, TensorType.INT32
INTEGER_DTYPES = {I8: np.int8, U8: np.uint8, I16: np.int16, I32: np.int32}
# int4 constants reach the kernels unpacked to int8 values (the loader unpacks them).
INTEGER_RANGES = {**common.INTEGER_RANGE, I4: (-8, 7)}


def has_parameters(t: Tensor) -> bool:
    return t.quantization is not None and len(t.quantization.scale) > 0


def per_channel(t: Tensor) -> bool:
    return has_parameters(t) and len(t.quantization.scale) > 1


def kernel_params(t: Tensor, reference: str) -> tuple[float, int]:
    """(scale as float32 widened to double, zero point) that ``reference``'s kernel reads."""
    if not has_parameters(t) or (reference != TFLM and per_channel(t)):
        return 0.0, 0
    return float(np.float32(t.quantization.scale[0])), int(t.quantization.zero_point[0])


def channel_params(t: Tensor) -> tuple[np.ndarray, np.ndarray]:
    """(float32 scales, int64 zero points) of a per-channel tensor, shaped to broadcast along its
    quantized dimension."""
    q = t.quantization
    keep = [1] * len(t.shape)
    keep[int(q.quantized_dimension)] = -1
    return np.asarray(q.scale, np.float32).reshape(keep), np.asarray(q.zero_point, np.int64).reshape(keep)


def _integer_tensors(node: Node) -> list[Tensor]:
    return [t for t in (*node.inputs, *node.outputs) if t is not None and t.type in INTEGER_RANGES]


# -- constraints (docstrings are user-facing) ---------------------------------------------------

def integer_tensors_have_parameters(node: Node) -> bool:
    """Every integer input and output carries quantization parameters"""
    return all(has_parameters(t) for t in _integer_tensors(node))


def positive_finite_scales(node: Node) -> bool:
    """Quantized tensors have positive, finite scales"""
    return all(all(s > 0 and math.isfinite(s) for s in np.asarray(t.quantization.scale, np.float64))
               for t in _integer_tensors(node) if has_parameters(t))


def zero_points_in_range(node: Node) -> bool:
    """Zero points lie within the range of their tensor's type"""
    for t in _integer_tensors(node):
        lo, hi = INTEGER_RANGES[t.type]
        if has_parameters(t) and any(not lo <= int(z) <= hi for z in t.quantization.zero_point):
            return False
    return True

