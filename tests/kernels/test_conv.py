"""CONV_2D, DEPTHWISE_CONV_2D and TRANSPOSE_CONV: bit-exact against both references.

Hypothesis draws single-op models (shapes, strides, dilations, padding, groups, depth
multipliers, activations, per-tensor/per-channel filters, extreme scales and zero points) and
checks every example against TFLite Micro and LiteRT. Where one reference refuses a model the
other runs, only the one that runs it is checked, and the refusal is asserted to be a constraint
of microinfer for the other (see ``_references``).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from kernel_check import assert_bit_exact, random_inputs
from microinfer import ModelError, UnsupportedOpError
from microinfer.interpreter import Interpreter
from microinfer.kernels import _conv_util as cu
from microinfer.testing.strategies import (
    conv_model,
    conv_params,
    depthwise_model,
    depthwise_params,
    transpose_conv_model,
    transpose_conv_params,
)
from microinfer.tflite import ModelBuilder
from microinfer.tflite.options import Conv2DOptions, DepthwiseConv2DOptions, TransposeConvOptions
from microinfer.tflite.types import ActivationFunction, Padding

SETTINGS = settings(
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# -- which reference runs what -----------------------------------------------------------------

def _references(op: str, p: dict) -> tuple[str, ...]:
    """The references that accept the model; the other must be refused by microinfer too."""
    if op == "CONV_2D" and (p["bias"] is None or (p["dtype"] == "int16" and p["bias"] == "int32")):
        # LiteRT's conv requires a bias ("Tensor at index 2 was optional but was expected") and
        # reads a 16x8 bias as int64 whatever its type.
        return ("tflm",)
    if op == "TRANSPOSE_CONV" and p["dtype"] == "int16" and p["bias"] == "int16":
        return ("tflm",)  # TFLite Micro's legacy int16 bias; LiteRT requires int64
    if op == "TRANSPOSE_CONV" and any(
        cu.output_size(p["padding"], p["out_hw"][i], p["kernel"][i], p["stride"][i], 1) != (p["h"], p["w"])[i]
        for i in range(2)
    ):
        return ("tflm",)  # LiteRT checks that a conv of the output size gives the input size
    return ("tflm", "tflite")


def _check(worker, op, model, p, rng_seed):
    refs = _references(op, p)
    inputs = random_inputs(model, np.random.default_rng(rng_seed))
    assert_bit_exact(worker, model, inputs, references=refs)
    for ref in {"tflm", "tflite"} - set(refs):
        with pytest.raises(UnsupportedOpError):
            Interpreter(model, reference=ref)


# -- property tests ----------------------------------------------------------------------------

@pytest.mark.parametrize("dtype,examples", [("int8", 400), ("int16", 150), ("float32", 100)])
def test_conv2d_bit_exact(reference_worker, dtype, examples):
    @settings(SETTINGS, max_examples=examples)
    @given(p=conv_params(dtype))
    def run(p):
        _check(reference_worker, "CONV_2D", conv_model(p), p, p["seed"] + 1)

    run()


@pytest.mark.parametrize("dtype,examples", [("int8", 300), ("int16", 120), ("float32", 80)])
def test_depthwise_conv2d_bit_exact(reference_worker, dtype, examples):
    @settings(SETTINGS, max_examples=examples)
    @given(p=depthwise_params(dtype))
    def run(p):
        _check(reference_worker, "DEPTHWISE_CONV_2D", depthwise_model(p), p, p["seed"] + 1)

    run()


@pytest.mark.parametrize("dtype,examples", [("int8", 300), ("int16", 120), ("float32", 80)])
def test_transpose_conv_bit_exact(reference_worker, dtype, examples):
    @settings(SETTINGS, max_examples=examples)
    @given(p=transpose_conv_params(dtype))
    def run(p):
        _check(reference_worker, "TRANSPOSE_CONV", transpose_conv_model(p), p, p["seed"] + 1)

    run()


# -- hand-worked cases -------------------------------------------------------------------------

def _unit_int8(g, name, shape, zero_point=0, scale=1.0):
    return g.add_tensor(name, shape, "int8", scale=scale, zero_point=zero_point)


def test_conv2d_hand_worked():
    # 3x3 input, 2x2 all-ones filter, VALID, unit scales: each output is the sum of a 2x2
    # window plus the bias 10; the input zero point 1 is subtracted from every input first.
    builder = ModelBuilder()
    g = builder.main
    x = g.add_input("x", (1, 3, 3, 1), "int8", scale=1.0, zero_point=1)
    w = g.add_constant("w", np.ones((1, 2, 2, 1), np.int8), scale=1.0, zero_point=0)
    b = g.add_constant("b", np.array([10], np.int32))
    y = _unit_int8(g, "y", (1, 2, 2, 1))
    g.add_operator("CONV_2D", [x, w, b], [y], Conv2DOptions(padding=Padding.VALID, stride_h=1, stride_w=1))
    g.outputs.append(y)
    image = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]], np.int8).reshape(1, 3, 3, 1)
    for ref in ("tflm", "tflite"):
        (out,) = Interpreter(builder.build(), reference=ref).run([image])
        # windows of (image - 1): [[0,1],[3,4]]=8, [[1,2],[4,5]]=12, [[3,4],[6,7]]=20, [[4,5],[7,8]]=24
        np.testing.assert_array_equal(out.reshape(2, 2), [[18, 22], [30, 34]])


def test_conv2d_hand_worked_same_padding_stride_and_rounding():
    # SAME padding, stride 2 on a 4x4 input with a 3x3 filter: out 2x2, padding before = 0
    # ((2-1)*2 + 3 - 4) // 2 = 0, so window (0, 0) covers rows/cols 0..2 and window (1, 1)
    # covers rows/cols 2..3 (row/col 4 is padding). Output scale 2 halves the sum, ties away
    # from zero.
    builder = ModelBuilder()
    g = builder.main
    x = g.add_input("x", (1, 4, 4, 1), "int8", scale=1.0, zero_point=0)
    w = g.add_constant("w", np.ones((1, 3, 3, 1), np.int8), scale=1.0, zero_point=0)
    b = g.add_constant("b", np.array([0], np.int32))
    y = _unit_int8(g, "y", (1, 2, 2, 1), scale=2.0)
    g.add_operator("CONV_2D", [x, w, b], [y], Conv2DOptions(padding=Padding.SAME, stride_h=2, stride_w=2))
    g.outputs.append(y)
    image = np.arange(16, dtype=np.int8).reshape(1, 4, 4, 1)
    sums = np.array([[0 + 1 + 2 + 4 + 5 + 6 + 8 + 9 + 10, 2 + 3 + 6 + 7 + 10 + 11],
                     [8 + 9 + 10 + 12 + 13 + 14, 10 + 11 + 14 + 15]])  # 45, 39, 66, 50
    expected = np.floor(sums / 2 + 0.5).astype(int)  # 23 (22.5 -> 23), 20, 33, 25
    for ref in ("tflm", "tflite"):
        (out,) = Interpreter(builder.build(), reference=ref).run([image])
        np.testing.assert_array_equal(out.reshape(2, 2), expected)


def test_grouped_conv2d_hand_worked():
    # Two groups of one channel: filter 0 sees only channel 0, filter 1 only channel 1.
    builder = ModelBuilder()
    g = builder.main
    x = g.add_input("x", (1, 1, 1, 2), "int8", scale=1.0, zero_point=0)
    w = g.add_constant("w", np.array([3, -2], np.int8).reshape(2, 1, 1, 1), scale=1.0, zero_point=0)
    b = g.add_constant("b", np.array([1, 1], np.int32))
    y = _unit_int8(g, "y", (1, 1, 1, 2))
    g.add_operator("CONV_2D", [x, w, b], [y], Conv2DOptions(padding=Padding.VALID, stride_h=1, stride_w=1))
    g.outputs.append(y)
    (out,) = Interpreter(builder.build()).run([np.array([5, 7], np.int8).reshape(1, 1, 1, 2)])
    np.testing.assert_array_equal(out.reshape(-1), [3 * 5 + 1, -2 * 7 + 1])


def test_depthwise_hand_worked_multiplier_two():
    # One input channel, depth multiplier 2, 1x1 filter [2, -2], per-channel scales [1, 0.25]:
    # output channel 0 = 2*x, channel 1 = -x/2. The multiplier 0.25 is 2**30 * 2**-32: the
    # doubling high multiply halves exactly, then the rounding shift takes ties away from zero.
    builder = ModelBuilder()
    g = builder.main
    x = g.add_input("x", (1, 1, 3, 1), "int8", scale=1.0, zero_point=0)
    w = g.add_constant("w", np.array([2, -2], np.int8).reshape(1, 1, 1, 2), scale=[1.0, 0.25], zero_point=0, axis=3)
    b = g.add_constant("b", np.array([0, 0], np.int32))
    y = _unit_int8(g, "y", (1, 1, 3, 2))
    g.add_operator("DEPTHWISE_CONV_2D", [x, w, b], [y], DepthwiseConv2DOptions(
        padding=Padding.VALID, stride_h=1, stride_w=1, depth_multiplier=2))
    g.outputs.append(y)
    for ref in ("tflm", "tflite"):
        (out,) = Interpreter(builder.build(), reference=ref).run([np.array([1, -5, 100], np.int8).reshape(1, 1, 3, 1)])
        # -1*0.5 -> -1 (tie away from zero); 5*0.5 = 2.5 -> 3; 2*100 = 200 clamps to 127
        np.testing.assert_array_equal(out.reshape(3, 2), [[2, -1], [-10, 3], [127, -50]])


def test_transpose_conv_hand_worked():
    # A single input pixel of value 2 with stride 2, VALID: the output is the 2x2 filter times 2.
    # A 2x2 input with stride 2 tiles four copies without overlap.
    builder = ModelBuilder()
    g = builder.main
    shape = g.add_constant("output_shape", np.array([1, 4, 4, 1], np.int32))
    w = g.add_constant("w", np.array([1, 2, 3, 4], np.int8).reshape(1, 2, 2, 1), scale=1.0, zero_point=0)
    x = g.add_input("x", (1, 2, 2, 1), "int8", scale=1.0, zero_point=0)
    y = _unit_int8(g, "y", (1, 4, 4, 1))
    g.add_operator("TRANSPOSE_CONV", [shape, w, x], [y], TransposeConvOptions(
        padding=Padding.VALID, stride_h=2, stride_w=2))
    g.outputs.append(y)
    image = np.array([[2, 0], [-1, 10]], np.int8).reshape(1, 2, 2, 1)
    expected = np.array([[2, 4, 0, 0], [6, 8, 0, 0], [-1, -2, 10, 20], [-3, -4, 30, 40]])
    for ref in ("tflm", "tflite"):
        (out,) = Interpreter(builder.build(), reference=ref).run([image])
        np.testing.assert_array_equal(out.reshape(4, 4), expected)


def test_transpose_conv_hand_worked_overlap_float():
    # Stride 1, 2x1 filter [1, 10], SAME on a 3-row output: padding before is
    # ((3-1)*1 + 2 - 3) // 2 = 0, so input row r adds to output rows r and r+1.
    builder = ModelBuilder()
    g = builder.main
    shape = g.add_constant("output_shape", np.array([1, 3, 1, 1], np.int32))
    w = g.add_constant("w", np.array([1.0, 10.0], np.float32).reshape(1, 2, 1, 1))
    x = g.add_input("x", (1, 3, 1, 1), "float32")
    y = g.add_tensor("y", (1, 3, 1, 1), "float32")
    g.add_operator("TRANSPOSE_CONV", [shape, w, x], [y], TransposeConvOptions(
        padding=Padding.SAME, stride_h=1, stride_w=1))
    g.outputs.append(y)
    (out,) = Interpreter(builder.build()).run([np.array([1, 2, 3], np.float32).reshape(1, 3, 1, 1)])
    np.testing.assert_allclose(out.reshape(-1), [1, 10 + 2, 20 + 3])


# -- refusals ----------------------------------------------------------------------------------

def test_refusals():
    base = dict(dtype="int8", seed=0, n=1, h=4, w=4, groups=1, cin_g=2, cout_g=2, kernel=(3, 3),
                stride=(1, 1), dilation=(1, 1), padding=Padding.SAME, activation=ActivationFunction.NONE,
                in_scale=0.1, out_scale=0.1, in_zp=0, out_zp=0, w_scale_exp=-2, per_channel=True, bias=None)
    model = conv_model(base)
    Interpreter(model, reference="tflm")
    with pytest.raises(UnsupportedOpError, match="LiteRT requires a bias"):
        Interpreter(model, reference="tflite")
    # DEPTHWISE_CONV_2D without a bias: LiteRT refuses it and TFLite Micro crashes on it.
    dw = dict(base, cin=2, multiplier=1, bias="int32")
    builder = ModelBuilder()
    g = builder.main
    x = g.add_input("x", (1, 4, 4, 2), "int8", scale=0.1, zero_point=0)
    w = g.add_constant("w", np.ones((1, 3, 3, 2), np.int8), scale=0.1, zero_point=0)
    y = g.add_tensor("y", (1, 4, 4, 2), "int8", scale=0.1, zero_point=0)
    g.add_operator("DEPTHWISE_CONV_2D", [x, w, -1], [y], DepthwiseConv2DOptions(
        padding=Padding.SAME, stride_h=1, stride_w=1, depth_multiplier=1))
    g.outputs.append(y)
    for ref in ("tflm", "tflite"):
        with pytest.raises(UnsupportedOpError, match="bias tensor is given"):
            Interpreter(builder.build(), reference=ref)
    Interpreter(depthwise_model(dw))
    # A TANH fused activation is not supported by the reference kernels.
    tanh = conv_model(dict(base, bias="int32", activation=ActivationFunction.TANH))
    with pytest.raises(UnsupportedOpError, match="fused activation"):
        Interpreter(tanh)


def _fixed_params(op: str, dtype: str, **quant) -> dict:
    base = dict(dtype=dtype, seed=7, n=1, activation=ActivationFunction.NONE, per_channel=False,
                bias="int32" if dtype == "int8" else "int64", bias_mag=1000, in_zp=0, out_zp=0, **quant)
    if op == "CONV_2D":
        return dict(base, h=5, w=5, groups=1, cin_g=3, cout_g=2, kernel=(3, 3), stride=(1, 1),
                    dilation=(1, 1), padding=Padding.SAME)
    if op == "DEPTHWISE_CONV_2D":
        return dict(base, h=5, w=5, cin=3, multiplier=2, kernel=(3, 3), stride=(1, 1),
                    dilation=(1, 1), padding=Padding.SAME)
    return dict(base, h=3, w=3, cin=3, cout=2, kernel=(3, 3), stride=(2, 2), padding=Padding.SAME,
                out_hw=(6, 6))


_FACTORIES = {"CONV_2D": conv_model, "DEPTHWISE_CONV_2D": depthwise_model, "TRANSPOSE_CONV": transpose_conv_model}


@pytest.mark.parametrize("op", list(_FACTORIES))
@pytest.mark.parametrize("dtype,log2_multiplier,accepted", [
    ("int8", -40.0, True),  # below 2**-31: the multiplier quantizes to 0, every output is the zero point
    ("int8", 29.5, True),
    ("int8", 30.5, False),  # would shift an int32 left by 31 bits in the references
    ("int16", 13.5, True),
    ("int16", 14.5, False),  # the int64 requantizer's right shift would be negative
])
def test_extreme_multipliers(reference_worker, op, dtype, log2_multiplier, accepted):
    # input scale 1000, filter scale 1000 (10**3), output scale chosen for the multiplier
    p = _fixed_params(op, dtype, in_scale=1000.0, w_scale_exp=3.0, out_scale=1e6 / 2**log2_multiplier)
    model = _FACTORIES[op](p)
    if accepted:
        _check(reference_worker, op, model, p, 11)
    else:
        for ref in ("tflm", "tflite"):
            with pytest.raises(UnsupportedOpError, match="below 2\\*\\*30"):
                Interpreter(model, reference=ref)


@pytest.mark.parametrize("op", list(_FACTORIES))
def test_malformed_nodes_raise_unsupported(op):
    """Odd nodes are refused with UnsupportedOpError (or ModelError for a malformed tensor), never an
    exception of the kernel's own."""
    options = {"CONV_2D": Conv2DOptions(stride_h=1, stride_w=1),
               "DEPTHWISE_CONV_2D": DepthwiseConv2DOptions(stride_h=1, stride_w=1, depth_multiplier=1),
               "TRANSPOSE_CONV": TransposeConvOptions(stride_h=1, stride_w=1)}[op]
    variants = []
    # 3-D tensors, a zero output scale, an omitted filter, a missing input
    for case in ("3d", "zero_scale", "no_filter", "no_input"):
        builder = ModelBuilder()
        g = builder.main
        shape = (1, 4, 4) if case == "3d" else (1, 4, 4, 2)
        x = g.add_input("x", shape, "int8", scale=0.1, zero_point=0)
        w = g.add_constant("w", np.ones((2, 3, 3, 2) if case != "3d" else (2, 3, 2), np.int8), scale=0.1, zero_point=0)
        y = g.add_tensor("y", shape, "int8", scale=0.0 if case == "zero_scale" else 0.1, zero_point=0)
        b = g.add_constant("b", np.zeros(2, np.int32))
        if case == "no_filter":
            w = -1
        if op == "TRANSPOSE_CONV":
            s = g.add_constant("s", np.array(shape, np.int32))
            ins = [s, w, -1 if case == "no_input" else x, b]
        else:
            ins = [-1 if case == "no_input" else x, w, b]
        g.add_operator(op, ins, [y], options)
        g.outputs.append(y)
        variants.append(builder.build())
    for model in variants:
        for ref in ("tflm", "tflite"):
            with pytest.raises((UnsupportedOpError, ModelError)):
                Interpreter(model, reference=ref)
