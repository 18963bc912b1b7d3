"""int4 weights (TensorType.INT4, two values a byte) with int8 activations: CONV_2D,
DEPTHWISE_CONV_2D and FULLY_CONNECTED, bit-exact against both references.

Both references unpack constant int4 weights to int8 values before running their int8 kernels
(TFLite Micro in Prepare), so the arithmetic is that of int8 weights limited to [-8, 7]. Measured:
ai-edge-litert 2.3.0 runs all three ops with int4 weights on its reference kernels, but has no
DEPTHWISE_CONV_2D version 7 (the version the converter gives int4 depthwise filters), so version 7
is checked against TFLite Micro only and versions <= 6 against both. TFLite Micro fails to prepare
FULLY_CONNECTED with per-channel int4 weights (microinfer refuses them for it; LiteRT runs them).

test_fully_connected_rescale_overflow covers a LiteRT detail found here, int8 weights included: with
a multiplier above 1 a rescaled sum outside int32 becomes INT32_MIN before the zero point is added.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kernel_check import assert_bit_exact, random_inputs
from microinfer import UnsupportedOpError
from microinfer.interpreter import Interpreter
from microinfer.kernels import _conv_util as cu
from microinfer.reference import ReferenceFailure
from microinfer.tflite import ModelBuilder, load
from microinfer.tflite.options import Conv2DOptions, DepthwiseConv2DOptions, FullyConnectedOptions
from microinfer.tflite.types import ActivationFunction, Padding, TensorType

SETTINGS = settings(
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ACTIVATIONS = [ActivationFunction.NONE, ActivationFunction.RELU, ActivationFunction.RELU6,
               ActivationFunction.RELU_N1_TO_1]
ZERO_POINTS = st.one_of(st.sampled_from([-128, 127, 0]), st.integers(-128, 127))
IN_SCALES = st.sampled_from([1e-5, 1e-3, 0.007, 0.05, 0.5, 3.0])
OUT_SCALES = st.sampled_from([1e-4, 0.003, 0.02, 0.1, 1.0, 40.0])


def _int4_weights(g, rng, shape, channels, per_channel, scale_exp, axis=0, extreme=False):
    if extreme:  # every weight at an end of the int4 range
        data = rng.choice(np.array([-8, 7], np.int8), size=shape)
    else:
        data = rng.integers(-8, 7, size=shape, endpoint=True).astype(np.int8)
    if per_channel:
        scales = 10.0 ** rng.uniform(scale_exp - 1.5, scale_exp + 0.5, channels)
    else:
        scales = 10.0 ** scale_exp
    return g.add_constant("w", data, dtype="int4", scale=scales, zero_point=0, axis=axis), scales


def _io(g, in_shape, out_shape, p):
    x = g.add_input("x", in_shape, "int8", scale=p["in_scale"], zero_point=p["in_zp"])
    y = g.add_output("y", out_shape, "int8", scale=p["out_scale"], zero_point=p["out_zp"])
    return x, y


def _bias(g, rng, channels, magnitude, scale):
    """int32 bias quantized with input scale * weight scale(s), as LiteRT's FULLY_CONNECTED checks."""
    data = rng.integers(-magnitude, magnitude, channels, endpoint=True).astype(np.int32)
    return g.add_constant("b", data, scale=scale, zero_point=0)


def conv_model(p: dict) -> bytes:
    rng = np.random.default_rng(p["seed"])
    kh, kw = p["kernel"]
    cout = p["groups"] * p["cout_g"]
    oh = cu.output_size(p["padding"], p["h"], kh, p["stride"][0], p["dilation"][0])
    ow = cu.output_size(p["padding"], p["w"], kw, p["stride"][1], p["dilation"][1])
    b = ModelBuilder()
    g = b.main
    x, y = _io(g, (p["n"], p["h"], p["w"], p["groups"] * p["cin_g"]), (p["n"], oh, ow, cout), p)
    w, scales = _int4_weights(g, rng, (cout, kh, kw, p["cin_g"]), cout, p["per_channel"], p["w_scale_exp"],
                              extreme=p["extreme"])
    bias = _bias(g, rng, cout, p["bias_mag"], p["in_scale"] * scales) if p["bias"] else -1
    g.add_operator("CONV_2D", [x, w, bias], [y], Conv2DOptions(
        padding=p["padding"], stride_h=p["stride"][0], stride_w=p["stride"][1],
        dilation_h_factor=p["dilation"][0], dilation_w_factor=p["dilation"][1],
        fused_activation_function=p["activation"]), version=p["version"])
    return b.build()


def depthwise_model(p: dict) -> bytes:
    rng = np.random.default_rng(p["seed"])
    kh, kw = p["kernel"]
    cout = p["cin"] * p["multiplier"]
    oh = cu.output_size(p["padding"], p["h"], kh, p["stride"][0], p["dilation"][0])
    ow = cu.output_size(p["padding"], p["w"], kw, p["stride"][1], p["dilation"][1])
    b = ModelBuilder()
    g = b.main
    x, y = _io(g, (p["n"], p["h"], p["w"], p["cin"]), (p["n"], oh, ow, cout), p)
    w, scales = _int4_weights(g, rng, (1, kh, kw, cout), cout, p["per_channel"], p["w_scale_exp"], axis=3,
                              extreme=p["extreme"])
    bias = _bias(g, rng, cout, p["bias_mag"], p["in_scale"] * scales)
    g.add_operator("DEPTHWISE_CONV_2D", [x, w, bias], [y], DepthwiseConv2DOptions(
        padding=p["padding"], stride_h=p["stride"][0], stride_w=p["stride"][1],
        depth_multiplier=p["multiplier"], dilation_h_factor=p["dilation"][0],
        dilation_w_factor=p["dilation"][1], fused_activation_function=p["activation"]), version=p["version"])
    return b.build()


def fc_model(p: dict) -> bytes:
    rng = np.random.default_rng(p["seed"])
    b = ModelBuilder()
    g = b.main
    x, y = _io(g, (p["batch"], p["depth"]), (p["batch"], p["units"]), p)
    w, scales = _int4_weights(g, rng, (p["units"], p["depth"]), p["units"], p["per_channel"], p["w_scale_exp"],
                              extreme=p["extreme"])
    bias = _bias(g, rng, p["units"], p["bias_mag"], p["in_scale"] * scales) if p["bias"] else -1
    g.add_operator("FULLY_CONNECTED", [x, w, bias], [y],
                   FullyConnectedOptions(fused_activation_function=p["activation"]), version=p["version"])
    return b.build()


@st.composite
def _quantization(draw):
    return dict(
        in_scale=draw(IN_SCALES), out_scale=draw(OUT_SCALES), in_zp=draw(ZERO_POINTS), out_zp=draw(ZERO_POINTS),
        w_scale_exp=draw(st.sampled_from([-4.0, -2.0, -1.0, 0.0])), per_channel=draw(st.booleans()),
        bias_mag=draw(st.sampled_from([0, 1000, 1 << 20, (1 << 31) - 1])),
        activation=draw(st.sampled_from(ACTIVATIONS)), extreme=draw(st.sampled_from([False, False, False, True])),
        seed=draw(st.integers(0, 2**32 - 1)),
    )


@st.composite
def _spatial(draw):
    padding = draw(st.sampled_from([Padding.SAME, Padding.VALID]))
    kernel = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    h, w = draw(st.integers(1, 10)), draw(st.integers(1, 10))
    if padding == Padding.VALID:
        h = max(h, (kernel[0] - 1) * dilation[0] + 1)
        w = max(w, (kernel[1] - 1) * dilation[1] + 1)
    return dict(padding=padding, kernel=kernel, stride=stride, dilation=dilation, h=h, w=w)


def _check_quantized(worker, model: bytes, refs=("tflm", "tflite")):
    """Bit-exact against ``refs``; microinfer loads the weights as int4."""
    sg = load(model).main
    assert any(t.type is TensorType.INT4 for t in sg.tensors)
    rng = np.random.default_rng(len(model))
    assert_bit_exact(worker, model, random_inputs(model, rng), references=refs)


@settings(SETTINGS, max_examples=300)
@given(q=_quantization(), s=_spatial(), n=st.integers(1, 2), groups=st.sampled_from([1, 1, 2, 3]),
       cin_g=st.sampled_from([1, 2, 3, 5, 16]), cout_g=st.sampled_from([1, 2, 4, 7]),
       bias=st.sampled_from([True, True, True, False]), version=st.sampled_from([1, 3, 7]))
def test_conv2d_int4(reference_worker, q, s, n, groups, cin_g, cout_g, bias, version):
    p = dict(q, **s, n=n, groups=groups, cin_g=cin_g, cout_g=cout_g, bias=bias, version=version)
    model = conv_model(p)
    if bias:
        _check_quantized(reference_worker, model)
    else:  # LiteRT requires a bias (a constraint of microinfer's CONV_2D for it)
        _check_quantized(reference_worker, model, refs=("tflm",))
        with pytest.raises(UnsupportedOpError):
            Interpreter(model, reference="tflite")


@settings(SETTINGS, max_examples=300)
@given(q=_quantization(), s=_spatial(), n=st.integers(1, 2), cin=st.sampled_from([1, 2, 3, 8]),
       multiplier=st.sampled_from([1, 1, 2, 3]), version=st.sampled_from([1, 3, 6, 7]))
def test_depthwise_conv2d_int4(reference_worker, q, s, n, cin, multiplier, version):
    p = dict(q, **s, n=n, cin=cin, multiplier=multiplier, version=version)
    model = depthwise_model(p)
    # LiteRT 2.3.0 registers DEPTHWISE_CONV_2D up to version 6 (see test_litert_lacks_depthwise_v7)
    _check_quantized(reference_worker, model, refs=("tflm", "tflite") if version <= 6 else ("tflm",))


@settings(SETTINGS, max_examples=300)
@given(q=_quantization(), batch=st.integers(1, 4), depth=st.sampled_from([1, 2, 3, 7, 16, 33, 200]),
       units=st.integers(1, 9), bias=st.sampled_from([True, True, True, False]),
       version=st.sampled_from([1, 7, 13]))
def test_fully_connected_int4(reference_worker, q, batch, depth, units, bias, version):
    p = dict(q, batch=batch, depth=depth, units=units, bias=bias, version=version)
    model = fc_model(p)
    if q["per_channel"] and units > 1:  # TFLite Micro fails to prepare per-channel int4 weights
        _check_quantized(reference_worker, model, refs=("tflite",))
        with pytest.raises(UnsupportedOpError, match="per tensor"):
            Interpreter(model, reference="tflm")
        with pytest.raises(ReferenceFailure):
            reference_worker.run("tflm", model, random_inputs(model, np.random.default_rng(0)))
    else:
        _check_quantized(reference_worker, model)


@settings(SETTINGS, max_examples=100)
@given(seed=st.integers(0, 2**32 - 1), zp=ZERO_POINTS, depth=st.integers(1, 20), units=st.integers(1, 6),
       out_scale=st.sampled_from([1e-5, 1e-4, 1e-3]), weights=st.sampled_from(["int4", "int8"]),
       activation=st.sampled_from(ACTIVATIONS))
def test_fully_connected_rescale_overflow(reference_worker, seed, zp, depth, units, out_scale, weights, activation):
    """Multipliers above 1 with huge biases: the rescaled sum leaves int32 (LiteRT turns it into
    INT32_MIN before adding the zero point; TFLite Micro saturates), int4 and int8 weights alike."""
    rng = np.random.default_rng(seed)
    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", (2, depth), "int8", scale=0.05, zero_point=-7)
    y = g.add_output("y", (2, units), "int8", scale=out_scale, zero_point=zp)
    hi = 7 if weights == "int4" else 127
    w = g.add_constant("w", rng.integers(-hi - 1, hi, (units, depth), endpoint=True).astype(np.int8), dtype=weights,
                       scale=0.01)
    bias = g.add_constant("b", rng.integers(-(2**31) + 10**6, 2**31 - 10**6, units).astype(np.int32),
                          scale=float(np.float32(0.05) * np.float32(0.01)))
    g.add_operator("FULLY_CONNECTED", [x, w, bias], [y], FullyConnectedOptions(fused_activation_function=activation))
    model = b.build()
    assert_bit_exact(reference_worker, model, random_inputs(model, rng))


def test_litert_lacks_depthwise_v7(reference_worker):
    """The reason version 7 depthwise models are checked against TFLite Micro only."""
    p = dict(in_scale=0.05, out_scale=0.1, in_zp=3, out_zp=-2, w_scale_exp=-1.0, per_channel=False, bias_mag=100,
             activation=ActivationFunction.NONE, extreme=False, seed=0, padding=Padding.VALID, kernel=(3, 3),
             stride=(1, 1), dilation=(1, 1), h=5, w=5, n=1, cin=3, multiplier=1, version=7)
    model = depthwise_model(p)
    with pytest.raises(ReferenceFailure, match="version '7'"):
        reference_worker.run("tflite", model, random_inputs(model, np.random.default_rng(0)))


def test_fully_connected_int4_hand_worked():
    """y = round(x.w * 0.5 * 0.25 / 0.125) + zp: the nibbles -8 and 7 unpack to their values."""
    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", (1, 3), "int8", scale=0.5, zero_point=0)
    w = g.add_constant("w", np.array([[-8, 7, 1], [0, -1, 7]], np.int8), dtype="int4", scale=0.25)
    y = g.add_output("y", (1, 2), "int8", scale=0.125, zero_point=1)
    g.add_operator("FULLY_CONNECTED", [x, w, -1], [y], FullyConnectedOptions())
    x_value = np.array([[3, -2, 5]], np.int8)
    # unit 0: -24 - 14 + 5 = -33; unit 1: 0 + 2 + 35 = 37; the scale ratio is 1
    for ref in ("tflm", "tflite"):
        (out,) = Interpreter(b.build(), reference=ref).run([x_value])
        assert out.tolist() == [[-32, 38]]


def test_conv2d_int4_hand_worked():
    """A 1x1 convolution with int4 weights is a per-pixel dot product over channels."""
    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", (1, 1, 2, 2), "int8", scale=1.0, zero_point=-1)
    w = g.add_constant("w", np.array([[[[7, -8]]]], np.int8), dtype="int4", scale=1.0)
    bias = g.add_constant("b", np.array([3], np.int32))
    y = g.add_output("y", (1, 1, 2, 1), "int8", scale=2.0, zero_point=0)
    g.add_operator("CONV_2D", [x, w, bias], [y], Conv2DOptions(padding=Padding.VALID, stride_h=1, stride_w=1,
                                                                dilation_h_factor=1, dilation_w_factor=1))
    # pixel 0: (1+1)*7 + (2+1)*(-8) + 3 = -7, times 0.5 = -3.5, which the doubling high multiply
    # (multiplier 2**30, shift 0) rounds to -3: a negative tie goes toward zero there.
    # pixel 1: (0+1)*7 + (-1+1)*(-8) + 3 = 10 -> 5
    for ref in ("tflm", "tflite"):
        (out,) = Interpreter(b.build(), reference=ref).run([np.array([[[[1, 2], [0, -1]]]], np.int8)])
        assert out.reshape(-1).tolist() == [-3, 5]


@pytest.mark.parametrize("op", ["CONV_2D", "FULLY_CONNECTED"])
def test_int4_weights_need_int8_activations(op):
    """int16 activations with int4 weights are refused (only int8 activations take int4 weights)."""
    b = ModelBuilder()
    g = b.main
    rng = np.random.default_rng(0)
    if op == "CONV_2D":
        x = g.add_input("x", (1, 3, 3, 2), "int16", scale=0.01)
        w = g.add_constant("w", rng.integers(-8, 8, (2, 1, 1, 2)), dtype="int4", scale=0.1)
        bias = g.add_constant("b", np.zeros(2, np.int64))
        y = g.add_output("y", (1, 3, 3, 2), "int16", scale=0.02)
        options = Conv2DOptions(padding=Padding.VALID, stride_h=1, stride_w=1, dilation_h_factor=1,
                                dilation_w_factor=1)
    else:
        x = g.add_input("x", (1, 4), "int16", scale=0.01)
        w = g.add_constant("w", rng.integers(-8, 8, (2, 4)), dtype="int4", scale=0.1)
        bias = g.add_constant("b", np.zeros(2, np.int64))
        y = g.add_output("y", (1, 2), "int16", scale=0.02)
        options = FullyConnectedOptions()
    g.add_operator(op, [x, w, bias], [y], options)
    for ref in ("tflm", "tflite"):
        with pytest.raises(UnsupportedOpError, match="int4"):
            Interpreter(b.build(), reference=ref)
