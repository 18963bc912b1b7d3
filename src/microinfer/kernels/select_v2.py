"""SELECT_V2: ``where(condition, x, y)`` with the three inputs broadcast against each other.

Values are copied raw, whatever the inputs' and output's quantization (both references do so).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType
from . import _elementwise, _shapes
from .registry import Kernel, Node, register

F32, I8, I16, I32, I64, BOOL, U8 = (TensorType.FLOAT32, TensorType.INT8, TensorType.INT16, TensorType.INT32,
                                    TensorType.INT64, TensorType.BOOL, TensorType.UINT8)
TFLM_TYPES = (F32, I8, I16)
LITERT_TYPES = (F32, I8, I16, I32, I64, BOOL, U8)
MAX_RANK = 5


@dataclass(frozen=True)
class SelectData:
    shape: tuple[int, ...]


def _bool_condition(node: Node) -> bool:
    """The condition (input 0) is bool"""
    return node.inputs[0].type is BOOL


def _output_is_broadcast(node: Node) -> bool:
    """The three inputs broadcast against each other and the output has the broadcast shape"""
    shape = _elementwise.broadcast_shape(*(t.shape for t in node.inputs))
    return shape == tuple(node.outputs[0].shape)


def _rank(node: Node) -> bool:
    """The output has at most 5 dimensions, unless all three inputs have its shape"""
    out = tuple(node.outputs[0].shape)
    return len(out) <= MAX_RANK or all(tuple(t.shape) == out for t in node.inputs)


@register("SELECT_V2", versions=range(1, 3), types=_shapes.type_labels(TFLM_TYPES, LITERT_TYPES),
          inputs=3, outputs=1)
class SelectV2(Kernel):
    constraints = (
        _bool_condition,
        *_shapes.types_by_reference(TFLM_TYPES, LITERT_TYPES, inputs=(1, 2)),
        _output_is_broadcast,
        _rank,
        _shapes.tflm_allocates_outputs,
    )

    def prepare(self, node: Node) -> SelectData:
        return SelectData(tuple(node.outputs[0].shape))

    def eval(self, data: SelectData, inputs):
        condition, x, y = inputs
        return [np.ascontiguousarray(np.broadcast_to(np.where(condition, x, y), data.shape))]
