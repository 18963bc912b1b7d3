"""The unary math family (ABS, NEG, EXP, LOG, SQRT, RSQRT, SIN, COS, FLOOR, CEIL, ROUND, SQUARE,
ELU, LOG_SOFTMAX) and the type combinations of the activations (LOGISTIC, TANH, SOFTMAX; uint8
RELU, RELU6, LEAKY_RELU, HARD_SWISH, PRELU) each reference takes:
bit-exact against both live references (float32 within 1e-5).

Hypothesis draws single-op models from the family's strategies; quantized variants are also swept
over every input value of their type; hand-worked cases pin the delicate arithmetic; and what a
reference refuses (or fails on when it runs) microinfer refuses (or fails on) in that mode.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kernel_check import assert_bit_exact, assert_each_reference_gives
from microinfer import UnsupportedOpError
from microinfer.errors import InvalidInputError
from microinfer.interpreter import Interpreter
from microinfer.reference import ReferenceFailure
from microinfer.testing import random_inputs
from microinfer.testing.families.unary import GENERATED
from microinfer.testing.strategies import ACTIVATION_TYPE, op_examples, sigmoid_model, softmax_model
from microinfer.tflite import ModelBuilder

REFERENCES = ("tflm", "tflite")
SETTINGS = dict(deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _model(op, values_or_shape, dtype, qi=None, qo=None, version=1) -> bytes:
    shape = np.shape(values_or_shape) if isinstance(values_or_shape, np.ndarray) else values_or_shape
    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", shape, dtype, **(qi or {}))
    y = g.add_output("y", shape, dtype, **(qo or {}))
    g.add_operator(op, [x], [y], version=version)
    return b.build()


def _q(scale, zero_point=0) -> dict:
    return dict(scale=scale, zero_point=zero_point)


def _every_value(dtype: str) -> np.ndarray:
    info = np.iinfo(dtype)
    return np.arange(info.min, info.max + 1).astype(dtype)


def _check_each_reference(worker, model: bytes, inputs) -> int:
    """Per reference: the live result and microinfer's agree, or both refuse (microinfer with
    UnsupportedOpError, or InvalidInputError where the reference fails its Invoke). Returns how
    many references ran it."""
    ran = 0
    for ref in REFERENCES:
        try:
            expected = worker.run(ref, model, inputs).outputs
        except ReferenceFailure:
            with pytest.raises((UnsupportedOpError, InvalidInputError)):
                Interpreter(model, reference=ref).run(inputs)
            continue
        assert_bit_exact(worker, model, inputs, references=(ref,))
        ran += 1
        assert expected is not None
    return ran


# -- drawn models --------------------------------------------------------------------------------

PAIRS = [(op, label) for op, (labels, _) in sorted(GENERATED.items()) for label in labels]


@pytest.mark.parametrize("op,label", PAIRS, ids=[f"{op}-{label}" for op, label in PAIRS])
def test_drawn_models_bit_exact(reference_worker, op, label):
    factory = GENERATED[op][1]

    @settings(max_examples=6, **SETTINGS)
    @given(model=factory(ACTIVATION_TYPE[label]), seed=st.integers(0, 2**16), spread=st.sampled_from([1.0, 8.0, 1e3]))
    def check(model, seed, spread):
        inputs = [x * np.float32(spread) if x.dtype == np.float32 else x
                  for x in random_inputs(model, np.random.default_rng(seed))]
        _check_each_reference(reference_worker, model, inputs)

    check()


# -- every input value -------------------------------------------------------------------------

QUANTIZATIONS = {
    "int8": [(_q(0.05, -3), _q(0.08, 6)), (_q(0.05, -3), _q(0.05, -3)), (_q(1 / 16, -128), _q(0.3, 127)),
             (_q(0.0078125, 127), _q(2.0, -128))],
    "int16": [(_q(0.001), _q(0.002)), (_q(2.0**-12), _q(2.0**-12)), (_q(2e-5), _q(0.3))],
}
SWEPT = {"ABS": ("int8", "int16"), "EXP": ("int8", "int16"), "LOG": ("int8", "int16"),
         "SQRT": ("int8", "int16"), "RSQRT": ("int8", "int16"), "ELU": ("int8",)}
VERSIONS = {("ABS", "int16"): 3, ("RSQRT", "int16"): 3, ("ELU", "int8"): 1}


@pytest.mark.parametrize("op,dtype", [(op, d) for op, dtypes in SWEPT.items() for d in dtypes])
def test_every_input_value(reference_worker, op, dtype):
    """Every value of the type (SQRT/RSQRT: every one at or above the zero point) once, through
    each quantization both references, or one of them, run."""
    for qi, qo in QUANTIZATIONS[dtype]:
        values = _every_value(dtype)
        if op in ("SQRT", "RSQRT"):
            values = values[values >= qi["zero_point"]]
        model = _model(op, values, dtype, qi, qo, VERSIONS.get((op, dtype), 2))
        assert _check_each_reference(reference_worker, model, [values]) >= 1


def test_log_int16_table_slopes_wrap_as_int16(reference_worker):
    """LiteRT's table jumps from the output's lowest value (inputs at or below 0) to log of the
    next step: a slope beyond 32767, which its int16_t slope wraps (found by fuzzing)."""
    values = _every_value("int16")
    model = _model("LOG", values, "int16", _q(0.5), _q(2.0**-12), version=2)
    assert_bit_exact(reference_worker, model, [values], references=("tflite",))


@pytest.mark.parametrize("op", ["EXP", "LOG", "SQRT", "RSQRT", "SIN", "COS", "FLOOR", "CEIL", "ROUND",
                                "SQUARE", "ELU", "ABS", "NEG"])
def test_float32_special_values(reference_worker, op):
    """Zeros, halves (ROUND), huge and tiny values, infinities and NaN, within 1e-5."""
    x = np.array([0.0, -0.0, 0.5, -0.5, 1.5, 2.5, -2.5, 1e-30, -1e-30, 1e-45, 88.7, 89.0, -104.0, 1e10,
                  -1e10, 3e38, 8388608.5, np.inf, -np.inf, np.nan], np.float32)
    model = _model(op, x, "float32")
    assert _check_each_reference(reference_worker, model, [x]) >= 1


# -- hand-worked cases ---------------------------------------------------------------------------

def test_round_halves_to_even_and_keeps_positive_zero(reference_worker):
    x = np.array([0.5, 1.5, 2.5, -0.5, -1.5, -0.3, 3.7], np.float32)
    expected = np.array([0.0, 2.0, 2.0, -0.0, -2.0, 0.0, 4.0], np.float32)
    model = _model("ROUND", x, "float32")
    live = reference_worker.run("tflm", model, [x]).outputs[0]
    ours = Interpreter(model, reference="tflm").run([x])[0]
    np.testing.assert_array_equal(live, expected)
    # -0.3 rounds to +0.0 (floor(-0.3) + 1), -0.5 to -0.0 (floor(-0.5) is -1, odd, so +1)
    np.testing.assert_array_equal(np.signbit(ours), np.signbit(live))
    np.testing.assert_array_equal(ours, live)


def test_integer_negation_and_abs_wrap(reference_worker):
    # LiteRT negates int8 as stored (quantization ignored): -(-128) wraps to -128.
    x8 = np.array([-128, -1, 0, 1, 127], np.int8)
    assert_each_reference_gives(reference_worker, _model("NEG", x8, "int8", _q(0.1, 5), _q(0.1, 5)), [x8],
                                {"tflite": [-128, 1, 0, -1, -127]})
    # int16 without quantization: |-32768| wraps to -32768 in both (version 3 for LiteRT)
    x16 = np.array([-32768, -5, 0, 7, 32767], np.int16)
    assert_each_reference_gives(reference_worker, _model("ABS", x16, "int16", version=3), [x16],
                                {"tflm": [-32768, 5, 0, 7, 32767], "tflite": [-32768, 5, 0, 7, 32767]})


def test_abs_requantizes_only_when_scales_differ(reference_worker):
    # equal scales: |x - zp_in| + zp_out saturated; scale 0.1 -> 0.2 halves, ties away from zero
    x = np.array([-128, -3, 0, 3, 127], np.int8)
    same = _model("ABS", x, "int8", _q(0.1, 0), _q(0.1, -100), version=2)
    assert_each_reference_gives(reference_worker, same, [x], {r: [28, -97, -100, -97, 27] for r in REFERENCES})
    halved = _model("ABS", x, "int8", _q(0.1, 0), _q(0.2, 0), version=2)
    assert_each_reference_gives(reference_worker, halved, [x], {r: [64, 2, 0, 2, 64] for r in REFERENCES})


def test_rsqrt_int8_by_hand(reference_worker):
    """Input scale 1/4, zero point 0, output scale 1/16: 1/sqrt(q/4) * 16 = 32/sqrt(q); the zero
    point itself gives 127 (the largest value), 4 -> 16, 16 -> 8, 64 -> 4."""
    x = np.array([0, 1, 4, 16, 64, 127], np.int8)
    model = _model("RSQRT", x, "int8", _q(0.25), _q(1 / 16), version=2)
    assert_each_reference_gives(reference_worker, model, [x], {r: [127, 32, 16, 8, 4, 3] for r in REFERENCES})


def test_log_softmax_int8_uniform_rows(reference_worker):
    """A row of n equal values is log(1/n) in Q4.3 plus 127: n=1 -> 127, 2 -> 116 (-0.69*16 = -11.1),
    4 -> 105 (-22.2), 16 -> 83 (-44.4)."""
    for n, expected in ((1, 127), (2, 116), (4, 105), (16, 83)):
        x = np.full((1, n), 7, np.int8)
        model = _model("LOG_SOFTMAX", x, "int8", _q(0.1, 0), _q(16 / 256, 127), version=2)
        assert_each_reference_gives(reference_worker, model, [x], {r: np.full((1, n), expected) for r in REFERENCES})


# -- what the references refuse, or fail on ------------------------------------------------------

def _refused(model: bytes, reference: str, message: str) -> None:
    with pytest.raises(UnsupportedOpError, match=message):
        Interpreter(model, reference=reference)


def _live_refuses(worker, model: bytes, reference: str, inputs) -> None:
    with pytest.raises(ReferenceFailure):
        worker.run(reference, model, inputs)


@pytest.mark.parametrize("op,dtype,reference,message", [
    ("EXP", "int8", "tflm", "float32 with reference='tflm'"),
    ("LOG", "int16", "tflm", "float32 with reference='tflm'"),
    ("SQRT", "int8", "tflm", "float32 with reference='tflm'"),
    ("NEG", "int8", "tflm", "float32 with reference='tflm'"),
    ("ELU", "int8", "tflite", "LiteRT's reference resolver has no kernel"),
    ("CEIL", "float32", "tflite", "LiteRT's reference resolver has no kernel"),
    ("ROUND", "float32", "tflite", "LiteRT's reference resolver has no kernel"),
])
def test_refuses_what_a_reference_has_no_kernel_for(reference_worker, op, dtype, reference, message):
    q = _q(0.05) if dtype != "float32" else {}
    model = _model(op, (4,), dtype, q, q, version=1)
    x = np.ones(4, dtype)
    _live_refuses(reference_worker, model, reference, [x])
    _refused(model, reference, message)


def test_refuses_versions_litert_does_not_register(reference_worker):
    model = _model("ABS", (3,), "float32", version=4)
    _live_refuses(reference_worker, model, "tflite", [np.ones(3, np.float32)])
    _refused(model, "tflite", "the operator version is at most 3")
    assert_bit_exact(reference_worker, model, [np.array([-1, 0, 2], np.float32)], references=("tflm",))


def test_refuses_int16_zero_points(reference_worker):
    for op in ("ABS", "LOG", "SQRT", "RSQRT", "EXP"):
        model = _model(op, (3,), "int16", _q(0.001, 0), _q(0.002, 3), version=3 if op in ("ABS", "RSQRT") else 2)
        for ref in REFERENCES:
            if op == "ABS" or op == "RSQRT" or ref == "tflite":
                _live_refuses(reference_worker, model, ref, [np.ones(3, np.int16)])
                _refused(model, ref, "int16: input and output have zero point 0")


def test_refuses_lookup_tables_with_undefined_entries(reference_worker):
    """exp(127 * 25) overflows to inf, which LiteRT converts to int32 (undefined; its x86 build
    gives INT32_MIN): refused rather than reproduced."""
    model = _model("EXP", (3,), "int8", _q(25.0), _q(1e-4), version=2)
    _refused(model, "tflite", "finite and fits in int32")


@pytest.mark.parametrize("op", ["SQRT", "RSQRT"])
def test_inputs_below_the_zero_point_fail_as_in_the_reference(reference_worker, op):
    x = np.array([5, 4, 2], np.int8)  # 2 is below the zero point 3
    model = _model(op, x, "int8", _q(0.1, 3), _q(0.1, 0), version=2)
    for ref in REFERENCES:
        try:
            Interpreter(model, reference=ref)
        except UnsupportedOpError:
            continue  # SQRT int8 with TFLite Micro: refused before running
        _live_refuses(reference_worker, model, ref, [x])
        with pytest.raises(InvalidInputError, match="zero point"):
            Interpreter(model, reference=ref).run([x])
        assert_bit_exact(reference_worker, model, [np.array([5, 4, 3], np.int8)], references=(ref,))


# -- LOGISTIC, TANH, SOFTMAX: the combinations each reference takes ------------------------------

@pytest.mark.parametrize("op", ["LOGISTIC", "TANH"])
@pytest.mark.parametrize("scale", [2.7, 5.34, 100.0, 174762.6])
def test_sigmoid_int16_large_input_scales(reference_worker, op, scale):
    """Above 2.67 the input multiplier exceeds 32767; above 5.33 the int32 rescaling overflows for
    the largest inputs and both references wrap it: every int16 input, bit for bit."""
    values = _every_value("int16")
    assert_bit_exact(reference_worker, sigmoid_model(op, "int16", values.shape, scale, 0), [values])


@pytest.mark.parametrize("op", ["LOGISTIC", "TANH"])
def test_sigmoid_int16_refuses_multipliers_beyond_int32(reference_worker, op):
    model = sigmoid_model(op, "int16", (4,), 2e5, 0)
    for ref in REFERENCES:
        _refused(model, ref, "input scale \\* 3 \\* 4096 converts to int32")


@pytest.mark.parametrize("op,out_q,runs", [
    ("LOGISTIC", (1 / 256, 0), ("tflite",)),  # LiteRT's table uses the zero point; TFLM needs -128
    ("LOGISTIC", (1 / 128, -128), ("tflm",)),  # TFLM ignores the scale; LiteRT needs 1/256
    ("TANH", (1 / 256, -128), REFERENCES),  # neither checks TANH's int8 output quantization
    ("TANH", (0.02, 5), REFERENCES),
])
def test_sigmoid_int8_output_quantization_per_reference(reference_worker, op, out_q, runs):
    values = _every_value("int8")
    model = sigmoid_model(op, "int8", values.shape, 0.06, -3, out_q=out_q)
    for ref in REFERENCES:
        if ref in runs:
            assert_bit_exact(reference_worker, model, [values], references=(ref,))
        else:
            _live_refuses(reference_worker, model, ref, [values])
            _refused(model, ref, "int8 output")


def test_softmax_output_quantization_per_reference(reference_worker):
    rng = np.random.default_rng(3)
    x = rng.integers(-128, 128, (6, 20)).astype(np.int8)
    # int8 -> int16: LiteRT writes -32768 + 65536 p whatever the output tensor says; TFLM checks it
    lenient = softmax_model("int8", "int16", x.shape, 1.0, 0.05, 0, out_q=(2.0**-15, 0))
    assert_bit_exact(reference_worker, lenient, [x], references=("tflite",))
    _live_refuses(reference_worker, lenient, "tflm", [x])
    _refused(lenient, "tflm", "Quantized output")
    # int8 -> int8: LiteRT takes the scale within 0.1% of 1/256, TFLM only exactly
    near = softmax_model("int8", "int8", x.shape, 1.0, 0.05, 0, out_q=(1 / 256 * 1.0005, -128))
    assert_bit_exact(reference_worker, near, [x], references=("tflite",))
    _live_refuses(reference_worker, near, "tflm", [x])


def test_softmax_int16_input_zero_point_refused_by_both(reference_worker):
    model = softmax_model("int16", "int16", (2, 5), 1.0, 0.001, 5)
    for ref in REFERENCES:
        _live_refuses(reference_worker, model, ref, [np.zeros((2, 5), np.int16)])
        _refused(model, ref, "int16 input has zero point 0")


# -- uint8: LiteRT's legacy quantized type --------------------------------------------------------

@pytest.mark.parametrize("op", ["RELU", "RELU6", "LEAKY_RELU", "HARD_SWISH", "PRELU", "LOGISTIC", "TANH", "SOFTMAX"])
def test_uint8_activations_with_litert(reference_worker, op):
    """LiteRT runs these on uint8 with the int8 arithmetic over 0..255 (SOFTMAX also to int16);
    TFLite Micro has no uint8 kernels."""

    @settings(max_examples=8, **SETTINGS)
    @given(example=op_examples(op, "uint8"))
    def check(example):
        _refused(example.model, "tflm", "uint8|int8")
        _check_each_reference(reference_worker, example.model, example.inputs)

    check()


def test_uint8_softmax_output_is_not_checked_by_litert(reference_worker):
    x = np.arange(0, 256, dtype=np.uint8).reshape(4, 64)
    for out_dtype, out_q in (("uint8", (0.01, 17)), ("int16", (2.0**-15, 0))):
        model = softmax_model("uint8", out_dtype, x.shape, 1.0, 0.05, 128, out_q=out_q)
        assert_bit_exact(reference_worker, model, [x], references=("tflite",))
