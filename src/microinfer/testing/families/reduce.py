"""Strategies of the reductions (MEAN, SUM, REDUCE_MAX/MIN/PROD/ANY/ALL), ARG_MAX/ARG_MIN,
CUMSUM, L2_NORMALIZATION and L2_POOL_2D.

Reductions draw ranks 0 to 6, axes that are negative, repeated, empty or all of them, and
keep_dims. Quantized MEAN and SUM draw equal and different input/output scales (powers of two,
tiny and large) and int8/uint8 zero points at both ends of the range (int16: 0, as LiteRT requires);
REDUCE_MAX/MIN keep the input's quantization (both references require it); REDUCE_PROD draws an
output scale near the product of the inputs' so that outputs do not all saturate. ARG_MAX/ARG_MIN
draw the axis as int32 or int64 and both output types; CUMSUM its exclusive and reverse flags;
L2_NORMALIZATION the int8 output quantization 1/128 and zero point 0 (what LiteRT requires) and
sometimes another one (TFLite Micro ignores it). Operator versions are the converter's
(op_version.cc).
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from ...tflite import ModelBuilder
from ...tflite import options as O
from ...tflite.types import ActivationFunction, Padding, TensorType
from .._draw import ACTIVATIONS, INT8_ZERO_POINTS, NICE_SCALES

SCALES = st.one_of(st.sampled_from([1e-6, 2.0 ** -12, 2.0 ** -11, 0.0039, 0.1, 1.0, 7.5, 300.0]),
                   st.sampled_from(NICE_SCALES), st.floats(1e-5, 10.0))
QUANTIZED = ("int8", "int16", "uint8")
UINT8_ZERO_POINTS = st.one_of(st.sampled_from([0, 128, 255]), st.integers(0, 255))
# op -> activation type -> the version the converter writes
VERSIONS = {
    "MEAN": {"int8": 2, "int16": 3},
    "SUM": {"int8": 2},
    "REDUCE_MAX": {"int8": 2, "int16": 3},
    "REDUCE_MIN": {"int8": 2, "int16": 3},
    "REDUCE_PROD": {"int8": 2, "int16": 2},
    "ARG_MAX": {"int8": 2},
    "ARG_MIN": {"int8": 2},
    "L2_NORMALIZATION": {"int8": 2},
}


def _q(scale, zero_point) -> dict:
    return dict(scale=float(np.float32(scale)), zero_point=int(zero_point))


@st.composite
def _quantization(draw, dtype: str) -> dict:
    """``scale``/``zero_point`` keywords of an int8/int16 tensor ({} otherwise)."""
    if dtype not in QUANTIZED:
        return {}
    zero_point = {"int8": INT8_ZERO_POINTS, "uint8": UINT8_ZERO_POINTS}.get(dtype)
    return _q(draw(SCALES), draw(zero_point) if zero_point is not None else 0)


def reduced_shape(shape, axes, keep_dims: bool) -> tuple[int, ...]:
    rank = len(shape)
    resolved = {a % rank for a in axes} if rank else set()
    if keep_dims:
        return tuple(1 if i in resolved else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in resolved)


def reduce_model(op: str, dtype: str, shape, axes, keep_dims: bool, in_q: dict, out_q: dict,
                 version: int | None = None) -> bytes:
    """One reduction over constant int32 ``axes`` (an empty list: an axes tensor of no elements)."""
    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", shape, dtype, **in_q)
    a = g.add_constant("axes", np.array(axes, np.int32).reshape(-1))
    y = g.add_output("y", reduced_shape(shape, axes, keep_dims), dtype, **out_q)
    g.add_operator(op, [x, a], [y], O.ReducerOptions(keep_dims=keep_dims),
                   version=version or VERSIONS.get(op, {}).get(dtype, 1))
    return b.build()


@st.composite
def reduce_geometry(draw, max_rank: int = 6, max_dim: int = 5):
    """(shape, axes, keep_dims): axes negative or not, repeated, none, or every dimension."""
    shape = tuple(draw(st.lists(st.integers(1, max_dim), min_size=0, max_size=max_rank)))
    rank = len(shape)
    if rank == 0:
        return shape, [0], draw(st.booleans())  # a scalar ignores its axes
    if draw(st.integers(0, 9)) == 0:
        dims = list(range(rank)) if draw(st.booleans()) else []
    else:
        dims = draw(st.lists(st.integers(0, rank - 1), min_size=1, max_size=rank, unique=True))
    axes = [d - rank if draw(st.booleans()) else d for d in dims]
    if axes and draw(st.booleans()):
        axes.append(axes[0] - rank if axes[0] >= 0 else axes[0] + rank)  # the same axis, named again
    return shape, axes, draw(st.booleans())


def _rescale_fits(in_q: dict, out_q: dict, count: int) -> bool:
    """Whether input_scale / output_scale stays below 2**30 times the largest power of two not above
    ``count`` (MEAN's requantization shift; 1 for SUM)."""
    ratio = float(np.float32(in_q["scale"])) / float(np.float32(out_q["scale"]))
    return ratio < 2.0 ** (30 + count.bit_length() - 1)


@st.composite
def mean_or_sum_cases(draw, op: str, dtype: str):
    """Arguments of :func:`reduce_model` for MEAN or SUM."""
    shape, axes, keep_dims = draw(reduce_geometry())
    in_q = draw(_quantization(dtype))
    out_q = in_q if dtype not in QUANTIZED or draw(st.booleans()) else draw(_quantization(dtype))
    if dtype in QUANTIZED:
        rank = len(shape)
        count = int(np.prod([shape[a] for a in {a % rank for a in axes}])) if rank else 1
        if not _rescale_fits(in_q, out_q, count if op == "MEAN" else 1):
            out_q = in_q
    return op, dtype, shape, axes, keep_dims, in_q, out_q


@st.composite
def same_quantization_cases(draw, op: str, dtype: str):
    """Arguments of :func:`reduce_model` for REDUCE_MAX, REDUCE_MIN, REDUCE_ANY and REDUCE_ALL."""
    shape, axes, keep_dims = draw(reduce_geometry())
    q = draw(_quantization(dtype))
    return op, dtype, shape, axes, keep_dims, q, q


@st.composite
def prod_cases(draw, dtype: str):
    """Arguments of :func:`reduce_model` for REDUCE_PROD; quantized outputs on a scale near the
    product of the inputs' largest values, give or take a few powers of two."""
    shape, axes, keep_dims = draw(reduce_geometry(max_rank=4, max_dim=4))
    in_q = draw(_quantization(dtype))
    if dtype not in QUANTIZED:
        return "REDUCE_PROD", dtype, shape, axes, keep_dims, in_q, in_q
    rank = len(shape)
    count = int(np.prod([shape[a] for a in {a % rank for a in axes}])) if rank else 1
    largest = float(np.float32(in_q["scale"])) * (128 if dtype == "int8" else 32768)
    out_scale = float(np.clip(largest ** count / (127 if dtype == "int8" else 32767)
                              * 2.0 ** draw(st.integers(-6, 6)), 1e-30, 1e30))
    out_q = _q(out_scale, draw(INT8_ZERO_POINTS) if dtype == "int8" else 0)
    n = max(1, int(np.prod(shape)) // max(1, int(np.prod(reduced_shape(shape, axes, keep_dims)))))
    if float(np.float32(in_q["scale"])) / float(np.float32(out_scale)) ** (1 / n) >= 2.0 ** 13:
        out_q = _q(float(np.float32(in_q["scale"])) ** n, out_q["zero_point"])
    return "REDUCE_PROD", dtype, shape, axes, keep_dims, in_q, out_q


def arg_model(op: str, dtype: str, shape, axis: int, output_type: str, axis_type: str, in_q: dict) -> bytes:
    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", shape, dtype, **in_q)
    a = g.add_constant("axis", np.array([axis], axis_type))
    y = g.add_output("y", tuple(d for i, d in enumerate(shape) if i != axis % len(shape)), output_type)
    options_class = O.ArgMaxOptions if op == "ARG_MAX" else O.ArgMinOptions
    g.add_operator(op, [x, a], [y], options_class(output_type=TensorType[output_type.upper()]),
                   version=VERSIONS[op].get(dtype, 1))
    return b.build()


@st.composite
def arg_cases(draw, op: str, dtype: str):
    """Arguments of :func:`arg_model`; TFLite Micro takes only int32 axes and outputs, so those
    come first."""
    shape = tuple(draw(st.lists(st.integers(1, 6), min_size=1, max_size=5)))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    litert_only = dtype in ("int32", "uint8", "bool")
    output_type = "int64" if (litert_only or draw(st.integers(0, 3)) == 0) and draw(st.booleans()) else "int32"
    axis_type = "int64" if (litert_only or draw(st.integers(0, 3)) == 0) and draw(st.booleans()) else "int32"
    return op, dtype, shape, axis, output_type, axis_type, draw(_quantization(dtype))


def cumsum_model(dtype: str, shape, axis: int, exclusive: bool, reverse: bool, in_q: dict, out_q: dict) -> bytes:
    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", shape, dtype, **in_q)
    a = g.add_constant("axis", np.array([axis], np.int32))
    y = g.add_output("y", shape, dtype, **out_q)
    g.add_operator("CUMSUM", [x, a], [y], O.CumsumOptions(exclusive=exclusive, reverse=reverse))
    return b.build()


@st.composite
def cumsum_cases(draw, dtype: str):
    """Arguments of :func:`cumsum_model`."""
    shape = tuple(draw(st.lists(st.integers(1, 6), min_size=1, max_size=4)))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    in_q = draw(_quantization(dtype))
    out_q = draw(_quantization(dtype))
    if dtype == "int8" and draw(st.booleans()):  # a scale fitting the running sums
        out_q = _q(in_q["scale"] * shape[axis % len(shape)], out_q["zero_point"])
    return dtype, shape, axis, draw(st.booleans()), draw(st.booleans()), in_q, out_q


def l2_normalization_model(dtype: str, shape, in_q: dict, out_q: dict) -> bytes:
    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", shape, dtype, **in_q)
    y = g.add_output("y", shape, dtype, **out_q)
    g.add_operator("L2_NORMALIZATION", [x], [y], O.L2NormOptions(ActivationFunction.NONE),
                   version=VERSIONS["L2_NORMALIZATION"].get(dtype, 1))
    return b.build()


@st.composite
def l2_normalization_cases(draw, dtype: str):
    """Arguments of :func:`l2_normalization_model`: rank 1 to 4 (TFLite Micro's limit)."""
    shape = tuple(draw(st.lists(st.integers(1, 9), min_size=1, max_size=4)))
    in_q = draw(_quantization(dtype))
    out_q = {}
    if dtype == "int8":
        out_q = _q(1 / 128, 0) if draw(st.integers(0, 4)) else draw(_quantization(dtype))
    elif dtype == "uint8":  # LiteRT only: the output quantization it requires
        out_q = _q(1 / 128, 128)
    return dtype, shape, in_q, out_q


def _pool_out(padding: Padding, size: int, filter_size: int, stride: int) -> int:
    if padding == Padding.SAME:
        return (size + stride - 1) // stride
    return (size + stride - filter_size) // stride


def l2_pool_model(shape, filter_size, stride, padding: Padding, activation: ActivationFunction) -> bytes:
    b = ModelBuilder()
    g = b.main
    out_shape = (shape[0], _pool_out(padding, shape[1], filter_size[0], stride[0]),
                 _pool_out(padding, shape[2], filter_size[1], stride[1]), shape[3])
    x = g.add_input("x", shape, "float32")
    y = g.add_output("y", out_shape, "float32")
    g.add_operator("L2_POOL_2D", [x], [y], O.Pool2DOptions(
        padding=padding, stride_w=stride[1], stride_h=stride[0], filter_width=filter_size[1],
        filter_height=filter_size[0], fused_activation_function=activation))
    return b.build()


@st.composite
def l2_pool_cases(draw):
    """Arguments of :func:`l2_pool_model`, with an output of at least one pixel."""
    padding = draw(st.sampled_from([Padding.SAME, Padding.VALID]))
    filter_size = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    height = max(draw(st.integers(1, 9)), filter_size[0] if padding == Padding.VALID else 1)
    width = max(draw(st.integers(1, 9)), filter_size[1] if padding == Padding.VALID else 1)
    shape = (draw(st.integers(1, 2)), height, width, draw(st.integers(1, 4)))
    return shape, filter_size, stride, padding, draw(st.sampled_from(ACTIVATIONS))


def _reductions(op: str, cases):
    return lambda act: cases(op, act).map(lambda c: reduce_model(*c))


NUMERIC = ("int8", "int16x8", "float32", "int32", "int64")
ARG_TYPES = ("int8", "float32", "int32", "uint8", "bool")
GENERATED = {
    "MEAN": ((*NUMERIC, "uint8"), _reductions("MEAN", mean_or_sum_cases)),
    "SUM": ((*NUMERIC, "uint8", "bool"), _reductions("SUM", mean_or_sum_cases)),
    "REDUCE_MAX": ((*NUMERIC, "uint8", "bool"), _reductions("REDUCE_MAX", same_quantization_cases)),
    "REDUCE_MIN": ((*NUMERIC, "uint8", "bool"), _reductions("REDUCE_MIN", same_quantization_cases)),
    "REDUCE_PROD": ((*NUMERIC, "bool"), lambda act: prod_cases(act).map(lambda c: reduce_model(*c))),
    "REDUCE_ANY": (("bool",), _reductions("REDUCE_ANY", same_quantization_cases)),
    "REDUCE_ALL": (("bool",), _reductions("REDUCE_ALL", same_quantization_cases)),
    "ARG_MAX": (ARG_TYPES, lambda act: arg_cases("ARG_MAX", act).map(lambda c: arg_model(*c))),
    "ARG_MIN": (ARG_TYPES, lambda act: arg_cases("ARG_MIN", act).map(lambda c: arg_model(*c))),
    "CUMSUM": (("int8", "float32", "int32", "int64"), lambda act: cumsum_cases(act).map(lambda c: cumsum_model(*c))),
    "L2_NORMALIZATION": (("int8", "float32", "uint8"),
                         lambda act: l2_normalization_cases(act).map(lambda c: l2_normalization_model(*c))),
    "L2_POOL_2D": (("float32",), lambda act: l2_pool_cases().map(lambda c: l2_pool_model(*c))),
}
