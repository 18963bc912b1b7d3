"""float32 kernels that sum, bit for bit: the references' order and precision of accumulation.

The references keep one float32 accumulator per output element and add one rounded product at a
time, in the order of their loops, skipping filter taps outside the input (see
``microinfer.kernels._float_sums``). microinfer reproduces that, so these tests compare float32
outputs bit for bit (signed zeros included, NaN where the reference has NaN), against the live
references, on the float32 models the hypothesis strategies draw (inputs spread up to 1e3):

* both references: CONV_2D, DEPTHWISE_CONV_2D, TRANSPOSE_CONV, FULLY_CONNECTED, BATCH_MATMUL,
  AVERAGE_POOL_2D, MAX_POOL_2D, L2_POOL_2D, MEAN, SUM, CUMSUM, ADD_N, L2_NORMALIZATION, SOFTMAX,
  LOG_SOFTMAX, and the C library's functions: LOGISTIC, EXP, LOG, TANH, SIN, COS (glibc's expf
  reproduced in NumPy, the others called element by element); ELU (TFLite Micro) and POW and
  REDUCE_PROD (LiteRT) where they run;
* LiteRT's hybrid BATCH_MATMUL (float32 x int8);
* SVDF: TFLite Micro; LiteRT (its four-lane feature product) except with a TANH activation;
* UNIDIRECTIONAL_SEQUENCE_LSTM: TFLite Micro.

Still within kernel_check's 1e-5, because NumPy cannot reproduce what the reference evaluates:
LiteRT's float LSTM (an optimized GEMM, and Eigen's vectorised sigmoid and tanh) and LiteRT's
SVDF with a TANH activation (Eigen's tanh).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kernel_check import assert_bit_identical, assert_each_reference_gives
from microinfer import UnsupportedOpError, load
from microinfer.interpreter import Interpreter
from microinfer.kernels import _libm
from microinfer.testing.strategies import (
    conv_model,
    conv_params,
    depthwise_model,
    depthwise_params,
    fully_connected_model,
    fully_connected_params,
    op_examples,
    pool_model,
    transpose_conv_model,
    transpose_conv_params,
)
from microinfer.tflite import ModelBuilder
from microinfer.tflite.options import Conv2DOptions, DepthwiseConv2DOptions, FullyConnectedOptions
from microinfer.tflite.types import ActivationFunction, Padding

SETTINGS = dict(deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
FLT_MAX = np.finfo(np.float32).max

BOTH = ("tflm", "tflite")
BIT_EXACT_OPS = {
    "CONV_2D": 30, "DEPTHWISE_CONV_2D": 25, "TRANSPOSE_CONV": 25, "FULLY_CONNECTED": 25, "BATCH_MATMUL": 25,
    "AVERAGE_POOL_2D": 15, "MAX_POOL_2D": 10, "L2_POOL_2D": 5, "MEAN": 15, "SUM": 15, "CUMSUM": 10, "ADD_N": 10,
    "L2_NORMALIZATION": 10, "SOFTMAX": 15, "LOG_SOFTMAX": 15, "LOGISTIC": 10, "REDUCE_PROD": 10,
    "EXP": 10, "LOG": 10, "TANH": 10, "SIN": 10, "COS": 10, "ELU": 10, "POW": 10,
}


def _svdf_references(model: bytes) -> tuple[str, ...]:
    """LiteRT applies Eigen's tanh to a TANH SVDF: only TFLite Micro is compared bit for bit then."""
    activation = load(model).main.operators[0].options.fused_activation_function
    return ("tflm",) if activation == ActivationFunction.TANH else BOTH


@pytest.mark.parametrize("op", sorted(BIT_EXACT_OPS))
def test_generated_float_models_bit_identical(reference_worker, op):
    compared = []

    @settings(max_examples=BIT_EXACT_OPS[op], **SETTINGS)
    @given(example=op_examples(op, "float32"))
    def run(example):
        compared.append(assert_bit_identical(reference_worker, example.model, example.inputs))

    run()
    assert sum(compared) >= len(compared), f"{op}: too few examples ran on a reference"


def _hybrid_batch_matmul(model: bytes) -> bool:
    sg = load(model).main
    return sg.tensors[sg.operators[0].inputs[1]].type.name == "INT8"


def test_hybrid_batch_matmul_bit_identical(reference_worker):
    """LiteRT's float32 x int8 BATCH_MATMUL: rows quantized at run time (symmetric or asymmetric),
    the float part ``scale * (total - row_sum * zero_point)``."""
    compared = []

    @settings(max_examples=25, **SETTINGS)
    @given(example=op_examples("BATCH_MATMUL", "float32").filter(lambda e: _hybrid_batch_matmul(e.model)))
    def run(example):
        compared.append(assert_bit_identical(reference_worker, example.model, example.inputs, references=("tflite",)))

    run()
    assert sum(compared) == len(compared)


def test_svdf_bit_identical(reference_worker):
    compared = []

    @settings(max_examples=25, **SETTINGS)
    @given(example=op_examples("SVDF", "float32"))
    def run(example):
        compared.append(assert_bit_identical(reference_worker, example.model, example.inputs,
                                             references=_svdf_references(example.model)))

    run()
    assert sum(compared) >= len(compared)


def test_lstm_bit_identical_with_tflite_micro(reference_worker):
    compared = []

    @settings(max_examples=20, **SETTINGS)
    @given(example=op_examples("UNIDIRECTIONAL_SEQUENCE_LSTM", "float32"))
    def run(example):
        compared.append(assert_bit_identical(reference_worker, example.model, example.inputs, references=("tflm",)))

    run()
    assert sum(compared) >= 5  # (TFLite Micro runs only the standard LSTM, about half the draws)


# -- non-finite weights and inputs ---------------------------------------------------------------

def _non_finite(params):
    """float32 parameters with about a quarter of the weights +-inf or NaN."""
    return params("float32").map(lambda p: {**p, "non_finite": True})


@pytest.mark.parametrize("params,model", [
    (conv_params, conv_model),
    (depthwise_params, depthwise_model),
    (transpose_conv_params, transpose_conv_model),
    (fully_connected_params, fully_connected_model),
], ids=["CONV_2D", "DEPTHWISE_CONV_2D", "TRANSPOSE_CONV", "FULLY_CONNECTED"])
def test_non_finite_weights_with_padding(reference_worker, params, model):
    """Taps outside the input are skipped, not added as 0 * weight (0 * inf would be NaN), and an
    infinite sum clamps to +-FLT_MAX without activation, as in the references."""
    compared = []

    @settings(max_examples=25, **SETTINGS)
    @given(p=_non_finite(params), seed=st.integers(0, 2**16))
    def run(p, seed):
        m = model(p)
        inputs = [np.random.default_rng(seed).uniform(-1, 1, x.shape).astype(np.float32)
                  for x in load(m).main.input_tensors()]
        compared.append(assert_bit_identical(reference_worker, m, inputs))

    run()
    assert sum(compared) >= len(compared)


@pytest.mark.parametrize("op", ["CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "MAX_POOL_2D", "SOFTMAX",
                                "LOG_SOFTMAX", "MEAN"])
def test_non_finite_inputs(reference_worker, op):
    """inf and NaN inputs: NaN propagates through sums, std::max skips it, infinities clamp."""

    @settings(max_examples=10, **SETTINGS)
    @given(example=op_examples(op, "float32"), seed=st.integers(0, 2**16))
    def run(example, seed):
        rng = np.random.default_rng(seed)
        inputs = [np.where(rng.random(x.shape) < 0.1, rng.choice(np.float32([np.inf, -np.inf, np.nan]), x.shape), x)
                  .astype(np.float32) if x.dtype == np.float32 else x for x in example.inputs]
        assert_bit_identical(reference_worker, example.model, inputs)

    run()


# -- hand-worked ---------------------------------------------------------------------------------

def _fully_connected(weights: np.ndarray, activation=ActivationFunction.NONE) -> bytes:
    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", (1, weights.shape[1]), "float32")
    y = g.add_output("y", (1, weights.shape[0]), "float32")
    w = g.add_constant("w", weights.astype(np.float32))
    bias = g.add_constant("b", np.zeros(weights.shape[0], np.float32))
    g.add_operator("FULLY_CONNECTED", [x, w, bias], [y], FullyConnectedOptions(fused_activation_function=activation))
    return b.build()


def test_fully_connected_sums_in_order_in_float32(reference_worker):
    # ((0 + 1e8) + 1) + -1e8 in float32 is 0 (1e8 + 1 rounds back to 1e8); in float64, or summed
    # in another order, it is 1. Summed backwards: ((0 + -1e8) + 1) + 1e8 = 0 too, but
    # (1 + -1e8) + 1e8 ... the point is the float32 order of the references.
    model = _fully_connected(np.array([[1, 1, 1], [1, -1, 1]]))
    x = np.float32([[1e8, 1, -1e8]])
    assert_each_reference_gives(reference_worker, model, [x], {ref: np.float32([[0.0, 0.0]]) for ref in BOTH})


def test_infinite_sum_clamps_to_flt_max(reference_worker):
    model = _fully_connected(np.array([[np.inf, 1], [-np.inf, 1], [np.inf, -np.inf]]))
    x = np.float32([[1, 1]])
    expected = np.float32([[FLT_MAX, -FLT_MAX, np.nan]])
    for ref in BOTH:
        np.testing.assert_array_equal(reference_worker.run(ref, model, [x]).outputs[0], expected)
        np.testing.assert_array_equal(Interpreter(model, reference=ref).run([x])[0], expected)


def _dilated_conv(dtype: str, dilation: int, depthwise: bool = False) -> bytes:
    b = ModelBuilder()
    g = b.main
    q = {} if dtype == "float32" else dict(scale=0.05, zero_point=0)
    x = g.add_input("x", (1, 4, 5, 2), dtype, **q)
    channels = 2 if depthwise else 3
    y = g.add_output("y", (1, 4, 5, channels), dtype, **q)
    shape = (1, 3, 3, channels) if depthwise else (channels, 3, 3, 2)
    rng = np.random.default_rng(5)
    if dtype == "float32":
        w = g.add_constant("w", rng.uniform(-1, 1, shape).astype(np.float32))
        bias = g.add_constant("b", rng.uniform(-1, 1, channels).astype(np.float32))
    else:
        w = g.add_constant("w", rng.integers(-127, 128, shape).astype(np.int8), scale=0.02, zero_point=0)
        bias = g.add_constant("b", rng.integers(-50, 50, channels).astype(np.int32), scale=0.001, zero_point=0)
    window = dict(padding=Padding.SAME, stride_w=1, stride_h=1, dilation_w_factor=dilation, dilation_h_factor=dilation)
    if depthwise:
        g.add_operator("DEPTHWISE_CONV_2D", [x, w, bias], [y], DepthwiseConv2DOptions(depth_multiplier=1, **window))
    else:
        g.add_operator("CONV_2D", [x, w, bias], [y], Conv2DOptions(**window))
    return b.build()


@pytest.mark.parametrize("dtype", ["float32", "int8"])
@pytest.mark.parametrize("depthwise", [False, True], ids=["CONV_2D", "DEPTHWISE_CONV_2D"])
def test_huge_dilation_skips_taps_without_padding_the_input(reference_worker, dtype, depthwise):
    """Dilation 30000 on a 4x5 input: every tap but the centre falls outside, and a zero-padded
    copy of the input would take tens of GiB."""
    model = _dilated_conv(dtype, 30000, depthwise)
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, (1, 4, 5, 2)).astype(np.float32) if dtype == "float32" else \
        rng.integers(-128, 128, (1, 4, 5, 2)).astype(np.int8)
    assert assert_bit_identical(reference_worker, model, [x]) == 2


@pytest.mark.parametrize("depthwise", [False, True], ids=["CONV_2D", "DEPTHWISE_CONV_2D"])
def test_dilation_beyond_int16_is_refused(reference_worker, depthwise):
    """TFLite Micro truncates a dilation of 65536 to 0 in its int16 parameter (and computes
    another convolution); LiteRT refuses it."""
    model = _dilated_conv("float32", 65536, depthwise)
    for ref in BOTH:
        with pytest.raises(UnsupportedOpError, match="at most 32767"):
            Interpreter(model, reference=ref)


@pytest.mark.parametrize("op", ["AVERAGE_POOL_2D", "MAX_POOL_2D"])
def test_pool_padding_beyond_int16_is_refused(reference_worker, op):
    """A 70000 x 70000 SAME window on a 4 x 4 input pads by 34999: TFLite Micro truncates that to
    int16 (its average comes out 0), LiteRT fails to prepare; 30000 (padding 14999) runs in both,
    without padding anything."""
    x = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
    fits = pool_model(op, "float32", (1, 4, 4, 1), (30000, 30000), (1, 1), Padding.SAME, ActivationFunction.NONE)
    assert assert_bit_identical(reference_worker, fits, [x]) == 2
    beyond = pool_model(op, "float32", (1, 4, 4, 1), (70000, 70000), (1, 1), Padding.SAME, ActivationFunction.NONE)
    for ref in BOTH:
        with pytest.raises(UnsupportedOpError, match="padding is at most 32767"):
            Interpreter(beyond, reference=ref)


def test_node_with_huge_working_buffers_is_refused():
    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", (1, 4096, 4096, 8), "float32")
    y = g.add_output("y", (1, 4096, 4096, 16), "float32")
    w = g.add_constant("w", np.ones((16, 3, 3, 8), np.float32))
    bias = g.add_constant("b", np.zeros(16, np.float32))
    g.add_operator("CONV_2D", [x, w, bias], [y], Conv2DOptions(padding=Padding.SAME, stride_w=1, stride_h=1))
    with pytest.raises(UnsupportedOpError) as error:
        Interpreter(b.build())
    message = str(error.value)
    assert "CONV_2D" in message and "working buffers" in message and "512 MiB" in message
    assert "this node needs about 3,080 MiB" in message  # 12 bytes per output element plus 8 MiB


def test_expf_array_is_the_c_library_expf():
    rng = np.random.default_rng(11)
    x = np.concatenate([rng.uniform(-104, 89, 200_000), rng.standard_normal(100_000),
                        [0.0, -0.0, np.inf, -np.inf, np.nan, 88.72283, 88.7229, -103.97, -87.33655, -150]])
    x = x.astype(np.float32)
    expected = np.array([_libm.expf(v) for v in x.tolist()], np.float32)
    got = _libm.expf_array(x)
    same = (got.view(np.uint32) == expected.view(np.uint32)) | (np.isnan(got) & np.isnan(expected))
    assert same.all(), x[~same][:10]
