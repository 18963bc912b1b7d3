"""One interpreter shared by threads, and separate interpreters in separate threads."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from microinfer import Interpreter, c_backend
from microinfer.testing import build, random_inputs

RUNS = 60
BACKENDS = ["numpy", pytest.param("c", marks=pytest.mark.skipif(
    not c_backend.available(), reason=f"C kernel library: {c_backend.unavailable_reason()}"))]


def _model() -> bytes:
    return build("CONV_2D/int8/per_channel")


def _expected(model: bytes, inputs: list) -> list:
    serial = Interpreter(model)
    return [serial.run(x)[0].copy() for x in inputs]


def _hammer(interpreters, inputs, expected) -> list[str]:
    """Each thread runs every input set on its interpreter; returns what came out wrong."""
    errors: list[str] = []
    start = threading.Barrier(len(interpreters))

    def work(k: int, interpreter) -> None:
        start.wait()
        for i in range(RUNS):
            j = (i * 7 + k) % len(inputs)
            got = interpreter.run(inputs[j])[0]
            if not np.array_equal(got, expected[j]):
                errors.append(f"thread {k} run {i}: input set {j} gave another set's output")

    threads = [threading.Thread(target=work, args=(k, it)) for k, it in enumerate(interpreters)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("arena", [None, "best"])
def test_one_interpreter_shared_by_threads(backend, arena):
    model = _model()
    rng = np.random.default_rng(0)
    inputs = [random_inputs(model, rng) for _ in range(8)]
    expected = _expected(model, inputs)
    shared = Interpreter(model, backend=backend, arena=arena)
    assert _hammer([shared] * 4, inputs, expected) == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_separate_interpreters_in_separate_threads(backend):
    model = _model()
    rng = np.random.default_rng(1)
    inputs = [random_inputs(model, rng) for _ in range(8)]
    expected = _expected(model, inputs)
    own = [Interpreter(model, backend=backend, arena="tflm") for _ in range(4)]
    assert _hammer(own, inputs, expected) == []
