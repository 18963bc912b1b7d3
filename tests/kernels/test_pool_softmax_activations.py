"""AVERAGE_POOL_2D, MAX_POOL_2D, SOFTMAX, LOGISTIC, TANH and MEAN: bit-exact against both references.

Hypothesis draws single-op models (shapes, windows, strides, padding, activations, beta, axes,
keep_dims, tiny and large scales, zero points at the ends of the range) and checks every example
against TFLite Micro and LiteRT. Where a model is outside what one reference accepts, microinfer
must refuse it for that reference (UnsupportedOpError) and only the other one is compared.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from kernel_check import assert_bit_exact, random_inputs
from microinfer import UnsupportedOpError
from microinfer.interpreter import Interpreter
from microinfer.tflite import ModelBuilder
from microinfer.tflite.options import Pool2DOptions, ReducerOptions, SoftmaxOptions
from microinfer.tflite.types import ActivationFunction, Padding

SETTINGS = dict(
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ACTIVATIONS = [ActivationFunction.NONE, ActivationFunction.RELU, ActivationFunction.RELU6,
               ActivationFunction.RELU_N1_TO_1]
VERSION = {"float32": 1, "int8": 2, "int16": 3}
INT8_ZERO_POINTS = st.one_of(st.sampled_from([-128, 127, 0]), st.integers(-128, 127))
SCALES = st.one_of(st.sampled_from([1e-6, 2.0 ** -12, 2.0 ** -11, 0.0039, 0.1, 1.0, 7.5, 300.0]),
                   st.floats(1e-5, 10.0))


def _qparams(dtype, scale, zero_point):
    return {} if dtype == "float32" else {"scale": scale, "zero_point": zero_point}


def _check(worker, model: bytes, seed: int, runs: int = 2, references=("tflm", "tflite")):
    rng = np.random.default_rng(seed)
    for _ in range(runs):
        assert_bit_exact(worker, model, random_inputs(model, rng), references=references)


def _refused(model: bytes, reference: str) -> None:
    with pytest.raises(UnsupportedOpError):
        Interpreter(model, reference=reference)


# -- pooling ----------------------------------------------------------------------------------

def _pool_out(padding, size, filt, stride):
    return (size + stride - 1) // stride if padding == Padding.SAME else (size + stride - filt) // stride


def pool_model(op, dtype, shape, filt, stride, padding, activation, scale=0.1, zero_point=0):
    b = ModelBuilder()
    g = b.main
    n, h, w, c = shape
    out_shape = (n, _pool_out(padding, h, filt[0], stride[0]), _pool_out(padding, w, filt[1], stride[1]), c)
    x = g.add_input("x", shape, dtype, **_qparams(dtype, scale, zero_point))
    y = g.add_output("y", out_shape, dtype, **_qparams(dtype, scale, zero_point))
    g.add_operator(op, [x], [y], Pool2DOptions(padding=padding, stride_h=stride[0], stride_w=stride[1],
                                                filter_height=filt[0], filter_width=filt[1],
                                                fused_activation_function=activation), version=VERSION[dtype])
    return b.build()


@st.composite
def pool_cases(draw):
    dtype = draw(st.sampled_from(["int8", "int16", "float32"]))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 9)), draw(st.integers(1, 9)), draw(st.integers(1, 4)))
    filt = (draw(st.integers(1, 5)), draw(st.integers(1, 5)))
    stride = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    padding = draw(st.sampled_from([Padding.SAME, Padding.VALID]))
    assume(_pool_out(padding, shape[1], filt[0], stride[0]) > 0 and _pool_out(padding, shape[2], filt[1], stride[1]) > 0)
    activation = draw(st.sampled_from(ACTIVATIONS))
    zero_point = draw(INT8_ZERO_POINTS) if dtype == "int8" else draw(st.sampled_from([0, -32768, 32767, 123]))
    return dtype, shape, filt, stride, padding, activation, draw(SCALES), zero_point


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

SOFTMAX_OUT = {
    ("int8", "int8"): (1 / 256, -128),
    ("int8", "int16"): (1 / 65536, -32768),
    ("int16", "int16"): (1 / 32768, 0),
    ("float32", "float32"): (None, None),
}


def softmax_model(in_dtype, out_dtype, shape, beta, scale, zero_point, out_q=None):
    b = ModelBuilder()
    g = b.main
    out_scale, out_zero_point = out_q or SOFTMAX_OUT[(in_dtype, out_dtype)]
    x = g.add_input("x", shape, in_dtype, **_qparams(in_dtype, scale, zero_point))
    y = g.add_output("y", shape, out_dtype, **_qparams(out_dtype, out_scale, out_zero_point))
    g.add_operator("SOFTMAX", [x], [y], SoftmaxOptions(beta=beta), version=VERSION[in_dtype])
    return b.build()


@st.composite
def softmax_cases(draw):
    in_dtype, out_dtype = draw(st.sampled_from(list(SOFTMAX_OUT)))
    shape = tuple(draw(st.lists(st.integers(1, 12), min_size=1, max_size=4)))
    beta = draw(st.one_of(st.sampled_from([1.0, 0.5, 2.0, 1e-3, 40.0, 1e4]), st.floats(0.01, 50.0)))
    scale = draw(SCALES)
    if in_dtype == "int8":
        zero_point = draw(INT8_ZERO_POINTS)
        assume(float(np.float32(beta)) * float(np.float32(scale)) * 2 ** 26 > 1.0)
    else:
        zero_point = 0
    if in_dtype == "int16":
        assume(0 < float(np.float32(scale)) * float(np.float32(beta)) / (10 / 65535) < 2.0 ** 29)
    return in_dtype, out_dtype, shape, beta, scale, zero_point


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


def test_softmax_refuses_wrong_output_quantization():
    _refused(softmax_model("int8", "int8", (1, 5), 1.0, 0.1, 0, out_q=(1 / 256, 0)), "tflm")
    _refused(softmax_model("int8", "int8", (1, 5), 1.0, 0.1, 0, out_q=(1 / 128, -128)), "tflite")
    _refused(softmax_model("int16", "int16", (1, 5), 1.0, 0.1, 0, out_q=(1 / 65536, 0)), "tflm")


# -- logistic / tanh ----------------------------------------------------------------------------

SIGMOID_OUT = {"LOGISTIC": (1 / 256, -128), "TANH": (1 / 128, 0)}


def sigmoid_model(op, dtype, shape, scale, zero_point, out_q=None):
    b = ModelBuilder()
    g = b.main
    if out_q is None:
        out_q = SIGMOID_OUT[op] if dtype == "int8" else (2.0 ** -15, 0)
    x = g.add_input("x", shape, dtype, **_qparams(dtype, scale, zero_point))
    y = g.add_output("y", shape, dtype, **_qparams(dtype, *out_q))
    g.add_operator(op, [x], [y], version=VERSION[dtype])
    return b.build()


@st.composite
def sigmoid_cases(draw):
    dtype = draw(st.sampled_from(["int8", "int16", "float32"]))
    shape = tuple(draw(st.lists(st.integers(1, 16), min_size=1, max_size=4)))
    if dtype == "int16":
        scale = draw(st.one_of(st.sampled_from([2.0 ** -12, 2.0 ** -11, 2.0 ** -10, 2.0 ** -15, 1e-6, 2.5]),
                               st.floats(1e-6, 2.6)))
        zero_point = 0
    else:
        scale = draw(st.one_of(st.sampled_from([2.0 ** -27, 1e-5, 0.0039, 0.1, 1.0, 30.0, 1000.0]),
                               st.floats(1e-4, 50.0)))
        zero_point = draw(INT8_ZERO_POINTS)
    return dtype, shape, scale, zero_point


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
    _refused(sigmoid_model("LOGISTIC", "int8", (4,), 0.1, 0, out_q=(1 / 128, -128)), "tflite")
    _refused(sigmoid_model("TANH", "int8", (4,), 0.1, 0, out_q=(1 / 256, -128)), "tflm")
    _refused(sigmoid_model("TANH", "int16", (4,), 0.1, 0, out_q=(2.0 ** -14, 0)), "tflm")


# -- mean -------------------------------------------------------------------------------------

def mean_model(dtype, shape, axes, keep_dims, in_q, out_q):
    b = ModelBuilder()
    g = b.main
    rank = len(shape)
    resolved = {(a + rank) % rank for a in axes}
    out_shape = tuple(1 if i in resolved else d for i, d in enumerate(shape)) if keep_dims else tuple(
        d for i, d in enumerate(shape) if i not in resolved)
    x = g.add_input("x", shape, dtype, **_qparams(dtype, *in_q))
    a = g.add_constant("axes", np.array(axes, np.int32))
    y = g.add_output("y", out_shape, dtype, **_qparams(dtype, *out_q))
    g.add_operator("MEAN", [x, a], [y], ReducerOptions(keep_dims=keep_dims), version=VERSION[dtype])
    return b.build()


@st.composite
def mean_cases(draw, max_axes=2):
    dtype = draw(st.sampled_from(["int8", "int16", "float32"]))
    shape = tuple(draw(st.lists(st.integers(1, 7), min_size=1, max_size=5)))
    rank = len(shape)
    dims = draw(st.lists(st.integers(0, rank - 1), min_size=1, max_size=min(max_axes, rank), unique=True))
    axes = [d - rank if draw(st.booleans()) else d for d in dims]
    if draw(st.booleans()):
        axes.append(axes[0])  # a repeated axis counts once
    keep_dims = draw(st.booleans())
    if dtype == "int8":
        in_q = (draw(SCALES), draw(INT8_ZERO_POINTS))
        out_q = in_q if draw(st.booleans()) else (draw(SCALES), draw(INT8_ZERO_POINTS))
    else:
        in_q = (draw(SCALES), 0)
        out_q = in_q if draw(st.booleans()) else (draw(SCALES), 0)
    assume(np.float32(in_q[0]) / np.float32(out_q[0]) < 2.0 ** 30)
    return dtype, shape, axes, keep_dims, in_q, out_q


@settings(max_examples=400, **SETTINGS)
@given(case=mean_cases(), seed=st.integers(0, 2 ** 16))
def test_mean_bit_exact(reference_worker, case, seed):
    _check(reference_worker, mean_model(*case), seed)


@settings(max_examples=30, **SETTINGS)
@given(case=mean_cases(max_axes=5), seed=st.integers(0, 2 ** 16))
def test_mean_many_axes_litert(reference_worker, case, seed):
    # TFLite Micro keeps at most two reduced axes (a fixed-size buffer): refused there, LiteRT runs it.
    dtype, shape, axes, keep_dims, in_q, out_q = case
    assume(len({(a + len(shape)) % len(shape) for a in axes}) > 2)
    model = mean_model(*case)
    _refused(model, "tflm")
    _check(reference_worker, model, seed, references=("tflite",))


def test_mean_4d_height_width_keep_dims(reference_worker):
    # The 4-D mean over H and W with keep_dims (a special path in older kernels).
    for in_q, out_q in (((0.1, 3), (0.1, 3)), ((0.07, -128), (0.02, 127))):
        _check(reference_worker, mean_model("int8", (2, 5, 6, 3), [1, 2], True, in_q, out_q), 7, runs=3)


def test_mean_by_hand(reference_worker):
    # Mean of [1, 2, 3, 4] = 2.5 and of the negatives -2.5, same quantization: rounded away from zero.
    x = np.array([[1, 2, 3, 4], [-1, -2, -3, -4]], np.int8)
    model = mean_model("int8", (2, 4), [1], False, (0.5, 0), (0.5, 0))
    for ref in ("tflm", "tflite"):
        np.testing.assert_array_equal(Interpreter(model, reference=ref).run([x])[0], [3, -3])
        np.testing.assert_array_equal(reference_worker.run(ref, model, [x]).outputs[0], [3, -3])
