"""Helpers shared by the data-movement kernels (reshape, squeeze, concatenation, pad, slices...).

These operators never compute on values: they copy elements. What must match the references
exactly is the shape semantics (negative axes, masks, stretch dimensions) and the set of models
each reference accepts, so most of this module builds constraints.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from ..tflite.model import Tensor
from ..tflite.types import TensorType
from .registry import TFLITE, TFLM, Node

QUANTIZED = (TensorType.INT8, TensorType.INT16)


def normalize_axis(axis: int, rank: int) -> int | None:
    """``axis`` in ``[-rank, rank)`` made non-negative; None when out of range."""
    axis = int(axis)
    if axis < 0:
        axis += rank
    return axis if 0 <= axis < rank else None


def type_names(types: Iterable[TensorType]) -> str:
    names = [t.name.lower() for t in types]
    return ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]


def data_types(node: Node, inputs: Iterable[int] | None = None) -> list[Tensor]:
    """The data tensors of a node: the chosen inputs (all when None) and every output."""
    chosen = node.inputs if inputs is None else [node.input(i) for i in inputs]
    return [t for t in (*chosen, *node.outputs) if t is not None]


def same_type_among(allowed: tuple[TensorType, ...], inputs: Iterable[int] | None = None) -> Callable[[Node], bool]:
    """A constraint: the data inputs (``inputs``: their positions, all when None) and the
    outputs share one type, one of ``allowed``."""
    positions = None if inputs is None else tuple(inputs)

    def check(node: Node) -> bool:
        tensors = data_types(node, positions)
        return bool(tensors) and tensors[0].type in allowed and all(t.type is tensors[0].type for t in tensors)

    check.__doc__ = f"Inputs and outputs share one type: {type_names(allowed)}"
    return check


def quantization_key(t: Tensor) -> tuple[float, int]:
    """(scale, zero point) of a per-tensor quantized tensor, (0, 0) when it has none."""
    q = t.quantization
    if q is None or len(q.scale) == 0:
        return (0.0, 0)
    return (float(np.float32(q.scale[0])), int(q.zero_point[0]) if len(q.zero_point) else 0)


def same_quantization(tensors: Iterable[Tensor | None]) -> bool:
    keys = {quantization_key(t) for t in tensors if t is not None and t.type in QUANTIZED}
    return len(keys) <= 1


def litert_only(check: Callable[[Node], bool], doc: str) -> Callable[[Node], bool]:
    """A constraint that only LiteRT imposes: always satisfied with reference='tflm'."""

    def constraint(node: Node) -> bool:
        return node.reference != TFLITE or check(node)

    constraint.__doc__ = doc
    return constraint


def tflm_only(check: Callable[[Node], bool], doc: str) -> Callable[[Node], bool]:
    """A constraint that only TFLite Micro imposes: always satisfied with reference='tflite'."""

    def constraint(node: Node) -> bool:
        return node.reference != TFLM or check(node)

    constraint.__doc__ = doc
    return constraint


def constant_int_vector(t: Tensor | None) -> np.ndarray | None:
    """The values of a constant int32/int64 tensor as int64, flattened; None otherwise."""
    if t is None or not t.is_constant or t.type not in (TensorType.INT32, TensorType.INT64):
        return None
    return np.asarray(t.data, dtype=np.int64).reshape(-1)
