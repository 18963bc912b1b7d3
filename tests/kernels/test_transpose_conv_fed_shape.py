"""TRANSPOSE_CONV whose output_shape input is fed at run time instead of being a constant.

TFLite Micro ignores the output_shape input altogether (its type, its values, whether it is
constant) and computes the output tensor's declared shape. LiteRT sizes the output from the fed
values: equal to the declared shape it computes the same; different, it resizes the output (or
fails when the shape does not fit the input), which microinfer's static shapes cannot follow, so
microinfer raises a ValueError saying so.
"""

from __future__ import annotations

import numpy as np
import pytest

from microinfer import UnsupportedOpError
from microinfer.interpreter import Interpreter
from microinfer.planner import plan
from microinfer.reference import ReferenceFailure
from microinfer.tflite import load
from microinfer.tflite import options as O
from microinfer.tflite.builder import ModelBuilder
from microinfer.tflite.types import Padding

from kernel_check import assert_bit_exact

OUT_SHAPE = (1, 8, 8, 2)


def fed_shape_model(dtype="int8", shape_dtype="int32", constant_shape=None) -> bytes:
    """(1, 4, 4, 3) -> OUT_SHAPE, 3x3 stride 2 SAME, per-channel weights and a bias; the
    output_shape a model input of ``shape_dtype`` (or the constant ``constant_shape``)."""
    rng = np.random.default_rng(4)
    b = ModelBuilder()
    g = b.main
    if constant_shape is None:
        shape = g.add_input("output_shape", (4,), shape_dtype)
    else:
        shape = g.add_constant("output_shape", np.array(constant_shape, np.int32))
    quantized = dtype != "float32"
    if quantized:
        w = g.add_constant("w", rng.integers(-127, 128, (2, 3, 3, 3)).astype(np.int8), scale=[0.01, 0.02],
                           zero_point=[0, 0], axis=0)
        bias_type = np.int32 if dtype == "int8" else np.int64
        bias = g.add_constant("b", rng.integers(-1000, 1000, 2).astype(bias_type))
        zero_point = 3 if dtype == "int8" else 0
        x = g.add_input("x", (1, 4, 4, 3), dtype, scale=0.05, zero_point=zero_point)
        y = g.add_output("y", OUT_SHAPE, dtype, scale=0.1, zero_point=-zero_point)
    else:
        w = g.add_constant("w", rng.normal(size=(2, 3, 3, 3)).astype(np.float32))
        bias = g.add_constant("b", rng.normal(size=2).astype(np.float32))
        x = g.add_input("x", (1, 4, 4, 3), dtype)
        y = g.add_output("y", OUT_SHAPE, dtype)
    options = O.TransposeConvOptions(padding=Padding.SAME, stride_h=2, stride_w=2)
    inputs = [shape, w, x, bias]
    g.add_operator("TRANSPOSE_CONV", inputs, [y], options, version=3)
    return b.build()


def activation(dtype, rng) -> np.ndarray:
    if dtype == "float32":
        return rng.normal(size=(1, 4, 4, 3)).astype(np.float32)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, (1, 4, 4, 3), endpoint=True).astype(dtype)


@pytest.mark.parametrize("dtype", ["int8", "int16", "float32"])
def test_fed_declared_shape_runs_in_both(dtype, reference_worker):
    model = fed_shape_model(dtype)
    inputs = [np.array(OUT_SHAPE, np.int32), activation(dtype, np.random.default_rng(1))]
    assert_bit_exact(reference_worker, model, inputs)


@pytest.mark.parametrize("fed", [(1, 7, 7, 2), (1, 9, 9, 2), (2, 8, 8, 2), (0, 0, 0, 0)])
def test_fed_shape_that_disagrees(fed, reference_worker):
    """TFLite Micro computes the declared shape whatever is fed; LiteRT resizes to the fed shape
    (1x7x7x2 fits the input) or fails; microinfer follows TFLite Micro and, for LiteRT, raises."""
    model = fed_shape_model()
    x = activation("int8", np.random.default_rng(2))
    inputs = [np.array(fed, np.int32), x]
    assert_bit_exact(reference_worker, model, inputs, references=("tflm",))
    declared = [np.array(OUT_SHAPE, np.int32), x]
    np.testing.assert_array_equal(Interpreter(model, reference="tflm").run(inputs)[0],
                                  reference_worker.run("tflm", model, declared).outputs[0])
    try:
        litert = reference_worker.run("tflite", model, inputs).outputs[0]
        assert litert.shape == tuple(fed)  # LiteRT resized its output
    except ReferenceFailure:
        pass
    with pytest.raises(ValueError, match=r"the output_shape input is \[.*\] but the output tensor is declared \[1, 8, 8, 2\]"):
        Interpreter(model, reference="tflite").run(inputs)


@pytest.mark.parametrize("shape_dtype", ["int64", "float32"])
def test_output_shape_type_only_litert_checks(shape_dtype, reference_worker):
    model = fed_shape_model(shape_dtype=shape_dtype)
    inputs = [np.array(OUT_SHAPE, shape_dtype), activation("int8", np.random.default_rng(3))]
    assert_bit_exact(reference_worker, model, inputs, references=("tflm",))
    with pytest.raises(UnsupportedOpError, match="output_shape is a 1-D int32 tensor of 4 values"):
        Interpreter(model, reference="tflite")
    with pytest.raises(ReferenceFailure):
        reference_worker.run("tflite", model, inputs)


def test_constant_shape_that_disagrees(reference_worker):
    """A constant output_shape other than the declared shape: TFLite Micro ignores it too."""
    model = fed_shape_model(constant_shape=(1, 7, 7, 2))
    inputs = [activation("int8", np.random.default_rng(5))]
    assert_bit_exact(reference_worker, model, inputs, references=("tflm",))
    with pytest.raises(UnsupportedOpError, match="constant and equal to the output tensor's shape"):
        Interpreter(model, reference="tflite")


def test_arena_with_a_fed_output_shape(reference_worker):
    """The fed output_shape is one more planned tensor; TFLite Micro's arena as predicted."""
    data = fed_shape_model()
    model = load(data)
    live = reference_worker.run("tflm", data, [np.zeros(4, np.int32), np.zeros((1, 4, 4, 3), np.int8)])
    arena = plan(model, planner="tflm", abi="x86_64")
    assert (arena.head_bytes, arena.tail_bytes) == (live.arena["head"], live.arena["tail"])
