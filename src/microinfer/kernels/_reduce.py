"""Helpers shared by the reductions (MEAN, SUM, REDUCE_MAX/MIN/PROD/ANY/ALL); ARG_MAX/ARG_MIN and
CUMSUM resolve their axis with :func:`resolve` too.

Axes: input 1 is a constant int32 tensor of any shape. Each entry lies in ``[-rank, rank)``, a
negative one counting from the end, and an axis named twice is reduced once (both references'
``ResolveAxis``). A scalar input ignores its axes: both references skip axis resolution for rank 0.
With ``keep_dims`` a reduced dimension stays as 1, else it is dropped.

Order: the references walk the input in row-major order and fold each element into its output
slot, starting from an initial value. For integers the order does not matter (wrapping addition and
multiplication are associative); for float32 sums and products :func:`fold_sequential` keeps it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from ..tflite.model import Tensor
from ..tflite.types import TensorType
from . import common
from ._elementwise import QUANTIZATION_CONSTRAINTS
from ._shapes import tflm_only, type_names
from .fixedpoint import multiply_by_quantized_multiplier, quantize_multiplier, wrap_int32
from .registry import TFLITE, Kernel, Node

QUANTIZED = (TensorType.INT8, TensorType.INT16, TensorType.UINT8)  # requantized or compared raw


# -- axes and shapes -----------------------------------------------------------------------------

def axis_entries(node: Node) -> list[int] | None:
    """The entries of the constant int32 axis tensor (input 1), flattened; None otherwise."""
    axis = node.input(1)
    if axis is None or axis.type is not TensorType.INT32:
        return None
    if axis.num_elements == 0:  # no axes (written without a buffer, as converters do)
        return []
    if not axis.is_constant or axis.data is None:
        return None
    return [int(a) for a in np.asarray(axis.data).reshape(-1)]


def resolve(entries: Iterable[int], rank: int) -> tuple[int, ...] | None:
    """Non-negative axes in first-seen order, repeats dropped; None when one is out of range."""
    if rank == 0:
        return ()
    resolved: list[int] = []
    for a in entries:
        a = a + rank if a < 0 else a
        if not 0 <= a < rank:
            return None
        if a not in resolved:
            resolved.append(a)
    return tuple(resolved)


def resolved_axes(node: Node) -> tuple[int, ...] | None:
    x, entries = node.input(0), axis_entries(node)
    if x is None or entries is None:
        return None
    return resolve(entries, len(x.shape))


def reduced_shape(shape, axes, keep_dims: bool) -> tuple[int, ...]:
    if keep_dims:
        return tuple(1 if i in axes else int(d) for i, d in enumerate(shape))
    return tuple(int(d) for i, d in enumerate(shape) if i not in axes)


@dataclass(frozen=True)
class Reduction:
    """Where a reduction reads and writes: shared by every kernel of the family."""

    axes: tuple[int, ...]  # resolved, in first-seen order
    output_shape: tuple[int, ...]
    count: int  # input elements folded into each output element
    all_axes: bool  # every dimension is reduced (LiteRT folds from the first element then)


def reduction(node: Node) -> Reduction:
    x = node.inputs[0]
    axes = resolved_axes(node)
    count = int(np.prod([x.shape[a] for a in axes], dtype=np.int64)) if axes else 1
    keep_dims = bool(getattr(node.options, "keep_dims", False))
    return Reduction(axes, reduced_shape(x.shape, axes, keep_dims), count, len(axes) == len(x.shape))


def grouped(x: np.ndarray, r: Reduction) -> np.ndarray:
    """``x`` as (output elements, count): each row lists, in row-major input order, the elements
    folded into one output element."""
    kept = [i for i in range(x.ndim) if i not in r.axes]
    reduced = sorted(r.axes)
    return np.transpose(x, kept + reduced).reshape(-1, r.count) if x.ndim else x.reshape(1, 1)


def fold_sequential(x: np.ndarray, r: Reduction, step: Callable, initial) -> np.ndarray:
    """``acc = step(acc, element)`` from ``initial``, element by element in the references' order."""
    rows = grouped(x, r)
    acc = np.full(rows.shape[0], initial, dtype=x.dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        for j in range(rows.shape[1]):
            acc = step(acc, rows[:, j])
    return acc.reshape(r.output_shape)


def integer_sum(x: np.ndarray, r: Reduction) -> np.ndarray:
    """Exact int64 sums of the groups, in the output's shape."""
    return grouped(x.astype(np.int64), r).sum(axis=1).reshape(r.output_shape)


# -- constraints (docstrings are user-facing) ----------------------------------------------------

def same_type(both: tuple[TensorType, ...], litert_also: tuple[TensorType, ...] = ()):
    """A constraint: input and output share one type, from ``both`` (and ``litert_also`` with
    reference='tflite')."""

    def check(node: Node) -> bool:
        x, y = node.input(0), node.outputs[0]
        allowed = both + (litert_also if node.reference == TFLITE else ())
        return x is not None and x.type is y.type and x.type in allowed

    check.__doc__ = f"Input and output share one type: {type_names(both)}"
    if litert_also:
        check.__doc__ += f" (with reference='tflite' also {type_names(litert_also)})"
    return check


def constant_axes(node: Node) -> bool:
    """The axes are a constant int32 tensor whose entries lie in [-rank, rank)"""
    return resolved_axes(node) is not None


def output_is_reduced(node: Node) -> bool:
    """The output shape is the input shape reduced over the axes (kept as 1 with keep_dims)"""
    if resolved_axes(node) is None:
        return False
    return tuple(node.outputs[0].shape) == reduction(node).output_shape


def no_empty_dimension(node: Node) -> bool:
    """The input has no empty dimension"""
    x = node.input(0)
    return x is not None and all(d > 0 for d in x.shape)


# The axes, output shape and input checks every reduction makes, in this order.
AXES_CONSTRAINTS = (constant_axes, output_is_reduced, no_empty_dimension)


def _quantization_key(t: Tensor) -> tuple[float, int]:
    return float(common.scale_of(t)), common.zero_point_of(t)


def same_quantization(node: Node) -> bool:
    """Quantized input and output have the same scale and zero point (both references check it)"""
    x, y = node.input(0), node.outputs[0]
    if x is None or x.type not in QUANTIZED:
        return True
    return _quantization_key(x) == _quantization_key(y)


def uint8_quantized(node: Node) -> bool:
    """uint8 input and output carry one positive scale and a zero point in 0..255"""
    for t in (node.input(0), node.outputs[0]):
        if t is None or t.type is not TensorType.UINT8:
            continue
        q = t.quantization
        if q is None or len(q.scale) != 1 or not float(common.scale_of(t)) > 0:
            return False
        if not 0 <= common.zero_point_of(t) <= 255:
            return False
    return True


def litert_int16_zero_points(node: Node) -> bool:
    """With reference='tflite': int16 input and output have zero point 0"""
    x, y = node.input(0), node.outputs[0]
    if node.reference != TFLITE or x is None or x.type is not TensorType.INT16:
        return True
    return common.zero_point_of(x) == 0 and common.zero_point_of(y) == 0


# -- the int32 sum requantized: MEAN and SUM on int8/int16 ----------------------------------------

@dataclass(frozen=True)
class SumRescale:
    """``QuantizedMeanOrSum`` of both references: the int32 sum minus ``input_zero_point * count``,
    times ``input_scale / output_scale`` (for MEAN with ``1/count`` folded into the multiplier),
    plus the output zero point, clamped to ``low..high``."""

    input_zero_point: int
    output_zero_point: int
    multiplier: int
    shift: int
    low: int
    high: int


def rescale_shift(node: Node, count: int, mean: bool) -> tuple[int, int]:
    """(multiplier, shift) of :class:`SumRescale`: QuantizeMultiplier of the scale ratio (in
    double, from the float32 scales), then, for MEAN, 1/count folded in: with ``s = min(floor(
    log2(count)), 32, 31 + shift)`` the multiplier becomes ``(multiplier << s) / count``
    (truncated) and the shift ``shift - s``."""
    x, y = node.inputs[0], node.outputs[0]
    multiplier, shift = quantize_multiplier(float(common.scale_of(x)) / float(common.scale_of(y)))
    if mean:
        s = min(count.bit_length() - 1, 32, 31 + shift)
        multiplier = (multiplier << s) // count  # s >= 0: quantize_multiplier keeps shift >= -31
        shift -= s
    return multiplier, shift


def sum_rescale(node: Node, count: int, mean: bool, value_type: TensorType | None = None) -> SumRescale:
    x, y = node.inputs[0], node.outputs[0]
    multiplier, shift = rescale_shift(node, count, mean)
    low, high = common.INTEGER_RANGE[value_type or y.type]
    return SumRescale(common.zero_point_of(x), common.zero_point_of(y), multiplier, shift, low, high)


def apply_sum_rescale(sums: np.ndarray, count: int, q: SumRescale) -> np.ndarray:
    """The requantized values (int64) of int64 ``sums`` of ``count`` raw values each."""
    shifted = wrap_int32(wrap_int32(sums) - q.input_zero_point * count)
    scaled = wrap_int32(multiply_by_quantized_multiplier(shifted, q.multiplier, q.shift))
    return np.clip(scaled + q.output_zero_point, q.low, q.high)


def rescale_fits(mean: bool):
    """A constraint: the requantization of :class:`SumRescale` needs a left shift of at most 30
    (a larger one overflows the references' 32-bit shift)."""

    def check(node: Node) -> bool:
        x = node.input(0)
        if x is None or x.type not in QUANTIZED or resolved_axes(node) is None:
            return True
        x_scale, y_scale = float(common.scale_of(x)), float(common.scale_of(node.outputs[0]))
        if not (x_scale > 0 and y_scale > 0):
            return False
        return rescale_shift(node, reduction(node).count, mean)[1] <= 30

    if mean:
        check.__doc__ = ("input_scale / output_scale is below 2**30 times the largest power of two "
                         "not above the number of reduced elements")
    else:
        check.__doc__ = "input_scale / output_scale is below 2**30"
    return check


NOT_IN_TFLM = tflm_only(lambda node: False, "With reference='tflm': TFLite Micro has no kernel for this operator")


# -- folds without requantization: SUM, REDUCE_MAX/MIN/PROD/ANY/ALL ---------------------------------

@dataclass(frozen=True)
class FoldData:
    reduction: Reduction
    dtype: type
    # LiteRT folds a reduction over every dimension from the first element instead of the
    # initial value (``ReduceAllDims``); only a float maximum or minimum can tell the difference.
    from_first: bool


def fold_data(node: Node) -> FoldData:
    r = reduction(node)
    return FoldData(r, node.inputs[0].type.numpy_dtype, node.reference == TFLITE and r.all_axes)


def extremum(x: np.ndarray, data: FoldData, largest: bool) -> np.ndarray:
    """REDUCE_MAX/REDUCE_MIN: ``acc = in > acc ? in : acc`` (``<`` for the minimum) from the
    type's lowest (highest) value, so a NaN never replaces the accumulator and only a NaN first
    element of LiteRT's fold over every dimension is returned."""
    r = data.reduction
    if x.dtype == np.bool_:
        rows = grouped(x, r)
        return (rows.any(axis=1) if largest else rows.all(axis=1)).reshape(r.output_shape)
    if x.dtype != np.float32:
        rows = grouped(x, r)
        return (rows.max(axis=1) if largest else rows.min(axis=1)).reshape(r.output_shape)
    rows = grouped(x, r)
    info = np.finfo(np.float32)
    pick = np.fmax if largest else np.fmin
    if data.from_first:
        out = pick.reduce(rows, axis=1)
        out = np.where(np.isnan(rows[:, 0]), rows[:, 0], out)
    else:
        out = pick.reduce(rows, axis=1, initial=info.min if largest else info.max)
    return out.astype(np.float32).reshape(r.output_shape)


def wrapping_fold(x: np.ndarray, data: FoldData, add: bool) -> np.ndarray:
    """SUM (``add``) or REDUCE_PROD without requantization: int32/int64 wrapping like the C
    operation, float32 in order from 0 (1), bool an any (all)."""
    r = data.reduction
    if x.dtype == np.float32:
        return fold_sequential(x, r, np.add if add else np.multiply, np.float32(0 if add else 1))
    if x.dtype == np.bool_:
        rows = grouped(x, r)
        return (rows.any(axis=1) if add else rows.all(axis=1)).reshape(r.output_shape)
    rows = grouped(x.astype(np.int64), r)
    folded = rows.sum(axis=1) if add else rows.prod(axis=1)  # int64 wraps mod 2**64
    return (wrap_int32(folded) if x.dtype == np.int32 else folded).astype(x.dtype).reshape(r.output_shape)


class ExtremumKernel(Kernel):
    """REDUCE_MAX and REDUCE_MIN: the largest (smallest) element on the raw values, so quantized
    input and output share scale and zero point. TFLite Micro takes float32 and int8; LiteRT also
    int16, int32, int64, bool and uint8. Subclasses set ``largest``."""

    largest: bool = True
    constraints = (
        same_type((TensorType.FLOAT32, TensorType.INT8),
                  litert_also=(TensorType.INT16, TensorType.INT32, TensorType.INT64, TensorType.BOOL,
                               TensorType.UINT8)),
        *AXES_CONSTRAINTS,
        *QUANTIZATION_CONSTRAINTS,
        same_quantization,
        litert_int16_zero_points,
    )

    def prepare(self, node: Node) -> FoldData:
        return fold_data(node)

    def eval(self, data: FoldData, inputs):
        return [extremum(inputs[0], data, self.largest)]
