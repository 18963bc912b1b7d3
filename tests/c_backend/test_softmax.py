"""SOFTMAX: the C kernels (mi_softmax_s8, mi_softmax_s8_s16, mi_softmax_s16) vs the NumPy spec,
bit for bit, for both references."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from microinfer import Interpreter, MicroinferError
from microinfer.tflite.options import SoftmaxOptions

from .c_check import assert_c_matches_numpy, new_builder, random_activations, requires_c, unaligned

pytestmark = requires_c
OUTPUT_QUANTIZATION = {"int8": (1 / 256, -128), "int16": (1 / 65536, -32768)}


def softmax_model(shape, beta, scale, zero_point, out_dtype="int8", in_dtype="int8") -> bytes:
    builder, g = new_builder()
    out_scale, out_zero_point = OUTPUT_QUANTIZATION[out_dtype] if in_dtype == "int8" else (1 / 32768, 0)
    x = g.add_input("x", shape, in_dtype, scale=scale, zero_point=zero_point)
    y = g.add_output("y", shape, out_dtype, scale=out_scale, zero_point=out_zero_point)
    g.add_operator("SOFTMAX", [x], [y], SoftmaxOptions(beta=beta), version=2 if in_dtype == "int8" else 3)
    return builder.build()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    shape=st.one_of(st.lists(st.integers(1, 6), min_size=1, max_size=4), st.tuples(st.integers(1, 3), st.integers(1, 400))),
    beta=st.one_of(st.sampled_from([1.0, 0.5, 2.0, 1e-3, 40.0, 1e4]), st.floats(0.01, 50.0)),
    scale=st.one_of(st.sampled_from([1e-6, 2.0**-12, 0.0039, 0.1, 1.0, 7.5, 300.0]), st.floats(1e-5, 10.0)),
    zero_point=st.integers(-128, 127),
    out_dtype=st.sampled_from(["int8", "int16"]),
    reference=st.sampled_from(["tflm", "tflite"]),
    narrow=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_softmax_matches_spec(shape, beta, scale, zero_point, out_dtype, reference, narrow, seed):
    assume(float(np.float32(beta)) * float(np.float32(scale)) * 2**26 > 1.0)
    model = softmax_model(tuple(shape), beta, scale, zero_point, out_dtype)
    rng = np.random.default_rng(seed)
    x = random_activations(rng, shape, np.int8)
    if narrow:  # nearly equal values: many terms in the sum, small differences
        x = rng.integers(100, 128, size=shape).astype(np.int8)
    assert_c_matches_numpy(model, [unaligned(x)], reference)


@pytest.mark.parametrize("depth", [1, 2, 255, 256, 511])
def test_long_uniform_rows(depth):
    """Equal inputs (the sum of exponentials is exactly depth, up to the largest the references accept)
    and extreme rows."""
    model = softmax_model((3, depth), 1.0, 0.1, 0)
    rows = np.stack([np.full(depth, 17), np.full(depth, -128), np.where(np.arange(depth) % 2, 127, -128)])
    assert_c_matches_numpy(model, [rows.astype(np.int8)], "tflm")


def test_uniform_rows_by_hand():
    # Equal inputs: 1/depth exactly; int8 output = 256/depth - 128.
    for depth, expected in ((2, 0), (4, -64), (8, -96)):
        model = softmax_model((1, depth), 1.0, 0.1, 0)
        got = Interpreter(model, backend="c").run([np.full((1, depth), 17, np.int8)])[0]
        np.testing.assert_array_equal(got, np.full((1, depth), expected))


def test_rows_the_references_abort_on_raise_the_spec_error():
    """Rows whose sum of exponentials leaves the range the reference checks: the C kernel reports
    it and the backend raises exactly the NumPy kernel's error."""
    depth = 600  # 600 terms of 1.0: the output exponent leaves 0..31
    model = softmax_model((1, depth), 1.0, 0.1, 0)
    x = np.full((1, depth), 5, np.int8)
    with pytest.raises(MicroinferError) as spec_error:
        Interpreter(model).run([x])
    fast = Interpreter(model, backend="c")
    assert fast.op_backends == ["c"]
    with pytest.raises(MicroinferError) as c_error:
        fast.run([x])
    assert str(c_error.value) == str(spec_error.value)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    shape=st.one_of(st.lists(st.integers(1, 6), min_size=1, max_size=4), st.tuples(st.integers(1, 3), st.integers(1, 400))),
    beta=st.one_of(st.sampled_from([1.0, 0.5, 2.0, 1e-3, 40.0]), st.floats(0.01, 50.0)),
    scale=st.one_of(st.sampled_from([1e-6, 2.0**-12, 0.001, 0.1, 1.0, 300.0]), st.floats(1e-5, 10.0)),
    reference=st.sampled_from(["tflm", "tflite"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_int16_softmax_matches_spec(shape, beta, scale, reference, seed):
    """int16 input: each reference's own lookup tables, the scaled difference saturating at the
    table's ends, rows of equal and of extreme values."""
    assume(0 < float(np.float32(scale)) * float(np.float32(beta)) / (10 / 65535) < 2.0**29)
    # both references require the input zero point 0 (TFLite Micro's Prepare fails otherwise)
    model = softmax_model(tuple(shape), beta, scale, 0, "int16", in_dtype="int16")
    x = random_activations(np.random.default_rng(seed), shape, np.int16)
    assert_c_matches_numpy(model, [unaligned(x)], reference)


@pytest.mark.parametrize("reference", ["tflm", "tflite"])
@pytest.mark.parametrize("scale", [1e-3, 0.01, 0.1, 1.0])
def test_int16_softmax_many_rows(reference, scale):
    """Hundreds of random rows: the reciprocal's rounding differs from a near miss on a few percent of
    rows only, so it needs many."""
    rng = np.random.default_rng(int(scale * 1000))
    model = softmax_model((64, 150), 1.0, scale, 0, "int16", in_dtype="int16")
    assert_c_matches_numpy(model, [random_activations(rng, (64, 150), np.int16)], reference)


def test_float32_falls_back_to_numpy():
    builder, g = new_builder()
    x = g.add_input("x", (2, 7), "float32")
    y = g.add_output("y", (2, 7), "float32")
    g.add_operator("SOFTMAX", [x], [y], SoftmaxOptions(beta=1.0), version=1)
    model = builder.build()
    interpreter = Interpreter(model, backend="c")
    assert interpreter.op_backends[0].startswith("numpy:")
    values = np.random.default_rng(1).uniform(-3, 3, (2, 7)).astype(np.float32)
    np.testing.assert_array_equal(interpreter.run([values])[0], Interpreter(model).run([values])[0])
