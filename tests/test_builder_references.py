"""Builder-made single-op models (microinfer.testing) against both reference interpreters.

Every catalogue case must load in microinfer and run in TFLite Micro and in LiteRT (or in the
references the case names, the others refusing it) with the output shapes and types the builder
declared. Ops that only move or select values are also checked against NumPy. The two references
are never compared with each other: they legitimately differ by a rounding step on some ops.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

import microinfer
from microinfer.reference import LITERT, TFLM, ReferenceFailure
from microinfer.testing import (
    OP_CASES,
    build,
    model_with_metadata,
    multi_subgraph_model,
    random_inputs,
)
from microinfer.tflite.types import Padding

REFERENCES = (TFLM, LITERT)
REQUIRED_INT8_OPS = {
    "CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "TRANSPOSE_CONV", "AVERAGE_POOL_2D",
    "MAX_POOL_2D", "ADD", "SUB", "MUL", "MEAN", "SOFTMAX", "LOGISTIC", "TANH", "RELU", "RELU6",
    "LEAKY_RELU", "HARD_SWISH", "PRELU", "QUANTIZE", "DEQUANTIZE", "RESHAPE", "SQUEEZE",
    "EXPAND_DIMS", "CONCATENATION", "PAD", "PADV2", "STRIDED_SLICE", "TRANSPOSE", "SPLIT", "PACK",
    "UNPACK", "SVDF", "UNIDIRECTIONAL_SEQUENCE_LSTM",
}


def _inputs(name: str, model_bytes: bytes) -> list[np.ndarray]:
    return random_inputs(model_bytes, np.random.default_rng(zlib.crc32(name.encode())))


def _run_both(worker, model_bytes: bytes, inputs, references=REFERENCES) -> dict[str, list[np.ndarray]]:
    return {ref: worker.run(ref, model_bytes, inputs).outputs for ref in references}


def _assert_declared_outputs(ref: str, model: microinfer.Model, outputs: list[np.ndarray]):
    """``ref``'s outputs have the shapes and types of the main subgraph's output tensors."""
    declared = model.main.output_tensors()
    assert len(outputs) == len(declared), ref
    for tensor, out in zip(declared, outputs):
        assert out.shape == tensor.shape, f"{ref}: {tensor.name}"
        assert out.dtype == tensor.type.numpy_dtype, f"{ref}: {tensor.name}"


# -- the catalogue itself ------------------------------------------------------------------------
def test_catalogue_covers_the_required_ops():
    int8_ops = {c.op for c in OP_CASES if c.dtype == "int8"}
    assert REQUIRED_INT8_OPS <= int8_ops, REQUIRED_INT8_OPS - int8_ops
    for op in ("CONV_2D", "FULLY_CONNECTED", "ADD"):
        assert {c.dtype for c in OP_CASES if c.op == op} >= {"int8", "int16x8", "float32"}
    assert len({c.name for c in OP_CASES}) == len(OP_CASES)


# A resource variable needs its VAR_HANDLE, ASSIGN_VARIABLE and READ_VARIABLE together.
RESOURCE_OPS = {"VAR_HANDLE", "ASSIGN_VARIABLE", "READ_VARIABLE", "CALL_ONCE"}


@pytest.mark.parametrize("case", OP_CASES, ids=lambda c: c.name)
def test_case_is_one_deterministic_op(case):
    data = case.build()
    assert data == build(case.name)
    model = microinfer.load(data)
    ops = [op.op for op in model.main.operators]
    assert ops == [case.op] or (case.op in RESOURCE_OPS and case.op in ops and set(ops) <= RESOURCE_OPS)


@pytest.mark.parametrize("case", OP_CASES, ids=lambda c: c.name)
def test_references_run_case(case, reference_worker):
    data = case.build()
    model = microinfer.load(data)
    inputs = case.inputs(np.random.default_rng(zlib.crc32(case.name.encode())))
    for tensor, x in zip(model.main.input_tensors(), inputs):
        assert x.shape == tensor.shape and x.dtype == tensor.type.numpy_dtype
    for ref, outputs in _run_both(reference_worker, data, inputs, case.references).items():
        _assert_declared_outputs(ref, model, outputs)
    for ref in set(REFERENCES) - set(case.references):
        with pytest.raises(ReferenceFailure):
            reference_worker.run(ref, data, inputs)


# -- exact truth for ops that move or select values ------------------------------------------------
def _const(model, op, i: int) -> np.ndarray:
    return np.asarray(model.main.tensors[op.inputs[i]].data)


def _zero_point(tensor) -> int:
    return int(tensor.quantization.zero_point[0])


def _max_pool(model, op, xs):
    o = op.options
    assert o.padding is Padding.VALID
    window = (o.filter_height, o.filter_width)
    windows = np.lib.stride_tricks.sliding_window_view(xs[0], window, axis=(1, 2))
    return [windows[:, :: o.stride_h, :: o.stride_w].max(axis=(-2, -1))]


def _relu6(model, op, xs):
    x = model.main.tensors[op.inputs[0]]
    six = min(127, round(6.0 / float(x.quantization.scale[0])) + _zero_point(x))
    return [np.clip(xs[0], _zero_point(x), six)]


def _pad(model, op, xs):
    if len(op.inputs) > 2:  # PADV2: the constant value
        value = _const(model, op, 2).reshape(-1)[0]
    else:
        value = _zero_point(model.main.tensors[op.inputs[0]])
    return [np.pad(xs[0], _const(model, op, 1), constant_values=value)]


def _strided_slice(model, op, xs):
    begin, end, strides = (_const(model, op, i) for i in (1, 2, 3))
    o = op.options
    assert (o.ellipsis_mask, o.new_axis_mask, o.shrink_axis_mask) == (0, 0, 0)
    index = tuple(
        slice(None if o.begin_mask >> d & 1 else int(b), None if o.end_mask >> d & 1 else int(e), int(s))
        for d, (b, e, s) in enumerate(zip(begin, end, strides))
    )
    return [xs[0][index]]


def _reshaped(model, op, xs):
    return [xs[0].reshape(model.main.output_tensors()[0].shape)]


TRUTH = {
    "RESHAPE": _reshaped,
    "SQUEEZE": _reshaped,
    "EXPAND_DIMS": _reshaped,
    "TRANSPOSE": lambda model, op, xs: [np.transpose(xs[0], _const(model, op, 1))],
    "CONCATENATION": lambda model, op, xs: [np.concatenate(xs, axis=op.options.axis)],
    "RELU": lambda model, op, xs: [np.maximum(xs[0], _zero_point(model.main.input_tensors()[0]))],
    "RELU6": _relu6,
    "MAX_POOL_2D": _max_pool,
    "PAD": _pad,
    "PADV2": _pad,
    "STRIDED_SLICE": _strided_slice,
    "SPLIT": lambda model, op, xs: np.split(xs[0], op.options.num_splits, axis=int(_const(model, op, 0))),
    "PACK": lambda model, op, xs: [np.stack(xs, axis=op.options.axis)],
    "UNPACK": lambda model, op, xs: list(np.moveaxis(xs[0], op.options.axis, 0)),
}
EXACT_CASES = [c for c in OP_CASES if c.op in TRUTH and c.dtype == "int8"]


def _same_quantization(model, op) -> bool:
    tensors = [model.main.tensors[i] for i in (*op.inputs, *op.outputs) if i >= 0]
    quantized = [(float(t.quantization.scale[0]), _zero_point(t)) for t in tensors
                 if t.type.name == "INT8" and not t.is_constant]
    return len(set(quantized)) == 1


@pytest.mark.parametrize("case", EXACT_CASES, ids=lambda c: c.name)
def test_references_match_numpy_truth(case, reference_worker):
    data = case.build()
    model = microinfer.load(data)
    (op,) = model.main.operators
    assert _same_quantization(model, op), "the truth below assumes output quantization = input's"
    inputs = _inputs(case.name, data)
    expected = TRUTH[case.op](model, op, inputs)
    for ref, outputs in _run_both(reference_worker, data, inputs).items():
        assert len(outputs) == len(expected)
        for got, want in zip(outputs, expected):
            np.testing.assert_array_equal(got, want, err_msg=f"{ref} on {case.name}")


def test_exact_truth_covers_the_simple_ops():
    assert {"RESHAPE", "TRANSPOSE", "RELU", "MAX_POOL_2D", "CONCATENATION"} <= {c.op for c in EXACT_CASES}


def test_dequantize_is_affine(reference_worker):
    data = build("DEQUANTIZE/int8")
    model = microinfer.load(data)
    q = model.main.input_tensors()[0].quantization
    inputs = _inputs("DEQUANTIZE/int8", data)
    expected = (inputs[0].astype(np.float64) - q.zero_point[0]) * np.float64(q.scale[0])
    for ref, (out,) in _run_both(reference_worker, data, inputs).items():
        np.testing.assert_allclose(out, expected, rtol=1e-6, err_msg=ref)


# -- models beyond one op and one subgraph ---------------------------------------------------------
def test_multi_subgraph_model(reference_worker):
    data = multi_subgraph_model()
    model = microinfer.load(data)
    assert [sg.name for sg in model.subgraphs] == ["main", "second"]
    signatures = {(s.signature_key, s.subgraph_index) for s in model.signature_defs}
    assert signatures == {("main", 0), ("second", 1)}
    inputs = _inputs("multi_subgraph", data)
    for ref, outputs in _run_both(reference_worker, data, inputs).items():
        _assert_declared_outputs(ref, model, outputs)
        assert outputs[0].min() >= _zero_point(model.main.output_tensors()[0])  # RELU at the end


def test_model_with_metadata(reference_worker):
    data = model_with_metadata()
    model = microinfer.load(data)
    plan = model.offline_memory_allocation
    assert plan is not None and plan.subgraph_index == 0
    assert len(plan.offsets) == len(model.main.tensors)
    assert bytes(model.metadata["min_runtime_version"]).rstrip(b"\0") == b"1.5.0"
    (signature,) = model.signature_defs
    assert signature.signature_key == "serving_default"
    assert signature.inputs == {"a": 0, "b": 1} and signature.outputs == {"y": 3}
    inputs = _inputs("metadata", data)
    plain = _run_both(reference_worker, multi_subgraph_model(), inputs)  # same main subgraph
    for ref, outputs in _run_both(reference_worker, data, inputs).items():
        _assert_declared_outputs(ref, model, outputs)
        np.testing.assert_array_equal(outputs[0], plain[ref][0], err_msg=f"{ref}: offline plan")
