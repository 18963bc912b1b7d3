"""SHAPE, SPLIT_V, GATHER, CAST, SLICE, FILL, REVERSE_V2 and the other indexing and shape
operators: drawn single-op models against both live references, bit for bit; hand-worked cases
where the semantics are delicate (CAST's saturation, GATHER's batch dimensions); and what each
reference refuses, refused with the reference's reason.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from microinfer import UnsupportedOpError
from microinfer.interpreter import Interpreter
from microinfer.reference import ReferenceCrash, ReferenceFailure
from microinfer.testing.families.data_movement import GENERATED
from microinfer.testing.strategies import op_examples
from microinfer.tflite import options as O
from microinfer.tflite.builder import ModelBuilder

from kernel_check import assert_bit_exact, assert_each_reference_gives

SETTINGS = dict(deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def model(build) -> bytes:
    builder = ModelBuilder()
    build(builder.main)
    return builder.build()


def compared_references(model_bytes: bytes) -> list[str]:
    """The references microinfer runs this model for (the others it refuses)."""
    out = []
    for ref in ("tflm", "tflite"):
        try:
            Interpreter(model_bytes, reference=ref)
        except UnsupportedOpError:
            continue
        out.append(ref)
    return out


def refused(model_bytes: bytes, reference: str, message: str) -> None:
    with pytest.raises(UnsupportedOpError, match=message):
        Interpreter(model_bytes, reference=reference)


def reference_fails(worker, model_bytes: bytes, inputs, reference: str) -> None:
    with pytest.raises((ReferenceFailure, ReferenceCrash)):
        worker.run(reference, model_bytes, inputs)


# -- every drawn model against both references --------------------------------------------------

@pytest.mark.parametrize("op", sorted(GENERATED))
def test_drawn_models_are_bit_exact(reference_worker, op):
    dtypes = GENERATED[op][0]

    @settings(max_examples=4 * len(dtypes), **SETTINGS)
    @given(op_examples(op))
    def check(example):
        refs = compared_references(example.model)
        assert refs, "the strategy drew a model microinfer refuses in both modes"
        assert_bit_exact(reference_worker, example.model, example.inputs, references=refs)

    check()


# -- SHAPE --------------------------------------------------------------------------------------

def _shape_model(out_type: int | None, out_dtype: str, in_shape=(2, 3, 4)) -> bytes:
    def build(g):
        x = g.add_input("x", in_shape, "int8", scale=0.5, zero_point=1)
        y = g.add_output("y", (len(in_shape),), out_dtype)
        g.add_operator("SHAPE", [x], [y], None if out_type is None else O.ShapeOptions(out_type=out_type))
    return model(build)


def test_shape_hand_worked(reference_worker):
    x = np.zeros((2, 3, 4), np.int8)
    assert_each_reference_gives(reference_worker, _shape_model(2, "int32"), [x],
                                {"tflm": np.array([2, 3, 4], np.int32), "tflite": np.array([2, 3, 4], np.int32)})
    scalar = _shape_model(2, "int32", in_shape=())
    assert_each_reference_gives(reference_worker, scalar, [np.zeros((), np.int8)], {"tflm": np.zeros(0, np.int32)})


def test_shape_output_type_follows_each_reference(reference_worker):
    x = np.zeros((2, 3, 4), np.int8)
    int64 = _shape_model(4, "int64")
    assert_bit_exact(reference_worker, int64, [x], references=("tflite",))
    refused(int64, "tflm", "the output is int32")
    reference_fails(reference_worker, int64, [x], "tflm")
    # without options TFLite Micro writes int32; LiteRT fails on the missing out_type
    no_options = _shape_model(None, "int32")
    assert_bit_exact(reference_worker, no_options, [x], references=("tflm",))
    refused(no_options, "tflite", "out_type option is int32 or int64")
    reference_fails(reference_worker, no_options, [x], "tflite")
    # out_type int64 on an int32 tensor: LiteRT would write int64, TFLite Micro int32
    mismatched = _shape_model(4, "int32")
    assert_bit_exact(reference_worker, mismatched, [x], references=("tflm",))
    refused(mismatched, "tflite", "out_type option")


# -- SPLIT_V ------------------------------------------------------------------------------------

def _split_v_model(sizes, out_sizes, *, dynamic_sizes=False, dynamic_axis=False) -> bytes:
    def build(g):
        x = g.add_input("x", (2, 5), "float32")
        s = g.add_input("s", (len(sizes),), "int32") if dynamic_sizes else g.add_constant("s", np.array(sizes, np.int32))
        a = g.add_input("a", (1,), "int32") if dynamic_axis else g.add_constant("a", np.array([1], np.int32))
        ys = [g.add_output(f"y{i}", (2, n), "float32") for i, n in enumerate(out_sizes)]
        g.add_operator("SPLIT_V", [x, s, a], ys, O.SplitVOptions(num_splits=len(out_sizes)))
    return model(build)


def test_split_v_sizes_input_matters_to_litert_only(reference_worker):
    x = np.arange(10, dtype=np.float32).reshape(2, 5)
    # TFLite Micro cuts by the outputs' sizes and ignores the sizes input, even two -1
    two_stretch = _split_v_model([-1, -1], [2, 3])
    assert_bit_exact(reference_worker, two_stretch, [x], references=("tflm",))
    refused(two_stretch, "tflite", "at most one -1")
    reference_fails(reference_worker, two_stretch, [x], "tflite")
    dynamic = _split_v_model([2, 3], [2, 3], dynamic_sizes=True)
    assert_bit_exact(reference_worker, dynamic, [x, np.array([2, 3], np.int32)], references=("tflm",))
    refused(dynamic, "tflite", "sizes are a constant")
    # outputs whose sizes do not add up to the input's: TFLite Micro would misplace rows
    short = _split_v_model([1, 3], [1, 3])
    for ref in ("tflm", "tflite"):
        refused(short, ref, "add up to the input's")
    reference_fails(reference_worker, short, [x], "tflite")


def test_split_v_axis_must_be_constant(reference_worker):
    m = _split_v_model([2, 3], [2, 3], dynamic_axis=True)
    for ref in ("tflm", "tflite"):
        refused(m, ref, "axis is a constant")
    reference_fails(reference_worker, m, [np.zeros((2, 5), np.float32), np.array([1], np.int32)], "tflm")


def test_split_v_empty_part(reference_worker):
    m = _split_v_model([0, 5], [0, 5])
    x = np.arange(10, dtype=np.float32).reshape(2, 5)
    assert_bit_exact(reference_worker, m, [x], references=("tflite",))
    refused(m, "tflm", "empty")
    reference_fails(reference_worker, m, [x], "tflm")


# -- GATHER -------------------------------------------------------------------------------------

def _gather_model(in_shape, indices, out_shape, axis=0, batch_dims=0, dtype="float32", idx_dtype="int32",
                  constant=True) -> bytes:
    def build(g):
        x = g.add_input("x", in_shape, dtype)
        if constant:
            i = g.add_constant("i", np.array(indices, idx_dtype))
        else:
            i = g.add_input("i", np.shape(indices), idx_dtype)
        y = g.add_output("y", out_shape, dtype)
        g.add_operator("GATHER", [x, i], [y], O.GatherOptions(axis=axis, batch_dims=batch_dims))
    return model(build)


def test_gather_batch_dims_hand_worked(reference_worker):
    # per row b of x (4, 3), pick column indices[b]
    m = _gather_model((4, 3), [[2], [0], [1], [1]], (4, 1), axis=1, batch_dims=1)
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    expected = np.array([[2], [3], [7], [10]], np.float32)
    assert_each_reference_gives(reference_worker, m, [x], {"tflm": expected, "tflite": expected})


@pytest.mark.parametrize("bad", [4, -1])
def test_gather_index_out_of_range_fails_the_run(reference_worker, bad):
    m = _gather_model((4, 3), [1, bad], (2, 3), constant=False)
    inputs = [np.zeros((4, 3), np.float32), np.array([1, bad], np.int32)]
    for ref in ("tflm", "tflite"):
        reference_fails(reference_worker, m, inputs, ref)
        with pytest.raises(ValueError, match=rf"GATHER: index {bad} is outside \[0, 4\)"):
            Interpreter(m, reference=ref).run(inputs)


def test_gather_run_time_indices_in_range(reference_worker):
    m = _gather_model((5, 2), [[4, 0, 2]], (1, 3, 2), constant=False)
    x = np.arange(10, dtype=np.float32).reshape(5, 2)
    assert_bit_exact(reference_worker, m, [x, np.array([[4, 0, 2]], np.int32)])


def test_gather_types_litert_only(reference_worker):
    x = np.arange(12, dtype=np.int16).reshape(4, 3)
    int16 = _gather_model((4, 3), [3, 1], (2, 3), dtype="int16")
    assert_bit_exact(reference_worker, int16, [x], references=("tflite",))
    refused(int16, "tflm", "float32 or int8")
    reference_fails(reference_worker, int16, [x], "tflm")
    int64_indices = _gather_model((4, 3), [3, 1], (2, 3), idx_dtype="int64")
    assert_bit_exact(reference_worker, int64_indices, [x.astype(np.float32)], references=("tflite",))
    refused(int64_indices, "tflm", "indices are int32")


def test_gather_output_shape_must_be_the_gathered_one(reference_worker):
    m = _gather_model((4, 3), [3, 1], (3, 2))
    for ref in ("tflm", "tflite"):
        refused(m, ref, "output's shape is input.shape")


# -- CAST ---------------------------------------------------------------------------------------

SPECIAL_FLOATS = np.array([0.0, -0.0, 0.5, -0.5, 1.7, -1.7, 127.9, 128.5, -129.5, 255.5, 256.5, 3e9, -3e9,
                           1e20, -1e20, np.nan, np.inf, -np.inf, 65535.7, -32769.2], np.float32)


def _cast_model(in_dtype, out_dtype, shape) -> bytes:
    def build(g):
        x = g.add_input("x", shape, in_dtype)
        y = g.add_output("y", shape, out_dtype)
        g.add_operator("CAST", [x], [y])
    return model(build)


@pytest.mark.parametrize("out_dtype", ["int8", "int16", "int32", "int64", "uint8", "bool"])
def test_cast_float_saturates_and_nan_differs(reference_worker, out_dtype):
    m = _cast_model("float32", out_dtype, SPECIAL_FLOATS.shape)
    refs = compared_references(m)
    assert_bit_exact(reference_worker, m, [SPECIAL_FLOATS], references=refs)
    if out_dtype == "int8":  # hand-worked: truncate, saturate; NaN is 0 (TFLM) or the maximum (LiteRT)
        base = [0, 0, 0, 0, 1, -1, 127, 127, -128, 127, 127, 127, -128, 127, -128, None, 127, -128, 127, -128]
        for ref, nan in (("tflm", 0), ("tflite", 127)):
            expected = np.array([nan if v is None else v for v in base], np.int8)
            np.testing.assert_array_equal(Interpreter(m, reference=ref).run([SPECIAL_FLOATS])[0], expected)


@pytest.mark.parametrize("in_dtype", ["int8", "int16", "int32", "int64", "uint8", "bool"])
def test_cast_integers_wrap(reference_worker, in_dtype):
    rng = np.random.default_rng(7)
    x = (rng.integers(0, 2, 40).astype(bool) if in_dtype == "bool"
         else rng.integers(np.iinfo(in_dtype).min, np.iinfo(in_dtype).max, 40, endpoint=True).astype(in_dtype))
    for out_dtype in ("float32", "int8", "int16", "int32", "int64", "uint8", "bool"):
        m = _cast_model(in_dtype, out_dtype, x.shape)
        refs = compared_references(m)
        assert_bit_exact(reference_worker, m, [x], references=refs)
        if "tflm" not in refs:
            reference_fails(reference_worker, m, [x], "tflm")


# -- SLICE --------------------------------------------------------------------------------------

def _slice_model(begin, size, out_shape, in_shape=(4, 3), dynamic=False) -> bytes:
    def build(g):
        x = g.add_input("x", in_shape, "float32")
        if dynamic:
            b, s = g.add_input("b", (len(begin),), "int32"), g.add_input("s", (len(size),), "int32")
        else:
            b, s = g.add_constant("b", np.array(begin, np.int32)), g.add_constant("s", np.array(size, np.int32))
        y = g.add_output("y", out_shape, "float32")
        g.add_operator("SLICE", [x, b, s], [y])
    return model(build)


@pytest.mark.parametrize("begin,size,out_shape", [([3, 1], [2, 2], (2, 2)), ([-1, 0], [1, 3], (1, 3)),
                                                  ([1, 1], [-2, 2], (3, 2))])
def test_slice_outside_the_input_is_refused(reference_worker, begin, size, out_shape):
    """LiteRT fails to prepare; TFLite Micro reads out of bounds."""
    m = _slice_model(begin, size, out_shape)
    for ref in ("tflm", "tflite"):
        refused(m, ref, "block .* lies inside the input")
    reference_fails(reference_worker, m, [np.zeros((4, 3), np.float32)], "tflite")


def test_slice_run_time_begin_is_refused():
    m = _slice_model([1, 0], [2, 3], (2, 3), dynamic=True)
    for ref in ("tflm", "tflite"):
        refused(m, ref, "begin and size are constant")


def test_slice_ranks(reference_worker):
    six = _slice_model([0] * 6, [1] * 6, (1,) * 6, in_shape=(2,) * 6)
    x = np.arange(64, dtype=np.float32).reshape((2,) * 6)
    assert_bit_exact(reference_worker, six, [x], references=("tflite",))
    refused(six, "tflm", "at most 5 dimensions")
    reference_fails(reference_worker, six, [x], "tflm")


# -- FILL ---------------------------------------------------------------------------------------

def _fill_model(dtype, value_q=None, out_q=None, dims=(2, 3), dynamic=False) -> bytes:
    def build(g):
        d = g.add_input("d", (len(dims),), "int32") if dynamic else g.add_constant("d", np.array(dims, np.int32))
        v = g.add_input("v", (), dtype, **(value_q or {}))
        y = g.add_output("y", dims, dtype, **(out_q or {}))
        g.add_operator("FILL", [d, v], [y])
    return model(build)


def test_fill_quantization_checked_by_litert_only(reference_worker):
    m = _fill_model("int8", dict(scale=0.5, zero_point=1), dict(scale=0.25, zero_point=3))
    value = np.array(-7, np.int8)
    assert_each_reference_gives(reference_worker, m, [value], {"tflm": np.full((2, 3), -7, np.int8)})
    refused(m, "tflite", "scale and zero point")
    reference_fails(reference_worker, m, [value], "tflite")


def test_fill_dims_must_be_constant(reference_worker):
    m = _fill_model("float32", dynamic=True)
    for ref in ("tflm", "tflite"):
        refused(m, ref, "constant 1-D int32 or int64")
    reference_fails(reference_worker, m, [np.array([2, 3], np.int32), np.float32(1)], "tflm")


def test_fill_int16_is_litert_only(reference_worker):
    m = _fill_model("int16", dict(scale=0.5, zero_point=0), dict(scale=0.5, zero_point=0))
    value = np.array(-300, np.int16)
    assert_bit_exact(reference_worker, m, [value], references=("tflite",))
    refused(m, "tflm", "float32, int8 or int32")
    reference_fails(reference_worker, m, [value], "tflm")


# -- REVERSE_V2 ---------------------------------------------------------------------------------

def _reverse_model(axes, in_shape=(2, 3, 4)) -> bytes:
    def build(g):
        x = g.add_input("x", in_shape, "int8", scale=0.1, zero_point=0)
        a = g.add_constant("a", np.array(axes, np.int32))
        y = g.add_output("y", in_shape, "int8", scale=0.1, zero_point=0)
        g.add_operator("REVERSE_V2", [x, a], [y])
    return model(build)


def test_reverse_adjacent_axes_hand_worked(reference_worker):
    x = np.arange(24, dtype=np.int8).reshape(2, 3, 4)
    expected = x[:, ::-1, ::-1]
    assert_each_reference_gives(reference_worker, _reverse_model([2, -2]), [x], {"tflm": expected, "tflite": expected})


@pytest.mark.parametrize("axes", [[0, 2], [1, 1], np.zeros(0, np.int32)])
def test_reverse_axes_the_references_fail_on(reference_worker, axes):
    m = _reverse_model(axes)
    for ref in ("tflm", "tflite"):
        refused(m, ref, "adjacent dimensions")
    if len(axes):  # an empty axes list crashes both references
        reference_fails(reference_worker, m, [np.zeros((2, 3, 4), np.int8)], "tflite")


# -- GATHER_ND, EMBEDDING_LOOKUP: run-time indices ------------------------------------------------

def test_gather_nd_index_out_of_range_fails_the_run(reference_worker):
    def build(g):
        x = g.add_input("x", (4, 3), "float32")
        i = g.add_input("i", (2, 2), "int32")
        g.add_operator("GATHER_ND", [x, i], [g.add_output("y", (2,), "float32")])
    m = model(build)
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    assert_bit_exact(reference_worker, m, [x, np.array([[3, 2], [0, 1]], np.int32)])
    bad = [x, np.array([[3, 3], [0, 1]], np.int32)]
    for ref in ("tflm", "tflite"):
        reference_fails(reference_worker, m, bad, ref)
        with pytest.raises(ValueError, match=r"GATHER_ND: index 3 is outside \[0, 3\)"):
            Interpreter(m, reference=ref).run(bad)


def _embedding_model(table, out_dtype, table_q) -> bytes:
    def build(g):
        i = g.add_input("ids", (3,), "int32")
        t = g.add_constant("table", table, **table_q)
        g.add_operator("EMBEDDING_LOOKUP", [i, t], [g.add_output("y", (3,) + table.shape[1:], out_dtype)])
    return model(build)


def test_embedding_lookup_per_row_scales_are_litert_only(reference_worker):
    """TFLite Micro dequantizes every row with the first scale, LiteRT with the row's own."""
    table = np.array([[1, -2], [3, 4], [-5, 6]], np.int8)
    scales = [0.5, 0.25, 2.0]
    m = _embedding_model(table, "float32", dict(scale=scales, zero_point=[0, 0, 0], axis=0))
    ids = np.array([2, 0, 1], np.int32)
    assert_each_reference_gives(reference_worker, m, [ids],
                                {"tflite": np.array([[-10, 12], [0.5, -1], [0.75, 1]], np.float32)})
    refused(m, "tflm", "one scale")
    per_tensor = _embedding_model(table, "float32", dict(scale=0.5, zero_point=0))
    assert_bit_exact(reference_worker, per_tensor, [ids])
    for ref in ("tflm", "tflite"):
        with pytest.raises(ValueError, match=r"EMBEDDING_LOOKUP: index 3 is outside \[0, 3\)"):
            Interpreter(per_tensor, reference=ref).run([np.array([0, 3, 1], np.int32)])


def test_embedding_lookup_zero_point_is_refused(reference_worker):
    m = _embedding_model(np.ones((3, 2), np.int8), "float32", dict(scale=0.5, zero_point=3))
    for ref in ("tflm", "tflite"):
        refused(m, ref, "zero points 0")
        reference_fails(reference_worker, m, [np.array([0, 1, 2], np.int32)], ref)


# -- DYNAMIC_UPDATE_SLICE: run-time starts are clamped ------------------------------------------

@pytest.mark.parametrize("start", [[3, 2], [-1, -5], [1, 0], [2**31 - 1, -(2**31)]])
def test_dynamic_update_slice_clamps_run_time_starts(reference_worker, start):
    def build(g):
        x = g.add_input("x", (4, 3), "int16", scale=0.1, zero_point=0)
        u = g.add_input("u", (2, 2), "int16", scale=0.1, zero_point=0)
        s = g.add_input("s", (2,), "int32")
        g.add_operator("DYNAMIC_UPDATE_SLICE", [x, u, s], [g.add_output("y", (4, 3), "int16", scale=0.1, zero_point=0)])
    m = model(build)
    inputs = [np.zeros((4, 3), np.int16), np.array([[1, 2], [3, 4]], np.int16), np.array(start, np.int32)]
    assert_bit_exact(reference_worker, m, inputs)
    begin = np.clip(start, 0, [2, 1])
    expected = np.zeros((4, 3), np.int16)
    expected[begin[0]:begin[0] + 2, begin[1]:begin[1] + 2] = [[1, 2], [3, 4]]
    np.testing.assert_array_equal(Interpreter(m).run(inputs)[0], expected)


# -- BROADCAST_ARGS: run-time shapes --------------------------------------------------------------

def _broadcast_args_model(dtype="int32") -> bytes:
    def build(g):
        a, b = g.add_input("a", (3,), dtype), g.add_input("b", (2,), dtype)
        g.add_operator("BROADCAST_ARGS", [a, b], [g.add_output("y", (3,), dtype)])
    return model(build)


def test_broadcast_args_run_time_shapes(reference_worker):
    m = _broadcast_args_model()
    inputs = [np.array([2, 1, 3], np.int32), np.array([4, 3], np.int32)]
    assert_each_reference_gives(reference_worker, m, inputs, {"tflm": np.array([2, 4, 3], np.int32),
                                                             "tflite": np.array([2, 4, 3], np.int32)})
    # int64 values pass through the references' int32 dimensions: they wrap
    wide = _broadcast_args_model("int64")
    assert_bit_exact(reference_worker, wide, [np.array([1, 1, 2**33 + 5], np.int64), np.array([7, 1], np.int64)])
    bad = [np.array([2, 1, 3], np.int32), np.array([4, 2], np.int32)]
    for ref in ("tflm", "tflite"):
        reference_fails(reference_worker, m, bad, ref)  # both abort
        with pytest.raises(ValueError, match="BROADCAST_ARGS: shapes"):
            Interpreter(m, reference=ref).run(bad)


# -- what only one reference runs -------------------------------------------------------------------

def test_tile_is_litert_only(reference_worker):
    def build(g):
        x = g.add_input("x", (2, 3), "int8", scale=0.5, zero_point=1)
        m = g.add_constant("m", np.array([2, 1], np.int32))
        g.add_operator("TILE", [x, m], [g.add_output("y", (4, 3), "int8", scale=0.5, zero_point=1)])
    m = model(build)
    x = np.arange(6, dtype=np.int8).reshape(2, 3)
    assert_each_reference_gives(reference_worker, m, [x], {"tflite": np.tile(x, (2, 1))})
    refused(m, "tflm", "TFLite Micro has no TILE kernel")
    reference_fails(reference_worker, m, [x], "tflm")


def test_space_to_batch_padding_is_refused_with_tflm(reference_worker):
    """LiteRT pads with the zero point; TFLite Micro with a value it never initializes."""
    def build(g):
        x = g.add_input("x", (1, 3, 3, 1), "int8", scale=0.5, zero_point=7)
        b = g.add_constant("b", np.array([2, 2], np.int32))
        p = g.add_constant("p", np.array([[1, 0], [0, 1]], np.int32))
        g.add_operator("SPACE_TO_BATCH_ND", [x, b, p], [g.add_output("y", (4, 2, 2, 1), "int8", scale=0.5, zero_point=7)])
    m = model(build)
    x = np.arange(1, 10, dtype=np.int8).reshape(1, 3, 3, 1)
    # padded 4x4 image: row 0 and column 3 are the zero point 7; batch (i, j) takes pixels (i::2, j::2)
    expected = np.array([[7, 7, 4, 6], [7, 7, 5, 7], [1, 3, 7, 9], [2, 7, 8, 7]], np.int8).reshape(4, 2, 2, 1)
    assert_each_reference_gives(reference_worker, m, [x], {"tflite": expected})
    refused(m, "tflm", "paddings are all 0")


def test_zeros_like_int8_is_tflm_only(reference_worker):
    def build(g):
        x = g.add_input("x", (3,), "int8", scale=0.5, zero_point=5)
        g.add_operator("ZEROS_LIKE", [x], [g.add_output("y", (3,), "int8", scale=0.5, zero_point=5)])
    m = model(build)
    x = np.array([1, 2, 3], np.int8)
    assert_each_reference_gives(reference_worker, m, [x], {"tflm": np.zeros(3, np.int8)})  # raw 0, not the zero point
    refused(m, "tflite", "float32, int32 or int64")
    reference_fails(reference_worker, m, [x], "tflite")


@pytest.mark.parametrize("op", ["DEPTH_TO_SPACE", "SPACE_TO_DEPTH"])
def test_depth_space_copy_raw_values_whatever_the_quantization(reference_worker, op):
    small, large = (1, 1, 1, 4), (1, 2, 2, 1)
    in_shape, out_shape = (small, large) if op == "DEPTH_TO_SPACE" else (large, small)

    def build(g):
        x = g.add_input("x", in_shape, "int8", scale=0.5, zero_point=1)
        y = g.add_output("y", out_shape, "int8", scale=0.25, zero_point=-2)
        options = (O.DepthToSpaceOptions if op == "DEPTH_TO_SPACE" else O.SpaceToDepthOptions)(block_size=2)
        g.add_operator(op, [x], [y], options)
    m = model(build)
    x = np.array([1, -2, 3, 4], np.int8).reshape(in_shape)
    assert_each_reference_gives(reference_worker, m, [x], {"tflm": x.reshape(out_shape), "tflite": x.reshape(out_shape)})


@pytest.mark.parametrize("mode,pads", [(0, [[3, 0]]), (1, [[0, 4]])])
def test_mirror_pad_beyond_the_mirror_is_refused(mode, pads):
    def build(g):
        x = g.add_input("x", (3,), "float32")
        p = g.add_constant("p", np.array(pads, np.int32))
        g.add_operator("MIRROR_PAD", [x, p], [g.add_output("y", (3 + sum(pads[0]),), "float32")],
                       O.MirrorPadOptions(mode=mode))
    for ref in ("tflm", "tflite"):
        refused(model(build), ref, "REFLECT")


def test_select_v2_six_dimensions_only_without_broadcast(reference_worker):
    rng = np.random.default_rng(2)

    def build(condition_shape):
        def b(g):
            c = g.add_input("c", condition_shape, "bool")
            x = g.add_input("x", (2,) * 6, "float32")
            y = g.add_input("y", (2,) * 6, "float32")
            g.add_operator("SELECT_V2", [c, x, y], [g.add_output("o", (2,) * 6, "float32")])
        return model(b)

    same = build((2,) * 6)
    inputs = [rng.integers(0, 2, (2,) * 6).astype(bool), rng.normal(size=(2,) * 6).astype(np.float32),
              rng.normal(size=(2,) * 6).astype(np.float32)]
    assert_bit_exact(reference_worker, same, inputs)
    for ref in ("tflm", "tflite"):
        refused(build((2, 1, 2, 1, 2, 1)), ref, "at most 5 dimensions")
