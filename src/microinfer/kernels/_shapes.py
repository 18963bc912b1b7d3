"""Helpers shared by the data-movement kernels (reshape, squeeze, concatenation, pad, slices...).

These operators never compute on values: they copy elements. What must match the references
exactly is the shape semantics (negative axes, masks, stretch dimensions) and the set of models
each reference accepts, so most of this module builds constraints.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from ..errors import InvalidInputError
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


ALL_TYPES = (
    TensorType.FLOAT32, TensorType.INT8, TensorType.INT16, TensorType.INT32,
    TensorType.INT64, TensorType.BOOL, TensorType.UINT8,
)


def type_labels(*type_sets: Iterable[TensorType]) -> tuple[str, ...]:
    """The registry's type labels: every type of the sets, in ALL_TYPES order."""
    union = {t for types in type_sets for t in types}
    return tuple(t.name.lower() for t in ALL_TYPES if t in union)


def types_by_reference(tflm: tuple[TensorType, ...], tflite: tuple[TensorType, ...],
                       inputs: Iterable[int] | None = None) -> tuple[Callable[[Node], bool], ...]:
    """Constraints: the data tensors (``inputs``: positions, all when None, and every output)
    share one type that the chosen reference's kernel takes."""
    union = tuple(t for t in ALL_TYPES if t in tflm or t in tflite)
    positions = None if inputs is None else tuple(inputs)
    constraints = [same_type_among(union, positions)]
    if set(tflm) != set(union):
        constraints.append(tflm_only(lambda node: data_types(node, positions)[0].type in tflm,
                                     f"With reference='tflm': the type is {type_names(tflm)}"))
    if set(tflite) != set(union):
        constraints.append(litert_only(lambda node: data_types(node, positions)[0].type in tflite,
                                       f"With reference='tflite': the type is {type_names(tflite)}"))
    return tuple(constraints)


def tflm_allocates_outputs(node: Node) -> bool:
    """With reference='tflm': no output of two or more dimensions is empty (TFLite Micro fails to allocate one)"""
    return node.reference != TFLM or all(t.num_elements > 0 or len(t.shape) <= 1 for t in node.outputs)


def constant_index_vector(t: Tensor | None, types=(TensorType.INT32,)) -> np.ndarray | None:
    """The values of a constant tensor of one of the integer ``types``, flattened; None otherwise."""
    if t is None or not t.is_constant or t.type not in types or t.data is None:
        return None
    return np.asarray(t.data, dtype=np.int64).reshape(-1)


def outputs_have_shapes(node: Node, shapes) -> bool:
    """Whether the node's outputs have exactly ``shapes`` (a sequence of tuples; None: unknown)."""
    return shapes is not None and len(shapes) == len(node.outputs) and all(
        tuple(t.shape) == tuple(s) for t, s in zip(node.outputs, shapes))


def check_indices(op: str, indices: np.ndarray, size: int) -> None:
    """Raise the error both references give when a run-time index lies outside [0, size)."""
    bad = (indices < 0) | (indices >= size)
    if bad.any():
        value = int(np.asarray(indices)[bad].reshape(-1)[0])
        raise InvalidInputError(f"{op}: index {value} is outside [0, {size}) (TFLite Micro and LiteRT fail "
                         f"the same way)")
