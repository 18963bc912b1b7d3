"""ADD, SUB, MUL, PRELU, LEAKY_RELU, HARD_SWISH, RELU, RELU6: single-op
models against both references, bit for bit (float32 within 1e-5 relative).

Where microinfer rejects a model for one reference (a limitation of that reference, e.g. LiteRT's
int16 kernels wanting zero points 0), the test checks that the reference refuses it too.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microinfer.interpreter import Interpreter
from microinfer.tflite import options as O
from microinfer.testing.strategies import (
    RANGES,
    add_sub_case,
    binary_model,
    mul_case,
    prelu_case,
    unary_case,
    unary_model,
    values,
)

from kernel_check import assert_bit_exact_or_refused, assert_each_reference_gives

SETTINGS = dict(deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])

# -- helpers ------------------------------------------------------------------------------------

# Constraints guarding parameters for which the references' C code is undefined (shift counts of
# 31 or more, out-of-range float->int casts): the references may run such models and return
# arbitrary numbers, so a refusal for these reasons alone is not checked against the reference.
UNDEFINED_IN_REFERENCE = ("below 2**30", "fit in int32")


def check(worker, model: bytes, inputs) -> None:
    assert_bit_exact_or_refused(worker, model, inputs, UNDEFINED_IN_REFERENCE)


# -- ADD / SUB ----------------------------------------------------------------------------------

@settings(max_examples=400, **SETTINGS)
@given(case=add_sub_case("ADD"), seed=st.integers(0, 2**32 - 1))
def test_add(reference_worker, case, seed):
    model, s1, s2, dtype = case
    rng = np.random.default_rng(seed)
    check(reference_worker, model, [values(s1, dtype, rng), values(s2, dtype, rng)])


@settings(max_examples=400, **SETTINGS)
@given(case=add_sub_case("SUB"), seed=st.integers(0, 2**32 - 1))
def test_sub(reference_worker, case, seed):
    model, s1, s2, dtype = case
    rng = np.random.default_rng(seed)
    check(reference_worker, model, [values(s1, dtype, rng), values(s2, dtype, rng)])


@pytest.mark.parametrize("op", ["ADD", "SUB"])
@pytest.mark.parametrize("dtype", ["int8", "int16"])
@pytest.mark.parametrize("s2", [(2**19 + 1) / 2**20, 0.75 + 2**-20, 0.5 + 2**-21])
def test_add_sub_rounding_ties(reference_worker, op, dtype, s2):
    """Scale ratios with few significant bits put exact ties into the left-shift arithmetic."""
    lo, hi = RANGES[dtype]
    a = np.linspace(lo, hi, 256).round().astype(dtype)
    options = (O.AddOptions if op == "ADD" else O.SubOptions)(pot_scale_int16=False)
    for so in (1.0, 0.5, 0.3):
        model = binary_model(op, (256,), (256,), dtype, dict(scale=1.0, zero_point=0),
                             dict(scale=s2, zero_point=0), dict(scale=so, zero_point=0), options)
        check(reference_worker, model, [a, a[::-1].copy()])


def test_add_by_hand():
    """int8, scales 0.5 / 0.25 -> 0.5, zero points 1 / -2 -> 3: real sums rounded to the output."""
    model = binary_model("ADD", (4,), (4,), "int8", dict(scale=0.5, zero_point=1), dict(scale=0.25, zero_point=-2),
                         dict(scale=0.5, zero_point=3), O.AddOptions())
    x = np.array([1, 5, -20, 127], np.int8)  # reals 0, 2, -10.5, 63
    y = np.array([-2, 2, -1, 127], np.int8)  # reals 0, 1, 0.25, 32.25
    # sums 0, 3, -10.25, 95.25 -> /0.5 + 3: 3, 9, -20.5 + 3 (the tie rounds away from zero: -18),
    # and 193.5 saturates at 127.
    expected = np.array([3, 9, -18, 127], np.int8)
    for ref in ("tflm", "tflite"):
        np.testing.assert_array_equal(Interpreter(model, reference=ref).run([x, y])[0], expected)


def test_sub_pot_int16_by_hand():
    """LiteRT's power-of-two int16 SUB: the finer input is shifted right with rounding; TFLM uses the general path."""
    model = binary_model("SUB", (4,), (4,), "int16", dict(scale=2**-10, zero_point=0), dict(scale=2**-12, zero_point=0),
                         dict(scale=2**-10, zero_point=0), O.SubOptions(pot_scale_int16=True))
    x = np.array([0, 1000, -32768, 32767], np.int16)
    y = np.array([6, -6, 32767, -32768], np.int16)  # /4 rounded half away: 2 (1.5), -2 (-1.5), 8192, -8192
    got = Interpreter(model, reference="tflite").run([x, y])[0]
    np.testing.assert_array_equal(got, np.array([-2, 1002, -32768, 32767], np.int16))


def test_sub_multipliers_in_double(reference_worker):
    """Found by the fuzzer: scales 0.5, 0.5 -> 1/3. -59 - -124 = 65 steps of 0.5 = 32.5, over the
    float32 1/3 (0.33333334) that is 97.4999971 output steps: 97. Both references compute the
    real multipliers in double; in float32 the output multiplier rounds to exactly 0.75 * 2**-18,
    which turns the step count into the tie 97.5 and the result into 98."""
    q, out = dict(scale=0.5, zero_point=0), dict(scale=1 / 3, zero_point=0)
    model = binary_model("SUB", (1,), (1,), "int8", q, q, out, O.SubOptions())
    inputs = [np.array([-59], np.int8), np.array([-124], np.int8)]
    assert_each_reference_gives(reference_worker, model, inputs, {"tflm": [97], "tflite": [97]})


# -- MUL ----------------------------------------------------------------------------------------

@settings(max_examples=400, **SETTINGS)
@given(case=mul_case(), seed=st.integers(0, 2**32 - 1))
def test_mul(reference_worker, case, seed):
    model, s1, s2, dtype = case
    rng = np.random.default_rng(seed)
    check(reference_worker, model, [values(s1, dtype, rng), values(s2, dtype, rng)])


def test_mul_by_hand():
    model = binary_model("MUL", (3,), (1,), "int8", dict(scale=0.5, zero_point=0), dict(scale=0.25, zero_point=4),
                         dict(scale=0.125, zero_point=-1), O.MulOptions())
    x = np.array([3, -3, 100], np.int8)  # 1.5, -1.5, 50
    y = np.array([8], np.int8)  # (8 - 4) * 0.25 = 1
    expected = np.array([11, -13, 127], np.int8)  # 1.5/0.125 - 1, -1.5/0.125 - 1, saturated
    for ref in ("tflm", "tflite"):
        np.testing.assert_array_equal(Interpreter(model, reference=ref).run([x, y])[0], expected)


# -- PRELU --------------------------------------------------------------------------------------

@settings(max_examples=250, **SETTINGS)
@given(case=prelu_case(), seed=st.integers(0, 2**32 - 1))
def test_prelu(reference_worker, case, seed):
    model, shape, dtype = case
    check(reference_worker, model, [values(shape, dtype, np.random.default_rng(seed))])


# -- unary activations --------------------------------------------------------------------------

def _unary_test(op, dtypes, examples):
    @settings(max_examples=examples, **SETTINGS)
    @given(case=unary_case(op, dtypes), seed=st.integers(0, 2**32 - 1))
    def test(reference_worker, case, seed):
        model, shape, dtype = case
        check(reference_worker, model, [values(shape, dtype, np.random.default_rng(seed), spread=8.0)])

    return test


test_relu = _unary_test("RELU", ["int8", "int16", "float32"], 200)
test_relu6 = _unary_test("RELU6", ["int8", "int16", "float32"], 200)
test_leaky_relu = _unary_test("LEAKY_RELU", ["int8", "int8", "int16", "float32"], 300)
test_hard_swish = _unary_test("HARD_SWISH", ["int8", "int8", "float32"], 250)


@pytest.mark.parametrize("dtype,scales,x,expected", [
    # 0.625 / 0.1: 6.2499999 from the float32 scales in double, exactly 6.25 as a float32 quotient;
    # 2 x that is 12.4999998 (TFLite Micro: 12) or the tie 12.5 (LiteRT: 13)
    ("int8", (0.625, 0.1), 2, {"tflm": [12], "tflite": [13]}),
    # 0.078125 / 0.09375 = 5/6 exactly: double's 5/6 lies above it, float32's below, so
    # 12339 x 5/6 = 10282.5 goes up for TFLite Micro and down for LiteRT
    ("int16", (0.078125, 0.09375), 12339, {"tflm": [10283], "tflite": [10282]}),
])
def test_relu_multiplier_quotient(reference_worker, dtype, scales, x, expected):
    """Found by the fuzzer: TFLite Micro divides the scales in double, LiteRT in float32."""
    model = unary_model("RELU", (1,), dtype, dtype, dict(scale=scales[0], zero_point=0),
                        dict(scale=scales[1], zero_point=0))
    assert_each_reference_gives(reference_worker, model, [np.array([x], dtype)], expected)


def test_relu6_references_differ():
    """TFLM clamps the raw input to [zp_in, q(6)] ignoring the output scale; LiteRT requantizes."""
    model = unary_model("RELU6", (4,), "int8", "int8", dict(scale=0.1, zero_point=0), dict(scale=0.05, zero_point=-10))
    x = np.array([-5, 10, 50, 100], np.int8)  # -0.5, 1.0, 5.0, 10.0
    tflm = Interpreter(model, reference="tflm").run([x])[0]
    litert = Interpreter(model, reference="tflite").run([x])[0]
    np.testing.assert_array_equal(tflm, np.array([0, 10, 50, 60], np.int8))
    np.testing.assert_array_equal(litert, np.array([-10, 10, 90, 110], np.int8))


def test_leaky_relu_negative_alpha_ties(reference_worker):
    """alpha = -0.5 on equal scales: odd inputs land on exact ties (rounded toward -inf)."""
    model = unary_model("LEAKY_RELU", (256,), "int8", "int8", dict(scale=2**-10, zero_point=0),
                        dict(scale=2**-10, zero_point=0), O.LeakyReluOptions(alpha=-0.5))
    x = np.arange(-128, 128).astype(np.int8)
    got = Interpreter(model).run([x])[0]
    assert got[0] == 64 and got[1] == 63  # -128 * -0.5 = 64; -127 * -0.5 = 63.5 -> 63
    check(reference_worker, model, [x])
