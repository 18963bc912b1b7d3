"""The C kernels behind the ops a generated library needs beyond convolutions: int8 element-wise
ops by table (LOGISTIC, TANH, RELU, RELU6, LEAKY_RELU, HARD_SWISH, DEQUANTIZE, CAST, QUANTIZE),
QUANTIZE of float32 and int16, SVDF (state updated in place), data movement (PAD, PADV2, CONCATENATION, PACK, STRIDED_SLICE, SLICE,
TRANSPOSE) and MEAN/SUM of int8/int16, SUB, MAXIMUM and MINIMUM, against the NumPy spec, bit for bit, for both references.

The models come from microinfer's own generators (``op_examples``: shapes, axes, masks, paddings,
scales and zero points at the edges of their ranges); nodes the C kernels do not take (float32
LOGISTIC, LiteRT's byte-wise SUM, ...) must still say why and give the spec's bits."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as st

from microinfer import Interpreter, UnsupportedOpError
from microinfer.testing.strategies import op_dtypes, op_examples

from .c_check import requires_c, unaligned

pytestmark = requires_c

TABLE_OPS = ("LOGISTIC", "TANH", "RELU", "RELU6", "LEAKY_RELU", "HARD_SWISH", "DEQUANTIZE", "CAST", "QUANTIZE")
DATA_OPS = ("PAD", "PADV2", "CONCATENATION", "PACK", "STRIDED_SLICE", "SLICE", "TRANSPOSE")
REDUCE_OPS = ("MEAN", "SUM")
BINARY_OPS = ("SUB", "MAXIMUM", "MINIMUM")


def must_run_in_c(model: bytes, reference: str) -> bool:
    """Whether the C kernels take every such node: data movement always; tables for int8 input;
    QUANTIZE from float32 to int8/int16; MEAN and (TFLite Micro's) SUM of int8/int16."""
    from microinfer.tflite import load

    sg = load(model).main
    op = sg.operators[0]
    x, y = sg.tensors[op.inputs[0]], sg.tensors[op.outputs[0]]
    kinds = (x.type.name, y.type.name)
    if op.op in DATA_OPS:
        rescaled = op.op == "CONCATENATION" and y.type.name == "UINT8" and any(
            _quantization_of(sg.tensors[i]) != _quantization_of(y) for i in op.inputs)
        return y.num_elements > 0 and not rescaled
    if op.op == "QUANTIZE" and kinds[0] in ("FLOAT32", "INT16"):
        per_channel = y.quantization is not None and len(y.quantization.scale) > 1
        return (kinds[1] in ("INT8", "INT16") and not per_channel) or (kinds[0] == "INT16" and kinds[1] == "INT32")
    if op.op in TABLE_OPS:
        return kinds[0] == "INT8" and y.type.numpy_dtype.itemsize <= 4
    if op.op in BINARY_OPS:
        from microinfer.kernels._elementwise import uses_pot_int16_path
        from microinfer.kernels.registry import Node

        if kinds[0] not in ("INT8", "INT16"):
            return False
        if op.op == "SUB":
            m = load(model)
            node = Node(op, tuple(sg.tensors[i] for i in op.inputs), (y,), m, reference)
            return not uses_pot_int16_path(node)
        return True
    if op.op == "MEAN":
        return kinds[0] in ("INT8", "INT16")
    return op.op == "SUM" and kinds[0] in ("INT8", "INT16") and reference == "tflm"


def _quantization_of(t) -> tuple:
    q = t.quantization
    return (float(q.scale[0]), int(q.zero_point[0])) if q is not None and len(q.scale) else (None, None)


def _pairs(ops) -> list[tuple[str, str]]:
    return [(o, d) for o, d in op_dtypes() if o in ops]


def _bits(x: np.ndarray) -> np.ndarray:
    x = np.ascontiguousarray(x)
    return x.view(np.uint8) if x.dtype == np.bool_ else x.view(f"u{x.dtype.itemsize}") if x.dtype.kind == "f" else x


def check(example, reference: str, misaligned: bool) -> None:
    try:
        spec = Interpreter(example.model, reference=reference)
    except UnsupportedOpError:
        assume(False)  # drawn for the other reference
    fast = Interpreter(example.model, backend="c", reference=reference)
    note(f"backends: {fast.op_backends}")
    if must_run_in_c(example.model, reference):
        assert fast.op_backends == ["c"], fast.op_backends
    inputs = [unaligned(x) if misaligned and x.ndim else x for x in example.inputs]
    expected = spec.run(example.inputs)
    got = fast.run(inputs)
    for g, e in zip(got, expected):
        assert g.dtype == e.dtype and g.shape == e.shape
        assert np.array_equal(_bits(g), _bits(e)), (g.reshape(-1)[:16], e.reshape(-1)[:16])


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@SETTINGS
@given(example=st.sampled_from(_pairs(TABLE_OPS)).flatmap(lambda p: op_examples(*p)),
       reference=st.sampled_from(["tflm", "tflite"]), misaligned=st.booleans())
def test_table_ops_match_spec(example, reference, misaligned):
    check(example, reference, misaligned)


@SETTINGS
@given(example=st.sampled_from(_pairs(DATA_OPS)).flatmap(lambda p: op_examples(*p)),
       reference=st.sampled_from(["tflm", "tflite"]), misaligned=st.booleans())
def test_data_movement_matches_spec(example, reference, misaligned):
    check(example, reference, misaligned)


@SETTINGS
@given(example=st.sampled_from(_pairs(REDUCE_OPS)).flatmap(lambda p: op_examples(*p)),
       reference=st.sampled_from(["tflm", "tflite"]), misaligned=st.booleans())
def test_mean_and_sum_match_spec(example, reference, misaligned):
    check(example, reference, misaligned)


@pytest.mark.parametrize("value", [0.0, -0.0, 0.5, -0.5, 1.5, -2.5, 8388607.5, 2.0**24, 3e9, -3e9, np.inf, -np.inf,
                                   np.nan, 1e-30])
def test_quantize_float_edge_values(value):
    """Ties, the 2**23 boundary, quotients outside int32, infinities and NaN, as the spec does."""
    from microinfer.tflite import ModelBuilder

    for scale, zero_point, dtype in ((1.0, 0, "int8"), (0.5, -3, "int16"), (3e-3, 100, "int8")):
        builder = ModelBuilder()
        g = builder.main
        x = g.add_input("x", (1, 4), "float32")
        y = g.add_output("y", (1, 4), dtype, scale=scale, zero_point=zero_point)
        g.add_operator("QUANTIZE", [x], [y])
        model = builder.build()
        values = np.array([[value, -value if not np.isnan(value) else value, value * 0.999, value / 3]], np.float32)
        spec = Interpreter(model).run([values])[0]
        fast = Interpreter(model, backend="c")
        assert fast.op_backends == ["c"]
        assert np.array_equal(fast.run([values])[0], spec)


@SETTINGS
@given(example=st.sampled_from(_pairs(BINARY_OPS)).flatmap(lambda p: op_examples(*p)),
       reference=st.sampled_from(["tflm", "tflite"]), misaligned=st.booleans())
def test_sub_maximum_minimum_match_spec(example, reference, misaligned):
    check(example, reference, misaligned)


@SETTINGS
@given(example=op_examples("SVDF", "int8"), reference=st.sampled_from(["tflm", "tflite"]),
       seed=st.integers(0, 2**16))
def test_svdf_state_matches_spec_over_invokes(example, reference, seed):
    """mi_svdf_s8 updates the state in place as the spec does: equal outputs run after run."""
    from microinfer.testing.op_models import random_inputs

    try:
        spec = Interpreter(example.model, reference=reference)
    except UnsupportedOpError:
        assume(False)
    fast = Interpreter(example.model, backend="c", reference=reference)
    assert fast.op_backends == ["c"], fast.op_backends
    rng = np.random.default_rng(seed)
    for run in range(4):
        inputs = example.inputs if run == 0 else random_inputs(example.model, rng)
        for g, e in zip(fast.run(inputs), spec.run(inputs)):
            assert np.array_equal(g, e), (run, g, e)
    fast.reset_variables()
    spec.reset_variables()
    for g, e in zip(fast.run(example.inputs), spec.run(example.inputs)):
        assert np.array_equal(g, e)
