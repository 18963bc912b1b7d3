"""Whole shared models, bit-exact against both references, intermediates included."""

from __future__ import annotations

import numpy as np
import pytest

from microinfer.interpreter import Interpreter
from microinfer.kernels import REGISTRY
from microinfer import load

from conftest import shared_model_path
from kernel_check import random_inputs

RUNS = 50


def _supported(model) -> bool:
    return all(op.op in REGISTRY for op in model.main.operators)


@pytest.mark.parametrize("name", ["ad01_int8.tflite", "hello_world_int8.tflite"])
@pytest.mark.parametrize("ref", ["tflm", "tflite"])
def test_outputs_and_intermediates_bit_exact(name, ref, reference_worker):
    data = shared_model_path(name).read_bytes()
    model = load(data)
    interpreter = Interpreter(model, reference=ref)
    rng = np.random.default_rng(1234)
    for _ in range(RUNS):
        inputs = random_inputs(data, rng)
        expected = reference_worker.run(ref, data, inputs, all_tensors=True)
        got = interpreter.run(inputs, intermediates=True)
        for t in model.main.tensors:
            if t.index in expected.tensors and not t.is_constant:
                np.testing.assert_array_equal(got[t.name], expected.tensors[t.index].reshape(t.shape),
                                              err_msg=f"{name} {ref}: tensor {t.index} {t.name}")
