"""Strategies of uint8 models: LiteRT's legacy asymmetric quantization (the TFLite converter before
int8), which LiteRT's reference kernels run and TFLite Micro refuses.

Every tensor has a zero point anywhere in [0, 255] (filters and weights too); biases are int32
with scale input_scale * filter_scale, as the converter writes them (LiteRT checks the bias scale).
Each operator here adds the dtype label "uint8" to its other strategies. The uint8 activations
(RELU, RELU6, LEAKY_RELU, HARD_SWISH, PRELU, LOGISTIC, TANH, SOFTMAX) are drawn with their int8
and int16 variants in :mod:`..strategies`.
"""

from __future__ import annotations

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

from ...kernels import _conv_util as cu
from ...kernels.fixedpoint import quantize_multiplier
from ...tflite import ModelBuilder
from ...tflite import options as O
from ...tflite.types import Padding
from .._draw import ACTIVATIONS, SEEDS, UINT8_ZERO_POINTS, shapes

SCALES = st.sampled_from([1 / 255, 0.0078125, 0.02, 0.05, 0.1, 0.5, 1.5, 3.0]) | st.floats(1e-3, 4.0).map(lambda s: float(np.float32(s)))


@st.composite
def qparams(draw) -> dict:
    return dict(scale=float(draw(SCALES)), zero_point=draw(UINT8_ZERO_POINTS))


def _bias(g, rng, channels: int, x_q: dict, w_q: dict) -> int:
    scale = float(np.float32(x_q["scale"]) * np.float32(w_q["scale"]))
    values = rng.integers(-(1 << 16), 1 << 16, channels, endpoint=True).astype(np.int32)
    return g.add_constant("b", values, scale=scale, zero_point=0)


@st.composite
def conv_model(draw, depthwise: bool) -> bytes:
    """A uint8 CONV_2D or DEPTHWISE_CONV_2D: any geometry, zero points, fused activation."""
    rng = np.random.default_rng(draw(SEEDS))
    padding = draw(st.sampled_from([Padding.SAME, Padding.VALID]))
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    h, w = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    if padding == Padding.VALID:
        h, w = max(h, (k[0] - 1) * dilation[0] + 1), max(w, (k[1] - 1) * dilation[1] + 1)
    n, cin = draw(st.integers(1, 2)), draw(st.integers(1, 4))
    multiplier = draw(st.integers(1, 2))
    cout = cin * multiplier if depthwise else draw(st.integers(1, 5))
    out_hw = [cu.output_size(padding, size, k[i], stride[i], dilation[i]) for i, size in enumerate((h, w))]
    x_q, w_q, y_q = draw(qparams()), draw(qparams()), draw(qparams())
    assume(quantize_multiplier(float(np.float32(np.float32(x_q["scale"]) * np.float32(w_q["scale"])))
                                  / float(np.float32(y_q["scale"])))[1] <= 30)
    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", (n, h, w, cin), "uint8", **x_q)
    filter_shape = (1, *k, cout) if depthwise else (cout, *k, cin)
    wt = g.add_constant("w", rng.integers(0, 256, filter_shape).astype(np.uint8), **w_q)
    bias = _bias(g, rng, cout, x_q, w_q)
    y = g.add_output("y", (n, *out_hw, cout), "uint8", **y_q)
    window = dict(padding=padding, stride_h=stride[0], stride_w=stride[1], dilation_h_factor=dilation[0],
                  dilation_w_factor=dilation[1], fused_activation_function=draw(st.sampled_from(ACTIVATIONS)))
    if depthwise:
        g.add_operator("DEPTHWISE_CONV_2D", [x, wt, bias], [y], O.DepthwiseConv2DOptions(depth_multiplier=multiplier, **window))
    else:
        g.add_operator("CONV_2D", [x, wt, bias], [y], O.Conv2DOptions(**window))
    return b.build()


@st.composite
def fully_connected_model(draw) -> bytes:
    rng = np.random.default_rng(draw(SEEDS))
    batch, depth, units = draw(st.integers(1, 3)), draw(st.integers(1, 48)), draw(st.integers(1, 8))
    x_q, w_q, y_q = draw(qparams()), draw(qparams()), draw(qparams())
    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", (batch, depth), "uint8", **x_q)
    wt = g.add_constant("w", rng.integers(0, 256, (units, depth)).astype(np.uint8), **w_q)
    bias = _bias(g, rng, units, x_q, w_q) if draw(st.booleans()) else -1
    y = g.add_output("y", (batch, units), "uint8", **y_q)
    options = O.FullyConnectedOptions(fused_activation_function=draw(st.sampled_from(ACTIVATIONS)))
    g.add_operator("FULLY_CONNECTED", [x, wt, bias], [y], options)
    return b.build()


@st.composite
def pool_model(draw, op: str) -> bytes:
    """uint8 pooling; LiteRT pools the raw values whatever the output's quantization."""
    n, h, w, c = draw(st.integers(1, 2)), draw(st.integers(1, 8)), draw(st.integers(1, 8)), draw(st.integers(1, 3))
    filt = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = draw(st.sampled_from([Padding.SAME, Padding.VALID]))
    out_hw = [cu.output_size(padding, size, filt[i], stride[i], 1) for i, size in enumerate((h, w))]
    assume(min(out_hw) > 0)
    x_q = draw(qparams())
    y_q = x_q if draw(st.booleans()) else draw(qparams())
    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", (n, h, w, c), "uint8", **x_q)
    y = g.add_output("y", (n, *out_hw, c), "uint8", **y_q)
    g.add_operator(op, [x], [y], O.Pool2DOptions(padding=padding, stride_h=stride[0], stride_w=stride[1],
                                                 filter_height=filt[0], filter_width=filt[1],
                                                 fused_activation_function=draw(st.sampled_from(ACTIVATIONS))))
    return b.build()


@st.composite
def concatenation_model(draw) -> bytes:
    """uint8 inputs quantized like the output (copied) or not (rescaled in float32)."""
    rank = draw(st.integers(1, 4))
    base = [draw(st.integers(1, 4)) for _ in range(rank)]
    axis = draw(st.integers(0, rank - 1))
    y_q = draw(qparams())
    b = ModelBuilder()
    g = b.main
    inputs, total = [], 0
    for i in range(draw(st.integers(1, 4))):
        shape = list(base)
        shape[axis] = draw(st.integers(1, 3))
        total += shape[axis]
        inputs.append(g.add_input(f"x{i}", shape, "uint8", **(y_q if draw(st.booleans()) else draw(qparams()))))
    out_shape = list(base)
    out_shape[axis] = total
    y = g.add_output("y", out_shape, "uint8", **y_q)
    g.add_operator("CONCATENATION", inputs, [y], O.ConcatenationOptions(axis=axis - rank if draw(st.booleans()) else axis))
    return b.build()


@st.composite
def binary_model(draw, op: str) -> bytes:
    """uint8 ADD, SUB or MUL with broadcasting up to 6-D and a fused activation."""
    base = draw(shapes(6, 3))
    other = tuple(1 if draw(st.booleans()) else d for d in base[len(base) - draw(st.integers(1, len(base))):])
    s1, s2 = (base, other) if draw(st.booleans()) else (other, base)
    options = {"ADD": O.AddOptions, "SUB": O.SubOptions, "MUL": O.MulOptions}[op]
    b = ModelBuilder()
    g = b.main
    x1 = g.add_input("x1", s1, "uint8", **draw(qparams()))
    x2 = g.add_input("x2", s2, "uint8", **draw(qparams()))
    y = g.add_output("y", np.broadcast_shapes(s1, s2), "uint8", **draw(qparams()))
    g.add_operator(op, [x1, x2], [y], options(fused_activation_function=draw(st.sampled_from(ACTIVATIONS))))
    return b.build()


def _uint8_only(strategy):
    return (("uint8",), lambda act: strategy)


GENERATED = {
    "CONV_2D": _uint8_only(conv_model(False)),
    "DEPTHWISE_CONV_2D": _uint8_only(conv_model(True)),
    "FULLY_CONNECTED": _uint8_only(fully_connected_model()),
    "AVERAGE_POOL_2D": _uint8_only(pool_model("AVERAGE_POOL_2D")),
    "MAX_POOL_2D": _uint8_only(pool_model("MAX_POOL_2D")),
    "CONCATENATION": _uint8_only(concatenation_model()),
    "ADD": _uint8_only(binary_model("ADD")),
    "SUB": _uint8_only(binary_model("SUB")),
    "MUL": _uint8_only(binary_model("MUL")),
}
