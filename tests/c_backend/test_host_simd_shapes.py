"""The shapes the host's AVX-512 paths split on, C vs the NumPy spec bit for bit: channel blocks of
16 and 64 with their tails, columns around 64 (one VPDPBUSD step) and past the packed path's 256,
fewer and more than 16 rows (tiled vs packed matrix multiply), 1-3 leftover rows, and depthwise
channel counts needing one to four vectors per block. (On hosts without AVX-512 the portable
paths run the same cases.)"""

from __future__ import annotations

import numpy as np
import pytest

from microinfer.tflite.options import Conv2DOptions, DepthwiseConv2DOptions, FullyConnectedOptions
from microinfer.tflite.types import ActivationFunction, Padding

from .c_check import assert_c_matches_numpy, new_builder, quantized_weights, random_activations, requires_c

pytestmark = requires_c


def _bias(g, rng, channels, w_scales, in_scale):
    b = rng.normal(0, 1.0, channels) / (in_scale * np.broadcast_to(w_scales, (channels,)))
    return g.add_constant("b", np.round(b).astype(np.int32), scale=(in_scale * w_scales).astype(np.float32),
                          zero_point=0)


@pytest.mark.parametrize("pixels, cin, cout", [
    (17, 3, 5), (16, 4, 16), (20, 8, 17), (33, 63, 31), (48, 64, 64), (35, 65, 65), (18, 130, 130),
    (21, 256, 48), (19, 257, 20), (15, 300, 70), (5, 129, 66), (1, 640, 128), (3, 33, 9),
])
@pytest.mark.parametrize("reference", ["tflm", "tflite"])
def test_pointwise_convolution_and_fully_connected(pixels, cin, cout, reference):
    rng = np.random.default_rng(pixels * 1000 + cin * 10 + cout)
    for op in ("CONV_2D", "FULLY_CONNECTED"):
        builder, g = new_builder()
        shape = (1, 1, pixels, cin) if op == "CONV_2D" else (pixels, cin)
        x = g.add_input("x", shape, "int8", scale=0.02, zero_point=int(rng.integers(-128, 128)))
        per_channel = op == "CONV_2D"
        w_shape = (cout, 1, 1, cin) if per_channel else (cout, cin)
        w, w_scales = quantized_weights(rng, w_shape, 0 if per_channel else None, 0.5)
        wi = g.add_constant("w", w, scale=w_scales, zero_point=np.zeros(len(w_scales), np.int64), axis=0)
        b = _bias(g, rng, cout, w_scales, 0.02)
        out_shape = (1, 1, pixels, cout) if op == "CONV_2D" else (pixels, cout)
        y = g.add_output("y", out_shape, "int8", scale=0.05, zero_point=int(rng.integers(-20, 20)))
        if op == "CONV_2D":
            g.add_operator(op, [x, wi, b], [y], Conv2DOptions(padding=Padding.VALID, stride_h=1, stride_w=1,
                                                              fused_activation_function=ActivationFunction.RELU))
        else:
            g.add_operator(op, [x, wi, b], [y], FullyConnectedOptions(), version=4)
        assert_c_matches_numpy(builder.build(), [random_activations(rng, shape, np.int8)], reference)


@pytest.mark.parametrize("cin, cout, size", [(3, 8, 9), (7, 20, 6), (16, 33, 5), (29, 70, 4), (64, 16, 3)])
def test_im2col_convolution(cin, cout, size):
    rng = np.random.default_rng(cin * 100 + cout)
    builder, g = new_builder()
    x = g.add_input("x", (1, size, size, cin), "int8", scale=0.02, zero_point=-5)
    w, w_scales = quantized_weights(rng, (cout, 3, 3, cin), 0, 0.5)
    wi = g.add_constant("w", w, scale=w_scales, zero_point=np.zeros(len(w_scales), np.int64), axis=0)
    y = g.add_output("y", (1, size, size, cout), "int8", scale=0.1, zero_point=3)
    g.add_operator("CONV_2D", [x, wi, _bias(g, rng, cout, w_scales, 0.02)], [y],
                   Conv2DOptions(padding=Padding.SAME, stride_h=1, stride_w=1))
    assert_c_matches_numpy(builder.build(), [random_activations(rng, (1, size, size, cin), np.int8)], "tflm")


@pytest.mark.parametrize("channels", [8, 16, 17, 48, 63, 64, 65, 130, 200])
@pytest.mark.parametrize("stride", [1, 2])
def test_depthwise_channel_vectors(channels, stride):
    rng = np.random.default_rng(channels * 10 + stride)
    builder, g = new_builder()
    size = 7
    x = g.add_input("x", (1, size, size, channels), "int8", scale=0.02, zero_point=7)
    w, w_scales = quantized_weights(rng, (1, 3, 3, channels), 3, 0.5)
    wi = g.add_constant("w", w, scale=w_scales, zero_point=np.zeros(len(w_scales), np.int64), axis=3)
    out = (size + stride - 1) // stride
    y = g.add_output("y", (1, out, out, channels), "int8", scale=0.05, zero_point=-9)
    g.add_operator("DEPTHWISE_CONV_2D", [x, wi, _bias(g, rng, channels, w_scales, 0.02)], [y],
                   DepthwiseConv2DOptions(padding=Padding.SAME, stride_h=stride, stride_w=stride, depth_multiplier=1,
                                          fused_activation_function=ActivationFunction.RELU6))
    assert_c_matches_numpy(builder.build(), [random_activations(rng, (1, size, size, channels), np.int8)], "tflm")
