"""microinfer.testing.strategies: what users write property tests with."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from microinfer import UnsupportedOpError
from microinfer.interpreter import Interpreter
from microinfer.testing import OP_CASES
from microinfer.testing.strategies import ALL_DTYPES, DTYPES, op_dtypes, op_examples, small_graphs
from microinfer.tflite import load

SETTINGS = settings(deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def test_every_catalogue_op_and_dtype_is_drawn():
    drawn = set(op_dtypes())
    assert {(c.op, c.dtype) for c in OP_CASES} <= drawn
    # the conv family's three dtypes, and the labels of other operators' types (uint8, int32, ...)
    assert set(DTYPES) <= {d for _, d in drawn} <= set(ALL_DTYPES)


@pytest.mark.parametrize("op,dtype", [("CONV_2D", "int16x8"), ("DEPTHWISE_CONV_2D", "int8"),
                                      ("ADD", "float32"), ("SOFTMAX", "int8"), ("SVDF", "int8")])
def test_examples_are_the_op_and_dtype_asked_for(op, dtype):
    @settings(SETTINGS, max_examples=15)
    @given(op_examples(op, dtype))
    def check(example):
        model = load(example.model)
        assert [o.op for o in model.main.operators] == [op]
        activation = model.main.input_tensors()[0].type.name.lower()
        expected = {"int8": {"int8"}, "int16x8": {"int16"}, "float32": {"float32"}}[dtype]
        if op != "QUANTIZE":
            assert activation in expected
        assert [x.shape for x in example.inputs] == [tuple(t.shape) for t in model.main.input_tensors()]

    check()


def test_a_users_property_test_in_a_few_lines():
    """What the README shows: any op, any dtype, a property of microinfer's own."""
    @settings(SETTINGS, max_examples=40)
    @given(op_examples())
    def deterministic(example):
        try:
            interpreter = Interpreter(example.model)
        except UnsupportedOpError:
            return
        first = interpreter.run(example.inputs)
        interpreter.reset_variables()
        for a, b in zip(first, interpreter.run(example.inputs)):
            np.testing.assert_array_equal(a, b)

    deterministic()


def test_small_graphs_are_chains():
    @settings(SETTINGS, max_examples=25)
    @given(small_graphs(max_ops=3))
    def check(example):
        model = load(example.model)
        ops = model.main.operators
        assert 1 <= len(ops) <= 3
        for before, after in zip(ops, ops[1:]):  # each operator reads the previous one's output
            assert before.outputs[0] in after.inputs
        try:
            Interpreter(example.model).run(example.inputs)
        except UnsupportedOpError:  # a drawn quantization outside what TFLite Micro runs
            pass

    check()


def test_unknown_op_or_dtype_is_a_clear_error():
    with pytest.raises(ValueError, match="no generated models for op 'CONV_3D'"):
        op_examples("CONV_3D")
    with pytest.raises(ValueError, match="with dtype 'int4'"):
        op_examples("ADD", "int4")
