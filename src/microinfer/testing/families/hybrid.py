"""Strategies of dynamic-range ("hybrid") models: float32 activations with int8 constant weights.

LiteRT quantizes the float input at run time (TFLite Micro cannot run these models), so the
delicate parameters are those of that quantization and of LiteRT's x86 kernels: symmetric and
asymmetric input quantization, all-zero input rows, weights of -128 (which the x86
matrix-vector kernel multiplies wrongly by negative inputs), rows of 16 columns or more (where
that kernel's blocks start), filter counts that are and are not multiples of 4 (CONV_2D switches
kernels there), per-tensor, per-channel and equal per-channel scales, groups, every fused
activation the hybrid kernels apply.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from ...tflite import ModelBuilder
from ...tflite import options as O
from ...tflite.types import ActivationFunction, Padding
from .._draw import NICE_SCALES, SEEDS
from ..op_models import int8_weights

HYBRID = "hybrid"
CLIPPING = [ActivationFunction.NONE, ActivationFunction.RELU, ActivationFunction.RELU6,
            ActivationFunction.RELU_N1_TO_1]
ALL_ACTIVATIONS = CLIPPING + [ActivationFunction.TANH, ActivationFunction.SIGN_BIT]
DEPTHS = [1, 3, 8, 15, 16, 17, 31, 33, 48, 100]
WEIGHT_SCALES = st.sampled_from(NICE_SCALES) | st.floats(1e-4, 0.5).map(lambda s: float(np.float32(s)))


@st.composite
def filter_scales(draw, channels: int):
    """One scale, one per channel, or one per channel all equal (LiteRT's conv treats the last
    like one scale)."""
    kind = draw(st.sampled_from(["tensor", "channel", "channel", "equal"]))
    if kind == "tensor":
        return np.float32([draw(WEIGHT_SCALES)])
    if kind == "equal":
        return np.full(channels, draw(WEIGHT_SCALES), np.float32)
    return np.asarray(draw(st.lists(WEIGHT_SCALES, min_size=channels, max_size=channels)), np.float32)


def _constant_weights(g, w, scales, axis):
    return g.add_constant("w", w, scale=scales, zero_point=np.zeros(len(scales), np.int64), axis=axis)


@st.composite
def fully_connected(draw) -> bytes:
    rng = np.random.default_rng(draw(SEEDS))
    batch = tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=2)))
    depth, units = draw(st.sampled_from(DEPTHS)), draw(st.integers(1, 9))
    keep_num_dims = draw(st.booleans())
    asymmetric = draw(st.booleans())
    scales = np.float32([draw(WEIGHT_SCALES)]) if draw(st.booleans()) else draw(filter_scales(units))
    b = ModelBuilder(description="microinfer.testing.families.hybrid")
    g = b.main
    x = g.add_input("x", (*batch, depth), "float32")
    inputs = [x, _constant_weights(g, int8_weights(rng, (units, depth), draw(st.booleans())), scales, 0)]
    if draw(st.booleans()):
        inputs.append(g.add_constant("b", rng.normal(0, 1, units).astype(np.float32)))
    out_batch = batch if keep_num_dims else (int(np.prod(batch)),)
    y = g.add_output("y", (*out_batch, units), "float32")
    options = O.FullyConnectedOptions(fused_activation_function=draw(st.sampled_from(ALL_ACTIVATIONS)),
                                      keep_num_dims=keep_num_dims, asymmetric_quantize_inputs=asymmetric)
    g.add_operator("FULLY_CONNECTED", inputs, [y], options, version=9 if asymmetric else 3)
    return b.build()


@st.composite
def _geometry(draw, max_kernel=3):
    padding = draw(st.sampled_from([Padding.SAME, Padding.VALID]))
    kernel = (draw(st.integers(1, max_kernel)), draw(st.integers(1, max_kernel)))
    stride = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    size = []
    for k, s, d in zip(kernel, stride, dilation):
        extent = draw(st.integers(1, 7))
        if padding == Padding.VALID:
            extent = max(extent, (k - 1) * d + 1)
        effective = (k - 1) * d + 1
        out = (extent + s - 1) // s if padding == Padding.SAME else (extent - effective + s) // s
        size.append((extent, out))
    return dict(padding=padding, kernel=kernel, stride=stride, dilation=dilation, size=size)


def _window_options(p: dict, activation) -> dict:
    return dict(padding=p["padding"], stride_h=p["stride"][0], stride_w=p["stride"][1],
                dilation_h_factor=p["dilation"][0], dilation_w_factor=p["dilation"][1],
                fused_activation_function=activation)


@st.composite
def conv(draw) -> bytes:
    rng = np.random.default_rng(draw(SEEDS))
    p = draw(_geometry())
    (h, oh), (w, ow) = p["size"]
    n, groups = draw(st.integers(1, 2)), draw(st.sampled_from([1, 1, 1, 2]))
    cin_g, cout = draw(st.sampled_from([1, 2, 3, 8, 16])), groups * draw(st.sampled_from([1, 2, 3, 4]))
    scales = draw(filter_scales(cout))
    if groups > 1 and len(scales) == 1:  # LiteRT reads one scale per channel when grouped
        scales = np.full(cout, scales[0], np.float32)
    b = ModelBuilder(description="microinfer.testing.families.hybrid")
    g = b.main
    x = g.add_input("x", (n, h, w, groups * cin_g), "float32")
    wt = _constant_weights(g, int8_weights(rng, (cout, *p["kernel"], cin_g), draw(st.booleans())), scales, 0)
    bias = g.add_constant("b", rng.normal(0, 1, cout).astype(np.float32))
    y = g.add_output("y", (n, oh, ow, cout), "float32")
    options = O.Conv2DOptions(**_window_options(p, draw(st.sampled_from(CLIPPING))))
    g.add_operator("CONV_2D", [x, wt, bias], [y], options, version=2 if len(scales) == 1 else 5)
    return b.build()


@st.composite
def depthwise_conv(draw) -> bytes:
    rng = np.random.default_rng(draw(SEEDS))
    p = draw(_geometry())
    (h, oh), (w, ow) = p["size"]
    n, cin, multiplier = draw(st.integers(1, 2)), draw(st.sampled_from([1, 2, 3, 8])), draw(st.integers(1, 3))
    cout = cin * multiplier
    scales = np.asarray(draw(st.lists(WEIGHT_SCALES, min_size=cout, max_size=cout)), np.float32)
    b = ModelBuilder(description="microinfer.testing.families.hybrid")
    g = b.main
    x = g.add_input("x", (n, h, w, cin), "float32")
    wt = _constant_weights(g, int8_weights(rng, (1, *p["kernel"], cout), draw(st.booleans())), scales, 3)
    inputs = [x, wt]
    if draw(st.booleans()):
        inputs.append(g.add_constant("b", rng.normal(0, 1, cout).astype(np.float32)))
    y = g.add_output("y", (n, oh, ow, cout), "float32")
    options = O.DepthwiseConv2DOptions(depth_multiplier=multiplier, **_window_options(p, draw(st.sampled_from(CLIPPING))))
    g.add_operator("DEPTHWISE_CONV_2D", inputs, [y], options, version=6)
    return b.build()


@st.composite
def svdf(draw) -> bytes:
    """``steps`` SVDF operators on one variable float32 state (one op per time step)."""
    rng = np.random.default_rng(draw(SEEDS))
    batch, n_input = draw(st.integers(1, 3)), draw(st.sampled_from(DEPTHS))
    units, rank, memory = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(1, 5))
    steps, asymmetric = draw(st.integers(1, 3)), draw(st.booleans())
    filters = units * rank
    b = ModelBuilder(description="microinfer.testing.families.hybrid")
    g = b.main
    xs = [g.add_input(f"x{i}", (batch, n_input), "float32") for i in range(steps)]
    wf = g.add_constant("wf", int8_weights(rng, (filters, n_input), draw(st.booleans())),
                        scale=draw(WEIGHT_SCALES), zero_point=0)
    wt = g.add_constant("wt", int8_weights(rng, (filters, memory), True), scale=draw(WEIGHT_SCALES), zero_point=0)
    bias = g.add_constant("b", rng.normal(0, 1, units).astype(np.float32)) if draw(st.booleans()) else -1
    state = g.add_tensor("state", (batch, memory * filters), "float32", is_variable=True)
    ys = [g.add_output(f"y{i}", (batch, units), "float32") for i in range(steps)]
    options = O.SVDFOptions(rank=rank, fused_activation_function=draw(st.sampled_from(CLIPPING + [ActivationFunction.TANH])),
                            asymmetric_quantize_inputs=asymmetric)
    for x, y in zip(xs, ys):
        g.add_operator("SVDF", [x, wf, wt, bias, state], [y], options, version=4 if asymmetric else 2)
    return b.build()


def _only_hybrid(strategy):
    def factory(activation: str):
        if activation != HYBRID:
            raise ValueError(f"the hybrid strategies draw only {HYBRID!r} models, not {activation!r}")
        return strategy()

    return factory


GENERATED = {
    "FULLY_CONNECTED": ((HYBRID,), _only_hybrid(fully_connected)),
    "CONV_2D": ((HYBRID,), _only_hybrid(conv)),
    "DEPTHWISE_CONV_2D": ((HYBRID,), _only_hybrid(depthwise_conv)),
    "SVDF": ((HYBRID,), _only_hybrid(svdf)),
}
