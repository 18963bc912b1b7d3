"""Models TFLite Micro runs although they bend the schema's rules; microinfer runs them too."""

from __future__ import annotations

import numpy as np
import pytest

from microinfer import Interpreter, ModelError, load
from microinfer.reference import ReferenceFailure
from microinfer.tflite import ModelBuilder
from microinfer.tflite.model import Quantization
from microinfer.tflite.options import Conv2DOptions, FullyConnectedOptions
from microinfer.tflite.types import Padding

from kernel_check import assert_bit_exact, random_inputs


def _fully_connected_with_weights_axis(axis: int) -> bytes:
    """FULLY_CONNECTED whose 2-D weights have ONE scale but ``quantized_dimension=axis``."""
    builder = ModelBuilder()
    g = builder.main
    rng = np.random.default_rng(7)
    x = g.add_input("x", (1, 8), "int8", scale=0.05, zero_point=-4)
    w = g.add_constant("w", rng.integers(-127, 128, (4, 8), dtype=np.int8), scale=0.02, zero_point=0, axis=axis)
    b = g.add_constant("b", rng.integers(-500, 500, 4, dtype=np.int32), scale=0.05 * 0.02, zero_point=0)
    y = g.add_output("y", (1, 4), "int8", scale=0.1, zero_point=3)
    g.add_operator("FULLY_CONNECTED", [x, w, b], [y], FullyConnectedOptions(), version=4)
    return builder.build()


def test_per_tensor_quantization_on_a_nonzero_axis_matches_both(reference_worker):
    model = _fully_connected_with_weights_axis(1)
    assert_bit_exact(reference_worker, model, random_inputs(model, np.random.default_rng(0)))


def test_per_tensor_quantization_on_an_axis_beyond_the_rank_runs_like_tflite_micro(reference_worker):
    model = _fully_connected_with_weights_axis(3)
    weights = load(model).main.tensors[1].quantization
    assert weights.quantized_dimension == 3 and not weights.per_channel
    rng = np.random.default_rng(0)
    interpreter = Interpreter(model, reference="tflm")
    for _ in range(10):
        inputs = random_inputs(model, rng)
        (expected,) = reference_worker.run("tflm", model, inputs).outputs
        np.testing.assert_array_equal(interpreter.run(inputs)[0], expected)
    # LiteRT refuses the same file: this is TFLite Micro's leniency, not a malformed test model.
    with pytest.raises(ReferenceFailure, match="quantized_dimension must be in range"):
        reference_worker.run("tflite", model, random_inputs(model, rng))


def test_litert_mode_refuses_what_litert_refuses():
    with pytest.raises(ModelError, match=r"quantized_dimension: axis 3 is outside the tensor's rank 2.*LiteRT refuses"):
        Interpreter(_fully_connected_with_weights_axis(3), reference="tflite")


def _conv_with_bias_quantization(bias_scales, bias_zero_points, bias_axis) -> bytes:
    """A per-channel int8 CONV_2D whose bias carries the given quantization (TFLite Micro's own
    person_detect.tflite has rank-1 per-channel biases with quantized_dimension 3)."""
    builder = ModelBuilder()
    g = builder.main
    rng = np.random.default_rng(3)
    x = g.add_input("x", (1, 5, 5, 2), "int8", scale=0.05, zero_point=-3)
    w_scales = np.array([0.01, 0.02, 0.015], np.float32)
    w = g.add_constant("w", rng.integers(-127, 128, (3, 3, 3, 2), dtype=np.int8), scale=w_scales, zero_point=0)
    bias = Quantization(np.asarray(bias_scales, "<f4"), np.asarray(bias_zero_points, "<i8"), bias_axis)
    b = g.add_constant("b", rng.integers(-2000, 2000, 3, dtype=np.int32), quant=bias)
    y = g.add_output("y", (1, 5, 5, 3), "int8", scale=0.1, zero_point=2)
    g.add_operator("CONV_2D", [x, w, b], [y], Conv2DOptions(Padding.SAME, 1, 1), version=3)
    return builder.build()


@pytest.mark.parametrize("scales, zero_points, axis, warning", [
    ([5e-4, 1e-3, 7.5e-4], [0, 0, 0], 3, "quantized_dimension: axis 3 is outside the tensor's rank 1"),
    ([5e-4, 1e-3, 7.5e-4], [0], 0, "3 scales but 1 zero points"),
    ([5e-4, 1e-3], [0, 0], 0, "2 scales, but dimension 0 of shape [3] has 3 channels"),
])
def test_bias_quantization_tflite_micro_ignores(scales, zero_points, axis, warning, reference_worker):
    """TFLite Micro never reads a conv bias's quantization; LiteRT refuses these files."""
    model = _conv_with_bias_quantization(scales, zero_points, axis)
    (loaded_warning,) = load(model).warnings
    assert warning in str(loaded_warning) and loaded_warning.refused_by == ("tflite",)
    rng = np.random.default_rng(0)
    interpreter = Interpreter(model, reference="tflm")
    for _ in range(5):
        inputs = random_inputs(model, rng)
        (expected,) = reference_worker.run("tflm", model, inputs).outputs
        np.testing.assert_array_equal(interpreter.run(inputs)[0], expected)
    with pytest.raises(ReferenceFailure, match="invalid quantization"):
        reference_worker.run("tflite", model, random_inputs(model, rng))
    with pytest.raises(ModelError, match="LiteRT refuses"):
        Interpreter(model, reference="tflite")
