"""BROADCAST_ARGS: the broadcast of two shapes given as 1-D int32/int64 tensors (run-time values).

The output has as many entries as the longer shape. Both references read int64 values through
int32 dimensions (they wrap); shapes that do not broadcast make both abort, and microinfer raise
an error naming the operator.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InvalidInputError
from ..tflite.types import TensorType
from . import _shapes
from .registry import Kernel, Node, register

TYPES = (TensorType.INT32, TensorType.INT64)


@dataclass(frozen=True)
class BroadcastArgsData:
    length: int


def _vectors(node: Node) -> bool:
    """Both inputs are 1-D, and the output is 1-D with as many entries as the longer input"""
    a, b = node.inputs
    if len(a.shape) != 1 or len(b.shape) != 1:
        return False
    return tuple(node.outputs[0].shape) == (max(a.shape[0], b.shape[0]),)


@register("BROADCAST_ARGS", versions=range(1, 2), types=_shapes.type_labels(TYPES), inputs=2, outputs=1)
class BroadcastArgs(Kernel):
    constraints = (_shapes.same_type_among(TYPES), _vectors)

    def prepare(self, node: Node) -> BroadcastArgsData:
        return BroadcastArgsData(node.outputs[0].shape[0])

    def eval(self, data: BroadcastArgsData, inputs):
        dtype = np.asarray(inputs[0]).dtype
        a, b = (np.asarray(v).reshape(-1).astype(np.int32) for v in inputs)
        out = np.ones(data.length, dtype=dtype)
        for i in range(1, data.length + 1):
            x = int(a[-i]) if i <= a.size else 1
            y = int(b[-i]) if i <= b.size else 1
            if x != y and x != 1 and y != 1:
                raise InvalidInputError(f"BROADCAST_ARGS: shapes {a.tolist()} and {b.tolist()} do not broadcast "
                                 f"(TFLite Micro and LiteRT abort)")
            out[-i] = y if x == 1 else x
        return [out]
