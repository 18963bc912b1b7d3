"""RESHAPE, SQUEEZE, EXPAND_DIMS, CONCATENATION, PAD, PADV2, STRIDED_SLICE, TRANSPOSE, SPLIT,
PACK, UNPACK: single-op models against both references, bit for bit.

These ops only move values, so what is under test is the shape semantics (negative axes, masks,
stretch dimensions, pad values) and which models each reference accepts.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microinfer import UnsupportedOpError
from microinfer.interpreter import Interpreter
from microinfer.reference import ReferenceFailure
from microinfer.tflite import options as O
from microinfer.tflite.builder import ModelBuilder

from kernel_check import assert_bit_exact

SETTINGS = dict(deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
QUANTIZED = ("int8", "int16")
SCALES = (1e-6, 0.00390625, 0.1, 1.7, 3e4)
DTYPES = {
    "float32": np.float32, "int8": np.int8, "int16": np.int16, "int32": np.int32,
    "uint8": np.uint8, "int64": np.int64, "bool": np.bool_,
}


# -- helpers ------------------------------------------------------------------------------------

def values(shape, dtype: str, rng: np.random.Generator) -> np.ndarray:
    dt = np.dtype(DTYPES[dtype])
    if dt == np.bool_:
        return rng.integers(0, 2, size=shape).astype(bool)
    if np.issubdtype(dt, np.integer):
        info = np.iinfo(dt)
        return rng.integers(info.min, info.max, size=shape, endpoint=True).astype(dt)
    return rng.uniform(-10, 10, size=shape).astype(dt)


@st.composite
def qparams(draw, dtype: str, int16_zero_point=True) -> dict:
    """Quantization keyword arguments for ModelBuilder.add_tensor ({} for unquantized types)."""
    if dtype not in QUANTIZED:
        return {}
    scale = draw(st.sampled_from(SCALES))
    if dtype == "int8":
        zp = draw(st.sampled_from([-128, 127, 0]) | st.integers(-128, 127))
    else:
        zp = draw(st.sampled_from([0, -32768, 32767]) | st.integers(-32768, 32767)) if int16_zero_point else 0
    return dict(scale=scale, zero_point=zp)


def shapes(min_rank=1, max_rank=4, max_dim=5):
    return st.lists(st.integers(1, max_dim), min_size=min_rank, max_size=max_rank).map(tuple)


def seed_of(*parts) -> int:
    return zlib.crc32(repr(parts).encode())


def model(build) -> bytes:
    builder = ModelBuilder()
    build(builder.main)
    return builder.build()


def check(worker, model_bytes, inputs, references=("tflm", "tflite")):
    assert_bit_exact(worker, model_bytes, inputs, references=references)


def assert_refused(worker, model_bytes, inputs, reference):
    """microinfer refuses the model for ``reference`` and so does the reference itself."""
    with pytest.raises(UnsupportedOpError):
        Interpreter(model_bytes, reference=reference)
    with pytest.raises(ReferenceFailure):
        worker.run(reference, model_bytes, inputs)


# -- RESHAPE ------------------------------------------------------------------------------------

def _factor_into(n: int, rank: int, draw) -> tuple[int, ...]:
    dims = [1] * rank
    p = 2
    while n > 1:
        while n % p == 0:
            dims[draw(st.integers(0, rank - 1))] *= p
            n //= p
        p += 1
    return tuple(dims)


@settings(max_examples=400, **SETTINGS)
@given(data=st.data())
def test_reshape(reference_worker, data):
    dtype = data.draw(st.sampled_from(list(DTYPES)))
    in_shape = data.draw(shapes(0, 5, 6))
    n = int(np.prod(in_shape, dtype=np.int64))
    out_shape = _factor_into(n, data.draw(st.integers(1, 5)), data.draw) if n > 1 or data.draw(st.booleans()) \
        else ()
    requested = list(out_shape)
    if requested and data.draw(st.booleans()):
        requested[data.draw(st.integers(0, len(requested) - 1))] = -1
    mode = data.draw(st.sampled_from(["shape_tensor", "option", "dynamic_shape", "option_and_tensor"]))
    if not out_shape:
        mode = "option"  # an empty constant shape tensor has no buffer: it would not be constant
    q = data.draw(qparams(dtype))
    rng = np.random.default_rng(seed_of(dtype, in_shape, out_shape, mode))
    x = values(in_shape, dtype, rng)

    def build(g):
        xi = g.add_input("x", in_shape, dtype, **q)
        y = g.add_output("y", out_shape, dtype, **q)
        if mode == "option":
            g.add_operator("RESHAPE", [xi], [y], O.ReshapeOptions(new_shape=tuple(requested) or (0,)))
        elif mode == "dynamic_shape":
            s = g.add_input("s", (len(out_shape),), "int32")
            g.add_operator("RESHAPE", [xi, s], [y], O.ReshapeOptions())
        else:
            s = g.add_constant("s", np.array(requested, np.int32).reshape(len(requested)))
            opts = O.ReshapeOptions(new_shape=tuple(requested)) if mode == "option_and_tensor" else O.ReshapeOptions()
            g.add_operator("RESHAPE", [xi, s], [y], opts)

    inputs = [x] + ([np.array(out_shape, np.int32)] if mode == "dynamic_shape" else [])
    check(reference_worker, model(build), inputs)


def test_reshape_shape_input_disagreeing_with_output(reference_worker):
    """TFLite Micro sizes the output from the output tensor; LiteRT from the shape input."""
    def build(g):
        x = g.add_input("x", (2, 6), "int8", scale=0.5, zero_point=1)
        s = g.add_constant("s", np.array([4, 3], np.int32))
        y = g.add_output("y", (3, 4), "int8", scale=0.5, zero_point=1)
        g.add_operator("RESHAPE", [x, s], [y], O.ReshapeOptions())

    m = model(build)
    x = np.arange(12, dtype=np.int8).reshape(2, 6)
    check(reference_worker, m, [x], references=("tflm",))
    np.testing.assert_array_equal(Interpreter(m).run([x])[0], np.arange(12, dtype=np.int8).reshape(3, 4))
    with pytest.raises(UnsupportedOpError):
        Interpreter(m, reference="tflite")
    assert reference_worker.run("tflite", m, [x]).outputs[0].shape == (4, 3)


# -- SQUEEZE ------------------------------------------------------------------------------------

@settings(max_examples=250, **SETTINGS)
@given(data=st.data())
def test_squeeze(reference_worker, data):
    dtype = data.draw(st.sampled_from(list(DTYPES)))
    in_shape = data.draw(st.lists(st.sampled_from([1, 1, 2, 3, 4]), min_size=1, max_size=6).map(tuple))
    rank = len(in_shape)
    ones = [i for i, d in enumerate(in_shape) if d == 1]
    chosen = data.draw(st.lists(st.sampled_from(ones), unique=True)) if ones else []
    dims = tuple(i - rank if data.draw(st.booleans()) else i for i in chosen)
    out_shape = tuple(d for i, d in enumerate(in_shape) if (i not in chosen if dims else d != 1))
    q = data.draw(qparams(dtype))
    x = values(in_shape, dtype, np.random.default_rng(seed_of(in_shape, dims)))

    def build(g):
        xi = g.add_input("x", in_shape, dtype, **q)
        y = g.add_output("y", out_shape, dtype, **q)
        g.add_operator("SQUEEZE", [xi], [y], O.SqueezeOptions(squeeze_dims=dims or None))

    check(reference_worker, model(build), [x])


def test_squeeze_of_a_dimension_not_one_is_refused(reference_worker):
    def build(g):
        x = g.add_input("x", (1, 2, 3), "float32")
        y = g.add_output("y", (2, 3), "float32")
        g.add_operator("SQUEEZE", [x], [y], O.SqueezeOptions(squeeze_dims=(1,)))

    m = model(build)
    for ref in ("tflm", "tflite"):
        assert_refused(reference_worker, m, [np.zeros((1, 2, 3), np.float32)], ref)


# -- EXPAND_DIMS --------------------------------------------------------------------------------

@settings(max_examples=250, **SETTINGS)
@given(data=st.data())
def test_expand_dims(reference_worker, data):
    dtype = data.draw(st.sampled_from(["float32", "int8", "int16"]))
    in_shape = data.draw(shapes(0, 4))
    axis = data.draw(st.integers(-len(in_shape) - 1, len(in_shape)))
    position = axis + len(in_shape) + 1 if axis < 0 else axis
    out_shape = in_shape[:position] + (1,) + in_shape[position:]
    axis_dtype = data.draw(st.sampled_from([np.int32, np.int64]))
    axis_shape = data.draw(st.sampled_from([(), (1,)]))
    q = data.draw(qparams(dtype, int16_zero_point=False))
    x = values(in_shape, dtype, np.random.default_rng(seed_of(in_shape, axis)))

    def build(g):
        xi = g.add_input("x", in_shape, dtype, **q)
        a = g.add_constant("a", np.array(axis, axis_dtype).reshape(axis_shape))
        y = g.add_output("y", out_shape, dtype, **q)
        g.add_operator("EXPAND_DIMS", [xi, a], [y])

    m = model(build)
    if axis_dtype is np.int64:  # LiteRT only: TFLite Micro reads an int32 axis
        check(reference_worker, m, [x], references=("tflite",))
        assert_refused(reference_worker, m, [x], "tflm")
    else:
        check(reference_worker, m, [x])


def test_expand_dims_requantization_is_tflm_only(reference_worker):
    """TFLite Micro copies raw values whatever the quantization; LiteRT refuses differing params."""
    def build(g):
        x = g.add_input("x", (2, 3), "int16", scale=0.1, zero_point=5)
        a = g.add_constant("a", np.array([0], np.int32))
        y = g.add_output("y", (1, 2, 3), "int16", scale=0.2, zero_point=5)
        g.add_operator("EXPAND_DIMS", [x, a], [y])

    m = model(build)
    x = values((2, 3), "int16", np.random.default_rng(0))
    check(reference_worker, m, [x], references=("tflm",))
    assert_refused(reference_worker, m, [x], "tflite")


# -- CONCATENATION ------------------------------------------------------------------------------

@settings(max_examples=400, **SETTINGS)
@given(data=st.data())
def test_concatenation(reference_worker, data):
    dtype = data.draw(st.sampled_from(["float32", "int8", "int16", "int32", "int64", "bool"]))
    base = data.draw(shapes(1, 6, 4))
    rank = len(base)
    axis = data.draw(st.integers(-rank, rank - 1))
    a = axis % rank
    count = data.draw(st.integers(1, 10))
    sizes = data.draw(st.lists(st.integers(1, 4), min_size=count, max_size=count))
    in_shapes = [base[:a] + (s,) + base[a + 1:] for s in sizes]
    out_shape = base[:a] + (sum(sizes),) + base[a + 1:]
    if dtype == "int16":
        q = dict(scale=data.draw(st.sampled_from(SCALES)), zero_point=0)
        in_q = [dict(scale=data.draw(st.sampled_from(SCALES)), zero_point=0) for _ in sizes]
    else:
        q = data.draw(qparams(dtype))
        in_q = [q] * count
    rng = np.random.default_rng(seed_of(dtype, in_shapes, axis))
    inputs = [values(s, dtype, rng) for s in in_shapes]

    def build(g):
        ins = [g.add_input(f"x{i}", s, dtype, **qi) for i, (s, qi) in enumerate(zip(in_shapes, in_q))]
        y = g.add_output("y", out_shape, dtype, **q)
        g.add_operator("CONCATENATION", ins, [y], O.ConcatenationOptions(axis=axis))

    check(reference_worker, model(build), inputs)


@pytest.mark.parametrize("case", ["activation", "int8_requantize", "int16_zero_point"])
def test_concatenation_refusals(reference_worker, case):
    dtype = "float32" if case == "activation" else "int8" if case == "int8_requantize" else "int16"
    qa = {} if dtype == "float32" else dict(scale=0.1, zero_point=0 if dtype == "int8" else 3)
    qb = dict(scale=0.2, zero_point=0) if case == "int8_requantize" else qa

    def build(g):
        a = g.add_input("a", (2, 3), dtype, **qa)
        b = g.add_input("b", (2, 3), dtype, **qb)
        y = g.add_output("y", (4, 3), dtype, **qa)
        act = 1 if case == "activation" else 0
        g.add_operator("CONCATENATION", [a, b], [y], O.ConcatenationOptions(axis=0, fused_activation_function=act))

    m = model(build)
    rng = np.random.default_rng(1)
    inputs = [values((2, 3), dtype, rng), values((2, 3), dtype, rng)]
    for ref in ("tflm", "tflite"):
        assert_refused(reference_worker, m, inputs, ref)


# -- PAD / PADV2 --------------------------------------------------------------------------------

@settings(max_examples=400, **SETTINGS)
@given(data=st.data())
def test_pad(reference_worker, data):
    op = data.draw(st.sampled_from(["PAD", "PADV2", "PAD_WITH_VALUE"]))
    dtype = data.draw(st.sampled_from(["float32", "int8", "int16", "int32"]))
    in_shape = data.draw(shapes(1, 5, 4))
    paddings = np.array(
        data.draw(st.lists(st.tuples(st.sampled_from([0, 0, 1, 2, 3]), st.sampled_from([0, 0, 1, 2, 3])),
                           min_size=len(in_shape), max_size=len(in_shape))), np.int32).reshape(-1, 2)
    if len(in_shape) == 4 and data.draw(st.booleans()):  # the "image style" fast path of both references
        paddings[0] = paddings[3] = 0
    out_shape = tuple(int(d + p.sum()) for d, p in zip(in_shape, paddings))
    q = data.draw(qparams(dtype))
    rng = np.random.default_rng(seed_of(op, dtype, in_shape, paddings.tolist()))
    x = values(in_shape, dtype, rng)
    value = values((), dtype, rng)

    def build(g):
        xi = g.add_input("x", in_shape, dtype, **q)
        p = g.add_constant("p", paddings)
        y = g.add_output("y", out_shape, dtype, **q)
        ins = [xi, p]
        if op != "PAD":
            ins.append(g.add_constant("c", value, dtype, **q))
        g.add_operator("PADV2" if op == "PADV2" else "PAD", ins, [y])

    check(reference_worker, model(build), [x])


def test_pad_int16_value_differs_between_references(reference_worker):
    """Without a constant, TFLite Micro pads int16 with 0 and LiteRT with the zero point."""
    def build(g):
        x = g.add_input("x", (2,), "int16", scale=0.5, zero_point=7)
        p = g.add_constant("p", np.array([[1, 2]], np.int32))
        y = g.add_output("y", (5,), "int16", scale=0.5, zero_point=7)
        g.add_operator("PAD", [x, p], [y])

    m = model(build)
    x = np.array([100, -100], np.int16)
    check(reference_worker, m, [x])
    np.testing.assert_array_equal(Interpreter(m, reference="tflm").run([x])[0], [0, 100, -100, 0, 0])
    np.testing.assert_array_equal(Interpreter(m, reference="tflite").run([x])[0], [7, 100, -100, 7, 7])


def test_pad_hand_worked_int8(reference_worker):
    def build(g):
        x = g.add_input("x", (1, 2, 2, 1), "int8", scale=0.25, zero_point=-5)
        p = g.add_constant("p", np.array([[0, 0], [1, 0], [0, 1], [0, 0]], np.int32))
        y = g.add_output("y", (1, 3, 3, 1), "int8", scale=0.25, zero_point=-5)
        g.add_operator("PAD", [x, p], [y])

    m = model(build)
    x = np.array([1, 2, 3, 4], np.int8).reshape(1, 2, 2, 1)
    expected = np.array([[-5, -5, -5], [1, 2, -5], [3, 4, -5]], np.int8).reshape(1, 3, 3, 1)
    for ref in ("tflm", "tflite"):
        np.testing.assert_array_equal(Interpreter(m, reference=ref).run([x])[0], expected)
    check(reference_worker, m, [x])


def test_padv2_constant_with_other_quantization_is_refused(reference_worker):
    def build(g):
        x = g.add_input("x", (3,), "int8", scale=0.5, zero_point=0)
        p = g.add_constant("p", np.array([[1, 1]], np.int32))
        c = g.add_constant("c", np.array(3, np.int8), scale=0.25, zero_point=0)
        y = g.add_output("y", (5,), "int8", scale=0.5, zero_point=0)
        g.add_operator("PADV2", [x, p, c], [y])

    m = model(build)
    for ref in ("tflm", "tflite"):
        assert_refused(reference_worker, m, [np.zeros(3, np.int8)], ref)


def test_pad_refusals(reference_worker):
    """Negative paddings (both references) and, with LiteRT, an int16 constant of other quantization."""
    def negative(g):
        x = g.add_input("x", (4,), "float32")
        p = g.add_constant("p", np.array([[-1, 1]], np.int32))
        y = g.add_output("y", (4,), "float32")
        g.add_operator("PAD", [x, p], [y])

    def int16_constant(g):
        x = g.add_input("x", (3,), "int16", scale=0.5, zero_point=0)
        p = g.add_constant("p", np.array([[1, 1]], np.int32))
        c = g.add_constant("c", np.array(-9, np.int16), scale=0.25, zero_point=0)
        y = g.add_output("y", (5,), "int16", scale=0.5, zero_point=0)
        g.add_operator("PADV2", [x, p, c], [y])

    with pytest.raises(UnsupportedOpError):
        Interpreter(model(negative))
    with pytest.raises(UnsupportedOpError):
        Interpreter(model(negative), reference="tflite")
    m = model(int16_constant)
    x = np.array([1, 2, 3], np.int16)
    check(reference_worker, m, [x], references=("tflm",))
    np.testing.assert_array_equal(Interpreter(m).run([x])[0], [-9, 1, 2, 3, -9])
    assert_refused(reference_worker, m, [x], "tflite")


# -- STRIDED_SLICE ------------------------------------------------------------------------------

@settings(max_examples=600, **SETTINGS)
@given(data=st.data())
def test_strided_slice(reference_worker, data):
    dtype = data.draw(st.sampled_from(["float32", "int8", "int16", "int32", "bool"]))
    in_shape = data.draw(shapes(1, 5, 6))
    begin, end, strides = [], [], []
    begin_mask = end_mask = shrink_mask = 0
    out_shape = []
    for axis, n in enumerate(in_shape):
        if data.draw(st.integers(0, 4)) == 0:  # shrink this axis
            shrink_mask |= 1 << axis
            begin.append(data.draw(st.integers(-n, n - 1)))
            end.append(data.draw(st.integers(-n - 2, n + 2)))
            strides.append(data.draw(st.integers(1, 3)))
            continue
        b = data.draw(st.integers(-n - 2, n + 2))
        e = data.draw(st.integers(-n - 2, n + 2))
        s = data.draw(st.sampled_from([1, 1, 2, 3, -1, -2, -3]))
        bm, em = data.draw(st.booleans()), data.draw(st.booleans())
        begin_mask |= bm << axis
        end_mask |= em << axis
        begin.append(b)
        end.append(e)
        strides.append(s)
        # numpy's slicing has the same clamping rules
        out_shape.append(len(range(n)[slice(None if bm else b, None if em else e, s)]))
    q = data.draw(qparams(dtype))
    x = values(in_shape, dtype, np.random.default_rng(seed_of(in_shape, begin, end, strides)))

    def build(g):
        xi = g.add_input("x", in_shape, dtype, **q)
        c = [g.add_constant(k, np.array(v, np.int32)) for k, v in (("b", begin), ("e", end), ("s", strides))]
        y = g.add_output("y", tuple(out_shape), dtype, **q)
        g.add_operator("STRIDED_SLICE", [xi, *c], [y], O.StridedSliceOptions(
            begin_mask=begin_mask, end_mask=end_mask, shrink_axis_mask=shrink_mask))

    m = model(build)
    if (0 in out_shape and len(out_shape) > 1) or len(in_shape) > 4:
        # TFLite Micro fails to allocate an empty output of 2+ dimensions and slices at most 4-D
        assert_refused(reference_worker, m, [x], "tflm")
        check(reference_worker, m, [x], references=("tflite",))
    else:
        check(reference_worker, m, [x])
    # and against NumPy's own slicing
    index = []
    for axis, n in enumerate(in_shape):
        if shrink_mask >> axis & 1:
            index.append(begin[axis])
        else:
            index.append(slice(None if begin_mask >> axis & 1 else begin[axis],
                               None if end_mask >> axis & 1 else end[axis], strides[axis]))
    np.testing.assert_array_equal(Interpreter(m, reference="tflite").run([x])[0], x[tuple(index)])


def test_strided_slice_hand_worked(reference_worker):
    # axis 0: begin -1 -> row 2, stride -1, end mask -> down to row 0: rows 2, 1, 0
    # axis 1: begin 0, end -1 -> 3, stride 2: columns 0, 2
    def build(g):
        x = g.add_input("x", (3, 4), "int32")
        c = [g.add_constant(k, np.array(v, np.int32)) for k, v in (("b", [-1, 0]), ("e", [0, -1]), ("s", [-1, 2]))]
        y = g.add_output("y", (3, 2), "int32")
        g.add_operator("STRIDED_SLICE", [x, *c], [y], O.StridedSliceOptions(begin_mask=0, end_mask=1))

    m = model(build)
    x = np.arange(12, dtype=np.int32).reshape(3, 4)
    expected = np.array([[8, 10], [4, 6], [0, 2]], np.int32)
    for ref in ("tflm", "tflite"):
        np.testing.assert_array_equal(Interpreter(m, reference=ref).run([x])[0], expected)
    check(reference_worker, m, [x])


@pytest.mark.parametrize("options", [
    dict(ellipsis_mask=1), dict(new_axis_mask=1), dict(offset=True),
])
def test_strided_slice_unsupported_options_are_refused(options):
    def build(g):
        x = g.add_input("x", (4, 4), "float32")
        c = [g.add_constant(k, np.array(v, np.int32)) for k, v in (("b", [0, 0]), ("e", [2, 2]), ("s", [1, 1]))]
        y = g.add_output("y", (2, 2), "float32")
        g.add_operator("STRIDED_SLICE", [x, *c], [y], O.StridedSliceOptions(**options))

    for ref in ("tflm", "tflite"):
        with pytest.raises(UnsupportedOpError):
            Interpreter(model(build), reference=ref)


# -- TRANSPOSE ----------------------------------------------------------------------------------

@settings(max_examples=300, **SETTINGS)
@given(data=st.data())
def test_transpose(reference_worker, data):
    dtype = data.draw(st.sampled_from(["float32", "int8", "int16"]))
    in_shape = data.draw(shapes(1, 6, 4))
    perm = tuple(data.draw(st.permutations(range(len(in_shape)))))
    out_shape = tuple(in_shape[i] for i in perm)
    q = data.draw(qparams(dtype))
    x = values(in_shape, dtype, np.random.default_rng(seed_of(in_shape, perm)))

    def build(g):
        xi = g.add_input("x", in_shape, dtype, **q)
        p = g.add_constant("p", np.array(perm, np.int32))
        y = g.add_output("y", out_shape, dtype, **q)
        g.add_operator("TRANSPOSE", [xi, p], [y])

    m = model(build)
    if len(in_shape) > 5:  # TFLite Micro transposes at most 5-D
        assert_refused(reference_worker, m, [x], "tflm")
        check(reference_worker, m, [x], references=("tflite",))
    else:
        check(reference_worker, m, [x])


# -- SPLIT --------------------------------------------------------------------------------------

@settings(max_examples=300, **SETTINGS)
@given(data=st.data())
def test_split(reference_worker, data):
    dtype = data.draw(st.sampled_from(["float32", "int8", "int16", "int32"]))
    base = data.draw(shapes(1, 5, 4))
    rank = len(base)
    axis = data.draw(st.integers(-rank, rank - 1))
    parts = data.draw(st.integers(1, 4))
    in_shape = base[:axis % rank] + (base[axis % rank] * parts,) + base[axis % rank + 1:]
    axis_shape = data.draw(st.sampled_from([(), (1,)]))
    q = data.draw(qparams(dtype))
    x = values(in_shape, dtype, np.random.default_rng(seed_of(in_shape, axis, parts)))

    def build(g):
        a = g.add_constant("a", np.array(axis, np.int32).reshape(axis_shape))
        xi = g.add_input("x", in_shape, dtype, **q)
        ys = [g.add_output(f"y{i}", base, dtype, **q) for i in range(parts)]
        g.add_operator("SPLIT", [a, xi], ys, O.SplitOptions(num_splits=parts))

    check(reference_worker, model(build), [x])


# -- PACK / UNPACK ------------------------------------------------------------------------------

@settings(max_examples=300, **SETTINGS)
@given(data=st.data())
def test_pack(reference_worker, data):
    dtype = data.draw(st.sampled_from(["float32", "int8", "int16", "int32", "int64"]))
    in_shape = data.draw(shapes(0, 4))
    count = data.draw(st.integers(1, 5))
    axis = data.draw(st.integers(-len(in_shape) - 1, len(in_shape)))
    a = axis % (len(in_shape) + 1)
    out_shape = in_shape[:a] + (count,) + in_shape[a:]
    q = data.draw(qparams(dtype))
    rng = np.random.default_rng(seed_of(in_shape, count, axis))
    inputs = [values(in_shape, dtype, rng) for _ in range(count)]

    def build(g):
        ins = [g.add_input(f"x{i}", in_shape, dtype, **q) for i in range(count)]
        y = g.add_output("y", out_shape, dtype, **q)
        g.add_operator("PACK", ins, [y], O.PackOptions(values_count=count, axis=axis))

    check(reference_worker, model(build), inputs)


@settings(max_examples=300, **SETTINGS)
@given(data=st.data())
def test_unpack(reference_worker, data):
    dtype = data.draw(st.sampled_from(["float32", "int8", "int16", "int32"]))
    in_shape = data.draw(shapes(1, 5, 4))
    axis = data.draw(st.integers(-len(in_shape), len(in_shape) - 1))
    a = axis % len(in_shape)
    out_shape = in_shape[:a] + in_shape[a + 1:]
    q = data.draw(qparams(dtype))
    x = values(in_shape, dtype, np.random.default_rng(seed_of(in_shape, axis)))

    def build(g):
        xi = g.add_input("x", in_shape, dtype, **q)
        ys = [g.add_output(f"y{i}", out_shape, dtype, **q) for i in range(in_shape[a])]
        g.add_operator("UNPACK", [xi], ys, O.UnpackOptions(num=in_shape[a], axis=axis))

    check(reference_worker, model(build), [x])


@pytest.mark.parametrize("op", ["PACK", "UNPACK"])
def test_pack_unpack_with_other_quantization_runs_on_tflm_only(reference_worker, op):
    def build(g):
        if op == "PACK":
            a = g.add_input("a", (3,), "int8", scale=0.1, zero_point=2)
            b = g.add_input("b", (3,), "int8", scale=0.1, zero_point=2)
            y = g.add_output("y", (2, 3), "int8", scale=0.3, zero_point=-1)
            g.add_operator("PACK", [a, b], [y], O.PackOptions(values_count=2, axis=0))
        else:
            x = g.add_input("x", (2, 3), "int8", scale=0.1, zero_point=2)
            ys = [g.add_output(f"y{i}", (3,), "int8", scale=0.3, zero_point=-1) for i in range(2)]
            g.add_operator("UNPACK", [x], ys, O.UnpackOptions(num=2, axis=0))

    m = model(build)
    rng = np.random.default_rng(3)
    inputs = [values((3,), "int8", rng) for _ in range(2)] if op == "PACK" else [values((2, 3), "int8", rng)]
    check(reference_worker, m, inputs, references=("tflm",))
    assert_refused(reference_worker, m, inputs, "tflite")


def test_strided_slice_versions(reference_worker):
    """TFLite Micro runs any version; LiteRT's reference resolver stops at version 4."""
    def build(version):
        def b(g):
            x = g.add_input("x", (4,), "int8", scale=0.1, zero_point=0)
            c = [g.add_constant(k, np.array(v, np.int32)) for k, v in (("b", [1]), ("e", [4]), ("s", [2]))]
            y = g.add_output("y", (2,), "int8", scale=0.1, zero_point=0)
            g.add_operator("STRIDED_SLICE", [x, *c], [y], O.StridedSliceOptions(), version=version)
        return model(b)

    x = np.array([1, 2, 3, 4], np.int8)
    check(reference_worker, build(4), [x])
    check(reference_worker, build(8), [x], references=("tflm",))
    np.testing.assert_array_equal(Interpreter(build(8)).run([x])[0], [2, 4])
    assert_refused(reference_worker, build(8), [x], "tflite")


# -- types only LiteRT takes ----------------------------------------------------------------------

def _litert_only_type_model(op: str, dtype: str) -> bytes:
    q = dict(scale=0.5, zero_point=3) if dtype == "uint8" else {}

    def build(g):
        c = lambda name, v: g.add_constant(name, np.array(v, np.int32))  # noqa: E731
        x = g.add_input("x", (4, 3), dtype, **q)
        if op == "EXPAND_DIMS":
            g.add_operator(op, [x, c("a", [0])], [g.add_output("y", (1, 4, 3), dtype, **q)])
        elif op == "CONCATENATION":
            z = g.add_input("z", (4, 3), dtype, **q)
            g.add_operator(op, [x, z], [g.add_output("y", (4, 6), dtype, **q)], O.ConcatenationOptions(axis=1))
        elif op in ("PAD", "PADV2"):
            ins = [x, c("p", [[1, 0], [0, 2]])]
            if op == "PADV2":
                ins.append(g.add_constant("v", np.array(1, dtype), **q))
            g.add_operator(op, ins, [g.add_output("y", (5, 5), dtype, **q)])
        elif op == "STRIDED_SLICE":
            g.add_operator(op, [x, c("b", [3, 0]), c("e", [0, 3]), c("s", [-2, 1])],
                           [g.add_output("y", (2, 3), dtype, **q)], O.StridedSliceOptions())
        elif op == "TRANSPOSE":
            g.add_operator(op, [x, c("p", [1, 0])], [g.add_output("y", (3, 4), dtype, **q)])
        elif op == "SPLIT":
            g.add_operator(op, [c("a", 0), x], [g.add_output(f"y{i}", (2, 3), dtype, **q) for i in range(2)],
                           O.SplitOptions(num_splits=2))
        elif op == "PACK":
            z = g.add_input("z", (4, 3), dtype, **q)
            g.add_operator(op, [x, z], [g.add_output("y", (4, 2, 3), dtype, **q)], O.PackOptions(values_count=2, axis=1))
        elif op == "UNPACK":
            g.add_operator(op, [x], [g.add_output(f"y{i}", (4,), dtype, **q) for i in range(3)],
                           O.UnpackOptions(num=3, axis=1))
    return model(build)


@pytest.mark.parametrize("op,dtype", [
    ("EXPAND_DIMS", "int32"), ("EXPAND_DIMS", "int64"), ("EXPAND_DIMS", "bool"), ("EXPAND_DIMS", "uint8"),
    ("CONCATENATION", "uint8"), ("PAD", "int64"), ("PAD", "bool"), ("PAD", "uint8"), ("PADV2", "int64"),
    ("PADV2", "bool"), ("PADV2", "uint8"), ("STRIDED_SLICE", "int64"), ("STRIDED_SLICE", "uint8"),
    ("TRANSPOSE", "int32"), ("TRANSPOSE", "int64"), ("TRANSPOSE", "bool"), ("TRANSPOSE", "uint8"),
    ("SPLIT", "int64"), ("SPLIT", "uint8"), ("PACK", "uint8"), ("UNPACK", "bool"), ("UNPACK", "uint8"),
])
def test_types_only_litert_takes(reference_worker, op, dtype):
    m = model_bytes = _litert_only_type_model(op, dtype)
    rng = np.random.default_rng(seed_of(op, dtype))
    inputs = [values((4, 3), dtype, rng) for _ in range(2 if op in ("CONCATENATION", "PACK") else 1)]
    check(reference_worker, model_bytes, inputs, references=("tflite",))
    with pytest.raises(UnsupportedOpError, match="With reference='tflm': the type is"):
        Interpreter(m, reference="tflm")
    with pytest.raises(ReferenceFailure):
        reference_worker.run("tflm", m, inputs)
