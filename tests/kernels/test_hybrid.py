"""Weights that are not plain constants: dynamic-range (hybrid) layers and run-time weights.

Hybrid layers (float32 activations, int8 weights) run in LiteRT only: it quantizes the input at
run time; TFLite Micro fails to prepare them, and microinfer says why. Run-time weights (computed
by an earlier operator, or model inputs) run in both references.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from conftest import shared_model_path
from kernel_check import assert_bit_exact, random_inputs
from microinfer import UnsupportedOpError
from microinfer.interpreter import Interpreter
from microinfer.kernels import _hybrid
from microinfer.reference import ReferenceFailure
from microinfer.testing.families import hybrid as strategies
from microinfer.tflite import ModelBuilder
from microinfer.tflite.options import Conv2DOptions, DepthwiseConv2DOptions, FullyConnectedOptions
from microinfer.tflite.types import Padding

SETTINGS = settings(deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
DIAGNOSIS = r"TFLite Micro cannot run dynamic-range \(hybrid\) models"


def _inputs(model: bytes, seed: int, spread: float) -> list[np.ndarray]:
    return [x * np.float32(spread) for x in random_inputs(model, np.random.default_rng(seed))]


def _exactly_litert(worker, model: bytes, inputs) -> None:
    """microinfer (reference='tflite') gives LiteRT's float32 outputs bit for bit."""
    expected = worker.run("tflite", model, inputs).outputs
    got = Interpreter(model, reference="tflite").run(inputs)
    for g, e in zip(got, expected):
        np.testing.assert_array_equal(g, e)


def _refused_by_tflm_with_diagnosis(worker, model: bytes, inputs) -> None:
    with pytest.raises(UnsupportedOpError, match="dynamic-range") as error:
        Interpreter(model, reference="tflm")
    assert "representative dataset" in str(error.value)
    with pytest.raises(ReferenceFailure):
        worker.run("tflm", model, inputs)


# -- hybrid layers against LiteRT, and TFLite Micro's refusal -----------------------------------------

@pytest.mark.parametrize("strategy", [strategies.fully_connected, strategies.conv, strategies.depthwise_conv,
                                      strategies.svdf], ids=["FULLY_CONNECTED", "CONV_2D", "DEPTHWISE_CONV_2D", "SVDF"])
def test_hybrid_layers(reference_worker, strategy):
    @settings(SETTINGS, max_examples=40)
    @given(model=strategy(), seed=strategies.SEEDS)
    def check(model, seed):
        inputs = _inputs(model, seed, spread=float(10.0 ** (seed % 5 - 2)))
        assert_bit_exact(reference_worker, model, inputs, references=("tflite",))
        with pytest.raises(UnsupportedOpError, match=DIAGNOSIS):
            Interpreter(model, reference="tflm")

    check()


def test_tflm_refuses_hybrid_models_with_a_diagnosis(reference_worker):
    model = _fully_connected(np.ones((2, 4), np.int8), [0.5])
    _refused_by_tflm_with_diagnosis(reference_worker, model, [np.ones((1, 4), np.float32)])


def test_hybrid_wild_models(reference_worker):
    """The converter's dynamic-range models: LiteRT runs them (microinfer within 1e-5, the
    float32 convolutions and softmax around the hybrid layers sum in another order), TFLite Micro
    fails to allocate them (microinfer says why)."""
    for name in ("mlonmcu__CNN_2L_model_quantized.tflite", "mlonmcu__MNIST_model_quantized.tflite"):
        model = shared_model_path(f"wild/{name}").read_bytes()
        inputs = random_inputs(model, np.random.default_rng(0))
        assert_bit_exact(reference_worker, model, inputs, references=("tflite",))
        _refused_by_tflm_with_diagnosis(reference_worker, model, inputs)


# -- hand-worked: LiteRT's run-time quantization and its x86 kernels ------------------------------------

def _fully_connected(weights, scales, asymmetric=False) -> bytes:
    weights = np.asarray(weights, np.int8)
    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", (1, weights.shape[1]), "float32")
    w = g.add_constant("w", weights, scale=np.float32(scales), zero_point=np.zeros(len(scales), np.int64))
    y = g.add_output("y", (1, weights.shape[0]), "float32")
    g.add_operator("FULLY_CONNECTED", [x, w], [y], FullyConnectedOptions(asymmetric_quantize_inputs=asymmetric),
                   version=9 if asymmetric else 3)
    return b.build()


def test_symmetric_quantization_by_hand():
    """max |x| = 2.54: scale 0.02, 1.0 -> round(1.0 * 127 / 2.54) = 50; an all-zero row: scale 1."""
    rows = _hybrid.quantize_rows(np.float32([[2.54, -1.0, 1.0, 0.0], [0, 0, 0, 0]]), asymmetric=False)
    np.testing.assert_array_equal(rows.values, [[127, -50, 50, 0], [0, 0, 0, 0]])
    np.testing.assert_array_equal(rows.scale, np.float32([2.54 / 127, 1.0]))


def test_asymmetric_quantization_by_hand():
    """[-1, 4]: scale 5/255, zero point -128 + 1/scale = -77 (from the smaller error term)."""
    rows = _hybrid.quantize_rows(np.float32([[-1.0, 4.0, 0.0]]), asymmetric=True)
    assert rows.zero_point.tolist() == [-77]
    np.testing.assert_array_equal(rows.values, [[-128, 127, -77]])


@pytest.mark.parametrize("depth,expected", [(15, 0.128), (16, -0.128)])
def test_minus_128_weight_times_negative_input(reference_worker, depth, expected):
    """LiteRT's x86 kernel multiplies blocks of 16 columns as maddubs(|x|, sign(w, x)): a weight
    of -128 times x = -127 gives -16256 where 16256 was due (x 0.001/127: -0.128, not 0.128);
    shorter rows go column by column."""
    weights = np.zeros((1, depth), np.int8)
    weights[0, 0] = -128
    model = _fully_connected(weights, [0.001])
    x = np.zeros((1, depth), np.float32)
    x[0, 0] = -1.0
    np.testing.assert_allclose(Interpreter(model, reference="tflite").run([x])[0][0, 0], expected, rtol=1e-6)
    _exactly_litert(reference_worker, model, [x])


@pytest.mark.parametrize("filters", [3, 4])
def test_conv_minus_128_only_off_the_gemm_path(reference_worker, filters):
    """CONV_2D's HybridConv sums with an integer GEMM when the filter count is a multiple of 4
    (exact), else with the x86 matrix-vector kernel (the -128 quirk): 16 x -128 x -127 x 0.01/127
    is 20.48, or -20.48."""
    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", (1, 1, 1, 16), "float32")
    w = g.add_constant("w", np.full((filters, 1, 1, 16), -128, np.int8), scale=np.float32(0.01), zero_point=0)
    bias = g.add_constant("b", np.zeros(filters, np.float32))
    y = g.add_output("y", (1, 1, 1, filters), "float32")
    g.add_operator("CONV_2D", [x, w, bias], [y], Conv2DOptions(Padding.VALID, 1, 1), version=2)
    model = b.build()
    inputs = [-np.ones((1, 1, 1, 16), np.float32)]
    expected = np.float32(20.48 if filters == 4 else -20.48)
    np.testing.assert_allclose(Interpreter(model, reference="tflite").run(inputs)[0], expected, rtol=1e-6)
    _exactly_litert(reference_worker, model, inputs)


def test_asymmetric_row_sums_wrap_in_int16_lanes(reference_worker):
    """The x86 kernel sums each weight row for the zero-point correction in eight int16 lanes: a
    row of 3000 weights of 127 (each lane 187 x 254 = 47498) wraps to -143288, not 381000."""
    weights = np.full((1, 3000), 127, np.int8)
    assert _hybrid.SseMatrixProduct.of(weights).row_sums.tolist() == [-143288]
    model = _fully_connected(weights, [0.01], asymmetric=True)
    x = np.full((1, 3000), 1.0, np.float32)
    x[0, ::3] = -0.5
    _exactly_litert(reference_worker, model, [x])


# -- weights and biases computed at run time ---------------------------------------------------------

def _runtime_fc(kind: str) -> bytes:
    b = ModelBuilder()
    g = b.main
    if kind == "int8":
        x = g.add_input("x", (2, 8), "int8", scale=0.1, zero_point=3)
        w = g.add_input("w", (4, 8), "int8", scale=0.05, zero_point=0)
        bias = g.add_input("b", (4,), "int32", scale=0.005, zero_point=0)
        y = g.add_output("y", (2, 4), "int8", scale=2.0, zero_point=-1)
    else:  # float32 weights from a DEQUANTIZE, as the converter writes some float models
        x = g.add_input("x", (2, 8), "float32")
        wq = g.add_constant("wq", np.arange(-16, 16, dtype=np.int8).reshape(4, 8), scale=0.05, zero_point=0)
        w = g.add_tensor("w", (4, 8), "float32")
        g.add_operator("DEQUANTIZE", [wq], [w], None, version=2)
        bias = g.add_input("b", (4,), "float32")
        y = g.add_output("y", (2, 4), "float32")
    g.add_operator("FULLY_CONNECTED", [x, w, bias], [y], FullyConnectedOptions(), version=4)
    return b.build()


def _runtime_conv(kind: str, depthwise: bool) -> bytes:
    b = ModelBuilder()
    g = b.main
    cout = 4
    w_shape = (1, 3, 3, cout) if depthwise else (cout, 3, 3, 2)
    if kind == "int8":
        scales = np.float32([0.05, 0.04, 0.03, 0.02])
        x = g.add_input("x", (1, 5, 5, 2), "int8", scale=0.1, zero_point=3)
        w = g.add_input("w", w_shape, "int8", scale=scales, zero_point=np.zeros(cout, np.int64),
                        axis=3 if depthwise else 0)
        bias = g.add_input("b", (cout,), "int32", scale=scales * np.float32(0.1), zero_point=np.zeros(cout, np.int64))
        y = g.add_output("y", (1, 5, 5, cout), "int8", scale=1.5, zero_point=-1)
    else:
        x = g.add_input("x", (1, 5, 5, 2), "float32")
        w = g.add_input("w", w_shape, "float32")
        bias = g.add_input("b", (cout,), "float32")
        y = g.add_output("y", (1, 5, 5, cout), "float32")
    if depthwise:
        g.add_operator("DEPTHWISE_CONV_2D", [x, w, bias], [y], DepthwiseConv2DOptions(Padding.SAME, 1, 1, 2), version=3)
    else:
        g.add_operator("CONV_2D", [x, w, bias], [y], Conv2DOptions(Padding.SAME, 1, 1), version=3)
    return b.build()


RUNTIME_MODELS = {
    "FULLY_CONNECTED/int8": lambda: _runtime_fc("int8"),
    "FULLY_CONNECTED/float32-dequantized": lambda: _runtime_fc("float32"),
    "CONV_2D/int8": lambda: _runtime_conv("int8", False),
    "CONV_2D/float32": lambda: _runtime_conv("float32", False),
    "DEPTHWISE_CONV_2D/int8": lambda: _runtime_conv("int8", True),
    "DEPTHWISE_CONV_2D/float32": lambda: _runtime_conv("float32", True),
}


def _moderate_inputs(model: bytes, seed: int) -> list[np.ndarray]:
    """Inputs that neither vanish nor saturate: small integers, floats in [-1, 1]."""
    rng = np.random.default_rng(seed)
    return [(rng.integers(-40, 40, x.shape) if x.dtype.kind == "i" else x).astype(x.dtype)
            for x in random_inputs(model, rng)]


@pytest.mark.parametrize("name", sorted(RUNTIME_MODELS))
def test_runtime_weights_against_both_references(reference_worker, name):
    model = RUNTIME_MODELS[name]()
    for seed in range(3):
        assert_bit_exact(reference_worker, model, _moderate_inputs(model, seed))


@pytest.mark.parametrize("name", ["FULLY_CONNECTED/int8", "CONV_2D/int8", "DEPTHWISE_CONV_2D/int8"])
def test_runtime_weights_fall_back_from_the_c_backend(name):
    from microinfer import c_backend

    if not c_backend.available():
        pytest.skip(c_backend.unavailable_reason())
    model = RUNTIME_MODELS[name]()
    interpreter = Interpreter(model, backend="c")
    assert interpreter.op_backends == ["numpy: weights or bias computed at run time run in NumPy"]
    inputs = _moderate_inputs(model, 0)
    np.testing.assert_array_equal(interpreter.run(inputs)[0], Interpreter(model).run(inputs)[0])


def test_weights_nothing_computes_are_refused():
    """A non-constant weight tensor that is no model input and no operator's output has no value."""
    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", (1, 4), "float32")
    w = g.add_tensor("w", (2, 4), "float32")
    y = g.add_output("y", (1, 2), "float32")
    g.add_operator("FULLY_CONNECTED", [x, w], [y], FullyConnectedOptions(), version=1)
    with pytest.raises(UnsupportedOpError, match="computed at run time"):
        Interpreter(b.build())


# -- hybrid UNIDIRECTIONAL_SEQUENCE_LSTM -----------------------------------------------------------------

def test_hybrid_lstm(reference_worker):
    """LiteRT quantizes each step's input and hidden state at run time (its variants included);
    TFLite Micro runs the model but its outputs come out NaN, so microinfer refuses it there."""
    from microinfer.testing.families import recurrent

    @settings(SETTINGS, max_examples=40)
    @given(params=recurrent.lstm_params(hybrid=True), seed=strategies.SEEDS)
    def check(params, seed):
        model = recurrent.lstm_model(np.random.default_rng(seed), **params)
        inputs = _inputs(model, seed, spread=float(10.0 ** (seed % 3 - 1)))
        assert_bit_exact(reference_worker, model, inputs, references=("tflite",))
        with pytest.raises(UnsupportedOpError, match=DIAGNOSIS):
            Interpreter(model, reference="tflm")

    check()


def _layer_alone(path, op_index: int) -> bytes:
    """Operator ``op_index`` of a wild model alone: its constants copied, every other input a
    model input (the weights the model computes at run time included), quantization kept."""
    from microinfer import load

    sg = load(path).main
    op = sg.operators[op_index]
    b = ModelBuilder()
    g = b.main
    inputs = []
    for i in op.inputs:
        t = sg.tensors[i]
        if i < 0:
            inputs.append(-1)
        elif t.data is not None:
            inputs.append(g.add_tensor(t.name, t.shape, t.type, data=t.data, quant=t.quantization))
        else:
            inputs.append(g.add_input(t.name, t.shape, t.type, quant=t.quantization))
    t = sg.tensors[op.outputs[0]]
    out = g.add_output(t.name, t.shape, t.type, quant=t.quantization)
    g.add_operator(op.op, inputs, [out], op.options, version=op.version)
    return b.build()


@pytest.mark.parametrize("name,op_index", [
    ("himax__kwt1_relu_mfcc_fvp_aligned_vela.tflite", 1),  # int8 FC, weights from the NPU
    ("himax__kwt1_relu_mfcc_fvp_aligned_vela.tflite", 3),
    ("xmos__model.tflite", None),  # its CONV_2D / DEPTHWISE_CONV_2D with run-time filters
    ("xmos__smoke_model.tflite", None),
])
def test_wild_layers_with_runtime_weights(reference_worker, name, op_index):
    """Layers of wild models whose weights an NPU or custom operator produces at run time (the
    models themselves need those custom operators): alone, with the weights as model inputs,
    both references run them and microinfer matches each bit for bit."""
    from microinfer import load

    path = shared_model_path(f"wild/{name}")
    sg = load(path).main
    indices = [op_index] if op_index is not None else [
        op.index for op in sg.operators if op.op in ("CONV_2D", "DEPTHWISE_CONV_2D")
        and not sg.tensors[op.inputs[1]].is_constant]
    assert indices
    for index in indices:
        model = _layer_alone(path, index)
        for seed in range(2):
            assert_bit_exact(reference_worker, model, random_inputs(model, np.random.default_rng(seed)))
