"""QUANTIZE and DEQUANTIZE: every type pair each reference converts, per tensor and per channel,
against both live references bit for bit, with hand-worked cases where the arithmetic is
delicate and checks that what a reference refuses microinfer refuses in that mode.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microinfer import ModelError, UnsupportedOpError
from microinfer.interpreter import Interpreter
from microinfer.reference import ReferenceCrash, ReferenceFailure
from microinfer.testing import random_inputs
from microinfer.tflite import ModelBuilder
from microinfer.testing.families.quantization import conversion_model, dequantize_case, quantize_case

from kernel_check import assert_bit_exact, assert_bit_exact_or_refused, assert_each_reference_gives

SETTINGS = dict(deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
# Refusals for parameters where the references' C code is undefined (shift counts of 31 or
# more): a reference may run such a model and return arbitrary numbers.
UNDEFINED_IN_REFERENCE = ("below 2**30",)


def inputs_for(model: bytes, seed: int, spread: float = 1.0) -> list[np.ndarray]:
    """Integers over their full range, floats in [-spread, spread]."""
    inputs = random_inputs(model, np.random.default_rng(seed))
    return [x * np.float32(spread) if x.dtype == np.float32 else x for x in inputs]


def check(worker, model: bytes, inputs) -> None:
    assert_bit_exact_or_refused(worker, model, inputs, UNDEFINED_IN_REFERENCE)


def refusal(model: bytes, reference: str) -> str:
    with pytest.raises(UnsupportedOpError) as error:
        Interpreter(model, reference=reference)
    return str(error.value)


# -- property tests -------------------------------------------------------------------------------

@settings(max_examples=250, **SETTINGS)
@given(case=quantize_case(), seed=st.integers(0, 2**32 - 1))
def test_quantize(reference_worker, case, seed):
    model, _, _, spread = case
    check(reference_worker, model, inputs_for(model, seed, spread))


@settings(max_examples=120, **SETTINGS)
@given(case=dequantize_case(), seed=st.integers(0, 2**32 - 1))
def test_dequantize(reference_worker, case, seed):
    model = case[0]
    check(reference_worker, model, inputs_for(model, seed))


# -- float32 -> integer ---------------------------------------------------------------------------

def test_quantize_divides_in_float32(reference_worker):
    """Both references compute x / scale in float32 before rounding. 0.25 / 0.1 is 2.49999996 in
    double but rounds to exactly 2.5 in float32, which rounds away from zero to 3 (double: 2)."""
    x = np.float32(0.25)
    assert float(x) / float(np.float32(0.1)) < 2.5 and np.float32(x / np.float32(0.1)) == 2.5
    for dtype, zero_point in (("int8", 0), ("uint8", 128), ("int16", 0)):
        model = conversion_model("QUANTIZE", (1,), "float32", dtype, {}, dict(scale=0.1, zero_point=zero_point))
        expected = np.array([zero_point + 3], dtype)
        refs = ("tflite",) if dtype == "uint8" else ("tflm", "tflite")
        assert_each_reference_gives(reference_worker, model, [np.array([x])], {r: expected for r in refs})


def test_quantize_rounding_and_overflow_by_hand(reference_worker):
    """Half away from zero, saturation, and x86's conversion of quotients beyond int32 (and NaN) to
    INT32_MIN, to which the zero point -3 is added with int32 wrap-around: INT32_MAX - 2 -> 127."""
    model = conversion_model("QUANTIZE", (8,), "float32", "int8", {}, dict(scale=0.5, zero_point=-3))
    x = np.array([0.25, -0.25, 0.75, -0.75, 100.0, -100.0, 2e9, np.nan], np.float32)
    expected = np.array([-2, -4, -1, -5, 127, -128, 127, 127], np.int8)
    assert_each_reference_gives(reference_worker, model, [x], {"tflm": expected, "tflite": expected})


def test_float32_to_uint8_by_hand(reference_worker):
    """LiteRT only: zero point 3, scale 0.02; clamped to [0, 255]; 2e9 -> INT32_MIN + 3 -> 0."""
    model = conversion_model("QUANTIZE", (6,), "float32", "uint8", {}, dict(scale=0.02, zero_point=3))
    x = np.array([-3.0, 0.0, 0.01, 1.0, 100.0, 2e9], np.float32)
    expected = np.array([0, 3, 4, 53, 255, 0], np.uint8)
    assert_each_reference_gives(reference_worker, model, [x], {"tflite": expected})
    assert "TFLite Micro fails to run them" in refusal(model, "tflm")


def test_per_channel_quantize_by_hand(reference_worker):
    """LiteRT quantizes with each channel's scale and zero point (axis 1 here); TFLite Micro
    refuses a per-channel output."""
    q = dict(scale=[0.5, 0.25, 0.125], zero_point=[-3, 5, 0], axis=1)
    model = conversion_model("QUANTIZE", (2, 3), "float32", "int8", {}, q)
    x = np.array([[1, 2, 3], [4, 5, 60]], np.float32)
    expected = np.array([[-1, 13, 24], [5, 25, 127]], np.int8)
    assert_each_reference_gives(reference_worker, model, [x], {"tflite": expected})
    assert "quantized per tensor" in refusal(model, "tflm")
    with pytest.raises(ReferenceFailure):
        reference_worker.run("tflm", model, [x])


# -- requantization -------------------------------------------------------------------------------

@pytest.mark.parametrize("din,dout,zp_in,zp_out", [("uint8", "int8", 128, 0), ("int8", "uint8", -5, 123)])
def test_uint8_int8_shift_by_128_exhaustive(reference_worker, din, dout, zp_in, zp_out):
    """Same scale, zero points 128 apart: the references' XOR-0x80 fast path equals the general one."""
    model = conversion_model("QUANTIZE", (256,), din, dout, dict(scale=0.0078125, zero_point=zp_in),
                             dict(scale=0.0078125, zero_point=zp_out))
    info = np.iinfo(din)
    x = np.arange(info.min, info.max + 1).astype(din)
    expected = np.clip(x.astype(np.int64) - zp_in + zp_out, *(np.iinfo(dout).min, np.iinfo(dout).max)).astype(dout)
    assert_each_reference_gives(reference_worker, model, [x], {"tflm": expected, "tflite": expected})


@pytest.mark.parametrize("din,dout", [("uint8", "int8"), ("int8", "uint8"), ("uint8", "uint8"), ("uint8", "int16")])
def test_uint8_requantize_exhaustive(reference_worker, din, dout):
    """Every input value, rescaling by 0.3 with zero points away from the middle; ties of the
    rounding come with scale ratios like 0.5."""
    info = np.iinfo(din)
    x = np.arange(info.min, info.max + 1).astype(din)
    for ratio, zp_in, zp_out in ((0.3, 200, -7 if dout != "uint8" else 7), (0.5, 3, 100), (1.75, 130, 0)):
        model = conversion_model("QUANTIZE", (256,), din, dout, dict(scale=0.01, zero_point=zp_in if din == "uint8" else zp_in - 128),
                                 dict(scale=0.01 / ratio, zero_point=zp_out))
        check(reference_worker, model, [x])


def test_int32_input_wraps_like_int32(reference_worker):
    """int32 input minus its zero point 5 wraps (INT32_MIN - 5 -> INT32_MAX - 4); the ratio 2**-24
    (multiplier 2**30, shift -23) rounds halves away from zero: +-2**23 offsets give +-0.5 -> +-1."""
    model = conversion_model("QUANTIZE", (6,), "int32", "int16", dict(scale=2.0**-24, zero_point=5),
                             dict(scale=1.0, zero_point=3))
    x = np.array([-(2**31), 2**31 - 1, 0, 5 + 2**23, 5 - 2**23, 5 + 3 * 2**23], np.int32)
    expected = np.array([131, 131, 3, 4, 2, 5], np.int16)
    assert_each_reference_gives(reference_worker, model, [x], {"tflm": expected, "tflite": expected})


def test_per_channel_input_is_read_as_each_reference_reads_it(reference_worker):
    """TFLite Micro reads a per-channel tensor's first scale and zero point, LiteRT none (scale 0:
    every output is the output zero point)."""
    model = conversion_model("QUANTIZE", (2, 3), "int8", "int8",
                             dict(scale=[0.5, 0.25, 0.125], zero_point=[0, 1, 2], axis=1), dict(scale=0.1, zero_point=4))
    x = np.array([[1, 2, 3], [4, 5, 6]], np.int8)
    assert_each_reference_gives(reference_worker, model, [x], {"tflm": (x * 5 + 4).astype(np.int8),
                                                                "tflite": np.full((2, 3), 4, np.int8)})


def test_refusals_match_the_references(reference_worker):
    cases = [
        ("tflm", ("uint8", "uint8"), "TFLite Micro fails to run them"),
        ("tflm", ("uint8", "int16"), "TFLite Micro fails to run them"),
        ("tflite", ("int8", "int32"), "LiteRT refuses it"),
    ]
    for reference, (din, dout), message in cases:
        model = conversion_model("QUANTIZE", (4,), din, dout, dict(scale=0.1, zero_point=0), dict(scale=0.2, zero_point=0))
        assert message in refusal(model, reference)
        with pytest.raises(ReferenceFailure):
            reference_worker.run(reference, model, inputs_for(model, 0))
    q16 = dict(scale=0.1, zero_point=3)
    model = conversion_model("QUANTIZE", (4,), "int16", "int16", q16, q16)
    assert "zero points are 0" in refusal(model, "tflite")
    with pytest.raises(ReferenceFailure):
        reference_worker.run("tflite", model, inputs_for(model, 0))


# -- DEQUANTIZE -------------------------------------------------------------------------------------

def test_dequantize_per_channel_by_hand(reference_worker):
    """LiteRT applies each channel's parameters; TFLite Micro the first channel's to every element."""
    x = np.array([[1, 2, 3], [4, 5, 6]], np.uint8)
    model = conversion_model("DEQUANTIZE", (2, 3), "uint8", "float32",
                             dict(scale=[0.5, 0.25, 0.125], zero_point=[100, 128, 3], axis=1), {})
    assert_each_reference_gives(reference_worker, model, [x], {
        "tflite": np.array([[-49.5, -31.5, 0.0], [-48.0, -30.75, 0.375]], np.float32),
        "tflm": ((x.astype(np.float32) - 100) * 0.5).astype(np.float32),
    })


def test_dequantize_float16(reference_worker):
    """LiteRT converts float16 exactly; TFLite Micro refuses float16."""
    x = np.array([1.5, -2.25, 65504, 1e-7, -0.0, np.inf], np.float16)
    model = conversion_model("DEQUANTIZE", (6,), "float16", "float32", {}, {})
    assert_each_reference_gives(reference_worker, model, [x], {"tflite": x.astype(np.float32)})
    assert "float16" in refusal(model, "tflm")
    with pytest.raises(ReferenceFailure):
        reference_worker.run("tflm", model, [x])


def test_dequantize_refusals_match_the_references(reference_worker):
    int16_zero_point = conversion_model("DEQUANTIZE", (4,), "int16", "float32", dict(scale=0.5, zero_point=7), {})
    int16_per_channel = conversion_model("DEQUANTIZE", (2, 2), "int16", "float32",
                                         dict(scale=[0.5, 0.25], zero_point=[0, 0], axis=1), {})
    for model in (int16_zero_point, int16_per_channel):
        assert "zero point 0" in refusal(model, "tflite")
        with pytest.raises(ReferenceFailure):
            reference_worker.run("tflite", model, inputs_for(model, 0))
        assert_bit_exact(reference_worker, model, inputs_for(model, 0), references=("tflm",))
    # LiteRT turns a non-float32 output into float32 behind the model's back: refused in both modes.
    retyped = conversion_model("DEQUANTIZE", (4,), "int8", "int8", dict(scale=0.5, zero_point=1), dict(scale=0.5, zero_point=1))
    for reference in ("tflm", "tflite"):
        assert "float32 output" in refusal(retyped, reference)


@pytest.mark.parametrize("q", [dict(scale=0.5, zero_point=-3), dict(scale=[0.5, 0.25, 2.0], zero_point=[0, 1, -2], axis=1)])
def test_dequantize_int4_constant(reference_worker, q):
    """LiteRT dequantizes int4 weights (unpacked to int8 values), per tensor or per channel;
    TFLite Micro refuses int4. Here the result feeds a float32 ADD of a zero input."""
    values = np.array([[-8, -1, 0], [3, 7, 5]], np.int8)
    b = ModelBuilder()
    g = b.main
    weights = g.add_constant("w", values, dtype="int4", **q)
    x = g.add_input("x", (2, 3), "float32")
    dequantized = g.add_tensor("dequantized", (2, 3), "float32")
    y = g.add_output("y", (2, 3), "float32")
    g.add_operator("DEQUANTIZE", [weights], [dequantized], version=6)
    g.add_operator("ADD", [dequantized, x], [y])
    model = b.build()
    scale = np.broadcast_to(np.asarray(q["scale"], np.float64), (2, 3))
    zero_point = np.broadcast_to(np.asarray(q["zero_point"]), (2, 3))
    expected = (scale * (values - zero_point)).astype(np.float32)
    assert_each_reference_gives(reference_worker, model, [np.zeros((2, 3), np.float32)], {"tflite": expected})
    assert "float16 or int4" in refusal(model, "tflm")


def test_litert_resizes_a_scalar_declared_quantize_output(reference_worker):
    """A converter's QUANTIZE of constant weights declares a scalar output; LiteRT's Prepare resizes
    it to the weights' shape, and the FULLY_CONNECTED reading it runs (nuvoton's gearbox model)."""
    from microinfer.tflite.options import FullyConnectedOptions

    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", (1, 8), "float32")
    weights = g.add_constant("w_float", np.linspace(-1, 1, 16, dtype=np.float32).reshape(2, 8))
    quantized = g.add_tensor("w_uint8", (), "uint8", scale=2 / 255, zero_point=128)
    restored = g.add_tensor("w", (), "float32")
    y = g.add_output("y", (1, 2), "float32")
    g.add_operator("QUANTIZE", [weights], [quantized])
    g.add_operator("DEQUANTIZE", [quantized], [restored])
    g.add_operator("FULLY_CONNECTED", [x, restored, -1], [y], FullyConnectedOptions(), version=1)
    model = b.build()
    inputs = inputs_for(model, 3)
    assert_bit_exact(reference_worker, model, inputs, references=("tflite",))
    interpreter = Interpreter(model, reference="tflite")
    assert interpreter.subgraph.tensors[restored].shape == (2, 8)
    with pytest.raises((ReferenceFailure, ReferenceCrash)):
        reference_worker.run("tflm", model, inputs)
    with pytest.raises((UnsupportedOpError, ModelError)):
        Interpreter(model, reference="tflm")
