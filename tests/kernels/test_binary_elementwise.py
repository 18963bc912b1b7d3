"""MAXIMUM, MINIMUM, DIV, SQUARED_DIFFERENCE, POW, FLOOR_DIV, FLOOR_MOD, the comparisons, the
logical operators and ADD_N against both live references, bit for bit (float32 within 1e-5).

Drawn models come from ``microinfer.testing.families.elementwise``; where microinfer refuses a
model for a reference, that reference must refuse it too. Hand-worked cases pin the delicate
arithmetic: IEEE results and FLT_MAX clamping, DIV's shift counts past 31, the undefined integer
cases each reference fails on, LiteRT's two int32 POW loops, TFLite Micro's ADD_N offset.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microinfer import Interpreter, UnsupportedOpError
from microinfer.errors import InvalidInputError
from microinfer.reference import ReferenceCrash, ReferenceFailure
from microinfer.testing import random_inputs
from microinfer.testing.families.elementwise import GENERATED
from microinfer.testing._draw import ACTIVATION_TYPE
from microinfer.tflite import ModelBuilder

from conftest import shared_model_path
from kernel_check import assert_bit_exact, assert_each_reference_gives

SETTINGS = dict(deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
REFS = ("tflm", "tflite")
FLT_MAX = np.finfo(np.float32).max


# Models microinfer refuses though the reference runs them, because what the reference computes is
# undefined or broken: shifts past 30, and the pinned TFLite Micro's int16 GREATER (5 > 0 is false;
# test_tflm_int16_greater_refused).
NOT_COMPARABLE = {("GREATER", "int16x8", "tflm")}


def check(worker, model: bytes, inputs, case=None) -> None:
    """Bit-exact where microinfer runs; where it refuses the model or the inputs, so does the reference."""
    for ref in REFS:
        try:
            ours = Interpreter(model, reference=ref)
        except UnsupportedOpError as error:
            if "below 2**30" in str(error) or (*(case or ()), ref) in NOT_COMPARABLE:
                continue
            with pytest.raises((ReferenceFailure, ReferenceCrash)):
                worker.run(ref, model, inputs)
            continue
        try:
            ours.run(inputs)
        except InvalidInputError:
            with pytest.raises((ReferenceFailure, ReferenceCrash)):
                worker.run(ref, model, inputs)
            continue
        assert_bit_exact(worker, model, inputs, references=(ref,))


CASES = [(op, dtype) for op, (dtypes, _) in GENERATED.items() for dtype in dtypes]


@pytest.mark.parametrize("op,dtype", CASES, ids=[f"{op}-{dtype}" for op, dtype in CASES])
@settings(max_examples=6, **SETTINGS)
@given(data=st.data())
def test_drawn_models(reference_worker, op, dtype, data):
    model = data.draw(GENERATED[op][1](ACTIVATION_TYPE[dtype]))
    seed = data.draw(st.integers(0, 2**16))
    check(reference_worker, model, random_inputs(model, np.random.default_rng(seed)), (op, dtype))


# -- helpers ----------------------------------------------------------------------------------------

def binary(op, dtype, shapes, out_dtype=None, q=None, qo=None, version=1, options=None) -> bytes:
    b = ModelBuilder()
    g = b.main
    inputs = [g.add_input(f"x{i}", s, dtype, **(q[i] if q else {})) for i, s in enumerate(shapes)]
    z = g.add_output("z", np.broadcast_shapes(*shapes), out_dtype or dtype, **(qo or {}))
    g.add_operator(op, inputs, [z], options, version=version)
    return b.build()


def refused(model: bytes, ref: str) -> str:
    with pytest.raises(UnsupportedOpError) as error:
        Interpreter(model, reference=ref)
    return str(error.value)


def f32(*values):
    return np.array(values, np.float32)


def i32(*values):
    return np.array(values, np.int32)


# -- IEEE float results ----------------------------------------------------------------------------

def test_float_div_by_zero_clamps_to_flt_max(reference_worker):
    model = binary("DIV", "float32", [(4,), (4,)])
    expected = f32(FLT_MAX, -FLT_MAX, np.nan, 3.5)
    for ref in REFS:
        live = reference_worker.run(ref, model, [f32(1, -1, 0, 7), f32(0, 0, 0, 2)]).outputs[0]
        ours = Interpreter(model, reference=ref).run([f32(1, -1, 0, 7), f32(0, 0, 0, 2)])[0]
        np.testing.assert_array_equal(live, expected)
        np.testing.assert_array_equal(ours, expected)


@pytest.mark.parametrize("op,expected", [("MAXIMUM", f32(1, np.nan, -0.0, 0.0)),
                                         ("MINIMUM", f32(1, np.nan, -0.0, 0.0))])
def test_max_min_nan_and_signed_zero(reference_worker, op, expected):
    """``a > b ? a : b``: a NaN first operand yields the second, a NaN second one NaN."""
    inputs = [f32(np.nan, 1, 0.0, -0.0), f32(1, np.nan, -0.0, 0.0)]
    model = binary(op, "float32", [(4,), (4,)], version=2)
    for ref in REFS:
        for got in (reference_worker.run(ref, model, inputs).outputs[0], Interpreter(model, reference=ref).run(inputs)[0]):
            np.testing.assert_array_equal(got, expected)
            assert list(np.signbit(got)) == list(np.signbit(expected))


# -- integer division --------------------------------------------------------------------------------

def test_int32_div_truncates(reference_worker):
    model = binary("DIV", "int32", [(4,), (4,)])
    inputs = [i32(7, -7, 7, -7), i32(2, 2, -2, -2)]
    assert_each_reference_gives(reference_worker, model, inputs, {"tflm": i32(3, -3, -3, 3), "tflite": i32(3, -3, -3, 3)})


@pytest.mark.parametrize("op,dtype", [("DIV", "int32"), ("FLOOR_DIV", "int32"), ("FLOOR_DIV", "float32"),
                                      ("FLOOR_MOD", "int32"), ("FLOOR_MOD", "int64")])
def test_integer_zero_divisor_fails_like_the_reference(reference_worker, op, dtype):
    model = binary(op, dtype, [(3,), (3,)])
    inputs = [np.array([5, 6, 7], dtype), np.array([1, 0, 2], dtype)]
    for ref in REFS:
        try:
            ours = Interpreter(model, reference=ref)
        except UnsupportedOpError:
            continue
        with pytest.raises(InvalidInputError, match=op):
            ours.run(inputs)
        with pytest.raises((ReferenceFailure, ReferenceCrash)):
            reference_worker.run(ref, model, inputs)


def test_int32_div_overflow(reference_worker):
    """INT32_MIN / -1: LiteRT saturates to INT32_MAX, TFLite Micro crashes (microinfer raises)."""
    model = binary("DIV", "int32", [(2,), (2,)])
    inputs = [i32(-(2**31), 9), i32(-1, 3)]
    assert_each_reference_gives(reference_worker, model, inputs, {"tflite": i32(2**31 - 1, 3)})
    with pytest.raises(InvalidInputError, match="DIV"):
        Interpreter(model, reference="tflm").run(inputs)
    with pytest.raises(ReferenceCrash):
        reference_worker.run("tflm", model, inputs)


@pytest.mark.parametrize("params", [
    (0.01, 0, 1.0, 0, 1.0, 0),  # the final shift passes 31 (the references' counts wrap)
    (0.1, 3, 0.05, -2, 0.2, 5),
    (1.0, -128, 0.003, 127, 0.5, -128),
    (0.2, 10, 0.7, -10, 3.0, 0),
])
def test_int8_div_exhaustive(reference_worker, params):
    s1, z1, s2, z2, so, zo = params
    a = np.arange(-128, 128).astype(np.int8)
    b = a[a != z2]
    inputs = [np.repeat(a, len(b)), np.tile(b, len(a))]
    model = binary("DIV", "int8", [inputs[0].shape, inputs[1].shape],
                   q=[dict(scale=s1, zero_point=z1), dict(scale=s2, zero_point=z2)], qo=dict(scale=so, zero_point=zo))
    assert_bit_exact(reference_worker, model, inputs)


def test_int8_div_by_zero_point(reference_worker):
    """LiteRT fails on a divisor equal to its zero point; TFLite Micro computes on (microinfer too)."""
    q = [dict(scale=0.1, zero_point=3), dict(scale=0.1, zero_point=-4)]
    model = binary("DIV", "int8", [(256,), (256,)], q=q, qo=dict(scale=0.1, zero_point=0))
    inputs = [np.arange(-128, 128).astype(np.int8), np.full(256, -4, np.int8)]
    with pytest.raises(InvalidInputError, match="zero point"):
        Interpreter(model, reference="tflite").run(inputs)
    with pytest.raises(ReferenceFailure):
        reference_worker.run("tflite", model, inputs)
    assert_bit_exact(reference_worker, model, inputs, references=("tflm",))


# -- POW, ADD_N ------------------------------------------------------------------------------------

@pytest.mark.parametrize("shapes", [[(3,), (3,)], [(3,), (1,)], [(1,), (3,)], [(2, 3), (3,)]])
def test_int32_pow_loops(reference_worker, shapes):
    """A one-element exponent broadcast wraps modulo 2**32; LiteRT's other loops convert from double."""
    model = binary("POW", "int32", shapes)
    rng = np.random.default_rng(0)
    inputs = [rng.integers(-50, 50, size=shapes[0]).astype(np.int32),
              rng.integers(0, 25, size=shapes[1]).astype(np.int32)]
    assert_bit_exact(reference_worker, model, inputs, references=("tflite",))
    assert "no POW kernel" in refused(model, "tflm")


def test_pow_negative_int32_exponent_fails(reference_worker):
    model = binary("POW", "int32", [(2,), (2,)])
    inputs = [i32(2, 3), i32(1, -1)]
    with pytest.raises(InvalidInputError, match="POW"):
        Interpreter(model, reference="tflite").run(inputs)
    with pytest.raises(ReferenceFailure):
        reference_worker.run("tflite", model, inputs)


def test_tflm_add_n_int8_starts_from_the_offset(reference_worker):
    """(89 - 1) + (35 - 1) at scale 0.5 is 61, i.e. 122 at the output scale 0.5: TFLite Micro gives 121."""
    q = dict(scale=0.5, zero_point=1)
    model = binary("ADD_N", "int8", [(1,), (1,)], q=[q, q], qo=dict(scale=0.5, zero_point=0))
    inputs = [np.array([89], np.int8), np.array([35], np.int8)]
    assert_each_reference_gives(reference_worker, model, inputs, {"tflm": np.array([121], np.int8)})


# -- what each reference refuses -------------------------------------------------------------------

@pytest.mark.parametrize("op,dtype,ref,message", [
    ("SQUARED_DIFFERENCE", "int16", "tflite", "With reference='tflite': the inputs share one type"),
    ("DIV", "int16", "tflm", "With reference='tflm': the inputs share one type"),
    ("FLOOR_DIV", "int32", "tflm", "With reference='tflm': the inputs share one type"),
    ("FLOOR_MOD", "int8", "tflm", "With reference='tflm': the inputs share one type"),
    ("LOGICAL_AND", "int8", "tflite", "With reference='tflite': the inputs share one type, bool"),
    ("ADD_N", "int32", "tflm", "With reference='tflm': the inputs share one type"),
    ("EQUAL", "int16", "tflm", "With reference='tflm': the inputs share one type"),
])
def test_refusals(reference_worker, op, dtype, ref, message):
    q = [dict(scale=0.5, zero_point=0)] * 2 if dtype in ("int8", "int16") else None
    out = "bool" if op == "EQUAL" else None
    model = binary(op, dtype, [(4,), (4,)], out_dtype=out, q=q, qo=None if out else (q[0] if q else None))
    assert message in refused(model, ref)
    inputs = [np.ones(4, dtype), np.ones(4, dtype)]
    with pytest.raises((ReferenceFailure, ReferenceCrash)):
        reference_worker.run(ref, model, inputs)


def test_tflm_logical_on_non_bool_refused():
    """TFLite Micro reads any input of LOGICAL_AND/OR as bool (undefined for other bytes): refused."""
    model = binary("LOGICAL_OR", "float32", [(4,), (4,)])
    assert "With reference='tflm': the inputs share one type, bool" in refused(model, "tflm")


def test_comparison_scale_of_one_refused():
    q = [dict(scale=1.0, zero_point=0), dict(scale=0.5, zero_point=0)]
    model = binary("LESS", "int8", [(4,), (4,)], out_dtype="bool", q=q)
    for ref in REFS:
        assert "scale below 1" in refused(model, ref)


def test_tflm_int16_greater_refused(reference_worker):
    """The pinned TFLite Micro runs int16 GREATER, but its answers vary from run to run for the
    same inputs (5 > 0 came out false, and all-true then all-false for reordered equal-size inputs):
    refused there."""
    q = [dict(scale=0.5, zero_point=0)] * 2
    model = binary("GREATER", "int16", [(1,), (1,)], out_dtype="bool", q=q, version=2)
    inputs = [np.array([5], np.int16), np.array([0], np.int16)]
    assert "With reference='tflm'" in refused(model, "tflm")
    assert_each_reference_gives(reference_worker, model, inputs, {"tflite": np.array([True])})


# -- real models ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["openmv__face_landmarks_192.tflite", "mlonmcu__lstm2.tflite"])
def test_wild_models_with_maximum_minimum(reference_worker, name):
    raw = shared_model_path(f"wild/{name}").read_bytes()
    assert_bit_exact(reference_worker, raw, random_inputs(raw, np.random.default_rng(0)))


def test_litert_int16_comparisons(reference_worker):
    """LiteRT rescales int16 EQUAL/NOT_EQUAL inputs to real values but compares the others raw:
    4691 at scale 0.5 is not 4691 at scale 0.25, yet 4691 > 4691 is false."""
    q = [dict(scale=0.5, zero_point=0), dict(scale=0.25, zero_point=0)]
    inputs = [np.array([4691, 100, -100], np.int16), np.array([4691, 150, -150], np.int16)]
    expected = {"EQUAL": [False, False, False], "NOT_EQUAL": [True, True, True],
                "GREATER": [False, False, True], "LESS_EQUAL": [True, True, False]}
    for op, values in expected.items():
        model = binary(op, "int16", [(3,), (3,)], out_dtype="bool", q=q, version=2)
        assert_each_reference_gives(reference_worker, model, inputs, {"tflite": np.array(values)})


# -- ADD, SUB, MUL on int32 and int64 ----------------------------------------------------------------

@pytest.mark.parametrize("op", ["ADD", "SUB", "MUL"])
@pytest.mark.parametrize("dtype", ["int32", "int64"])
@pytest.mark.parametrize("activation", [0, 1, 2, 3])
def test_integer_add_sub_mul(reference_worker, op, dtype, activation):
    """Wrapping arithmetic clamped to the activation (TFLite Micro's int32 ADD ignores it); int64
    with reference='tflite' only."""
    from microinfer.tflite import options as O

    options = {"ADD": O.AddOptions, "SUB": O.SubOptions, "MUL": O.MulOptions}[op](fused_activation_function=activation)
    model = binary(op, dtype, [(2, 3, 4), (4,)], options=options)
    info = np.iinfo(dtype)
    rng = np.random.default_rng(activation)
    for low, high in ((info.min, info.max), (-10, 10)):
        inputs = [rng.integers(low, high, size=s, endpoint=True).astype(dtype) for s in ((2, 3, 4), (4,))]
        check(reference_worker, model, inputs)
    if dtype == "int64":
        assert "int64" in refused(model, "tflm")


@pytest.mark.parametrize("op", ["ADD", "SUB", "MUL"])
def test_float_overflow_clamps_to_flt_max(reference_worker, op):
    model = binary(op, "float32", [(2,), (2,)])
    second = {"ADD": f32(3e38, -3e38), "SUB": f32(-3e38, 3e38), "MUL": f32(3e38, 3e38)}[op]
    assert_each_reference_gives(reference_worker, model, [f32(3e38, -3e38), second],
                                {"tflm": f32(FLT_MAX, -FLT_MAX), "tflite": f32(FLT_MAX, -FLT_MAX)})
