"""TILE: repeat the input ``multiples[i]`` times along each dimension (LiteRT only: TFLite Micro
has no TILE kernel)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType
from . import _shapes
from .registry import TFLM, Kernel, Node, register

TYPES = _shapes.ALL_TYPES


@dataclass(frozen=True)
class TileData:
    multiples: tuple[int, ...]


def multiples(node: Node) -> tuple[int, ...] | None:
    x, m = node.inputs
    values = _shapes.constant_index_vector(m, (TensorType.INT32, TensorType.INT64))
    if values is None or tuple(m.shape) != (len(x.shape),) or (values < 0).any():
        return None
    return tuple(int(v) for v in values)


def _registered(node: Node) -> bool:
    """The reference is LiteRT (TFLite Micro has no TILE kernel)"""
    return node.reference != TFLM


def _multiples(node: Node) -> bool:
    """The multiples are a constant int32 or int64 tensor of non-negative values, one per input dimension"""
    return multiples(node) is not None


def _output_shape(node: Node) -> bool:
    """The output's shape is the input's times the multiples"""
    m = multiples(node)
    return m is not None and tuple(d * k for d, k in zip(node.inputs[0].shape, m)) == tuple(node.outputs[0].shape)


@register("TILE", versions=range(1, 3), types=_shapes.type_labels(TYPES), inputs=2, outputs=1)
class Tile(Kernel):
    constraints = (
        _registered,
        _shapes.same_type_among(TYPES, inputs=(0,)),
        _multiples,
        _output_shape,
    )

    def prepare(self, node: Node) -> TileData:
        return TileData(multiples(node))

    def eval(self, data: TileData, inputs):
        return [np.tile(inputs[0], data.multiples).reshape(
            tuple(d * k for d, k in zip(inputs[0].shape, data.multiples)))]
