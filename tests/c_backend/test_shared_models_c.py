"""Every shared model: backend="c" gives the NumPy backend's bits on 50 random inputs, for both
references' arithmetic."""

from __future__ import annotations

import numpy as np
import pytest

from microinfer import Interpreter
from microinfer.errors import UnsupportedOpError
from microinfer.testing import random_inputs

from conftest import shared_model_path

from .c_check import requires_c

pytestmark = [requires_c, pytest.mark.shared_models]

RUNS = 50


@pytest.mark.parametrize("reference", ["tflm", "tflite"])
def test_c_backend_matches_numpy_on_shared_model(shared_model, reference):
    model = shared_model.read_bytes()
    try:
        spec = Interpreter(model, reference=reference)
    except UnsupportedOpError as error:
        pytest.skip(f"{shared_model.name} is not supported for {reference}: {error}")
    fast = Interpreter(model, backend="c", reference=reference)
    assert "c" in fast.op_backends, fast.op_backends
    rng = np.random.default_rng(2024)
    for run in range(RUNS):
        inputs = random_inputs(model, rng)
        expected, got = spec.run(inputs), fast.run(inputs)
        for i, (g, e) in enumerate(zip(got, expected)):
            assert np.array_equal(g, e), f"{shared_model.name} run {run} output {i}: C differs from NumPy"


@pytest.mark.parametrize("name", ["vww_96_int8.tflite", "kws_ref_model.tflite"])
@pytest.mark.parametrize("arena", [None, "tflm", "best"])
def test_c_backend_intermediates_and_arena(name, arena):
    """Every intermediate tensor, also inside a planned arena, and outputs that the next run
    does not overwrite (the C kernels write into reused buffers)."""
    model = shared_model_path(name).read_bytes()
    spec = Interpreter(model)
    fast = Interpreter(model, backend="c", arena=arena)
    rng = np.random.default_rng(3)
    first, second = random_inputs(model, rng), random_inputs(model, rng)
    expected = spec.run(first, intermediates=True)
    got = fast.run(first, intermediates=True)
    assert got.keys() == expected.keys()
    assert [k for k in expected if not np.array_equal(got[k], expected[k])] == []
    kept = fast.run(first)
    fast.run(second)
    assert all(np.array_equal(k, e) for k, e in zip(kept, spec.run(first)))


def test_all_c_model_runs_as_one_call_chain():
    """ad01 is ten C FULLY_CONNECTED layers: it runs as one chain of foreign calls, with the same
    bits as NumPy, also from a non-contiguous input array."""
    model = shared_model_path("ad01_int8.tflite").read_bytes()
    spec, fast = Interpreter(model), Interpreter(model, backend="c")
    assert fast._chain is not None
    rng = np.random.default_rng(11)
    for _ in range(5):
        wide = rng.integers(-128, 128, (1, 1280)).astype(np.int8)
        x = wide[:, ::2]  # every other element: not contiguous
        assert np.array_equal(fast.run([x])[0], spec.run([x])[0])
        assert np.array_equal(fast.run([np.ascontiguousarray(x)])[0], spec.run([x])[0])
