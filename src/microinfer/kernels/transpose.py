"""TRANSPOSE: permute the dimensions, ``output.shape[i] = input.shape[perm[i]]``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType
from . import _shapes
from .registry import Kernel, Node, register

TYPES = (TensorType.FLOAT32, TensorType.INT8, TensorType.INT16)
# LiteRT also takes these
LITERT_TYPES = TYPES + (TensorType.INT32, TensorType.INT64, TensorType.BOOL, TensorType.UINT8)
MAX_RANK = 6  # LiteRT's limit; TFLite Micro's is 5


@dataclass(frozen=True)
class TransposeData:
    perm: tuple[int, ...]


def permutation(node: Node) -> tuple[int, ...] | None:
    p = node.input(1)
    rank = len(node.inputs[0].shape)
    if p is None or not p.is_constant or p.type is not TensorType.INT32 or len(p.shape) != 1 or p.shape[0] != rank:
        return None
    perm = tuple(int(v) for v in np.asarray(p.data).reshape(-1))
    return perm if sorted(perm) == list(range(rank)) else None


def _rank(node: Node) -> bool:
    """The input has 1 to 6 dimensions"""
    return 1 <= len(node.inputs[0].shape) <= MAX_RANK


def _perm(node: Node) -> bool:
    """The permutation is a constant 1-D int32 tensor holding each of 0..rank-1 once"""
    return permutation(node) is not None


def _output_shape(node: Node) -> bool:
    """The output tensor has the permuted shape"""
    perm = permutation(node)
    shape = node.inputs[0].shape
    return perm is not None and tuple(shape[i] for i in perm) == tuple(node.outputs[0].shape)


@register("TRANSPOSE", versions=range(1, 7), types=_shapes.type_labels(LITERT_TYPES), inputs=2, outputs=1)
class Transpose(Kernel):
    constraints = (
        *_shapes.types_by_reference(TYPES, LITERT_TYPES, inputs=(0,)),
        _rank,
        _shapes.tflm_only(lambda node: len(node.inputs[0].shape) <= 5,
                          "With reference='tflm': the input has at most 5 dimensions"),
        _perm,
        _output_shape,
    )

    def prepare(self, node: Node) -> TransposeData:
        return TransposeData(permutation(node))

    def eval(self, data: TransposeData, inputs):
        return [np.ascontiguousarray(np.transpose(inputs[0], data.perm))]
