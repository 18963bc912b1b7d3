"""Strategies of the data-movement, shape and indexing operators (SHAPE, SPLIT_V, GATHER, CAST,
SLICE, FILL, REVERSE_V2, ...).

These operators copy values, so what is drawn is the geometry: ranks up to the references'
limits, negative axes, -1 sizes, batch dimensions, every element type each reference takes.
Indices are constants inside their range (an index out of range fails the run in both
references, which their own tests cover). Quantized tensors keep the input's scale and zero point,
as the converter writes them.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from ...tflite import ModelBuilder
from ...tflite import options as O
from .._draw import SEEDS, qparams

# Activation types (see _draw.ACTIVATION_TYPE) and the labels that select them.
LABELS = {"float32": "float32", "int8": "int8", "int16": "int16x8", "int32": "int32",
          "int64": "int64", "bool": "bool", "uint8": "uint8"}


def _labels(*types: str) -> tuple[str, ...]:
    return tuple(LABELS[t] for t in types)


def shapes(min_rank=1, max_rank=4, max_dim=4):
    return st.lists(st.integers(1, max_dim), min_size=min_rank, max_size=max_rank).map(tuple)


def _index_dtype(draw, choices=("int32", "int64")) -> str:
    return draw(st.sampled_from(choices))


def _signed_axis(draw, axis: int, rank: int) -> int:
    return axis - rank if draw(st.booleans()) else axis


# -- one builder per operator ------------------------------------------------------------------
@st.composite
def shape_model(draw, dtype: str) -> bytes:
    """SHAPE of a tensor of ``dtype`` (any type); the output type is drawn from what each
    reference writes (int32 for both; int64 for LiteRT only)."""
    in_shape = draw(shapes(1, 6))  # LiteRT's Python API cannot read the empty SHAPE of a scalar
    out_type = draw(st.sampled_from(["int32", "int32", "int64"]))
    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", in_shape, dtype, **draw(qparams(dtype)))
    y = g.add_output("y", (len(in_shape),), out_type)
    g.add_operator("SHAPE", [x], [y], O.ShapeOptions(out_type=2 if out_type == "int32" else 4))
    return b.build()


@st.composite
def split_v_model(draw, dtype: str) -> bytes:
    in_shape = list(draw(shapes(1, 5)))
    rank = len(in_shape)
    axis = draw(st.integers(0, rank - 1))
    sizes = draw(st.lists(st.integers(1, 4), min_size=1, max_size=4))
    in_shape[axis] = sum(sizes)
    written = list(sizes)
    if draw(st.booleans()):
        written[draw(st.integers(0, len(sizes) - 1))] = -1
    q = draw(qparams(dtype))
    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", in_shape, dtype, **q)
    s = g.add_constant("sizes", np.array(written, _index_dtype(draw)))
    a = g.add_constant("axis", np.array([_signed_axis(draw, axis, rank)], _index_dtype(draw)).reshape(
        draw(st.sampled_from([(), (1,)]))))
    outs = []
    for i, size in enumerate(sizes):
        shape = list(in_shape)
        shape[axis] = size
        outs.append(g.add_output(f"y{i}", shape, dtype, **q))
    g.add_operator("SPLIT_V", [x, s, a], outs, O.SplitVOptions(num_splits=len(sizes)),
                   version=draw(st.integers(1, 3)))
    return b.build()


@st.composite
def gather_model(draw, dtype: str) -> bytes:
    in_shape = draw(shapes(1, 4, 5))
    rank = len(in_shape)
    axis = draw(st.integers(0, rank - 1))
    batch_dims = draw(st.integers(0, axis)) if draw(st.integers(0, 3)) == 0 else 0
    idx_shape = tuple(in_shape[:batch_dims]) + draw(shapes(0, 2, 3))
    rng = np.random.default_rng(draw(SEEDS))
    indices = rng.integers(0, in_shape[axis], size=idx_shape)
    idx_type = "int32" if dtype in ("float32", "int8") else _index_dtype(draw, ("int16", "int32", "int64"))
    out_shape = tuple(in_shape[:axis]) + idx_shape[batch_dims:] + tuple(in_shape[axis + 1:])
    q = draw(qparams(dtype))
    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", in_shape, dtype, **q)
    i = g.add_constant("indices", indices.astype(idx_type))
    y = g.add_output("y", out_shape, dtype, **q)
    if 0 < batch_dims < len(idx_shape) and draw(st.booleans()):
        batch_dims -= len(idx_shape)  # the same, counted from the indices' rank
    g.add_operator("GATHER", [x, i], [y], O.GatherOptions(axis=_signed_axis(draw, axis, rank),
                                                          batch_dims=batch_dims),
                   version=draw(st.integers(1, 8)))
    return b.build()


CAST_TFLM = ("float32", "int8", "int16", "int32", "bool")
CAST_ALL = CAST_TFLM + ("int64", "uint8")


@st.composite
def cast_model(draw, dtype: str) -> bytes:
    """CAST from ``dtype`` to any type (mostly ones TFLite Micro also takes)."""
    choices = CAST_ALL if dtype not in CAST_TFLM or draw(st.integers(0, 3)) == 0 else CAST_TFLM
    out_dtype = draw(st.sampled_from(choices))
    shape = draw(shapes(0, 4))
    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", shape, dtype)
    y = g.add_output("y", shape, out_dtype)
    g.add_operator("CAST", [x], [y], version=draw(st.integers(1, 9)))
    return b.build()


@st.composite
def slice_model(draw, dtype: str) -> bytes:
    in_shape = draw(shapes(1, 5, 5))
    begin, size, out_shape = [], [], []
    for n in in_shape:
        b0 = draw(st.integers(0, n - 1))
        s = draw(st.integers(1, n - b0))
        begin.append(b0)
        out_shape.append(s)
        size.append(-1 if s == n - b0 and draw(st.booleans()) else s)
    idx_type = _index_dtype(draw)
    q = draw(qparams(dtype))
    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", in_shape, dtype, **q)
    bt = g.add_constant("begin", np.array(begin, idx_type))
    st_ = g.add_constant("size", np.array(size, idx_type))
    y = g.add_output("y", out_shape, dtype, **q)
    g.add_operator("SLICE", [x, bt, st_], [y], version=draw(st.integers(1, 8)))
    return b.build()


@st.composite
def fill_model(draw, dtype: str) -> bytes:
    out_shape = draw(shapes(1, 5))
    q = draw(qparams(dtype, symmetric=dtype == "int16"))
    b = ModelBuilder()
    g = b.main
    d = g.add_constant("dims", np.array(out_shape, _index_dtype(draw)))
    v = g.add_input("value", (), dtype, **q)
    y = g.add_output("y", out_shape, dtype, **q)
    g.add_operator("FILL", [d, v], [y], version=draw(st.integers(1, 5)))
    return b.build()


@st.composite
def reverse_v2_model(draw, dtype: str) -> bytes:
    in_shape = draw(shapes(1, 6))
    rank = len(in_shape)
    first = draw(st.integers(0, rank - 1))
    count = draw(st.integers(1, rank - first)) if draw(st.integers(0, 2)) == 0 else 1
    axes = [_signed_axis(draw, a, rank) for a in range(first, first + count)]
    axes = draw(st.permutations(axes))
    q = draw(qparams(dtype))
    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", in_shape, dtype, **q)
    a = g.add_constant("axes", np.array(axes, np.int32))
    y = g.add_output("y", in_shape, dtype, **q)
    g.add_operator("REVERSE_V2", [x, a], [y], version=draw(st.integers(1, 4)))
    return b.build()


ALL = ("float32", "int8", "int16", "int32", "int64", "bool", "uint8")

GENERATED = {
    "SHAPE": (_labels("float32", "int8", "int32"), shape_model),
    "SPLIT_V": (_labels("float32", "int8", "int16", "int32", "int64", "uint8"), split_v_model),
    "GATHER": (_labels(*ALL), gather_model),
    "CAST": (_labels(*ALL), cast_model),
    "SLICE": (_labels(*ALL), slice_model),
    "FILL": (_labels(*ALL), fill_model),
    "REVERSE_V2": (_labels(*ALL), reverse_v2_model),
}
