"""The whole model as one C program (c_backend/chain.py, kernels_c/src/program/mi_run_steps.c)."""

from __future__ import annotations

import numpy as np

from microinfer import Interpreter
from microinfer.tflite import ModelBuilder
from microinfer.tflite.options import AddOptions, FullyConnectedOptions, ReshapeOptions

from .c_check import requires_c

pytestmark = requires_c


def mixed_model() -> bytes:
    """Two inputs; FULLY_CONNECTED (C), TANH (NumPy only), RESHAPE (a view), ADD of the second
    input (C, two variable inputs), FULLY_CONNECTED (C) reading the NumPy op's output."""
    rng = np.random.default_rng(0)
    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", (1, 8), "int8", scale=0.05, zero_point=-3)
    other = g.add_input("other", (1, 2, 3), "int8", scale=0.04, zero_point=1)
    w1 = g.add_constant("w1", rng.integers(-127, 128, (6, 8)).astype(np.int8), scale=0.02, zero_point=0)
    h = g.add_tensor("h", (1, 6), "int8", scale=0.08, zero_point=2)
    g.add_operator("FULLY_CONNECTED", [x, w1, -1], [h], FullyConnectedOptions(), version=4)
    t = g.add_tensor("t", (1, 6), "int8", scale=1 / 128, zero_point=0)
    g.add_operator("TANH", [h], [t], None, version=2)
    r = g.add_tensor("r", (1, 2, 3), "int8", scale=1 / 128, zero_point=0)
    shape = g.add_constant("shape", np.array([1, 2, 3], np.int32))
    g.add_operator("RESHAPE", [t, shape], [r], ReshapeOptions(new_shape=[1, 2, 3]))
    s = g.add_tensor("s", (1, 2, 3), "int8", scale=0.05, zero_point=0)
    g.add_operator("ADD", [r, other], [s], AddOptions(), version=2)
    flat = g.add_tensor("flat", (1, 6), "int8", scale=0.05, zero_point=0)
    g.add_operator("RESHAPE", [s, shape], [flat], ReshapeOptions(new_shape=[1, 6]))
    w2 = g.add_constant("w2", rng.integers(-127, 128, (4, 6)).astype(np.int8), scale=0.02, zero_point=0)
    y = g.add_output("y", (1, 4), "int8", scale=0.1, zero_point=0)
    g.add_operator("FULLY_CONNECTED", [t, w2, -1], [y], FullyConnectedOptions(), version=4)
    extra = g.add_output("sum", (1, 2, 3), "int8", scale=0.05, zero_point=0)
    g.add_operator("ADD", [s, s], [extra], AddOptions(), version=2)
    return b.build()


def test_program_with_numpy_ops_views_and_two_inputs_is_bit_exact():
    model = mixed_model()
    spec, fast = Interpreter(model), Interpreter(model, backend="c")
    program = fast._chain
    assert program is not None
    assert program.c_steps >= 4
    rng = np.random.default_rng(1)
    for _ in range(20):
        inputs = [rng.integers(-128, 128, (1, 8)).astype(np.int8), rng.integers(-128, 128, (1, 2, 3)).astype(np.int8)]
        expected = spec.run(inputs, intermediates=True)
        got = fast.run(inputs, intermediates=True)
        assert got.keys() == expected.keys()
        assert [k for k in expected if not np.array_equal(got[k], expected[k])] == []
        outputs = fast.run(inputs)
        assert all(np.array_equal(a, b) for a, b in zip(outputs, spec.run(inputs)))


def test_program_outputs_are_not_overwritten_by_the_next_run():
    model = mixed_model()
    fast, spec = Interpreter(model, backend="c"), Interpreter(model)
    rng = np.random.default_rng(2)
    first = [rng.integers(-128, 128, (1, 8)).astype(np.int8), rng.integers(-128, 128, (1, 2, 3)).astype(np.int8)]
    second = [rng.integers(-128, 128, (1, 8)).astype(np.int8), rng.integers(-128, 128, (1, 2, 3)).astype(np.int8)]
    kept = fast.run(first)
    fast.run(second)
    assert all(np.array_equal(a, b) for a, b in zip(kept, spec.run(first)))


def test_calls_the_program_cannot_bind_run_from_python_between_c_segments():
    """A C call without an argument list to bind (an op module not using bound_call) runs through
    its Python eval between two C segments, and so does any NumPy op; results stay bit-exact."""
    from microinfer import c_backend

    model = mixed_model()
    spec, fast = Interpreter(model), Interpreter(model, backend="c")
    calls = [data for data in fast._prepared if isinstance(data, c_backend.CCall)]
    del calls[1].invoke.foreign  # the second C call: now unbindable
    fast._chain = c_backend.CallChain.of(fast._steps, fast._prepared, fast._order, fast.subgraph.inputs,
                                         fast.subgraph)
    assert fast._chain.python_steps >= 1 and fast._chain.c_steps >= 2
    rng = np.random.default_rng(4)
    for _ in range(10):
        inputs = [rng.integers(-128, 128, (1, 8)).astype(np.int8), rng.integers(-128, 128, (1, 2, 3)).astype(np.int8)]
        expected = spec.run(inputs, intermediates=True)
        got = fast.run(inputs, intermediates=True)
        assert [k for k in expected if not np.array_equal(got[k], expected[k])] == []
