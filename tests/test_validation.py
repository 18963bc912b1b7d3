"""Every model that loads is validated before anything runs it: one class of malformed model per
test, each refused with microinfer's own error naming what is wrong (issue 17)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import numpy as np
import pytest

from microinfer import Interpreter, ModelError, UnsupportedOpError, c_backend, load, plan
from microinfer.testing import build, random_inputs
from microinfer.tflite import ModelBuilder
from microinfer.tflite.model import Quantization
from microinfer.tflite.options import AddOptions, Conv2DOptions, DepthwiseConv2DOptions
from microinfer.tflite.types import Padding
from microinfer.tflite.writer import serialize


def _replace_operator(data: bytes, **changes) -> bytes:
    model = load(data)
    sg = model.main
    ops = list(sg.operators)
    ops[0] = dataclasses.replace(ops[0], **changes)
    return serialize(dataclasses.replace(model, subgraphs=(dataclasses.replace(sg, operators=tuple(ops)),)))


def _replace_tensor(data: bytes, index: int, **changes) -> bytes:
    model = load(data)
    sg = model.main
    tensors = list(sg.tensors)
    tensors[index] = dataclasses.replace(tensors[index], **changes)
    return serialize(dataclasses.replace(model, subgraphs=(dataclasses.replace(sg, tensors=tuple(tensors)),)))


def _replace_subgraph(data: bytes, **changes) -> bytes:
    model = load(data)
    return serialize(dataclasses.replace(model, subgraphs=(dataclasses.replace(model.main, **changes),)))


def _refused(data: bytes, error, *fragments: str) -> str:
    with pytest.raises(error) as info:
        Interpreter(data)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    return message


# -- arity and omitted inputs ------------------------------------------------------------------------
def test_missing_input_is_named_not_a_traceback():
    add = build("ADD/int8")
    one_input = _replace_operator(add, inputs=load(add).main.operators[0].inputs[:1])
    _refused(one_input, UnsupportedOpError, "operator 0 ADD", "takes 2 inputs, the model gives 1")


def test_omitted_required_input_is_named():
    add = build("ADD/int8")
    a, _ = load(add).main.operators[0].inputs
    _refused(_replace_operator(add, inputs=(a, -1)), UnsupportedOpError, "input 1 is omitted (-1) but required")


def test_planning_a_node_tflite_micro_cannot_prepare_is_a_model_error():
    add = build("ADD/int8")
    with pytest.raises(ModelError, match=r"operators\[0\] \(ADD\) takes 2 inputs, the model gives 3"):
        plan(load(_replace_operator(add, inputs=(*load(add).main.operators[0].inputs, 0))))


# -- quantization ------------------------------------------------------------------------------------
@pytest.mark.parametrize("scale", [0.0, -0.0, float("nan"), float("inf"), -0.5])
def test_bad_output_scales_are_refused(scale):
    conv = build("CONV_2D/int8/per_tensor")
    out = load(conv).main.outputs[0]
    bad = _replace_tensor(conv, out, quantization=Quantization(np.array([scale], "<f4"), np.array([2], "<i8")))
    _refused(bad, (UnsupportedOpError, ModelError), "scale")


@pytest.mark.parametrize("scale", [float("nan"), float("inf")])
def test_weights_with_a_non_finite_scale_are_refused(scale):
    """The references cast scale products to int32 multipliers; C leaves inf and NaN undefined."""
    conv = build("CONV_2D/int8/per_channel")
    filt = load(conv).main.operators[0].inputs[1]
    q = load(conv).main.tensors[filt].quantization
    scales = np.array(q.scale, "<f4")
    scales[0] = scale
    bad = _replace_tensor(conv, filt, quantization=dataclasses.replace(q, scale=scales))
    _refused(bad, ModelError, f"tensor {filt}", "quantized weights need finite scales")


@pytest.mark.parametrize("case", ["CONV_2D/int8/per_channel", "DEPTHWISE_CONV_2D/int8/multiplier2",
                                  "TRANSPOSE_CONV/int8"])
def test_weights_with_zero_scale_channels_run_as_the_references_do(case, reference_worker):
    """Real models have all-zero channels quantized with scale 0; both references run them."""
    conv = build(case)
    filt = load(conv).main.operators[0].inputs[1]
    q = load(conv).main.tensors[filt].quantization
    scales = np.array(q.scale, "<f4")
    scales[0] = 0.0
    model = _replace_tensor(conv, filt, quantization=dataclasses.replace(q, scale=scales))
    x = random_inputs(load(model), np.random.default_rng(1))
    for ref in ("tflm", "tflite"):
        expected = reference_worker.run_many(ref, model, [x])[0].outputs
        for backend in ("numpy", "c"):
            got = Interpreter(model, reference=ref, backend=backend).run(x)
            np.testing.assert_array_equal(got[0], np.asarray(expected[0]).reshape(got[0].shape))


def test_zero_point_outside_the_type_is_refused():
    """TFLite Micro saturates an int8 output zero point of 128; the C kernels wrapped it."""
    conv = build("CONV_2D/int8/per_tensor")
    out = load(conv).main.outputs[0]
    scale = load(conv).main.tensors[out].quantization.scale
    bad = _replace_tensor(conv, out, quantization=Quantization(scale, np.array([128], "<i8")))
    _refused(bad, ModelError, f"tensor {out}", "zero point 128, outside int8's range [-128, 127]")


def test_weights_with_a_zero_point_outside_their_type_are_refused():
    """A per-channel int8 filter whose first channel claims zero point 128 (a mutant TFLite Micro
    read as an offset of -128 on every channel)."""
    fc = build("FULLY_CONNECTED/int8/per_channel")
    weights = load(fc).main.operators[0].inputs[1]
    q = load(fc).main.tensors[weights].quantization
    zero_points = np.zeros(len(q.scale), "<i8")
    zero_points[0] = 128
    bad = _replace_tensor(fc, weights, quantization=dataclasses.replace(q, zero_point=zero_points))
    _refused(bad, ModelError, f"tensor {weights}", "zero point 128, outside int8's range [-128, 127]")


# -- shapes ------------------------------------------------------------------------------------------
def test_tensors_beyond_six_dimensions_are_refused_for_tflite_micro():
    """TFLite Micro's RuntimeShape has room for six dimensions: an 8-D bias (of the right size)
    overruns it, so its result is undefined. LiteRT's shapes grow as needed."""
    fc = build("FULLY_CONNECTED/int8/per_tensor")
    bias = load(fc).main.operators[0].inputs[2]
    bad = _replace_tensor(fc, bias, shape=(1, 1, 1, 1, 1, 1, 1, load(fc).main.tensors[bias].shape[0]))
    _refused(bad, ModelError, f"tensor {bias}", "has 8 dimensions", "at most 6")
    Interpreter(bad, reference="tflite")


def test_a_constraint_presuming_an_earlier_one_is_not_an_internal_error():
    """Constraints read in order may presume the ones before: once one refuses, a later one that
    fails on what it presumed adds nothing (the campaigns count an internal error as a bug)."""
    q = build("QUANTIZE/int32/to_int16")
    output = load(q).main.operators[0].outputs[0]
    bad = _replace_tensor(q, output, quantization=None)
    message = _refused(bad, UnsupportedOpError, "carries quantization parameters")
    assert "internal error" not in message


def test_declared_output_shape_that_the_operator_does_not_produce_is_refused():
    conv = build("CONV_2D/int8/per_tensor")
    out = load(conv).main.outputs[0]
    _refused(_replace_tensor(conv, out, shape=(1, 7, 6, 4)), UnsupportedOpError, "operator 0 CONV_2D", "output shape")


def _relu(shape) -> bytes:
    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", shape, "int8", scale=0.1, zero_point=0)
    y = g.add_output("y", shape, "int8", scale=0.1, zero_point=0)
    g.add_operator("RELU", [x], [y], version=2)
    return b.build()


def test_unknown_dimensions_are_refused():
    _refused(_relu((-1, 4)), ModelError, "has shape [-1, 4]", "needs every dimension known")


# -- wiring ------------------------------------------------------------------------------------------
def test_reading_a_tensor_nothing_writes_is_refused():
    add = build("ADD/int8")
    model = load(add)
    a, b = model.main.inputs
    _refused(_replace_subgraph(add, inputs=(a,)), ModelError, "reads tensor", "which no earlier operator writes")


def test_an_output_nothing_writes_is_refused():
    """A model output that no operator writes: TFLite Micro hands back arena garbage."""
    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", (4,), "int8", scale=0.1, zero_point=0)
    y = g.add_output("y", (4,), "int8", scale=0.1, zero_point=0)
    lost = g.add_output("lost", (4,), "int8", scale=0.1, zero_point=0)
    g.add_operator("RELU", [x], [y])
    _refused(b.build(), ModelError, f"output {lost} 'lost' is written by no operator")


def test_a_tensor_written_twice_is_refused():
    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", (4,), "int8", scale=0.1, zero_point=0)
    y = g.add_output("y", (4,), "int8", scale=0.1, zero_point=0)
    g.add_operator("RELU", [x], [y])
    g.add_operator("RELU", [x], [y])
    _refused(b.build(), ModelError, "writes tensor", "which operator 0 already wrote")


def test_a_constant_model_input_is_refused():
    add = build("ADD/int8")
    model = load(add)
    weights = next(t.index for t in load(build("CONV_2D/int8/per_tensor")).main.tensors if t.is_constant)
    del weights
    const = _replace_subgraph(build("CONV_2D/int8/per_tensor"),
                              inputs=(*load(build("CONV_2D/int8/per_tensor")).main.inputs, 1))
    _refused(const, ModelError, "is a constant tensor")
    del model


def test_constant_marked_variable_is_refused():
    conv = build("CONV_2D/int8/per_tensor")
    weights = load(conv).main.operators[0].inputs[1]
    _refused(_replace_tensor(conv, weights, is_variable=True), ModelError, "is constant and marked variable")


# -- memory ------------------------------------------------------------------------------------------
def test_absurd_tensor_sizes_are_refused_before_any_allocation():
    """1.5 GiB tensors: the loader takes them (a flatbuffer addresses 2 GiB), the interpreter
    refuses them before allocating anything."""
    _refused(_relu((1, 1536, 1024, 1024)), ModelError, "would take 1,610,612,736 bytes, more than the")


# -- the C backend never sees a node whose index arithmetic overflows --------------------------------
@pytest.mark.skipif(not c_backend.available(), reason=f"C kernel library: {c_backend.unavailable_reason()}")
@pytest.mark.parametrize("op", ["CONV_2D", "DEPTHWISE_CONV_2D"])
def test_a_huge_dilation_falls_back_to_numpy_instead_of_crashing(tmp_path, op):
    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", (1, 5, 5, 2), "int8", scale=0.05, zero_point=-3)
    if op == "CONV_2D":
        w = g.add_constant("w", np.ones((3, 3, 3, 2), np.int8), scale=[0.01] * 3, zero_point=0)
        options = Conv2DOptions(Padding.VALID, 1, 1, dilation_w_factor=2**31 - 1, dilation_h_factor=1)
        cout, out_w = 3, None
    else:
        w = g.add_constant("w", np.ones((1, 3, 3, 4), np.int8), scale=[0.01] * 4, zero_point=0, axis=3)
        options = DepthwiseConv2DOptions(Padding.SAME, 1, 1, 2, dilation_w_factor=2**31 - 1,
                                         dilation_h_factor=2**31 - 1)
        cout, out_w = 4, 5
    bias = g.add_constant("b", np.zeros(cout, np.int32), scale=[5e-4] * cout, zero_point=0)
    shape = (1, 5, 5, cout) if out_w else (1, 3, 1, cout)
    y = g.add_output("y", shape, "int8", scale=0.1, zero_point=2)
    g.add_operator(op, [x, w, bias], [y], options, version=3)
    path = tmp_path / "dilated.tflite"
    path.write_bytes(b.build())
    # in a child process: a crash must fail this test, not the test session
    code = ("import numpy as np\nfrom microinfer import Interpreter\nfrom microinfer.errors import MicroinferError\n"
            f"try:\n    it = Interpreter({str(path)!r}, backend='c')\n"
            "except MicroinferError as exc:\n    print('refused:', exc)\n    raise SystemExit(0)\n"
            "print(it.op_backends)\nit.run([np.ones((1, 5, 5, 2), np.int8)])\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "refused:" in done.stdout or "int32 arithmetic" in done.stdout


def test_add_options_default_when_another_table_is_given():
    """TFLite Micro parses a wrong options table as absent: the defaults apply, with a warning."""
    add = build("ADD/int8")
    from microinfer.tflite.options import MulOptions
    mixed = _replace_operator(add, options=MulOptions())
    model = load(mixed)
    assert model.main.operators[0].options == AddOptions()
    assert any("carries MulOptions, expected AddOptions" in str(w) for w in model.warnings)


# -- found by the campaign past the loader (benchmarks/fuzz_models.py, seed 8) ------------------------

def test_runtime_weights_without_a_bias_run_as_tflite_micro(reference_worker):
    """A FULLY_CONNECTED with weights fed at run time and no bias listed at all (two inputs)."""
    fc = build("FULLY_CONNECTED/int8/runtime_weights")
    op = load(fc).main.operators[0]
    two_inputs = _replace_operator(fc, inputs=op.inputs[:2])
    model = load(two_inputs)
    inputs = random_inputs(model, np.random.default_rng(3))
    expected = reference_worker.run("tflm", two_inputs, inputs).outputs
    got = Interpreter(two_inputs).run(inputs)
    assert all(np.array_equal(g, np.asarray(e).reshape(g.shape)) for g, e in zip(got, expected))


def test_a_cell_clip_that_quantizes_to_zero_clips_as_each_reference_does(reference_worker):
    """cell_clip 1e-30 is positive but quantizes to 0: TFLite Micro still clips (every cell state
    becomes 0), LiteRT clips only for a positive quantized clip."""
    lstm = build("UNIDIRECTIONAL_SEQUENCE_LSTM/int8")
    options = dataclasses.replace(load(lstm).main.operators[0].options, cell_clip=1e-30)
    model_bytes = _replace_operator(lstm, options=options)
    inputs = random_inputs(load(model_bytes), np.random.default_rng(5))
    for ref in ("tflm", "tflite"):
        expected = reference_worker.run(ref, model_bytes, inputs).outputs
        got = Interpreter(model_bytes, reference=ref).run(inputs)
        assert all(np.array_equal(g, np.asarray(e).reshape(g.shape)) for g, e in zip(got, expected)), ref


def test_int8_fully_connected_beyond_tflite_micros_shift_is_refused_there():
    """An output scale of 1e-38 makes the rescale factor ~2**100: TFLite Micro would shift an
    int32 left by that exponent; LiteRT rescales in double and runs it."""
    fc = build("FULLY_CONNECTED/int8/per_channel")
    out = load(fc).main.operators[0].outputs[0]
    q = load(fc).main.tensors[out].quantization
    tiny = _replace_tensor(fc, out, quantization=dataclasses.replace(q, scale=np.array([1e-38], np.float32)))
    _refused(tiny, UnsupportedOpError, "below 2**30 for every unit")
    Interpreter(tiny, reference="tflite")


def test_best_plan_of_a_depthwise_with_a_3d_filter_is_no_traceback():
    """A malformed depthwise filter gets no in-place plan (the planner needs no kernel to accept
    it): a shape-preserving depthwise after a RELU, its filter 3-D."""
    builder = ModelBuilder()
    g = builder.main
    x = g.add_input("x", (1, 4, 4, 2), "int8", scale=0.1, zero_point=0)
    relu = g.add_tensor("relu", (1, 4, 4, 2), "int8", scale=0.1, zero_point=0)
    w = g.add_constant("w", np.ones((3, 3, 2), np.int8), scale=0.1, zero_point=0)
    b = g.add_constant("b", np.zeros(2, np.int32))
    y = g.add_tensor("y", (1, 4, 4, 2), "int8", scale=0.1, zero_point=0)
    g.add_operator("RELU", [x], [relu])
    g.add_operator("DEPTHWISE_CONV_2D", [relu, w, b], [y],
                   DepthwiseConv2DOptions(padding=Padding.SAME, stride_w=1, stride_h=1, depth_multiplier=1))
    g.outputs.append(y)
    arena = plan(load(builder.build()), planner="best")
    assert arena.total_bytes > 0


def test_quantized_div_ties_round_as_each_reference_does(reference_worker):
    """Scales 0.1 / (0.08 * 0.05) make many quotients exact ties: TFLite Micro's rescale factor
    (computed in double) lands a hair above 25 and rounds them away from zero; LiteRT's float32 one
    is exactly 25 (found by the campaign past the loader: a mutant's DIV)."""
    builder = ModelBuilder()
    g = builder.main
    a = g.add_input("a", (1, 256), "int8", scale=0.1, zero_point=0)
    b = g.add_input("b", (1, 256), "int8", scale=0.08, zero_point=6)
    y = g.add_output("y", (1, 256), "int8", scale=0.05, zero_point=-3)
    g.add_operator("DIV", [a, b], [y])
    model_bytes = builder.build()
    dividends = np.arange(-128, 128, dtype=np.int8).reshape(1, 256)
    for divisor in (-128, -42, 8, 54):
        inputs = [dividends, np.full((1, 256), divisor, np.int8)]
        for ref in ("tflm", "tflite"):
            expected = np.asarray(reference_worker.run(ref, model_bytes, inputs).outputs[0])
            got = Interpreter(model_bytes, reference=ref).run(inputs)[0]
            assert np.array_equal(got, expected.reshape(got.shape)), (ref, divisor)


def test_float_fully_connected_with_a_column_shaped_bias_runs_as_tflite_micro(reference_worker):
    """A bias of shape (units, 1) holds one value per unit; the references read it flat (seed 9)."""
    from microinfer.tflite.options import FullyConnectedOptions

    builder = ModelBuilder()
    g = builder.main
    x = g.add_input("x", (1, 8), "float32")
    w = g.add_constant("w", np.linspace(-1, 1, 32, dtype=np.float32).reshape(4, 8))
    b = g.add_constant("b", np.array([[0.5], [-0.25], [1.0], [2.0]], np.float32))
    y = g.add_output("y", (1, 4), "float32")
    g.add_operator("FULLY_CONNECTED", [x, w, b], [y], FullyConnectedOptions(), version=1)
    model_bytes = builder.build()
    inputs = random_inputs(load(model_bytes), np.random.default_rng(1))
    expected = np.asarray(reference_worker.run("tflm", model_bytes, inputs).outputs[0])
    got = Interpreter(model_bytes).run(inputs)[0]
    assert np.array_equal(got, expected.reshape(got.shape))


# -- found by the 100,000-mutant campaign, seed 11 --------------------------------------------------
def test_per_channel_fully_connected_weights_ignore_their_zero_points_as_the_references_do(reference_worker):
    """Both references' per-channel FULLY_CONNECTED kernels take no weight offset: a zero point of
    -128 on one channel changes nothing (per-tensor weights honour theirs)."""
    fc = build("FULLY_CONNECTED/int8/per_channel")
    w = load(fc).main.operators[0].inputs[1]
    q = load(fc).main.tensors[w].quantization
    zero_points = np.zeros(len(q.scale), np.int64)
    zero_points[0] = -128
    skewed = _replace_tensor(fc, w, quantization=dataclasses.replace(q, zero_point=zero_points))
    inputs = random_inputs(load(skewed), np.random.default_rng(7))
    for ref in ("tflm", "tflite"):
        expected = np.asarray(reference_worker.run(ref, skewed, inputs).outputs[0])
        for backend in ("numpy", "c") if c_backend.available() else ("numpy",):
            got = Interpreter(skewed, reference=ref, backend=backend).run(inputs)[0]
            assert np.array_equal(got, expected.reshape(got.shape)), (ref, backend)


def test_int8_lstm_gate_scales_beyond_the_shift_range_are_refused():
    """A weight scale of 3.4e38 makes a gate's rescale factor about 1e40 (inf in LiteRT's float32)."""
    lstm = build("UNIDIRECTIONAL_SEQUENCE_LSTM/int8")
    w = load(lstm).main.operators[0].inputs[6]
    q = load(lstm).main.tensors[w].quantization
    huge = _replace_tensor(lstm, w, quantization=dataclasses.replace(q, scale=np.array([3.4e38], np.float32)))
    for ref in ("tflm", "tflite"):
        with pytest.raises(UnsupportedOpError, match="every gate rescale factor"):
            Interpreter(huge, reference=ref)


def test_a_variable_tensor_listed_as_a_model_input_is_refused():
    svdf = build("SVDF/int8")
    state = next(t.index for t in load(svdf).main.tensors if t.is_variable)
    _refused(_replace_subgraph(svdf, inputs=(*load(svdf).main.inputs, state)), ModelError, "is a variable tensor")


def _one_relu() -> tuple[bytes, int]:
    """A (1, 3) int8 RELU model and its output tensor's index."""
    builder = ModelBuilder()
    g = builder.main
    x = g.add_input("x", (1, 3), "int8", scale=0.5, zero_point=0)
    y = g.add_output("y", (1, 3), "int8", scale=0.5, zero_point=0)
    g.add_operator("RELU", [x], [y])
    model = builder.build()
    return model, load(model).main.outputs[0]


def test_an_int4_model_output_is_refused():
    """INT4 stays packed in the references: a model output of that type is no values."""
    from microinfer.tflite.types import TensorType

    model, out = _one_relu()
    _refused(_replace_tensor(model, out, type=TensorType.INT4), ModelError, "is INT4")


def test_best_plan_of_a_tensor_written_twice_is_no_traceback():
    """plan reports on models microinfer refuses to run; a SOFTMAX rewriting a depthwise output
    sent the in-place depthwise planner to the SOFTMAX."""
    builder = ModelBuilder()
    g = builder.main
    x = g.add_input("x", (1, 4, 4, 2), "int8", scale=0.1, zero_point=0)
    relu = g.add_tensor("relu", (1, 4, 4, 2), "int8", scale=0.1, zero_point=0)
    w = g.add_constant("w", np.ones((1, 3, 3, 2), np.int8), scale=0.1, zero_point=0)
    b = g.add_constant("b", np.zeros(2, np.int32))
    y = g.add_tensor("y", (1, 4, 4, 2), "int8", scale=0.1, zero_point=0)
    z = g.add_tensor("z", (1, 4, 4, 2), "int8", scale=0.1, zero_point=0)
    g.add_operator("RELU", [x], [relu])
    g.add_operator("DEPTHWISE_CONV_2D", [relu, w, b], [y],
                   DepthwiseConv2DOptions(padding=Padding.SAME, stride_w=1, stride_h=1, depth_multiplier=1))
    g.add_operator("RELU", [y], [z])
    g.add_operator("RELU", [z], [y])  # writes y again
    g.outputs.append(z)
    arena = plan(load(builder.build()), planner="best")
    assert arena.total_bytes > 0


def test_int8_lstm_with_a_denormal_hidden_state_scale_is_refused():
    """A hidden-state scale of 1.4e-45 makes its rescale factor about 1e36 (campaign seed 12)."""
    lstm = build("UNIDIRECTIONAL_SEQUENCE_LSTM/int8")
    state = next(t.index for t in load(lstm).main.tensors if t.is_variable and t.type.name == "INT8")
    q = load(lstm).main.tensors[state].quantization
    tiny = _replace_tensor(lstm, state, quantization=dataclasses.replace(q, scale=np.array([1.4e-45], np.float32)))
    with pytest.raises(UnsupportedOpError, match="the hidden state's"):
        Interpreter(tiny)
