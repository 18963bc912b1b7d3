"""DYNAMIC_UPDATE_SLICE: the operand with the update written at run-time start indices.

Each start index is clamped to [0, operand dim - update dim], as both references do, so every
start is valid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType
from . import _shapes
from .registry import Kernel, Node, register

F32, I8, I16, I32, I64, BOOL, U8 = (TensorType.FLOAT32, TensorType.INT8, TensorType.INT16, TensorType.INT32,
                                    TensorType.INT64, TensorType.BOOL, TensorType.UINT8)
TFLM_TYPES = (F32, I8, I16, I32)
LITERT_TYPES = (F32, I8, I16, I32, I64, BOOL, U8)


@dataclass(frozen=True)
class DynamicUpdateSliceData:
    limits: np.ndarray  # the largest start of each dimension


def _shapes_fit(node: Node) -> bool:
    """The update has the operand's rank and fits inside it; the output has the operand's shape"""
    operand, update = node.inputs[0], node.inputs[1]
    return len(update.shape) == len(operand.shape) and all(
        u <= d for u, d in zip(update.shape, operand.shape)) and tuple(node.outputs[0].shape) == tuple(operand.shape)


def _start(node: Node) -> bool:
    """The start indices are a 1-D int32 or int64 tensor with one entry per dimension"""
    start = node.inputs[2]
    return start.type in (I32, I64) and tuple(start.shape) == (len(node.inputs[0].shape),)


@register("DYNAMIC_UPDATE_SLICE", versions=range(1, 7), types=_shapes.type_labels(TFLM_TYPES, LITERT_TYPES),
          inputs=3, outputs=1)
class DynamicUpdateSlice(Kernel):
    constraints = (
        *_shapes.types_by_reference(TFLM_TYPES, LITERT_TYPES, inputs=(0, 1)),
        _shapes_fit,
        _start,
        _shapes.tflm_allocates_outputs,
    )

    def prepare(self, node: Node) -> DynamicUpdateSliceData:
        operand, update = node.inputs[0], node.inputs[1]
        return DynamicUpdateSliceData(np.array(operand.shape, np.int64) - np.array(update.shape, np.int64))

    def eval(self, data: DynamicUpdateSliceData, inputs):
        operand, update, start = inputs
        begin = np.clip(np.asarray(start).reshape(-1).astype(np.int64), 0, data.limits)
        out = operand.copy()
        out[tuple(slice(int(b), int(b) + n) for b, n in zip(begin, update.shape))] = update
        return [out]
