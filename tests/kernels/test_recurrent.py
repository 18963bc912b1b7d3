"""SVDF and UNIDIRECTIONAL_SEQUENCE_LSTM: bit-exact against both references, state included.

The references build a fresh interpreter per run, so multi-step behaviour is checked inside one
invoke: SVDF models chain several SVDF operators sharing ONE variable state tensor (each op is one
time step), LSTM models run whole sequences. The final variable states are compared too. A
separate test checks that the state persists across invoke() calls of one microinfer interpreter.

Both references reset int8 variable tensors to their zero point (not to 0); microinfer's
interpreter currently starts every variable at 0, so ``_run_microinfer`` starts int8 variables
at their zero point the way the references do (an interpreter change is requested).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import shared_model_path
from kernel_check import assert_bit_exact, random_inputs
from microinfer import UnsupportedOpError, load
from microinfer.interpreter import Interpreter
from microinfer.reference import ReferenceFailure
from microinfer.tflite import ModelBuilder
from microinfer.tflite.options import SVDFOptions, UnidirectionalSequenceLSTMOptions
from microinfer.tflite.types import ActivationFunction, TensorType

SETTINGS = settings(
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
REFS = ("tflm", "tflite")


# -- helpers ---------------------------------------------------------------------------------------

def _run_microinfer(model: bytes, ref: str, inputs):
    interpreter = Interpreter(model, reference=ref)
    for t in interpreter.subgraph.tensors:  # the references' reset value of int8 variables
        if t.is_variable and t.type is TensorType.INT8 and t.quantization is not None:
            interpreter._variables[t.index][...] = int(t.quantization.zero_point[0])
    outputs = interpreter.run(inputs)
    return interpreter, outputs

def _add_lstm(g, x, weights, biases, h, c, y, *, cell_clip=0.0, time_major=False, intermediates=()):
    """UNIDIRECTIONAL_SEQUENCE_LSTM in the schema's 24-input layout: no CIFG, peephole,
    projection or layer norm."""
    inputs = [x, *weights, -1, -1, -1, *biases, -1, -1, h, c, -1, -1, -1, -1]
    options = UnidirectionalSequenceLSTMOptions(
        fused_activation_function=ActivationFunction.TANH, cell_clip=cell_clip, proj_clip=0.0,
        time_major=time_major, asymmetric_quantize_inputs=False, diagonal_recurrent_tensors=False,
    )
    g.add_operator("UNIDIRECTIONAL_SEQUENCE_LSTM", inputs, [y], options, intermediates=intermediates)



def _check(worker, model: bytes, inputs, refs=REFS):
    """Outputs and final variable states equal the reference's (float32: within 1e-5)."""
    sg = load(model).main
    for ref in refs:
        expected = worker.run(ref, model, inputs, all_tensors=True)
        interpreter, got = _run_microinfer(model, ref, inputs)
        pairs = list(zip(got, expected.outputs))
        pairs += [
            (interpreter.get_tensor(t.index).reshape(-1), expected.tensors[t.index].reshape(-1))
            for t in sg.tensors if t.is_variable
        ]
        for i, (g, e) in enumerate(pairs):
            assert g.dtype == e.dtype and g.shape == e.shape, f"{ref}: tensor pair {i}"
            if g.dtype.kind == "f":
                np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-5, err_msg=f"{ref}: pair {i}")
            else:
                diff = np.flatnonzero(g.reshape(-1) != e.reshape(-1))
                assert diff.size == 0, (
                    f"{ref}: pair {i} differs in {diff.size} of {e.size}; first at {diff[0]}: "
                    f"microinfer {g.reshape(-1)[diff[0]]} vs reference {e.reshape(-1)[diff[0]]}"
                )


def _log_uniform(draw, lo, hi):
    return float(np.float32(np.exp(draw(st.floats(np.log(lo), np.log(hi))))))


# -- SVDF ------------------------------------------------------------------------------------------

def svdf_model(
    rng, *, batch, n_input, units, rank, memory, steps, kind="int8", state_type="int16",
    activation=ActivationFunction.RELU, scales=None, zero_points=(0, 0, 0), bias=True,
) -> bytes:
    """``steps`` SVDF operators in a row, all on the same variable state (one op per time step)."""
    filters = units * rank
    b = ModelBuilder()
    g = b.main
    options = SVDFOptions(rank=rank, fused_activation_function=activation, asymmetric_quantize_inputs=False)
    if kind == "float32":
        xs = [g.add_input(f"x{i}", (batch, n_input), "float32") for i in range(steps)]
        wf = g.add_constant("wf", rng.uniform(-1, 1, (filters, n_input)).astype(np.float32))
        wt = g.add_constant("wt", rng.uniform(-1, 1, (filters, memory)).astype(np.float32))
        bt = g.add_constant("b", rng.uniform(-1, 1, units).astype(np.float32)) if bias else -1
        state = g.add_tensor("state", (batch, memory * filters), "float32", is_variable=True)
        ys = [g.add_output(f"y{i}", (batch, units), "float32") for i in range(steps)]
        version = 1
    else:
        s_in, s_wf, s_state, s_wt, s_out = scales
        zp_in, zp_state, zp_out = zero_points
        time_dtype = np.int16 if state_type == "int16" else np.int8
        lim = np.iinfo(time_dtype).max
        xs = [g.add_input(f"x{i}", (batch, n_input), "int8", scale=s_in, zero_point=zp_in) for i in range(steps)]
        wf = g.add_constant("wf", rng.integers(-127, 128, (filters, n_input)).astype(np.int8), scale=s_wf)
        wt = g.add_constant("wt", rng.integers(-lim, lim + 1, (filters, memory)).astype(time_dtype), scale=s_wt)
        bias_scale = float(np.float32(np.float32(s_state) * np.float32(s_wt)))
        bt = g.add_constant("b", rng.integers(-(1 << 20), 1 << 20, units).astype(np.int32), scale=bias_scale) if bias else -1
        state = g.add_tensor("state", (batch, memory * filters), state_type, scale=s_state, zero_point=zp_state,
                             is_variable=True)
        ys = [g.add_output(f"y{i}", (batch, units), "int8", scale=s_out, zero_point=zp_out) for i in range(steps)]
        version = 3
    for x, y in zip(xs, ys):
        g.add_operator("SVDF", [x, wf, wt, bt, state], [y], options, version=version)
    return b.build()


@st.composite
def svdf_int8_cases(draw):
    state_type = draw(st.sampled_from(["int16", "int16", "int8"]))
    bias = draw(st.sampled_from([True, True, True, False]))
    # Effective scales chosen so values neither vanish nor always saturate, and extremes too.
    s_in = _log_uniform(draw, 1e-3, 1.0)
    s_wf = _log_uniform(draw, 1e-3, 0.1)
    s_state = _log_uniform(draw, 1e-4, 1.0)
    s_wt = _log_uniform(draw, 1e-5, 1e-2) if state_type == "int16" else _log_uniform(draw, 1e-3, 0.1)
    s_out = _log_uniform(draw, 1e-2, 30.0)
    zp_state = draw(st.integers(-128, 127)) if state_type == "int8" else draw(st.sampled_from([0, 0, 7, -300]))
    return dict(
        batch=draw(st.integers(1, 3)),
        n_input=draw(st.integers(1, 12)),
        units=draw(st.integers(1, 6)),
        rank=draw(st.integers(1, 3)),
        memory=draw(st.integers(1, 6)),
        steps=draw(st.integers(1, 4)),
        state_type=state_type,
        activation=draw(st.sampled_from([ActivationFunction.RELU, ActivationFunction.RELU, ActivationFunction.NONE])),
        scales=(s_in, s_wf, s_state, s_wt, s_out),
        zero_points=(draw(st.integers(-128, 127)), zp_state, draw(st.integers(-128, 127))),
        bias=bias,
        seed=draw(st.integers(0, 2**31)),
    )


def _svdf_refs(case) -> tuple[str, ...]:
    """LiteRT: only int16 state and RELU for int8 SVDF; TFLite Micro: a bias is required."""
    refs = REFS
    if case["state_type"] == "int8" or case["activation"] != ActivationFunction.RELU:
        refs = ("tflm",)
    if not case["bias"]:
        refs = tuple(r for r in refs if r != "tflm")
    return refs


@settings(SETTINGS, max_examples=300)
@given(case=svdf_int8_cases())
def test_svdf_int8(reference_worker, case):
    case = dict(case)
    rng = np.random.default_rng(case.pop("seed"))
    model = svdf_model(rng, **case)
    refs = _svdf_refs(case)
    if refs:
        _check(reference_worker, model, random_inputs(model, rng), refs)
    for ref in set(REFS) - set(refs):  # microinfer refuses what a reference cannot run
        with pytest.raises(UnsupportedOpError):
            Interpreter(model, reference=ref)


@settings(SETTINGS, max_examples=100)
@given(
    batch=st.integers(1, 3), n_input=st.integers(1, 10), units=st.integers(1, 5), rank=st.integers(1, 3),
    memory=st.integers(1, 5), steps=st.integers(1, 4), bias=st.booleans(),
    activation=st.sampled_from([ActivationFunction.NONE, ActivationFunction.RELU, ActivationFunction.RELU6,
                                ActivationFunction.RELU_N1_TO_1, ActivationFunction.TANH]),
    seed=st.integers(0, 2**31),
)
def test_svdf_float32(reference_worker, batch, n_input, units, rank, memory, steps, bias, activation, seed):
    rng = np.random.default_rng(seed)
    model = svdf_model(rng, batch=batch, n_input=n_input, units=units, rank=rank, memory=memory, steps=steps,
                       kind="float32", activation=activation, bias=bias)
    if bias:
        _check(reference_worker, model, random_inputs(model, rng))
    else:  # TFLite Micro's SVDF dereferences the bias: microinfer refuses, LiteRT runs it
        _check(reference_worker, model, random_inputs(model, rng), refs=("tflite",))
        with pytest.raises(UnsupportedOpError):
            Interpreter(model, reference="tflm")


def test_svdf_hand_worked():
    """One unit, rank 1, memory 2: out = q(relu-free) of w_t . [previous, new feature] + bias."""
    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", (1, 2), "int8", scale=0.5, zero_point=0)
    wf = g.add_constant("wf", np.array([[2, -1]], np.int8), scale=0.25)
    wt = g.add_constant("wt", np.array([[3, 4]], np.int16), scale=0.5)
    bias = g.add_constant("b", np.array([2], np.int32), scale=0.25)
    s = g.add_tensor("state", (1, 2), "int16", scale=0.5, zero_point=0, is_variable=True)
    y = g.add_output("y", (1, 1), "int8", scale=1.0, zero_point=-1)
    g.add_operator("SVDF", [x, wf, wt, bias, s], [y], SVDFOptions(rank=1, fused_activation_function=ActivationFunction.RELU), version=3)
    interpreter = Interpreter(b.build())
    # feature = (2*4 - 1*2) * 0.5*0.25/0.5 = 1.5 -> 2 (ties away from zero); state [0, 2]
    # out = (3*0 + 4*2 + 2) * 0.5*0.5/1 = 2.5 -> 3, minus 1 -> 2
    (out,) = interpreter.run([np.array([[4, 2]], np.int8)])
    assert out.tolist() == [[2]]
    assert interpreter.get_tensor(s).tolist() == [[0, 2]]
    # second step: feature = (2*(-2) - 1*0) * 0.25 = -1; state [2, -1]
    # out = (3*2 + 4*(-1) + 2) * 0.25 = 1, minus 1 -> 0: the previous step's feature is remembered
    (out,) = interpreter.run([np.array([[-2, 0]], np.int8)])
    assert out.tolist() == [[0]]
    assert interpreter.get_tensor(s).tolist() == [[2, -1]]
    interpreter.reset_variables()
    (out,) = interpreter.run([np.array([[-2, 0]], np.int8)])
    assert out.tolist() == [[-2]]  # (4*(-1) + 2) * 0.25 = -0.5 -> -1, minus 1


@pytest.mark.parametrize("ref", REFS)
def test_svdf_state_persists_across_invokes(reference_worker, ref):
    """k invokes of a one-op model on one interpreter == one invoke of k chained ops (reference)."""
    rng = np.random.default_rng(7)
    kwargs = dict(batch=2, n_input=6, units=3, rank=2, memory=4, scales=(0.05, 0.01, 0.004, 0.002, 0.3),
                  zero_points=(-3, 0, 5))
    single = svdf_model(np.random.default_rng(1), steps=1, **kwargs)
    chained = svdf_model(np.random.default_rng(1), steps=5, **kwargs)
    inputs = random_inputs(chained, rng)
    expected = reference_worker.run(ref, chained, inputs).outputs
    interpreter = Interpreter(single, reference=ref)
    for x, e in zip(inputs, expected):
        np.testing.assert_array_equal(interpreter.run([x])[0], e)


# -- UNIDIRECTIONAL_SEQUENCE_LSTM ------------------------------------------------------------------

def lstm_model(
    rng, *, batch, steps, n_input, n_cell, time_major, kind="int8", cell_clip=0.0, input_q=(0.05, 0),
    weight_scales=(0.01,) * 8, hidden_q=(1 / 128, 0), cell_power=-11, bias_range=1000,
) -> bytes:
    b = ModelBuilder()
    g = b.main
    in_shape = (steps, batch, n_input) if time_major else (batch, steps, n_input)
    out_shape = (*in_shape[:2], n_cell)
    if kind == "float32":
        x = g.add_input("x", in_shape, "float32")
        weights = [g.add_constant(f"w{i}", rng.uniform(-0.8, 0.8, (n_cell, n_input if i < 4 else n_cell)).astype(np.float32))
                   for i in range(8)]
        biases = [g.add_constant(f"b{i}", rng.uniform(-1, 1, n_cell).astype(np.float32)) for i in range(4)]
        h = g.add_tensor("h", (batch, n_cell), "float32", is_variable=True)
        c = g.add_tensor("c", (batch, n_cell), "float32", is_variable=True)
        y = g.add_output("y", out_shape, "float32")
        intermediates = ()
    else:
        x = g.add_input("x", in_shape, "int8", scale=input_q[0], zero_point=input_q[1])
        weights = [
            g.add_constant(f"w{i}", rng.integers(-127, 128, (n_cell, n_input if i < 4 else n_cell)).astype(np.int8),
                           scale=weight_scales[i])
            for i in range(8)
        ]
        biases = [
            g.add_constant(f"b{i}", rng.integers(-bias_range, bias_range + 1, n_cell).astype(np.int32),
                           scale=float(np.float32(input_q[0] * weight_scales[i])))
            for i in range(4)
        ]
        h = g.add_tensor("h", (batch, n_cell), "int8", scale=hidden_q[0], zero_point=hidden_q[1], is_variable=True)
        c = g.add_tensor("c", (batch, n_cell), "int16", scale=2.0**cell_power, zero_point=0, is_variable=True)
        y = g.add_output("y", out_shape, "int8", scale=hidden_q[0], zero_point=hidden_q[1])
        # LiteRT's integer LSTM reads the hidden state's quantization from the fifth intermediate.
        intermediates = [g.add_tensor(f"inter{i}", (0,), "float32") for i in range(4)]
        intermediates.append(g.add_tensor("hidden_inter", (0,), "int8", scale=hidden_q[0], zero_point=hidden_q[1]))
    _add_lstm(g, x, weights, biases, h, c, y, cell_clip=cell_clip, time_major=time_major,
              intermediates=intermediates)
    return b.build()


@st.composite
def lstm_int8_cases(draw):
    return dict(
        batch=draw(st.integers(1, 3)),
        steps=draw(st.integers(1, 6)),
        n_input=draw(st.integers(1, 10)),
        n_cell=draw(st.integers(1, 8)),
        time_major=draw(st.booleans()),
        cell_clip=draw(st.sampled_from([0.0, 0.0, 0.5, 3.0, 10.0, 1e6])),
        input_q=(_log_uniform(draw, 1e-3, 0.5), draw(st.integers(-128, 127))),
        weight_scales=tuple(_log_uniform(draw, 1e-4, draw(st.sampled_from([0.05, 0.05, 1.0]))) for _ in range(8)),
        hidden_q=(_log_uniform(draw, 1 / 512, 1 / 16), draw(st.sampled_from([0, 0, -128, 127, 13]))),
        cell_power=draw(st.integers(-15, -9)),
        bias_range=draw(st.sampled_from([0, 1000, 100000, 10**8])),
        seed=draw(st.integers(0, 2**31)),
    )


@settings(SETTINGS, max_examples=300)
@given(case=lstm_int8_cases())
def test_lstm_int8(reference_worker, case):
    case = dict(case)
    rng = np.random.default_rng(case.pop("seed"))
    model = lstm_model(rng, **case)
    _check(reference_worker, model, random_inputs(model, rng))


@settings(SETTINGS, max_examples=100)
@given(
    batch=st.integers(1, 3), steps=st.integers(1, 6), n_input=st.integers(1, 8), n_cell=st.integers(1, 8),
    time_major=st.booleans(), cell_clip=st.sampled_from([0.0, 0.3, 2.0]), seed=st.integers(0, 2**31),
)
def test_lstm_float32(reference_worker, batch, steps, n_input, n_cell, time_major, cell_clip, seed):
    rng = np.random.default_rng(seed)
    model = lstm_model(rng, batch=batch, steps=steps, n_input=n_input, n_cell=n_cell, time_major=time_major,
                       kind="float32", cell_clip=cell_clip)
    _check(reference_worker, model, random_inputs(model, rng))


def _shared_lstm_layer() -> bytes:
    """The LSTM operator of trained_lstm_int8.tflite alone, its tensors copied."""
    model = load(shared_model_path("trained_lstm_int8.tflite"))
    sg = model.main
    op = sg.operators[0]
    b = ModelBuilder()
    g = b.main
    index: dict[int, int] = {}

    def copy(i: int, as_input: bool = False) -> int:
        if i < 0:
            return -1
        if i not in index:
            t = sg.tensors[i]
            if as_input:
                index[i] = g.add_input(t.name, t.shape, t.type, quant=t.quantization)
            elif t.data is not None and not t.is_variable:
                index[i] = g.add_tensor(t.name, t.shape, t.type, data=t.data, quant=t.quantization)
            else:
                index[i] = g.add_tensor(t.name, t.shape, t.type, quant=t.quantization, is_variable=t.is_variable)
        return index[i]

    inputs = [copy(op.inputs[0], True)] + [copy(i) for i in op.inputs[1:]]
    intermediates = [copy(i) for i in op.intermediates]
    out = copy(op.outputs[0])
    g.outputs.append(out)
    g.add_operator(op.op, inputs, [out], op.options, version=op.version, intermediates=intermediates)
    return b.build()


def test_lstm_shared_model_layer(reference_worker):
    model = _shared_lstm_layer()
    rng = np.random.default_rng(3)
    for _ in range(5):
        inputs = random_inputs(model, rng)
        assert_bit_exact(reference_worker, model, inputs)
        _check(reference_worker, model, inputs)


def _shared_svdf_layers():
    model = load(shared_model_path("keyword_scrambled.tflite"))
    sg = model.main
    for op in sg.operators:
        if op.op != "SVDF":
            continue
        b = ModelBuilder()
        g = b.main
        x_t = sg.tensors[op.inputs[0]]
        x = g.add_input("x", x_t.shape, x_t.type, quant=x_t.quantization)
        ins = [x]
        for i in op.inputs[1:]:
            t = sg.tensors[i]
            if t.is_variable:
                ins.append(g.add_tensor(t.name, t.shape, t.type, quant=t.quantization, is_variable=True))
            else:
                ins.append(g.add_tensor(t.name, t.shape, t.type, data=t.data, quant=t.quantization))
        y_t = sg.tensors[op.outputs[0]]
        y = g.add_output("y", y_t.shape, y_t.type, quant=y_t.quantization)
        g.add_operator("SVDF", ins, [y], op.options, version=op.version)
        yield op.index, b.build()


def test_svdf_shared_model_layers(reference_worker):
    rng = np.random.default_rng(5)
    for _, model in _shared_svdf_layers():
        for _ in range(3):
            inputs = random_inputs(model, rng)
            assert_bit_exact(reference_worker, model, inputs)
            _check(reference_worker, model, inputs)


@pytest.mark.parametrize("ref", REFS)
def test_lstm_state_persists_across_invokes(reference_worker, ref):
    """Three invokes on one interpreter (one step each) == one invoke of the three-step sequence."""
    kwargs = dict(batch=2, n_input=5, n_cell=4, time_major=True, input_q=(0.02, 3),
                  weight_scales=(0.004, 0.006, 0.005, 0.007, 0.01, 0.008, 0.009, 0.003), hidden_q=(1 / 128, 0))
    one_step = lstm_model(np.random.default_rng(11), steps=1, **kwargs)
    three_steps = lstm_model(np.random.default_rng(11), steps=3, **kwargs)
    (x,) = random_inputs(three_steps, np.random.default_rng(2))
    expected = reference_worker.run(ref, three_steps, [x]).outputs[0]
    interpreter = Interpreter(one_step, reference=ref)
    got = np.concatenate([interpreter.run([x[t:t + 1]])[0] for t in range(3)])
    np.testing.assert_array_equal(got, expected)
    interpreter.reset_variables()
    np.testing.assert_array_equal(interpreter.run([x[:1]])[0], expected[:1])


def test_lstm_hand_worked_single_cell():
    """One cell, zero weights: every gate sees only its bias, so the arithmetic can be followed."""
    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", (1, 1, 1), "int8", scale=1.0, zero_point=0)
    w = [g.add_constant(f"w{i}", np.zeros((1, 1), np.int8), scale=1.0) for i in range(8)]
    # gate pre-activations in Q3.12 = bias * (1 * 1 / 2**-12) = 4096 * bias: i = 0, f = 0, g = 0, o = 0
    biases = [g.add_constant(f"b{i}", np.zeros(1, np.int32), scale=1.0) for i in range(4)]
    h = g.add_tensor("h", (1, 1), "int8", scale=1 / 128, zero_point=0, is_variable=True)
    c = g.add_tensor("c", (1, 1), "int16", scale=2.0**-11, zero_point=0, is_variable=True)
    y = g.add_output("y", (1, 1, 1), "int8", scale=1 / 128, zero_point=0)
    inter = [g.add_tensor(f"i{k}", (0,), "float32") for k in range(4)]
    inter.append(g.add_tensor("hi", (0,), "int8", scale=1 / 128, zero_point=0))
    _add_lstm(g, x, w, biases, h, c, y, intermediates=inter)
    for ref in REFS:
        interpreter = Interpreter(b.build(), reference=ref)
        # sigmoid(0) = 0.5 = 16384 in Q0.15, tanh(0) = 0: c = 0.5*0 + 0.5*0 = 0, h = 0.5 * tanh(0) = 0
        (out,) = interpreter.run([np.array([[[7]]], np.int8)])
        assert out.tolist() == [[[0]]]
        assert interpreter.get_tensor(c).tolist() == [[0]]


def test_lstm_unsupported_variants_refused():
    rng = np.random.default_rng(0)
    model = load(lstm_model(rng, batch=1, steps=2, n_input=3, n_cell=2, time_major=False, cell_power=-8))
    with pytest.raises(UnsupportedOpError, match="power of two"):
        Interpreter(model)


# -- UNIDIRECTIONAL_SEQUENCE_LSTM, int16 activations and int8 weights (TFLite Micro only) ----------

def lstm16x8_model(
    rng, *, batch, steps, n_input, n_cell, time_major, cell_clip=0.0, input_scale=2.0**-12,
    weight_scales=(0.01,) * 8, hidden_scale=2.0**-12, cell_power=-11, bias_range=1000, zero_points=(0, 0),
    bias_type=np.int64,
) -> bytes:
    """int16 input/hidden state/output, int8 weights, int64 biases, int16 cell state."""
    b = ModelBuilder()
    g = b.main
    in_shape = (steps, batch, n_input) if time_major else (batch, steps, n_input)
    out_shape = (*in_shape[:2], n_cell)
    x = g.add_input("x", in_shape, "int16", scale=input_scale, zero_point=zero_points[0])
    weights = [
        g.add_constant(f"w{i}", rng.integers(-127, 128, (n_cell, n_input if i < 4 else n_cell)).astype(np.int8),
                       scale=weight_scales[i])
        for i in range(8)
    ]
    biases = [
        g.add_constant(f"b{i}", rng.integers(-bias_range, bias_range + 1, n_cell).astype(bias_type),
                       scale=float(np.float32(input_scale * weight_scales[i])))
        for i in range(4)
    ]
    h = g.add_tensor("h", (batch, n_cell), "int16", scale=hidden_scale, zero_point=zero_points[1], is_variable=True)
    c = g.add_tensor("c", (batch, n_cell), "int16", scale=2.0**cell_power, zero_point=0, is_variable=True)
    y = g.add_output("y", out_shape, "int16", scale=hidden_scale, zero_point=zero_points[1])
    intermediates = [g.add_tensor(f"inter{i}", (0,), "float32") for i in range(4)]
    intermediates.append(g.add_tensor("hidden_inter", (0,), "int16", scale=hidden_scale, zero_point=0))
    _add_lstm(g, x, weights, biases, h, c, y, cell_clip=cell_clip, time_major=time_major,
              intermediates=intermediates)
    return b.build()


@st.composite
def lstm_int16x8_cases(draw):
    return dict(
        batch=draw(st.integers(1, 3)),
        steps=draw(st.integers(1, 6)),
        n_input=draw(st.integers(1, 10)),
        n_cell=draw(st.integers(1, 8)),
        time_major=draw(st.booleans()),
        cell_clip=draw(st.sampled_from([0.0, 0.0, 0.5, 3.0, 10.0, 1e6])),
        input_scale=_log_uniform(draw, 1e-6, draw(st.sampled_from([1e-3, 0.1]))),
        weight_scales=tuple(_log_uniform(draw, 1e-4, draw(st.sampled_from([0.05, 0.05, 1.0]))) for _ in range(8)),
        hidden_scale=_log_uniform(draw, 2.0**-15, 2.0**-8),
        cell_power=draw(st.integers(-15, -9)),
        bias_range=draw(st.sampled_from([0, 1000, 10**6, 10**9, 2**39])),
        seed=draw(st.integers(0, 2**31)),
    )


@settings(SETTINGS, max_examples=300)
@given(case=lstm_int16x8_cases())
def test_lstm_int16x8(reference_worker, case):
    """Bit-exact against TFLite Micro, outputs and final states; microinfer refuses it for LiteRT."""
    case = dict(case)
    rng = np.random.default_rng(case.pop("seed"))
    model = lstm16x8_model(rng, **case)
    _check(reference_worker, model, random_inputs(model, rng), refs=("tflm",))
    with pytest.raises(UnsupportedOpError, match="LiteRT"):
        Interpreter(model, reference="tflite")


def test_lstm_int16x8_litert_refuses(reference_worker):
    """LiteRT 2.3.0 has no 16x8 integer LSTM: it fails to prepare the model (so it is checked
    against TFLite Micro only), as microinfer's constraint says."""
    model = lstm16x8_model(np.random.default_rng(0), batch=1, steps=2, n_input=3, n_cell=2, time_major=False)
    inputs = random_inputs(model, np.random.default_rng(1))
    with pytest.raises(ReferenceFailure, match="UNIDIRECTIONAL_SEQUENCE_LSTM"):
        reference_worker.run("tflite", model, inputs)
    reference_worker.run("tflm", model, inputs)  # the model itself is well formed
    with pytest.raises(UnsupportedOpError, match="LiteRT"):
        Interpreter(model, reference="tflite")


def test_lstm_int16x8_state_persists_across_invokes(reference_worker):
    kwargs = dict(batch=2, n_input=5, n_cell=4, time_major=True, input_scale=1e-4,
                  weight_scales=(0.004, 0.006, 0.005, 0.007, 0.01, 0.008, 0.009, 0.003), hidden_scale=2.0**-13)
    one_step = lstm16x8_model(np.random.default_rng(11), steps=1, **kwargs)
    three_steps = lstm16x8_model(np.random.default_rng(11), steps=3, **kwargs)
    (x,) = random_inputs(three_steps, np.random.default_rng(2))
    expected = reference_worker.run("tflm", three_steps, [x]).outputs[0]
    interpreter = Interpreter(one_step, reference="tflm")
    got = np.concatenate([interpreter.run([x[t:t + 1]])[0] for t in range(3)])
    np.testing.assert_array_equal(got, expected)


def test_lstm_int16x8_hand_worked_zero_weights():
    """Zero weights and biases: every gate is sigmoid(0) = 0.5 or tanh(0) = 0, so c and h stay 0."""
    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", (1, 1, 1), "int16", scale=2.0**-12)
    w = [g.add_constant(f"w{i}", np.zeros((1, 1), np.int8), scale=0.5) for i in range(8)]
    biases = [g.add_constant(f"b{i}", np.zeros(1, np.int64), scale=2.0**-13) for i in range(4)]
    h = g.add_tensor("h", (1, 1), "int16", scale=2.0**-12, zero_point=0, is_variable=True)
    c = g.add_tensor("c", (1, 1), "int16", scale=2.0**-11, zero_point=0, is_variable=True)
    y = g.add_output("y", (1, 1, 1), "int16", scale=2.0**-12, zero_point=0)
    _add_lstm(g, x, w, biases, h, c, y)
    interpreter = Interpreter(b.build())
    (out,) = interpreter.run([np.array([[[12345]]], np.int16)])
    assert out.tolist() == [[[0]]]
    assert interpreter.get_tensor(c).tolist() == [[0]]


def test_lstm_int16x8_hand_worked_forget_gate_keeps_cell():
    """A single cell whose forget gate saturates at 1 (bias 8 in Q3.12 units -> sigmoid ~ 1) and
    whose input gate is ~0 (bias -8) keeps its cell state; the output gate ~1 gives h = tanh(c)."""
    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", (1, 2, 1), "int16", scale=2.0**-12)
    w = [g.add_constant(f"w{i}", np.zeros((1, 1), np.int8), scale=1.0) for i in range(8)]
    # bias scale 2**-12 * 1.0: a bias of 8 * 4096 is 8.0 before the sigmoid
    values = [-8 * 4096, 8 * 4096, 0, 8 * 4096]
    biases = [g.add_constant(f"b{i}", np.array([v], np.int64), scale=2.0**-12) for i, v in enumerate(values)]
    h = g.add_tensor("h", (1, 1), "int16", scale=2.0**-15, zero_point=0, is_variable=True)
    c = g.add_tensor("c", (1, 1), "int16", scale=2.0**-11, zero_point=0, is_variable=True)
    y = g.add_output("y", (1, 2, 1), "int16", scale=2.0**-15, zero_point=0)
    _add_lstm(g, x, w, biases, h, c, y)
    interpreter = Interpreter(b.build())
    interpreter._variables[c][...] = 2048  # c = 1.0 (scale 2**-11)
    (out,) = interpreter.run([np.zeros((1, 2, 1), np.int16)])
    # f = sigmoid(8) = 0.99966 -> c shrinks by at most a few units per step; i ~ 0.00034, g = 0
    c_after = int(interpreter.get_tensor(c)[0, 0])
    assert 2040 <= c_after <= 2048
    # h = o * tanh(c) ~ 0.99966 * tanh(1.0) = 0.7613 -> 0.7613 * 2**15 = 24946
    assert all(abs(int(v) - 24946) <= 30 for v in out.reshape(-1))


@pytest.mark.parametrize("variant", ["int32 bias", "input zero point", "hidden zero point", "large gate scale"])
def test_lstm_int16x8_unsupported_variants_refused(variant):
    kwargs = dict(batch=1, steps=2, n_input=3, n_cell=2, time_major=False)
    if variant == "int32 bias":  # TFLite Micro would read the int32 biases as int64
        kwargs["bias_type"] = np.int32
        match = "int64 biases"
    elif variant == "input zero point":
        kwargs["zero_points"] = (3, 0)
        match = "zero point 0"
    elif variant == "hidden zero point":
        kwargs["zero_points"] = (0, -5)
        match = "zero point 0"
    else:
        kwargs.update(input_scale=1.0, weight_scales=(8.0,) * 8)
        match = "below 2\\*\\*14"
    model = lstm16x8_model(np.random.default_rng(0), **kwargs)
    with pytest.raises(UnsupportedOpError, match=match):
        Interpreter(model, reference="tflm")


# -- float32 UNIDIRECTIONAL_SEQUENCE_LSTM with LiteRT's variants ----------------------------------------

from microinfer.testing.families import recurrent as recurrent_strategies  # noqa: E402


@settings(SETTINGS, max_examples=30)
@given(params=recurrent_strategies.lstm_params(hybrid=False), seed=st.integers(0, 2**31))
def test_lstm_float32_variants(reference_worker, params, seed):
    """CIFG, peephole, projection (with or without bias, clipped), layer norm, other cell
    activations: LiteRT runs them all, TFLite Micro only the standard tanh LSTM (it fails to
    allocate the others, and microinfer refuses them)."""
    rng = np.random.default_rng(seed)
    model = recurrent_strategies.lstm_model(rng, **params)
    inputs = random_inputs(model, rng)
    standard = not any(params[k] for k in ("cifg", "peephole", "projection", "layer_norm"))
    if standard and params["activation"] == ActivationFunction.TANH:
        _check(reference_worker, model, inputs)
        return
    _check(reference_worker, model, inputs, refs=("tflite",))
    with pytest.raises(UnsupportedOpError):
        Interpreter(model, reference="tflm")
    if not standard:
        with pytest.raises(ReferenceFailure):
            reference_worker.run("tflm", model, inputs)


def test_lstm_activation_none_refused():
    """LiteRT leaves the output of a NONE activation unwritten (stale buffer contents)."""
    model = recurrent_strategies.lstm_model(np.random.default_rng(0), batch=1, steps=2, n_input=3, n_cell=2,
                                            n_output=2, activation=ActivationFunction.NONE)
    for ref in REFS:
        with pytest.raises(UnsupportedOpError, match="NONE"):
            Interpreter(model, reference=ref)


def test_svdf_int8_time_weights_refused_for_litert(reference_worker):
    """int8 input with int8 time weights and state: TFLite Micro runs it (see test_svdf_int8);
    LiteRT reads the time weights and the state as int16, past the ends of both tensors, so its
    result is undefined and microinfer refuses the model there, saying why."""
    rng = np.random.default_rng(0)
    model = svdf_model(rng, batch=1, n_input=4, units=2, rank=1, memory=3, steps=1, state_type="int8",
                       scales=(0.1, 0.05, 0.02, 0.01, 0.05), zero_points=(0, 0, 0))
    with pytest.raises(UnsupportedOpError, match="LiteRT reads as int16 past their ends"):
        Interpreter(model, reference="tflite")
    Interpreter(model, reference="tflm").run(random_inputs(model, rng))
