"""AVERAGE_POOL_2D, MAX_POOL_2D, SOFTMAX, LOGISTIC and TANH: bit-exact against both references.

Hypothesis draws single-op models (shapes, windows, strides, padding, activations, beta, tiny
and large scales, zero points at the ends of the range) and checks every example against TFLite
Micro and LiteRT. Where a model is outside what one reference accepts, microinfer
must refuse it for that reference (UnsupportedOpError) and only the other one is compared.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kernel_check import assert_bit_exact, assert_each_reference_gives, random_inputs
from microinfer import UnsupportedOpError
from microinfer.interpreter import Interpreter
from microinfer.tflite import ModelBuilder
from microinfer.tflite.options import Pool2DOptions
from microinfer.testing.strategies import (
    pool_cases,
    pool_model,
    sigmoid_cases,
    sigmoid_model,
    softmax_cases,
    softmax_model,
)
from microinfer.tflite.types import ActivationFunction, Padding

SETTINGS = dict(
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def _check(worker, model: bytes, seed: int, runs: int = 2, references=("tflm", "tflite")):
    rng = np.random.default_rng(seed)
    for _ in range(runs):
        assert_bit_exact(worker, model, random_inputs(model, rng), references=references)


def _refused(model: bytes, reference: str) -> None:
    with pytest.raises(UnsupportedOpError):
        Interpreter(model, reference=reference)


# -- pooling ----------------------------------------------------------------------------------

@pytest.mark.parametrize("op", ["AVERAGE_POOL_2D", "MAX_POOL_2D"])
@settings(max_examples=250, **SETTINGS)
@given(case=pool_cases(), seed=st.integers(0, 2 ** 16))
def test_pooling_bit_exact(reference_worker, op, case, seed):
    _check(reference_worker, pool_model(op, *case), seed)


def test_average_pool_rounds_half_away_from_zero(reference_worker):
    # 2x2 windows with sums 6, -6, 7, -7 over 4 cells: 1.5 -> 2, -1.5 -> -2, 1.75 -> 2, -1.75 -> -2.
    x = np.array([[1, 2, -1, -2], [1, 2, -1, -2], [1, 2, -2, -2], [2, 2, -1, -2]], np.int8).reshape(1, 4, 4, 1)
    model = pool_model("AVERAGE_POOL_2D", "int8", (1, 4, 4, 1), (2, 2), (2, 2), Padding.VALID,
                       ActivationFunction.NONE)
    expected = np.array([2, -2, 2, -2], np.int8).reshape(1, 2, 2, 1)
    for ref in ("tflm", "tflite"):
        np.testing.assert_array_equal(Interpreter(model, reference=ref).run([x])[0], expected)
        np.testing.assert_array_equal(reference_worker.run(ref, model, [x]).outputs[0], expected)


def test_max_pool_relu6_clamps(reference_worker):
    # scale 0.5, zero point 10: RELU6 keeps [10, 22]; window maxima 30 -> 22, 5 -> 10.
    x = np.array([30, 1, 2, 3, 5, -4, 0, 4], np.int8).reshape(1, 2, 4, 1)
    model = pool_model("MAX_POOL_2D", "int8", (1, 2, 4, 1), (2, 2), (2, 2), Padding.VALID,
                       ActivationFunction.RELU6, scale=0.5, zero_point=10)
    expected = np.array([22, 10], np.int8).reshape(1, 1, 2, 1)
    for ref in ("tflm", "tflite"):
        np.testing.assert_array_equal(Interpreter(model, reference=ref).run([x])[0], expected)
        np.testing.assert_array_equal(reference_worker.run(ref, model, [x]).outputs[0], expected)


def test_pooling_refuses_requantization():
    model = pool_model("AVERAGE_POOL_2D", "int8", (1, 4, 4, 1), (2, 2), (1, 1), Padding.SAME,
                       ActivationFunction.NONE)
    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", (1, 4, 4, 1), "int8", scale=0.1, zero_point=0)
    y = g.add_output("y", (1, 4, 4, 1), "int8", scale=0.2, zero_point=0)
    g.add_operator("MAX_POOL_2D", [x], [y], Pool2DOptions(padding=Padding.SAME, stride_h=1, stride_w=1,
                                                        filter_height=2, filter_width=2), version=2)
    _refused(b.build(), "tflm")
    Interpreter(model)  # the same-quantization model is accepted


# -- softmax ----------------------------------------------------------------------------------

@settings(max_examples=400, **SETTINGS)
@given(case=softmax_cases(), seed=st.integers(0, 2 ** 16))
def test_softmax_bit_exact(reference_worker, case, seed):
    _check(reference_worker, softmax_model(*case), seed)


@settings(max_examples=40, **SETTINGS)
@given(depth=st.integers(2, 300), beta=st.sampled_from([1.0, 0.3, 3.0]), scale=st.sampled_from([0.01, 0.1, 0.5]),
       seed=st.integers(0, 2 ** 16))
def test_softmax_int8_long_rows(reference_worker, depth, beta, scale, seed):
    # Rows of nearly equal values: large sums of exponentials, the reciprocal's range.
    model = softmax_model("int8", "int8", (2, depth), beta, scale, 0)
    rng = np.random.default_rng(seed)
    x = rng.integers(100, 128, size=(2, depth)).astype(np.int8)
    assert_bit_exact(reference_worker, model, [x])


def test_softmax_uniform_rows_by_hand(reference_worker):
    # Equal inputs: 1/depth exactly; int8 output = 256/depth - 128.
    for depth, expected in ((2, 0), (4, -64), (8, -96)):
        model = softmax_model("int8", "int8", (1, depth), 1.0, 0.1, 0)
        x = np.full((1, depth), 17, np.int8)
        for ref in ("tflm", "tflite"):
            np.testing.assert_array_equal(Interpreter(model, reference=ref).run([x])[0], np.full((1, depth), expected))
            np.testing.assert_array_equal(reference_worker.run(ref, model, [x]).outputs[0], np.full((1, depth), expected))


def test_softmax_int16_multiplier_product(reference_worker):
    """Found by the fuzzer: input scale x beta is multiplied in double by TFLite Micro and in
    float32 by LiteRT before the division by 10/65535, which gives different multipliers
    (by hand: 1e-5 x 26.75 / (10/65535) = 1.7530... = 1882335137 x 2**-30 in double; the float32
    product 2.675e-4 rounded gives 1882335181) and, on this row, outputs 853 / 852."""
    model = softmax_model("int16", "int16", (1, 10), 26.75, 1e-5, 0)
    assert [(p.multiplier, p.left_shift) for p in (Interpreter(model, reference=r)._prepared[0]
                                                    for r in ("tflm", "tflite"))] == [(1882335137, 1), (1882335181, 1)]
    row = np.array([[-30420, 4678, -3466, -32348, 2855, 17868, 15828, 31343, 1905, 5889]], np.int16)
    tflm = [[2, 26, 3, 2, 15, 853, 494, 31326, 12, 34]]
    litert = [[2, 26, 3, 2, 15, 852, 494, 31327, 12, 34]]
    assert_each_reference_gives(reference_worker, model, [row], {"tflm": tflm, "tflite": litert})


def test_softmax_refuses_wrong_output_quantization():
    _refused(softmax_model("int8", "int8", (1, 5), 1.0, 0.1, 0, out_q=(1 / 256, 0)), "tflm")
    _refused(softmax_model("int8", "int8", (1, 5), 1.0, 0.1, 0, out_q=(1 / 128, -128)), "tflite")
    _refused(softmax_model("int16", "int16", (1, 5), 1.0, 0.1, 0, out_q=(1 / 65536, 0)), "tflm")


# -- logistic / tanh ----------------------------------------------------------------------------

@pytest.mark.parametrize("op", ["LOGISTIC", "TANH"])
@settings(max_examples=300, **SETTINGS)
@given(case=sigmoid_cases(), seed=st.integers(0, 2 ** 16))
def test_sigmoid_family_bit_exact(reference_worker, op, case, seed):
    _check(reference_worker, sigmoid_model(op, *case), seed)


@pytest.mark.parametrize("op", ["LOGISTIC", "TANH"])
@pytest.mark.parametrize("dtype", ["int8", "int16"])
def test_sigmoid_family_every_input(reference_worker, op, dtype):
    # Every representable input once (int16: every 7th), a few scales including powers of two.
    values = np.arange(-128, 128) if dtype == "int8" else np.arange(-32768, 32768, 7)
    for scale in ([0.02, 0.0625, 0.3] if dtype == "int8" else [2.0 ** -12, 2.0 ** -11, 1e-3]):
        model = sigmoid_model(op, dtype, (values.size,), scale, 3 if dtype == "int8" else 0)
        assert_bit_exact(reference_worker, model, [values.astype(dtype)])


def test_sigmoid_family_by_hand(reference_worker):
    # 0 maps to 1/2 (LOGISTIC, int8 0 at zero point -128) and 0 (TANH); far inputs saturate.
    x = np.array([0, 127, -128], np.int8)
    for op, expected in (("LOGISTIC", [0, 127, -128]), ("TANH", [0, 127, -128])):
        model = sigmoid_model(op, "int8", (3,), 0.5, 0)
        for ref in ("tflm", "tflite"):
            np.testing.assert_array_equal(Interpreter(model, reference=ref).run([x])[0], expected)
            np.testing.assert_array_equal(reference_worker.run(ref, model, [x]).outputs[0], expected)


def test_sigmoid_family_refuses_other_output_quantization():
    # (what each reference does take is in tests/kernels/test_unary.py)
    _refused(sigmoid_model("LOGISTIC", "int8", (4,), 0.1, 0, out_q=(1 / 128, -128)), "tflite")
    _refused(sigmoid_model("LOGISTIC", "int8", (4,), 0.1, 0, out_q=(1 / 256, 0)), "tflm")
    _refused(sigmoid_model("TANH", "int16", (4,), 0.1, 0, out_q=(2.0 ** -14, 0)), "tflm")
