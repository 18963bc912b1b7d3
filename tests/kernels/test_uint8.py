"""uint8 (LiteRT's legacy asymmetric quantization): CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED,
AVERAGE_POOL_2D, MAX_POOL_2D, SOFTMAX, LOGISTIC, TANH, CONCATENATION, ADD, SUB, MUL, RELU and RELU6 against
LiteRT's reference kernels bit for bit, hand-worked cases where the legacy arithmetic differs
from int8's, and TFLite Micro's refusal of uint8 (with the reason, in microinfer and live).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microinfer import UnsupportedOpError
from microinfer.interpreter import Interpreter
from microinfer.reference import ReferenceFailure
from microinfer.testing import random_inputs
from microinfer.testing.families import uint8 as family
from microinfer.testing.strategies import op_examples
from microinfer.tflite import ModelBuilder
from microinfer.tflite import options as O
from microinfer.tflite.types import Padding

from kernel_check import assert_bit_exact, assert_bit_exact_or_refused, assert_each_reference_gives

SETTINGS = dict(deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                         HealthCheck.too_slow])
TFLM_REASON = "TFLite Micro's kernels take int8, not uint8"
# The uint8 activations are drawn with their int8 and int16 variants (testing/strategies.py).
UINT8_OPS = sorted({*family.GENERATED, "LOGISTIC", "RELU", "RELU6", "SOFTMAX", "TANH"})


def uint8_models(op: str):
    return op_examples(op, "uint8").map(lambda example: example.model)


@pytest.mark.parametrize("op", UINT8_OPS)
def test_uint8_models_against_litert(reference_worker, op):
    """Bit for bit against LiteRT; a model microinfer refuses, LiteRT refuses too (most run)."""
    compared = []

    @settings(max_examples=12, **SETTINGS)
    @given(model=uint8_models(op), seed=st.integers(0, 2**16))
    def check(model, seed):
        inputs = random_inputs(model, np.random.default_rng(seed))
        compared.append(assert_bit_exact_or_refused(reference_worker, model, inputs, references=("tflite",)))

    check()
    assert sum(compared) >= len(compared) // 2, f"{op}: only {sum(compared)} of {len(compared)} models ran"


@settings(max_examples=8, **SETTINGS)
@given(data=st.data(), op=st.sampled_from(UINT8_OPS))
def test_tflm_refuses_uint8(reference_worker, data, op):
    """TFLite Micro refuses every uint8 model, and microinfer says why."""
    model = data.draw(uint8_models(op))
    with pytest.raises(UnsupportedOpError, match=TFLM_REASON):
        Interpreter(model, reference="tflm")
    with pytest.raises(ReferenceFailure):
        reference_worker.run("tflm", model, random_inputs(model, np.random.default_rng(0)))


# -- hand-worked ------------------------------------------------------------------------------------

def _conv_1x1(x_q, w_q, y_q, weight: int, bias: int, bias_scale: float | None = None) -> bytes:
    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", (1, 1, 1, 1), "uint8", **x_q)
    w = g.add_constant("w", np.array([weight], np.uint8).reshape(1, 1, 1, 1), **w_q)
    scale = bias_scale if bias_scale is not None else float(np.float32(x_q["scale"]) * np.float32(w_q["scale"]))
    bb = g.add_constant("b", np.array([bias], np.int32), scale=scale, zero_point=0)
    y = g.add_output("y", (1, 1, 1, 1), "uint8", **y_q)
    g.add_operator("CONV_2D", [x, w, bb], [y], O.Conv2DOptions(padding=Padding.VALID, stride_w=1, stride_h=1))
    return b.build()


def test_conv_filter_zero_point_by_hand(reference_worker):
    """acc = (w - zp_w) * (x - zp_x) + bias = (200 - 128) * (10 - 3) + 6 = 510; scales 0.5 * 0.25
    / 1.0 = 0.125: 510 / 8 = 63.75 -> 64, plus the output zero point 100 -> 164."""
    model = _conv_1x1(dict(scale=0.5, zero_point=3), dict(scale=0.25, zero_point=128),
                      dict(scale=1.0, zero_point=100), weight=200, bias=6)
    x = np.array([10], np.uint8).reshape(1, 1, 1, 1)
    assert_each_reference_gives(reference_worker, model, [x], {"tflite": np.array([164], np.uint8).reshape(1, 1, 1, 1)})


def test_conv_bias_scale_checked(reference_worker):
    """LiteRT refuses a bias whose scale is off input scale x filter scale by more than 0.02 x the
    output scale; so does microinfer."""
    model = _conv_1x1(dict(scale=0.5, zero_point=3), dict(scale=0.25, zero_point=128),
                      dict(scale=1.0, zero_point=100), weight=200, bias=6, bias_scale=0.2)
    with pytest.raises(UnsupportedOpError, match="bias scale"):
        Interpreter(model, reference="tflite")
    with pytest.raises(ReferenceFailure):
        reference_worker.run("tflite", model, [np.zeros((1, 1, 1, 1), np.uint8)])


def test_per_channel_uint8_filter_refused(reference_worker):
    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", (1, 3, 3, 1), "uint8", scale=0.5, zero_point=3)
    w = g.add_constant("w", np.full((2, 1, 1, 1), 9, np.uint8), scale=[0.1, 0.2], zero_point=[1, 2])
    bb = g.add_constant("b", np.zeros(2, np.int32), scale=0.05, zero_point=0)
    y = g.add_output("y", (1, 3, 3, 2), "uint8", scale=1.0, zero_point=0)
    g.add_operator("CONV_2D", [x, w, bb], [y], O.Conv2DOptions(padding=Padding.VALID, stride_w=1, stride_h=1))
    model = b.build()
    with pytest.raises(UnsupportedOpError, match="one scale and zero point"):
        Interpreter(model, reference="tflite")
    with pytest.raises(ReferenceFailure):
        reference_worker.run("tflite", model, [np.zeros((1, 3, 3, 1), np.uint8)])


def test_concatenation_rescales_in_float32(reference_worker):
    """An input quantized unlike the output is mapped x -> round(x * 0.5 + -3 * 0.5) + 10
    (scale 0.05 / 0.1), halves rounded away from zero; the other input is copied."""
    b = ModelBuilder()
    g = b.main
    a = g.add_input("a", (4,), "uint8", scale=0.05, zero_point=3)
    c = g.add_input("c", (2,), "uint8", scale=0.1, zero_point=10)
    y = g.add_output("y", (6,), "uint8", scale=0.1, zero_point=10)
    g.add_operator("CONCATENATION", [a, c], [y], O.ConcatenationOptions(axis=0))
    model = b.build()
    inputs = [np.array([0, 4, 6, 255], np.uint8), np.array([7, 250], np.uint8)]
    # 0 -> round(-1.5) = -2 -> 8; 4 -> round(0.5) = 1 -> 11; 6 -> round(1.5) = 2 -> 12; 255 -> 126 -> 136
    expected = np.array([8, 11, 12, 136, 7, 250], np.uint8)
    ours = Interpreter(model, reference="tflite").run(inputs)[0]
    live = reference_worker.run("tflite", model, inputs).outputs[0]
    np.testing.assert_array_equal(live, expected)
    np.testing.assert_array_equal(ours, expected)


def test_average_pool_ignores_output_quantization(reference_worker):
    """LiteRT's uint8 pooling averages the raw values (halves up) whatever the output's scale."""
    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", (1, 1, 2, 1), "uint8", scale=0.1, zero_point=0)
    y = g.add_output("y", (1, 1, 1, 1), "uint8", scale=0.7, zero_point=9)
    g.add_operator("AVERAGE_POOL_2D", [x], [y], O.Pool2DOptions(Padding.VALID, 1, 2, 2, 1))
    model = b.build()
    x = np.array([3, 8], np.uint8).reshape(1, 1, 2, 1)
    assert_each_reference_gives(reference_worker, model, [x], {"tflite": np.array([6], np.uint8).reshape(1, 1, 1, 1)})


# -- uint8 filters and weights computed at run time --------------------------------------------------

def _runtime_uint8(op: str) -> bytes:
    """uint8 filter (weights) and bias as model inputs: the filter zero point (131) is subtracted
    from the values the layer receives, as from constant ones."""
    b = ModelBuilder()
    g = b.main
    x_q, w_q = dict(scale=0.1, zero_point=7), dict(scale=0.05, zero_point=131)
    bias_q = dict(scale=float(np.float32(0.1) * np.float32(0.05)), zero_point=0)
    if op == "FULLY_CONNECTED":
        x = g.add_input("x", (2, 8), "uint8", **x_q)
        w = g.add_input("w", (4, 8), "uint8", **w_q)
        bias = g.add_input("b", (4,), "int32", **bias_q)
        y = g.add_output("y", (2, 4), "uint8", scale=2.0, zero_point=128)
        g.add_operator(op, [x, w, bias], [y], O.FullyConnectedOptions())
        return b.build()
    depthwise = op == "DEPTHWISE_CONV_2D"
    x = g.add_input("x", (1, 5, 5, 2), "uint8", **x_q)
    w = g.add_input("w", (1, 3, 3, 4) if depthwise else (4, 3, 3, 2), "uint8", **w_q)
    bias = g.add_input("b", (4,), "int32", **bias_q)
    y = g.add_output("y", (1, 5, 5, 4), "uint8", scale=4.0, zero_point=100)
    window = dict(padding=Padding.SAME, stride_w=1, stride_h=1)
    options = O.DepthwiseConv2DOptions(depth_multiplier=2, **window) if depthwise else O.Conv2DOptions(**window)
    g.add_operator(op, [x, w, bias], [y], options)
    return b.build()


@pytest.mark.parametrize("op", ["CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"])
def test_runtime_filter_against_litert(reference_worker, op):
    model = _runtime_uint8(op)
    for seed in range(3):
        x, w, bias = random_inputs(model, np.random.default_rng(seed))
        bias = (bias % 20001 - 10000).astype(np.int32)  # a bias the sums do not drown
        assert_bit_exact(reference_worker, model, [x, w, bias], references=("tflite",))


def _fully_connected_scaled_up(depth: int) -> bytes:
    """uint8 FULLY_CONNECTED with multiplier 1.5 * 3.0 / 0.001 = 4500 = 0.55 * 2**13 (a left shift
    of 13) and weights 255 - 0."""
    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", (1, depth), "uint8", scale=1.5, zero_point=0)
    w = g.add_constant("w", np.full((1, depth), 255, np.uint8), scale=3.0, zero_point=0)
    y = g.add_output("y", (1, 1), "uint8", scale=0.001, zero_point=0)
    g.add_operator("FULLY_CONNECTED", [x, w, -1], [y], O.FullyConnectedOptions())
    return b.build()


def test_fully_connected_left_shift_overflow_refused(reference_worker):
    """LiteRT's legacy uint8 FULLY_CONNECTED shifts the int32 sum left by the multiplier's exponent
    before the fixed-point multiply. 14 taps of 255 x 255 shifted by 13 overflow int32, and the
    pinned wheel then gives neither the wrapped nor the saturated result (undefined behaviour):
    microinfer refuses the model. With 2 taps the shifted sums fit and the model runs bit-exactly."""
    with pytest.raises(UnsupportedOpError, match="shifted left by the multiplier's exponent"):
        Interpreter(_fully_connected_scaled_up(14), reference="tflite")
    model = _fully_connected_scaled_up(2)
    for value in (0, 1, 7, 255):
        assert_bit_exact(reference_worker, model, [np.full((1, 2), value, np.uint8)], references=("tflite",))
