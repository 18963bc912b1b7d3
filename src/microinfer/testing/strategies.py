"""Hypothesis strategies that draw valid quantized TFLite models, with inputs, for property tests.

Every strategy builds its models with :class:`~microinfer.tflite.ModelBuilder` the way the TFLite
converter would (symmetric int8 filters, per channel or per tensor; int32 biases for int8 ops and
int64 for int16x8 ones), and draws the parameters where the references' arithmetic is delicate:
scales from 1e-7 to 1e4 including exact powers of two, zero points at both ends of their range,
every fused activation, strides, dilations, both paddings, depth multipliers, groups and
broadcasting shapes.

    from hypothesis import given
    from microinfer import Interpreter
    from microinfer.testing.strategies import op_examples

    @given(op_examples("CONV_2D", "int8"))
    def test_conv_runs(example):
        Interpreter(example.model).run(example.inputs)

:func:`op_examples` draws single-op models of any supported operator and dtype,
:func:`small_graphs` short chains of int8 operators. The per-operator strategies below
(``conv_params`` + ``conv_model``, ``add_sub_case``, ...) are what microinfer's own kernel tests use.

``hypothesis`` is a test dependency of microinfer: ``pip install 'microinfer[test]'``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

try:
    from hypothesis import assume
    from hypothesis import strategies as st
except ImportError as exc:  # pragma: no cover - exercised without the test extra only
    from ..errors import MissingDependencyError

    raise MissingDependencyError(
        "microinfer.testing.strategies needs the 'hypothesis' package: pip install hypothesis "
        "(or pip install 'microinfer[test]')"
    ) from exc

from ..kernels import _conv_util as cu
from ..tflite import ModelBuilder
from ..tflite import options as O
from ..tflite.types import ActivationFunction, Padding
from . import op_models
from .op_models import random_inputs

from ._draw import (  # noqa: F401  (building blocks, re-exported)
    ACTIVATION_TYPE, ACTIVATIONS, ALL_DTYPES, DTYPES, INT8_ZERO_POINTS, NICE_SCALES, RANGES, SEEDS,
    UINT8_ZERO_POINTS, VERSION, OpExample, binary_model, broadcast_pair, qparams, scales, shapes, unary_model,
    values,
)
from ._draw import qkw as _qkw
from .families import GENERATED as _FAMILY_GENERATED
from .families import merge as _merge


# -- convolutions ----------------------------------------------------------------------------------
IN_SCALES = st.sampled_from([1e-5, 1e-3, 0.007, 0.05, 0.5, 3.0])
OUT_SCALES = st.sampled_from([1e-4, 0.003, 0.02, 0.1, 1.0, 40.0])


def _quantized_filter(rng, shape, channels, per_channel, scale_exp):
    """int8 weights (full range) and their scale(s): log-uniform around 10**scale_exp."""
    data = rng.integers(-128, 127, size=shape, endpoint=True).astype(np.int8)
    if per_channel:
        scales = 10.0 ** rng.uniform(scale_exp - 1.5, scale_exp + 0.5, channels)
    else:
        scales = 10.0 ** scale_exp
    return data, scales


def _bias(rng, kind, channels, magnitude):
    if kind == "int32":
        return rng.integers(-magnitude, magnitude, channels, endpoint=True).astype(np.int32)
    if kind == "int64":
        return rng.integers(-magnitude, magnitude, channels, endpoint=True).astype(np.int64)
    if kind == "int16":
        return rng.integers(-32768, 32767, channels, endpoint=True).astype(np.int16)
    return rng.uniform(-1, 1, channels).astype(np.float32)


def _activation_tensors(g, p, in_shape, out_shape):
    dtype = p["dtype"]
    if dtype == "float32":
        return g.add_input("x", in_shape, "float32"), g.add_output("y", out_shape, "float32")
    x = g.add_input("x", in_shape, dtype, scale=p.get("in_scale"), zero_point=p.get("in_zp", 0))
    y = g.add_output("y", out_shape, dtype, scale=p.get("out_scale"), zero_point=p.get("out_zp", 0))
    return x, y


def _filter(g, rng, p, shape, channels, fan_in, axis=0) -> int:
    if p["dtype"] == "float32":
        return g.add_constant("w", (rng.uniform(-1, 1, shape) / np.sqrt(fan_in)).astype(np.float32))
    data, scales = _quantized_filter(rng, shape, channels, p["per_channel"], p["w_scale_exp"])
    return g.add_constant("w", data, scale=scales, zero_point=0, axis=axis)


def _out_hw(p) -> tuple[int, int]:
    return tuple(cu.output_size(p["padding"], (p["h"], p["w"])[i], p["kernel"][i], p["stride"][i],
                                p["dilation"][i]) for i in range(2))


def _window_options(p: dict) -> dict:
    """Padding, strides, dilations and fused activation: the options the conv family shares."""
    return dict(padding=p["padding"], stride_h=p["stride"][0], stride_w=p["stride"][1],
                dilation_h_factor=p["dilation"][0], dilation_w_factor=p["dilation"][1],
                fused_activation_function=p["activation"])


def conv_model(p: dict) -> bytes:
    rng = np.random.default_rng(p["seed"])
    n, groups, cin_g, cout_g = p["n"], p["groups"], p["cin_g"], p["cout_g"]
    kh, kw = p["kernel"]
    cout = groups * cout_g
    builder = ModelBuilder()
    g = builder.main
    x, y = _activation_tensors(g, p, (n, p["h"], p["w"], groups * cin_g), (n, *_out_hw(p), cout))
    wt = _filter(g, rng, p, (cout, kh, kw, cin_g), cout, kh * kw * cin_g)
    b = -1
    if p["bias"] is not None:
        b = g.add_constant("b", _bias(rng, p["bias"], cout, p.get("bias_mag", 0)))
    g.add_operator("CONV_2D", [x, wt, b], [y], O.Conv2DOptions(**_window_options(p)))
    return builder.build()


def depthwise_model(p: dict) -> bytes:
    rng = np.random.default_rng(p["seed"])
    n, cin, m = p["n"], p["cin"], p["multiplier"]
    kh, kw = p["kernel"]
    cout = cin * m
    builder = ModelBuilder()
    g = builder.main
    x, y = _activation_tensors(g, p, (n, p["h"], p["w"], cin), (n, *_out_hw(p), cout))
    wt = _filter(g, rng, p, (1, kh, kw, cout), cout, kh * kw, axis=3)
    b = g.add_constant("b", _bias(rng, p["bias"], cout, p.get("bias_mag", 0)))
    g.add_operator("DEPTHWISE_CONV_2D", [x, wt, b], [y],
                   O.DepthwiseConv2DOptions(depth_multiplier=m, **_window_options(p)))
    return builder.build()


def transpose_conv_model(p: dict) -> bytes:
    rng = np.random.default_rng(p["seed"])
    n, cin, cout = p["n"], p["cin"], p["cout"]
    kh, kw = p["kernel"]
    out_shape = (n, p["out_hw"][0], p["out_hw"][1], cout)
    builder = ModelBuilder()
    g = builder.main
    shape_t = g.add_constant("output_shape", np.array(out_shape, np.int32))
    x, y = _activation_tensors(g, p, (n, p["h"], p["w"], cin), out_shape)
    wt = _filter(g, rng, p, (cout, kh, kw, cin), cout, kh * kw * cin)
    inputs = [shape_t, wt, x]
    if p["bias"] is not None:
        quant = dict(scale=1.0, zero_point=0) if p["bias"] == "int16" else {}
        inputs.append(g.add_constant("b", _bias(rng, p["bias"], cout, p.get("bias_mag", 0)), **quant))
    g.add_operator("TRANSPOSE_CONV", inputs, [y], O.TransposeConvOptions(
        padding=p["padding"], stride_h=p["stride"][0], stride_w=p["stride"][1],
        fused_activation_function=p["activation"]))
    return builder.build()


@st.composite
def _conv_quantization(draw, dtype):
    q = {
        "in_scale": draw(IN_SCALES),
        "out_scale": draw(OUT_SCALES),
        "w_scale_exp": draw(st.sampled_from([-5.0, -3.0, -2.0, -1.0])),
        "per_channel": draw(st.booleans()),
    }
    if dtype == "int8":
        q["in_zp"] = draw(INT8_ZERO_POINTS)
        q["out_zp"] = draw(INT8_ZERO_POINTS)
        q["bias_mag"] = draw(st.sampled_from([0, 1000, 1 << 20, (1 << 31) - 1]))
    else:
        q["bias_mag"] = draw(st.sampled_from([0, 1 << 20, 1 << 40]))
    return q


@st.composite
def _spatial(draw, max_kernel=4, max_dilation=3):
    """Spatial geometry with an output of at least one pixel."""
    padding = draw(st.sampled_from([Padding.SAME, Padding.VALID]))
    kernel = (draw(st.integers(1, max_kernel)), draw(st.integers(1, max_kernel)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, max_dilation)), draw(st.integers(1, max_dilation)))
    h = draw(st.integers(1, 12))
    w = draw(st.integers(1, 12))
    if padding == Padding.VALID:
        h = max(h, (kernel[0] - 1) * dilation[0] + 1)
        w = max(w, (kernel[1] - 1) * dilation[1] + 1)
    return dict(padding=padding, kernel=kernel, stride=stride, dilation=dilation, h=h, w=w)


def _quantized(draw, p: dict, float_biases, int8_biases, int16_biases) -> dict:
    """``p`` with the conv-family quantization (integer dtypes) and a bias type drawn from the
    choices for its dtype (``None``: no bias)."""
    if p["dtype"] != "float32":
        p.update(draw(_conv_quantization(p["dtype"])))
    choices = {"float32": float_biases, "int8": int8_biases}.get(p["dtype"], int16_biases)
    p["bias"] = draw(st.sampled_from(choices))
    return p


@st.composite
def conv_params(draw, dtype):
    """CONV_2D parameters (groups, channels, geometry, quantization) for :func:`conv_model`;
    ``dtype`` is the activation type: "int8", "int16" (16x8) or "float32"."""
    p = dict(dtype=dtype, seed=draw(SEEDS), n=draw(st.integers(1, 2)),
             groups=draw(st.sampled_from([1, 1, 2, 3])), cin_g=draw(st.sampled_from([1, 2, 3, 5, 16])),
             cout_g=draw(st.sampled_from([1, 2, 4, 7])), activation=draw(st.sampled_from(ACTIVATIONS)))
    p.update(draw(_spatial()))
    return _quantized(draw, p, ["float32", None], ["int32"] * 3 + [None], ["int64", "int64", "int32", None])


@st.composite
def depthwise_params(draw, dtype):
    """DEPTHWISE_CONV_2D parameters (depth multiplier, geometry, quantization) for :func:`depthwise_model`."""
    p = dict(dtype=dtype, seed=draw(SEEDS), n=draw(st.integers(1, 2)),
             cin=draw(st.sampled_from([1, 2, 3, 6, 17])), multiplier=draw(st.sampled_from([1, 1, 2, 3])),
             activation=draw(st.sampled_from(ACTIVATIONS)))
    p.update(draw(_spatial(max_kernel=5)))
    return _quantized(draw, p, ["float32"], ["int32"], ["int64"])


@st.composite
def transpose_conv_params(draw, dtype):
    """TRANSPOSE_CONV parameters for :func:`transpose_conv_model`: the output size the converter
    would give, or (rarely) one pixel more or less."""
    p = dict(dtype=dtype, seed=draw(SEEDS), n=draw(st.integers(1, 2)),
             cin=draw(st.sampled_from([1, 2, 3, 16])), cout=draw(st.sampled_from([1, 2, 5, 9])),
             h=draw(st.integers(1, 6)), w=draw(st.integers(1, 6)),
             kernel=(draw(st.integers(1, 4)), draw(st.integers(1, 4))),
             stride=(draw(st.integers(1, 3)), draw(st.integers(1, 3))),
             padding=draw(st.sampled_from([Padding.SAME, Padding.VALID])),
             activation=draw(st.sampled_from(ACTIVATIONS)))
    natural = []
    for i, size in enumerate((p["h"], p["w"])):
        k, s = p["kernel"][i], p["stride"][i]
        base = size * s if p["padding"] == Padding.SAME else (size - 1) * s + k
        natural.append(max(1, base + draw(st.sampled_from([0, 0, 0, -1, 1]))))
    p["out_hw"] = tuple(natural)
    return _quantized(draw, p, ["float32", None], ["int32"] * 3 + [None], ["int64", "int64", "int16", None])


@st.composite
def fully_connected_params(draw, dtype):
    """FULLY_CONNECTED parameters for :func:`fully_connected_model` (the conv quantization)."""
    p = dict(dtype=dtype, seed=draw(SEEDS), batch=draw(shapes(max_rank=2, max_dim=3)),
             depth=draw(st.sampled_from([1, 2, 3, 7, 16, 33])), units=draw(st.sampled_from([1, 2, 5, 9])),
             activation=draw(st.sampled_from(ACTIVATIONS)), keep_num_dims=draw(st.booleans()))
    return _quantized(draw, p, ["float32"], ["int32"], ["int64"])


def fully_connected_model(p: dict) -> bytes:
    rng = np.random.default_rng(p["seed"])
    batch, depth, units = tuple(p["batch"]), p["depth"], p["units"]
    out_batch = batch if p["keep_num_dims"] else (int(np.prod(batch)),)
    builder = ModelBuilder()
    g = builder.main
    x, y = _activation_tensors(g, p, (*batch, depth), (*out_batch, units))
    wt = _filter(g, rng, p, (units, depth), units, depth)
    bias = _bias(rng, p["bias"], units, p.get("bias_mag", 0))
    if p["dtype"] == "float32":
        b = g.add_constant("b", bias)
    else:  # scale = input scale x weight scale(s), as the converter writes it
        w_scales = np.asarray(g.tensors[wt].quantization.scale, np.float32)
        b = g.add_constant("b", bias, scale=np.float32(p["in_scale"]) * w_scales, zero_point=0)
    g.add_operator("FULLY_CONNECTED", [x, wt, b], [y], O.FullyConnectedOptions(
        fused_activation_function=p["activation"], keep_num_dims=p["keep_num_dims"]))
    return builder.build()


# -- elementwise -----------------------------------------------------------------------------------
def left_shift_output_ok(dtype, q1, q2, qo) -> bool:
    """ADD/SUB: both references abort (or compute garbage) when the output rescale is >= 1."""
    left_shift = 15 if dtype == "int16" else 20
    return 2 * max(q1["scale"], q2["scale"]) / (2**left_shift * qo["scale"]) < 0.99


@st.composite
def add_sub_case(draw, op, dtypes=("int8", "int8", "int16", "float32")):
    """An ADD or SUB model: (model, shape1, shape2, dtype); int16 with and without power-of-two scales."""
    dtype = draw(st.sampled_from(dtypes))
    symmetric = dtype == "int16" and draw(st.booleans())
    pot = dtype == "int16" and draw(st.booleans())
    if pot:  # LiteRT's power-of-two path: one input on the output scale, the other finer
        k = draw(st.integers(-14, 2))
        qo = dict(scale=2.0**k, zero_point=0)
        q1 = dict(scale=2.0**k, zero_point=0)
        q2 = dict(scale=2.0 ** (k - draw(st.integers(0, 6))), zero_point=0)
        if draw(st.booleans()):
            q1, q2 = q2, q1
    else:
        q1, q2, qo = (draw(qparams(dtype, symmetric)) for _ in range(3))
    if dtype != "float32":
        assume(left_shift_output_ok(dtype, q1, q2, qo))
    s1, s2 = draw(broadcast_pair(max_rank=draw(st.sampled_from([4, 4, 6]))))
    if pot and op == "ADD":
        s2 = s1  # LiteRT's power-of-two ADD does not broadcast (it aborts)
    activation = draw(st.sampled_from(ACTIVATIONS))
    options_class = O.AddOptions if op == "ADD" else O.SubOptions
    options = options_class(fused_activation_function=activation, pot_scale_int16=draw(st.booleans()) or pot)
    return binary_model(op, s1, s2, dtype, q1, q2, qo, options), s1, s2, dtype


@st.composite
def mul_case(draw, dtypes=("int8", "int8", "int16", "float32")):
    """A MUL model with broadcasting: (model, shape1, shape2, dtype)."""
    dtype = draw(st.sampled_from(dtypes))
    q1, q2, qo = (draw(qparams(dtype, symmetric=dtype == "int16")) for _ in range(3))
    s1, s2 = draw(broadcast_pair(max_rank=draw(st.sampled_from([4, 4, 6]))))
    options = O.MulOptions(fused_activation_function=draw(st.sampled_from(ACTIVATIONS)))
    return binary_model("MUL", s1, s2, dtype, q1, q2, qo, options), s1, s2, dtype


@st.composite
def prelu_case(draw, dtypes=("int8", "int16", "float32")):
    """A PRELU model with a broadcast constant alpha: (model, shape, dtype)."""
    dtype = draw(st.sampled_from(dtypes))
    alpha_dtype = dtype if dtype in ("float32", "uint8") else "int8"
    shape = draw(shapes(4))
    k = draw(st.integers(1, len(shape)))
    alpha_shape = tuple(1 if draw(st.booleans()) else d for d in shape[len(shape) - k:])
    rng = np.random.default_rng(draw(SEEDS))
    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", shape, dtype, **draw(qparams(dtype)))
    alpha = g.add_constant("alpha", values(alpha_shape, alpha_dtype, rng, spread=2.0), alpha_dtype,
                           **draw(qparams(alpha_dtype)))
    y = g.add_output("y", shape, dtype, **draw(qparams(dtype)))
    g.add_operator("PRELU", [x, alpha], [y])
    return b.build(), shape, dtype


@st.composite
def unary_case(draw, op, dtypes):
    """RELU, RELU6, LEAKY_RELU or HARD_SWISH: (model, shape, dtype)."""
    dtype = draw(st.sampled_from(dtypes))
    qi = draw(qparams(dtype, symmetric=dtype == "int16" and draw(st.booleans())))
    qo = qi if dtype != "float32" and draw(st.booleans()) else draw(qparams(dtype, symmetric=qi.get("zero_point") == 0
                                                                          and dtype == "int16"))
    options = None
    if op == "LEAKY_RELU":
        alpha = draw(st.sampled_from([0.0, 0.1, 0.2, -0.5, 1.5, 1.7, -3.0]) | st.floats(-4, 4, width=32))
        options = O.LeakyReluOptions(alpha=alpha)
    shape = draw(shapes(4))
    return unary_model(op, shape, dtype, dtype, qi, qo, options), shape, dtype


# -- pooling, softmax, sigmoid family ----------------------------------------------------------
POOL_SCALES = st.one_of(st.sampled_from([1e-6, 2.0 ** -12, 2.0 ** -11, 0.0039, 0.1, 1.0, 7.5, 300.0]),
                        st.floats(1e-5, 10.0))


def pool_out(padding, size, filt, stride):
    return (size + stride - 1) // stride if padding == Padding.SAME else (size + stride - filt) // stride


def pool_model(op, dtype, shape, filt, stride, padding, activation, scale=0.1, zero_point=0) -> bytes:
    b = ModelBuilder()
    g = b.main
    n, h, w, c = shape
    out_shape = (n, pool_out(padding, h, filt[0], stride[0]), pool_out(padding, w, filt[1], stride[1]), c)
    x = g.add_input("x", shape, dtype, **_qkw(dtype, scale, zero_point))
    y = g.add_output("y", out_shape, dtype, **_qkw(dtype, scale, zero_point))
    g.add_operator(op, [x], [y], O.Pool2DOptions(padding=padding, stride_h=stride[0], stride_w=stride[1],
                                                  filter_height=filt[0], filter_width=filt[1],
                                                  fused_activation_function=activation), version=VERSION[dtype])
    return b.build()


@st.composite
def pool_cases(draw, dtypes=("int8", "int16", "float32")):
    """Arguments of :func:`pool_model` after ``op``: (dtype, shape, filter, stride, padding, activation, scale, zp)."""
    dtype = draw(st.sampled_from(dtypes))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 9)), draw(st.integers(1, 9)), draw(st.integers(1, 4)))
    filt = (draw(st.integers(1, 5)), draw(st.integers(1, 5)))
    stride = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    padding = draw(st.sampled_from([Padding.SAME, Padding.VALID]))
    assume(pool_out(padding, shape[1], filt[0], stride[0]) > 0 and pool_out(padding, shape[2], filt[1], stride[1]) > 0)
    activation = draw(st.sampled_from(ACTIVATIONS))
    zero_point = draw(INT8_ZERO_POINTS) if dtype == "int8" else draw(st.sampled_from([0, -32768, 32767, 123]))
    return dtype, shape, filt, stride, padding, activation, draw(POOL_SCALES), zero_point


SOFTMAX_OUT = {
    ("int8", "int8"): (1 / 256, -128),
    ("int8", "int16"): (1 / 65536, -32768),
    ("int16", "int16"): (1 / 32768, 0),
    ("float32", "float32"): (None, None),
    ("uint8", "uint8"): (1 / 256, 0),  # LiteRT only
    ("uint8", "int16"): (1 / 65536, -32768),
}


def softmax_model(in_dtype, out_dtype, shape, beta, scale, zero_point, out_q=None) -> bytes:
    b = ModelBuilder()
    g = b.main
    out_scale, out_zero_point = out_q or SOFTMAX_OUT[(in_dtype, out_dtype)]
    x = g.add_input("x", shape, in_dtype, **_qkw(in_dtype, scale, zero_point))
    y = g.add_output("y", shape, out_dtype, **_qkw(out_dtype, out_scale, out_zero_point))
    g.add_operator("SOFTMAX", [x], [y], O.SoftmaxOptions(beta=beta), version=VERSION[in_dtype])
    return b.build()


@st.composite
def softmax_cases(draw, dtypes=("int8", "int16", "float32")):
    """Arguments of :func:`softmax_model`: (in dtype, out dtype, shape, beta, scale, zero point)."""
    in_dtype, out_dtype = draw(st.sampled_from([pair for pair in SOFTMAX_OUT if pair[0] in dtypes]))
    shape = tuple(draw(st.lists(st.integers(1, 12), min_size=1, max_size=4)))
    beta = draw(st.one_of(st.sampled_from([1.0, 0.5, 2.0, 1e-3, 40.0, 1e4]), st.floats(0.01, 50.0)))
    scale = draw(POOL_SCALES)
    if in_dtype in ("int8", "uint8"):
        zero_point = draw(INT8_ZERO_POINTS if in_dtype == "int8" else UINT8_ZERO_POINTS)
        assume(float(np.float32(beta)) * float(np.float32(scale)) * 2 ** 26 > 1.0)
    else:
        zero_point = 0
    if in_dtype == "int16":
        assume(0 < float(np.float32(scale)) * float(np.float32(beta)) / (10 / 65535) < 2.0 ** 29)
    return in_dtype, out_dtype, shape, beta, scale, zero_point


SIGMOID_OUT = {"LOGISTIC": (1 / 256, -128), "TANH": (1 / 128, 0)}
SIGMOID_UINT8_OUT = {"LOGISTIC": (1 / 256, 0), "TANH": (1 / 128, 128)}


def sigmoid_model(op, dtype, shape, scale, zero_point, out_q=None) -> bytes:
    b = ModelBuilder()
    g = b.main
    if out_q is None:
        out_q = {"int8": SIGMOID_OUT, "uint8": SIGMOID_UINT8_OUT}.get(dtype, {}).get(op, (2.0 ** -15, 0))
    x = g.add_input("x", shape, dtype, **_qkw(dtype, scale, zero_point))
    y = g.add_output("y", shape, dtype, **_qkw(dtype, *out_q))
    g.add_operator(op, [x], [y], version=VERSION[dtype])
    return b.build()


@st.composite
def sigmoid_cases(draw, dtypes=("int8", "int16", "float32")):
    """Arguments of :func:`sigmoid_model` after ``op``: (dtype, shape, scale, zero point)."""
    dtype = draw(st.sampled_from(dtypes))
    shape = tuple(draw(st.lists(st.integers(1, 16), min_size=1, max_size=4)))
    if dtype == "int16":
        # above 2.67 the input multiplier passes 32767, above 5.33 its int32 product wraps
        scale = draw(st.one_of(st.sampled_from([2.0 ** -12, 2.0 ** -11, 2.0 ** -10, 2.0 ** -15, 1e-6, 2.5, 2.7,
                                                5.34, 1e3, 174762.0]),
                               st.floats(1e-6, 2.6), st.floats(2.6, 174000.0)))
        zero_point = 0
    else:
        scale = draw(st.one_of(st.sampled_from([2.0 ** -27, 1e-5, 0.0039, 0.1, 1.0, 30.0, 1000.0]),
                               st.floats(1e-4, 50.0)))
        zero_point = draw(INT8_ZERO_POINTS if dtype == "int8" else UINT8_ZERO_POINTS)
    return dtype, shape, scale, zero_point


# int8 output quantizations beyond the usual ones that a reference takes: TFLite Micro's LOGISTIC
# ignores the scale (zero point -128), LiteRT's the zero point (scale 1/256); neither checks TANH's.
SIGMOID_INT8_OUT = {
    "LOGISTIC": st.sampled_from([(1 / 256, 0), (1 / 256, 40), (0.01, -128), (1 / 128, -128)]),
    "TANH": st.tuples(st.sampled_from([1 / 256, 1 / 64, 0.01, 0.05]), INT8_ZERO_POINTS),
}


@st.composite
def sigmoid_example(draw, op, dtypes=("int8", "int16", "float32")):
    """A LOGISTIC or TANH model; int8 outputs are sometimes quantized as only one reference takes."""
    case = draw(sigmoid_cases(dtypes))
    out_q = draw(SIGMOID_INT8_OUT[op]) if case[0] == "int8" and draw(st.integers(0, 3)) == 0 else None
    return sigmoid_model(op, *case, out_q=out_q)


@st.composite
def softmax_example(draw, dtypes=("int8", "int16", "float32")):
    """A SOFTMAX model; an int8 input's output is sometimes quantized as only LiteRT takes it
    (int16 with any scale and zero point, int8 within 0.1% of 1/256)."""
    case = draw(softmax_cases(dtypes))
    out_q = None
    if case[0] == "int8" and draw(st.integers(0, 3)) == 0:
        out_q = ((1 / 256 * draw(st.sampled_from([0.9995, 1.0005])), -128) if case[1] == "int8"
                 else draw(st.tuples(st.sampled_from([2.0 ** -15, 1e-4, 1 / 65536]), st.integers(-32768, 32767))))
    return softmax_model(*case, out_q=out_q)


# -- one strategy for every operator and dtype -----------------------------------------------------
# op -> (dtypes, factory(activation type) -> strategy of model bytes)
def _params_then(params, model):
    return lambda act: params(act).map(model)


def _first(case, *args):
    return lambda act: case(*args, dtypes=(act,)).map(lambda c: c[0])


LITERT_UINT8 = (*DTYPES, "uint8")  # the activations LiteRT also runs on uint8

_GENERATED: dict[str, tuple[tuple[str, ...], Callable]] = _merge({
    "CONV_2D": (DTYPES, _params_then(conv_params, conv_model)),
    "DEPTHWISE_CONV_2D": (DTYPES, _params_then(depthwise_params, depthwise_model)),
    "TRANSPOSE_CONV": (DTYPES, _params_then(transpose_conv_params, transpose_conv_model)),
    "FULLY_CONNECTED": (DTYPES, _params_then(fully_connected_params, fully_connected_model)),
    "ADD": (DTYPES, _first(add_sub_case, "ADD")),
    "SUB": (DTYPES, _first(add_sub_case, "SUB")),
    "MUL": (DTYPES, _first(mul_case)),
    "PRELU": (LITERT_UINT8, _first(prelu_case)),
    "RELU": (LITERT_UINT8, lambda act: unary_case("RELU", (act,)).map(lambda c: c[0])),
    "RELU6": (LITERT_UINT8, lambda act: unary_case("RELU6", (act,)).map(lambda c: c[0])),
    "LEAKY_RELU": (LITERT_UINT8, lambda act: unary_case("LEAKY_RELU", (act,)).map(lambda c: c[0])),
    "HARD_SWISH": (("int8", "float32", "uint8"), lambda act: unary_case("HARD_SWISH", (act,)).map(lambda c: c[0])),
    "AVERAGE_POOL_2D": (DTYPES, lambda act: pool_cases((act,)).map(lambda c: pool_model("AVERAGE_POOL_2D", *c))),
    "MAX_POOL_2D": (DTYPES, lambda act: pool_cases((act,)).map(lambda c: pool_model("MAX_POOL_2D", *c))),
    "SOFTMAX": (LITERT_UINT8, lambda act: softmax_example((act,))),
    "LOGISTIC": (LITERT_UINT8, lambda act: sigmoid_example("LOGISTIC", (act,))),
    "TANH": (LITERT_UINT8, lambda act: sigmoid_example("TANH", (act,))),
}, _FAMILY_GENERATED)
_GENERATED_PAIRS = {(op, dtype) for op, (dtypes, _) in _GENERATED.items() for dtype in dtypes}


def _catalogue() -> dict[tuple[str, str], list[op_models.OpCase]]:
    """The fixed catalogue models of the (operator, dtype) pairs no generator above draws."""
    by_key: dict[tuple[str, str], list[op_models.OpCase]] = {}
    for c in op_models.OP_CASES:
        if (c.op, c.dtype) not in _GENERATED_PAIRS:
            by_key.setdefault((c.op, c.dtype), []).append(c)
    return by_key


_CATALOGUE = _catalogue()


def op_dtypes() -> list[tuple[str, str]]:
    """Every (operator, dtype) :func:`op_examples` draws, in a stable order."""
    pairs = [(op, dtype) for op, (dtypes, _) in _GENERATED.items() for dtype in dtypes]
    return sorted(pairs + list(_CATALOGUE))


def _inputs_for(model: bytes, spread: float):
    """A strategy of input sets for ``model``: integers over their full range, floats in
    [-spread, spread], from a drawn seed (so shrinking moves to seed 0, not to all zeros)."""
    def draw_inputs(seed):
        inputs = random_inputs(model, np.random.default_rng(seed))
        return [x * np.float32(spread) if x.dtype == np.float32 else x for x in inputs]

    return st.integers(0, 2**16).map(draw_inputs)


def op_examples(op: str | None = None, dtype: str | None = None):
    """A strategy of :class:`OpExample`: single-op models and inputs, of ``op`` (any supported
    one by default) and ``dtype`` ("int8", "int16x8" or "float32"; any by default)."""
    pairs = [(o, d) for o, d in op_dtypes() if op in (None, o) and dtype in (None, d)]
    if not pairs:
        raise ValueError(f"no generated models for op {op!r} with dtype {dtype!r}; "
                         f"the pairs are {op_dtypes()}")
    return _op_examples(pairs)


@st.composite
def _op_examples(draw, pairs: list[tuple[str, str]]) -> OpExample:
    chosen_op, chosen_dtype = draw(st.sampled_from(pairs))
    if (chosen_op, chosen_dtype) in _GENERATED_PAIRS:
        model = draw(_GENERATED[chosen_op][1](ACTIVATION_TYPE[chosen_dtype]))
    else:
        model = draw(st.sampled_from(_CATALOGUE[(chosen_op, chosen_dtype)])).build()
    spread = draw(st.sampled_from([1.0, 8.0, 1e3]))
    return OpExample(chosen_op, chosen_dtype, model, draw(_inputs_for(model, spread)))


# -- small multi-op graphs ---------------------------------------------------------------------------
_CHAIN_OPS = ("ADD", "MUL", "RELU", "LEAKY_RELU", "LOGISTIC", "TANH", "HARD_SWISH", "QUANTIZE")


@st.composite
def small_graphs(draw, max_ops: int = 4) -> OpExample:
    """int8 chains of 1..``max_ops`` elementwise operators over one shape; ADD and MUL take a
    second model input (broadcast along the last dimension). Every intermediate tensor has its own
    quantization, so each operator rescales."""
    shape = draw(shapes(max_rank=4, max_dim=5))
    b = ModelBuilder(description="microinfer.testing.strategies.small_graphs")
    g = b.main
    current = g.add_input("x", shape, "int8", **draw(qparams("int8")))
    ops = draw(st.lists(st.sampled_from(_CHAIN_OPS), min_size=1, max_size=max_ops))
    for i, op in enumerate(ops):
        last = i == len(ops) - 1
        out_q = dict(zip(("scale", "zero_point"), SIGMOID_OUT[op])) if op in SIGMOID_OUT else draw(qparams("int8"))
        add = g.add_output if last else g.add_tensor
        out = add(f"t{i}", shape, "int8", **out_q)
        inputs = [current]
        options = None
        if op in ("ADD", "MUL"):
            other_q = draw(qparams("int8"))
            if op == "ADD":
                in_scale = g.tensors[current].quantization.scale[0]
                assume(left_shift_output_ok("int8", {"scale": in_scale}, other_q, out_q))
            inputs.append(g.add_input(f"y{i}", shape[-1:], "int8", **other_q))
            options = O.AddOptions() if op == "ADD" else O.MulOptions()
        elif op == "LEAKY_RELU":
            options = O.LeakyReluOptions(alpha=draw(st.sampled_from([0.1, 0.2, -0.5, 1.5])))
        g.add_operator(op, inputs, [out], options, version=1 if op in ("QUANTIZE", "LEAKY_RELU", "HARD_SWISH") else 2)
        current = out
    model = b.build()
    return OpExample("GRAPH", "int8", model, draw(_inputs_for(model, 1.0)))
