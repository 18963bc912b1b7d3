"""Models TFLite Micro runs although they bend the schema's rules; microinfer runs them too."""

from __future__ import annotations

import numpy as np
import pytest

from microinfer import Interpreter, load
from microinfer.reference import ReferenceFailure
from microinfer.tflite import ModelBuilder
from microinfer.tflite.options import FullyConnectedOptions

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
