"""ARG_MAX and ARG_MIN: the index of the first strictly largest (smallest) value along one axis.

The axis is the first entry of a constant tensor (LiteRT: int32 or int64 with exactly one entry;
TFLite Micro: int32, reading only the first). TFLite Micro takes float32 and int8 inputs and int32
outputs; LiteRT also int32, uint8 and bool inputs and int64 outputs, as ``output_type`` says. The
references differ only on float32 NaNs, see :class:`ArgKernel`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType
from ._reduce import no_empty_dimension, resolve
from .registry import TFLITE, TFLM, Kernel, Node


def arg_axis(node: Node) -> int | None:
    """The axis of ARG_MAX/ARG_MIN made non-negative: the first entry of the constant int32 (LiteRT
    also int64) axis tensor, which LiteRT requires to hold exactly one; None when invalid."""
    x, axis = node.input(0), node.input(1)
    if x is None or axis is None or not axis.is_constant or axis.data is None or not len(x.shape):
        return None
    allowed = (TensorType.INT32, TensorType.INT64) if node.reference == TFLITE else (TensorType.INT32,)
    entries = np.asarray(axis.data).reshape(-1)
    if axis.type not in allowed or entries.size == 0 or (node.reference == TFLITE and entries.size != 1):
        return None
    resolved = resolve([int(entries[0])], len(x.shape))
    return resolved[0] if resolved else None


@dataclass(frozen=True)
class ArgData:
    axis: int
    output_dtype: type
    loop: str  # "reference" (TFLite Micro), "skip_nan" or "vectorised" (LiteRT), see ArgKernel


def arg_axis_valid(node: Node) -> bool:
    """The axis is a constant int32 tensor (with reference='tflite' also int64, and exactly one entry) whose first entry lies in [-rank, rank) of an input of rank at least 1"""
    return arg_axis(node) is not None


def arg_output_shape(node: Node) -> bool:
    """The output shape is the input shape without the axis"""
    axis = arg_axis(node)
    x = node.inputs[0]
    return axis is not None and tuple(node.outputs[0].shape) == tuple(d for i, d in enumerate(x.shape) if i != axis)


def arg_types(node: Node) -> bool:
    """Input float32 or int8 and output int32 (with reference='tflite' the input may also be int32, uint8 or bool and the output int64, as output_type says)"""
    x, y = node.input(0), node.outputs[0]
    if x is None:
        return False
    if node.reference == TFLM:
        return x.type in (TensorType.FLOAT32, TensorType.INT8) and y.type is TensorType.INT32
    output_type = getattr(node.options, "output_type", None)
    return (x.type in (TensorType.FLOAT32, TensorType.INT8, TensorType.INT32, TensorType.UINT8, TensorType.BOOL)
            and y.type in (TensorType.INT32, TensorType.INT64) and y.type == output_type)


def _first_best(x: np.ndarray, largest: bool, skip_nan: bool) -> np.ndarray:
    """The reference loop ``reference_ops::ArgMinMax`` on rows (rows, n): the first element
    starts and a later one replaces the best only when strictly better. float32 NaN: TFLite
    Micro's plain comparison never lets a NaN replace the best nor a number replace a first NaN;
    LiteRT's comparison (``skip_nan``) lets any number replace a NaN best, so NaNs are passed over
    and only an all-NaN row gives 0."""
    if x.dtype != np.float32:
        return np.argmax(x, axis=1) if largest else np.argmin(x, axis=1)
    nan = np.isnan(x)
    with np.errstate(invalid="ignore"):
        best = np.fmax.reduce(x, axis=1) if largest else np.fmin.reduce(x, axis=1)
    index = np.argmax(x == best[:, None], axis=1)  # the first position holding the best number
    return np.where(np.all(nan, axis=1) | (nan[:, 0] & ~skip_nan), 0, index)


def _litert_last_axis(x: np.ndarray, largest: bool) -> np.ndarray:
    """LiteRT's ``ArgMinMaxLastAxis`` on float32 rows (rows, n), as the x86-64 wheel runs it
    (measured, and read from its machine code): NaNs are passed over and a NaN best is replaced
    by any number, in four lanes over the first ``4 * k`` elements (each lane keeps the first
    strictly better value), whose best is picked pairwise (lanes 0 and 1, 2 and 3, then the two
    winners, a NaN surviving when it comes first), the lowest index holding it winning; then
    element by element; a NaN result gives index 0."""
    rows, n = x.shape

    def better(a, b):  # strictly larger (smaller)
        with np.errstate(invalid="ignore"):
            return a > b if largest else a < b

    def step(best, index, value, position):
        take = ~np.isnan(value) & (np.isnan(best) | better(value, best))
        return np.where(take, value, best), np.where(take, position, index)

    if n < 2:
        return np.zeros(rows, np.int64)
    start = 1
    best, index = x[:, 0], np.zeros(rows, np.int64)
    if n >= 4:
        lanes, lane_index = x[:, :4], np.broadcast_to(np.arange(4), (rows, 4))
        start = 4
        while start + 4 <= n:
            lanes, lane_index = step(lanes, lane_index, x[:, start:start + 4], np.arange(start, start + 4))
            start += 4
        pair = [np.where(better(lanes[:, 2 * k + 1], lanes[:, 2 * k]), lanes[:, 2 * k + 1], lanes[:, 2 * k])
                for k in (0, 1)]
        best = np.where(better(pair[1], pair[0]), pair[1], pair[0])
        holding = lanes == best[:, None]
        index = np.where(holding, lane_index, np.iinfo(np.int32).max).min(axis=1)
    for j in range(start, n):
        best, index = step(best, index, x[:, j], j)
    return np.where(np.isnan(best), 0, index)


class ArgKernel(Kernel):
    """ARG_MAX and ARG_MIN: the index along the axis of the first strictly largest (smallest)
    value, comparing raw values; ties go to the lowest index. The references differ only on
    float32 NaNs: TFLite Micro runs the reference loop with a plain comparison; LiteRT (2.3.0) its
    NaN-skipping comparison (:func:`_first_best`), or, when only dimensions of one element follow
    the axis, its vectorised last-axis loop (:func:`_litert_last_axis`). Subclasses set ``largest``."""

    largest: bool = True
    constraints = (arg_types, arg_axis_valid, arg_output_shape, no_empty_dimension)

    def prepare(self, node: Node) -> ArgData:
        x = node.inputs[0]
        axis = arg_axis(node)
        if node.reference == TFLM:
            loop = "reference"
        else:
            loop = "vectorised" if all(d == 1 for d in x.shape[axis + 1:]) else "skip_nan"
        return ArgData(axis, node.outputs[0].type.numpy_dtype, loop)

    def eval(self, data: ArgData, inputs):
        x = np.moveaxis(inputs[0], data.axis, -1)
        if x.dtype == np.bool_:
            x = x.astype(np.int8)
        rows = x.reshape(-1, x.shape[-1])
        if data.loop == "vectorised" and x.dtype == np.float32:
            index = _litert_last_axis(rows, self.largest)
        else:
            index = _first_best(rows, self.largest, skip_nan=data.loop != "reference")
        return [index.reshape(x.shape[:-1]).astype(data.output_dtype)]
