"""CONV_2D and DEPTHWISE_CONV_2D: C kernels vs the NumPy spec, bit for bit, over shapes, strides,
padding, dilation, depth multipliers, per-channel quantization, int16x8 and odd sizes that hit
every tail loop (odd pixel counts for the 2x2 tile, odd channel counts, channel blocks of 3x3
depthwise), with unaligned inputs."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from microinfer.tflite.options import Conv2DOptions, DepthwiseConv2DOptions
from microinfer.tflite.types import Padding

from .c_check import ACTIVATIONS, assert_c_matches_numpy, new_builder, quantized_weights, random_activations, \
    requires_c, unaligned

pytestmark = requires_c

IN_SCALE = 0.02


def out_size(size, kernel, stride, dilation, padding) -> int:
    effective = (kernel - 1) * dilation + 1
    if padding is Padding.SAME:
        return (size + stride - 1) // stride
    return (size - effective + stride) // stride


def add_bias(g, rng, channels, w_scales, bias_type, spread):
    b = rng.normal(0, spread, channels) / (IN_SCALE * np.broadcast_to(w_scales, (channels,)))
    info = np.iinfo(np.int32)
    return g.add_constant("b", np.clip(np.round(b), info.min, info.max).astype(bias_type),
                          scale=(IN_SCALE * w_scales).astype(np.float32), zero_point=0)


@st.composite
def geometry(draw, max_kernel=4):
    return dict(
        batches=draw(st.integers(1, 2)), height=draw(st.integers(1, 9)), width=draw(st.integers(1, 9)),
        kh=draw(st.integers(1, max_kernel)), kw=draw(st.integers(1, max_kernel)),
        stride=(draw(st.integers(1, 3)), draw(st.integers(1, 3))),
        dilation=(draw(st.integers(1, 3)), draw(st.integers(1, 3))),
        padding=draw(st.sampled_from([Padding.SAME, Padding.VALID])),
    )


QUANT = dict(
    int16=st.booleans(), per_channel=st.booleans(), activation=st.sampled_from(ACTIVATIONS),
    in_zp=st.integers(-128, 127), out_zp=st.integers(-128, 127),
    out_scale=st.sampled_from([1e-4, 0.01, 0.05, 0.3, 4.0]), bias_spread=st.sampled_from([0.0, 1.0, 1e6]),
    bias_kind=st.sampled_from(["wide", "none", "int32"]), reference=st.sampled_from(["tflm", "tflite"]),
    seed=st.integers(0, 2**32 - 1),
)


def output_shape(geo, channels):
    oh = out_size(geo["height"], geo["kh"], geo["stride"][0], geo["dilation"][0], geo["padding"])
    ow = out_size(geo["width"], geo["kw"], geo["stride"][1], geo["dilation"][1], geo["padding"])
    assume(oh >= 1 and ow >= 1)
    return (geo["batches"], oh, ow, channels)


def run_case(g, builder, rng, geo, cin, int16, reference):
    x = random_activations(rng, (geo["batches"], geo["height"], geo["width"], cin), np.int16 if int16 else np.int8)
    assert_c_matches_numpy(builder.build(), [unaligned(x)], reference)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(geo=geometry(), cin=st.sampled_from([1, 2, 3, 5, 8, 9, 16, 33]), cout=st.integers(1, 9), **QUANT)
def test_conv_matches_spec(geo, cin, cout, int16, per_channel, activation, in_zp, out_zp, out_scale, bias_spread,
                           bias_kind, reference, seed):
    rng = np.random.default_rng(seed)
    shape = output_shape(geo, cout)
    builder, g = new_builder()
    act = "int16" if int16 else "int8"
    x = g.add_input("x", (geo["batches"], geo["height"], geo["width"], cin), act, scale=IN_SCALE,
                    zero_point=0 if int16 else in_zp)
    w, w_scales = quantized_weights(rng, (cout, geo["kh"], geo["kw"], cin), 0 if per_channel else None, 0.5)
    wi = g.add_constant("w", w, scale=w_scales, zero_point=np.zeros(len(w_scales), np.int64), axis=0)
    if not int16:
        bias_kind = "int32" if reference == "tflite" or bias_kind != "none" else "none"
    elif reference == "tflite" or bias_kind == "int32" and reference != "tflm":
        bias_kind = "wide"
    bias_type = np.int64 if int16 and bias_kind == "wide" else np.int32
    b = -1 if bias_kind == "none" else add_bias(g, rng, cout, w_scales, bias_type, bias_spread)
    y = g.add_output("y", shape, act, scale=out_scale, zero_point=0 if int16 else out_zp)
    options = Conv2DOptions(padding=geo["padding"], stride_h=geo["stride"][0], stride_w=geo["stride"][1],
                            fused_activation_function=activation, dilation_h_factor=geo["dilation"][0],
                            dilation_w_factor=geo["dilation"][1])
    g.add_operator("CONV_2D", [x, wi, b], [y], options, version=4 if int16 else 3)
    run_case(g, builder, rng, geo, cin, int16, reference)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(geo=geometry(), three_by_three=st.booleans(), cin=st.sampled_from([1, 2, 3, 5, 8, 31, 33, 40]),
       multiplier=st.sampled_from([1, 1, 2, 3]), **QUANT)
def test_depthwise_conv_matches_spec(geo, three_by_three, cin, multiplier, int16, per_channel, activation, in_zp,
                                     out_zp, out_scale, bias_spread, bias_kind, reference, seed):
    if three_by_three:  # the specialised kernel's shape
        geo = {**geo, "kh": 3, "kw": 3, "dilation": (1, 1)}
        multiplier = 1
    rng = np.random.default_rng(seed)
    cout = cin * multiplier
    shape = output_shape(geo, cout)
    builder, g = new_builder()
    act = "int16" if int16 else "int8"
    x = g.add_input("x", (geo["batches"], geo["height"], geo["width"], cin), act, scale=IN_SCALE,
                    zero_point=0 if int16 else in_zp)
    w, w_scales = quantized_weights(rng, (1, geo["kh"], geo["kw"], cout), 3 if per_channel else None, 0.5)
    wi = g.add_constant("w", w, scale=w_scales, zero_point=np.zeros(len(w_scales), np.int64), axis=3)
    b = add_bias(g, rng, cout, w_scales, np.int64 if int16 else np.int32, bias_spread)
    y = g.add_output("y", shape, act, scale=out_scale, zero_point=0 if int16 else out_zp)
    options = DepthwiseConv2DOptions(padding=geo["padding"], stride_h=geo["stride"][0], stride_w=geo["stride"][1],
                                     depth_multiplier=multiplier, fused_activation_function=activation,
                                     dilation_h_factor=geo["dilation"][0], dilation_w_factor=geo["dilation"][1])
    g.add_operator("DEPTHWISE_CONV_2D", [x, wi, b], [y], options, version=5 if int16 else 3)
    run_case(g, builder, rng, geo, cin, int16, reference)


def test_grouped_and_float_convolutions_fall_back_to_numpy():
    """What the C kernels do not cover runs in NumPy, with the reason, and gives the spec's bits."""
    from microinfer import Interpreter
    from microinfer.testing import build, random_inputs

    float_model = build("CONV_2D/float32")
    assert Interpreter(float_model, backend="c").op_backends == ["numpy: float32 runs in NumPy"]
    builder, g = new_builder()
    rng = np.random.default_rng(0)
    x = g.add_input("x", (1, 5, 5, 4), "int8", scale=IN_SCALE, zero_point=1)
    w, w_scales = quantized_weights(rng, (6, 3, 3, 2), 0, 0.5)  # 2 groups of 2 input channels
    wi = g.add_constant("w", w, scale=w_scales, zero_point=np.zeros(6, np.int64), axis=0)
    b = add_bias(g, rng, 6, w_scales, np.int32, 1.0)
    y = g.add_output("y", (1, 3, 3, 6), "int8", scale=0.05, zero_point=0)
    g.add_operator("CONV_2D", [x, wi, b], [y], Conv2DOptions(padding=Padding.VALID, stride_h=1, stride_w=1),
                   version=6)
    grouped = builder.build()
    fast = Interpreter(grouped, backend="c")
    assert fast.op_backends == ["numpy: grouped convolution runs in NumPy"]
    inputs = random_inputs(grouped, rng)
    assert np.array_equal(fast.run(inputs)[0], Interpreter(grouped).run(inputs)[0])
