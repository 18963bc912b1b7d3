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


@st.composite
def gather_nd_model(draw, dtype: str) -> bytes:
    in_shape = draw(shapes(1, 5, 4))
    depth = draw(st.integers(1, min(len(in_shape), 5)))
    batch = draw(shapes(0, 2, 3))
    rng = np.random.default_rng(draw(SEEDS))
    indices = np.stack([rng.integers(0, n, size=batch) for n in in_shape[:depth]], axis=-1)
    idx_type = "int32" if dtype in ("float32", "int8") else _index_dtype(draw, ("int16", "int32", "int64"))
    q = draw(qparams(dtype))
    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", in_shape, dtype, **q)
    i = g.add_constant("indices", indices.astype(idx_type))
    y = g.add_output("y", tuple(batch) + tuple(in_shape[depth:]), dtype, **q)
    g.add_operator("GATHER_ND", [x, i], [y], version=draw(st.integers(1, 6)))
    return b.build()


@st.composite
def zeros_like_model(draw, dtype: str) -> bytes:
    shape = draw(shapes(1, 5))
    q = draw(qparams(dtype))
    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", shape, dtype, **q)
    y = g.add_output("y", shape, dtype, **q)
    g.add_operator("ZEROS_LIKE", [x], [y])
    return b.build()


@st.composite
def broadcast_to_model(draw, dtype: str) -> bytes:
    target = draw(shapes(1, 5))
    kept = draw(st.integers(0, len(target)))
    in_shape = tuple(1 if draw(st.booleans()) else d for d in target[len(target) - kept:])
    q = draw(qparams(dtype))
    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", in_shape, dtype, **q)
    s = g.add_constant("shape", np.array(target, _index_dtype(draw)))
    y = g.add_output("y", target, dtype, **q)
    g.add_operator("BROADCAST_TO", [x, s], [y], version=draw(st.integers(2, 4)))
    return b.build()


@st.composite
def broadcast_args_model(draw, dtype: str) -> bytes:
    """BROADCAST_ARGS of two constant shapes that broadcast (random run-time shapes would not)."""
    longer = draw(shapes(1, 5, 5))
    shorter = tuple(1 if draw(st.booleans()) else d for d in longer[len(longer) - draw(st.integers(1, len(longer))):])
    pair = (longer, shorter) if draw(st.booleans()) else (shorter, longer)
    b = ModelBuilder()
    g = b.main
    a = g.add_constant("a", np.array(pair[0], dtype))
    c = g.add_constant("b", np.array(pair[1], dtype))
    y = g.add_output("y", (len(longer),), dtype)
    g.add_operator("BROADCAST_ARGS", [a, c], [y])
    return b.build()


@st.composite
def select_v2_model(draw, dtype: str) -> bytes:
    out_shape = draw(shapes(1, 5))

    def operand():
        k = draw(st.integers(0, len(out_shape)))
        return tuple(1 if draw(st.booleans()) else d for d in out_shape[len(out_shape) - k:])

    shapes3 = [operand(), operand(), operand()]
    shapes3[draw(st.integers(0, 2))] = out_shape
    q = draw(qparams(dtype))
    b = ModelBuilder()
    g = b.main
    c = g.add_input("condition", shapes3[0], "bool")
    x = g.add_input("x", shapes3[1], dtype, **q)
    y = g.add_input("y", shapes3[2], dtype, **q)
    out = g.add_output("out", out_shape, dtype, **q)
    g.add_operator("SELECT_V2", [c, x, y], [out], version=draw(st.integers(1, 2)))
    return b.build()


@st.composite
def depth_space_model(draw, dtype: str, op: str) -> bytes:
    block = draw(st.integers(1, 3))
    n, h, w, c = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    small, large = (n, h, w, c * block * block), (n, h * block, w * block, c)
    in_shape, out_shape = (small, large) if op == "DEPTH_TO_SPACE" else (large, small)
    q = draw(qparams(dtype))
    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", in_shape, dtype, **q)
    y = g.add_output("y", out_shape, dtype, **q)
    options = (O.DepthToSpaceOptions if op == "DEPTH_TO_SPACE" else O.SpaceToDepthOptions)(block_size=block)
    g.add_operator(op, [x], [y], options, version=1 if op == "DEPTH_TO_SPACE" else draw(st.integers(1, 2)))
    return b.build()


@st.composite
def batch_space_model(draw, dtype: str, op: str) -> bytes:
    spatial = draw(st.integers(1, 2))
    block = [draw(st.integers(1, 3)) for _ in range(spatial)]
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    pads, padded, outer = [], [], []
    unpadded = op == "SPACE_TO_BATCH_ND" and draw(st.booleans())  # TFLite Micro pads with garbage
    for k in block:
        size = k * draw(st.integers(1, 3))
        before = 0 if unpadded else draw(st.integers(0, min(2, size - 1)))
        after = 0 if unpadded else draw(st.integers(0, min(2, size - 1 - before)))
        pads.append([before, after])
        padded.append(size)
        outer.append(size // k)
    space = (n, *[p - a - z for p, (a, z) in zip(padded, pads)], c)
    batch = (n * int(np.prod(block)), *outer, c)
    in_shape, out_shape = (space, batch) if op == "SPACE_TO_BATCH_ND" else (batch, space)
    q = draw(qparams(dtype, symmetric=dtype == "int16"))
    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", in_shape, dtype, **q)
    bs = g.add_constant("block", np.array(block, np.int32))
    ps = g.add_constant("pads", np.array(pads, np.int32))
    y = g.add_output("y", out_shape, dtype, **q)
    g.add_operator(op, [x, bs, ps], [y], version=draw(st.integers(1, 4)))
    return b.build()


@st.composite
def mirror_pad_model(draw, dtype: str) -> bytes:
    in_shape = draw(shapes(1, 4, 4))
    mode = draw(st.integers(0, 1))
    pads = [[draw(st.integers(0, d - 1 + mode)), draw(st.integers(0, d - 1 + mode))] for d in in_shape]
    out_shape = tuple(d + a + z for d, (a, z) in zip(in_shape, pads))
    q = draw(qparams(dtype, symmetric=dtype == "int16"))
    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", in_shape, dtype, **q)
    p = g.add_constant("paddings", np.array(pads, _index_dtype(draw)))
    y = g.add_output("y", out_shape, dtype, **q)
    g.add_operator("MIRROR_PAD", [x, p], [y], O.MirrorPadOptions(mode=mode), version=draw(st.integers(1, 2)))
    return b.build()


@st.composite
def embedding_lookup_model(draw, dtype: str) -> bytes:
    """A constant table of ``dtype`` looked up by constant ids; an int8 table is read as int8 or
    dequantized to float32 (per tensor or per row)."""
    rows = draw(st.integers(1, 6))
    table_shape = (rows, *draw(shapes(1, 2, 4)))
    rng = np.random.default_rng(draw(SEEDS))
    ids = rng.integers(0, rows, size=draw(st.integers(1, 5)))
    out_dtype = "float32" if dtype == "int8" and draw(st.booleans()) else dtype
    if dtype == "bool":
        table = rng.integers(0, 2, table_shape).astype(bool)
    elif dtype == "float32":
        table = rng.uniform(-4, 4, table_shape).astype(np.float32)
    else:
        info = np.iinfo(dtype)
        table = rng.integers(info.min, info.max, table_shape, endpoint=True).astype(dtype)
    q = draw(qparams(dtype))
    if out_dtype != dtype:
        scale = q["scale"] if draw(st.booleans()) else rng.uniform(0.001, 2.0, rows).astype(np.float32)
        q = dict(scale=scale, zero_point=np.zeros(np.size(scale), np.int64))
    b = ModelBuilder()
    g = b.main
    i = g.add_constant("ids", ids.astype(np.int32))
    t = g.add_input("table", table_shape, dtype, **q) if draw(st.booleans()) and out_dtype == dtype \
        else g.add_constant("table", table, **q)
    y = g.add_output("y", (ids.size, *table_shape[1:]), out_dtype, **(q if out_dtype == dtype else {}))
    g.add_operator("EMBEDDING_LOOKUP", [i, t], [y], version=draw(st.integers(1, 5)))
    return b.build()


@st.composite
def dynamic_update_slice_model(draw, dtype: str) -> bytes:
    """Start indices are a constant (random run-time ones are clamped: the tests cover that)."""
    operand = draw(shapes(1, 5, 4))
    update = tuple(draw(st.integers(1, d)) for d in operand)
    start = [draw(st.integers(-2, d + 2)) for d in operand]
    q = draw(qparams(dtype))
    b = ModelBuilder()
    g = b.main
    x = g.add_input("operand", operand, dtype, **q)
    u = g.add_input("update", update, dtype, **q)
    s = g.add_constant("start", np.array(start, _index_dtype(draw)))
    y = g.add_output("y", operand, dtype, **q)
    g.add_operator("DYNAMIC_UPDATE_SLICE", [x, u, s], [y], version=draw(st.integers(1, 6)))
    return b.build()


@st.composite
def tile_model(draw, dtype: str) -> bytes:
    in_shape = draw(shapes(1, 4, 3))
    multiples = [draw(st.integers(1, 3)) for _ in in_shape]
    q = draw(qparams(dtype))
    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", in_shape, dtype, **q)
    m = g.add_constant("multiples", np.array(multiples, _index_dtype(draw)))
    y = g.add_output("y", tuple(d * k for d, k in zip(in_shape, multiples)), dtype, **q)
    g.add_operator("TILE", [x, m], [y], version=draw(st.integers(1, 2)))
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
    "GATHER_ND": (_labels(*ALL), gather_nd_model),
    "ZEROS_LIKE": (_labels("float32", "int8", "int32", "int64"), zeros_like_model),
    "BROADCAST_TO": (_labels(*ALL), broadcast_to_model),
    "BROADCAST_ARGS": (_labels("int32", "int64"), broadcast_args_model),
    "SELECT_V2": (_labels(*ALL), select_v2_model),
    "DEPTH_TO_SPACE": (_labels("float32", "int8", "int32", "int64", "uint8"),
                       lambda dtype: depth_space_model(dtype, "DEPTH_TO_SPACE")),
    "SPACE_TO_DEPTH": (_labels("float32", "int8", "int32", "int64", "uint8"),
                       lambda dtype: depth_space_model(dtype, "SPACE_TO_DEPTH")),
    "SPACE_TO_BATCH_ND": (_labels(*ALL), lambda dtype: batch_space_model(dtype, "SPACE_TO_BATCH_ND")),
    "BATCH_TO_SPACE_ND": (_labels(*ALL), lambda dtype: batch_space_model(dtype, "BATCH_TO_SPACE_ND")),
    "MIRROR_PAD": (_labels(*ALL), mirror_pad_model),
    "EMBEDDING_LOOKUP": (_labels(*ALL), embedding_lookup_model),
    "DYNAMIC_UPDATE_SLICE": (_labels(*ALL), dynamic_update_slice_model),
    "TILE": (_labels(*ALL), tile_model),
}
