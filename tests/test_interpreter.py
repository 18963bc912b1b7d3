"""Interpreter behaviour on bad input and unsupported models, and the generated support table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import microinfer
from microinfer.interpreter import Interpreter
from microinfer.support import supported_ops_markdown
from microinfer.tflite import ModelBuilder
from microinfer.tflite.options import FullyConnectedOptions
from microinfer.tflite.types import ActivationFunction

REPO = Path(__file__).resolve().parent.parent


def _fc_model(activation=ActivationFunction.NONE) -> bytes:
    builder = ModelBuilder()
    g = builder.main
    x = g.add_input("x", (2, 3), "int8", scale=0.5, zero_point=1)
    w = g.add_constant("w", np.array([[1, 2, 3], [-1, 0, 4]], np.int8), scale=0.25, zero_point=0)
    b = g.add_constant("b", np.array([4, -8], np.int32), scale=0.125, zero_point=0)
    y = g.add_output("y", (2, 2), "int8", scale=1.0, zero_point=-2)
    g.add_operator("FULLY_CONNECTED", [x, w, b], [y], FullyConnectedOptions(fused_activation_function=activation))
    return builder.build()


def test_fully_connected_hand_worked():
    # real x = 0.5*(q-1); real w = 0.25*q; bias = 0.125*q; y = round(x.w + b) - 2, where
    # TFLite's fixed-point rounding takes ties away from zero (0.5 -> 1), unlike np.round
    x = np.array([[3, -1, 5], [1, 1, 1]], np.int8)
    (y,) = Interpreter(_fc_model()).run([x])
    real_x = 0.5 * (x.astype(float) - 1)
    real_w = 0.25 * np.array([[1, 2, 3], [-1, 0, 4]], float)
    real = real_x @ real_w.T + 0.125 * np.array([4, -8])
    rounded = np.sign(real) * np.floor(np.abs(real) + 0.5)
    np.testing.assert_array_equal(y, rounded.astype(int) - 2)


def test_inputs_by_name_and_step_by_step_agree():
    model = _fc_model(ActivationFunction.RELU)
    x = np.array([[3, -1, 5], [-7, 1, 1]], np.int8)
    interpreter = Interpreter(model)
    by_list = interpreter.run([x])[0]
    by_name = interpreter.run({"x": x})[0]
    interpreter.set_input("x", x)
    interpreter.invoke()
    np.testing.assert_array_equal(by_list, by_name)
    np.testing.assert_array_equal(by_list, interpreter.get_output(0))
    tensors = interpreter.run([x], intermediates=True)
    assert set(tensors) == {"x", "w", "b", "y"}
    np.testing.assert_array_equal(tensors["y"], by_list)


@pytest.mark.parametrize(
    "value, message",
    [
        (np.zeros((2, 3), np.int16), "expected dtype int8, got int16"),
        (np.zeros((3, 2), np.int8), "expected shape (2, 3), got (3, 2)"),
    ],
)
def test_wrong_input_names_what_was_expected(value, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Interpreter(_fc_model()).run([value])


def test_wrong_input_count_and_name():
    interpreter = Interpreter(_fc_model())
    with pytest.raises(ValueError, match="takes 1 inputs, got 2"):
        interpreter.run([np.zeros((2, 3), np.int8)] * 2)
    with pytest.raises(ValueError, match="unknown input name"):
        interpreter.run({"nope": np.zeros((2, 3), np.int8)})


def test_unsupported_ops_are_all_listed_at_construction():
    builder = ModelBuilder()
    g = builder.main
    x = g.add_input("x", (4,), "float32")
    y = g.add_tensor("y", (4,), "float32")
    z = g.add_output("z", (4,), "float32")
    g.add_operator("SKIP_GRAM", [x], [y])
    g.add_operator("MULTINOMIAL", [y], [z])
    with pytest.raises(microinfer.UnsupportedOpError) as info:
        Interpreter(builder.build())
    message = str(info.value)
    assert "operator 0 SKIP_GRAM v1 (float32)" in message
    assert "operator 1 MULTINOMIAL v1 (float32)" in message


def test_unsupported_type_combination_names_the_constraint():
    builder = ModelBuilder()
    g = builder.main
    x = g.add_input("x", (1, 3), "int16", scale=0.5, zero_point=0)
    w = g.add_constant("w", np.ones((2, 3), np.int16), scale=0.5, zero_point=0)
    y = g.add_output("y", (1, 2), "int16", scale=0.5, zero_point=0)
    g.add_operator("FULLY_CONNECTED", [x, w, -1], [y], FullyConnectedOptions())
    with pytest.raises(microinfer.UnsupportedOpError, match="operator 0 FULLY_CONNECTED v1 .*int8 weights"):
        Interpreter(builder.build())


def test_supported_ops_table_is_current():
    committed = (REPO / "SUPPORTED_OPS.md").read_text()
    assert committed == supported_ops_markdown(), "regenerate: python -m microinfer.support > SUPPORTED_OPS.md"


def test_scalar_constant_keeps_its_shape_in_intermediates_under_both_backends():
    from microinfer.c_backend import unavailable_reason

    if unavailable_reason():
        pytest.skip(unavailable_reason())
    builder = ModelBuilder(description="scalar constant")
    g = builder.main
    x = g.add_input("x", (1, 4), "int8", scale=0.5, zero_point=0)
    k = g.add_constant("k", np.array(3, np.int8), scale=0.5, zero_point=0)  # shape (): a scalar
    y = g.add_output("y", (1, 4), "int8", scale=0.5, zero_point=0)
    g.add_operator("ADD", [x, k], [y])
    model = builder.build()
    inputs = [np.array([[1, -2, 3, 100]], np.int8)]
    numpy_values = Interpreter(model).run(inputs, intermediates=True)
    c_values = Interpreter(model, backend="c").run(inputs, intermediates=True)
    assert numpy_values["k"].shape == c_values["k"].shape == ()
    assert numpy_values["y"].tolist() == c_values["y"].tolist() == [[4, 1, 6, 103]]
