"""Whole shared models, bit-exact against both references, intermediates included."""

from __future__ import annotations

import numpy as np
import pytest

from microinfer.interpreter import Interpreter
from microinfer import load

from conftest import shared_model_path
from kernel_check import random_inputs

RUNS = 50


SHARED_MODELS = [
    "ad01_int8.tflite",
    "hello_world_int8.tflite",
    "keyword_scrambled.tflite",
    "kws_ref_model.tflite",
    "micro_speech_quantized.tflite",
    "pretrainedResnet_quant.tflite",
    "trained_lstm_int8.tflite",
    "vww_96_int8.tflite",
]


@pytest.mark.parametrize("name", SHARED_MODELS)
@pytest.mark.parametrize("ref", ["tflm", "tflite"])
def test_outputs_and_intermediates_bit_exact(name, ref, reference_worker):
    _check_against_reference(name, ref, None, RUNS, reference_worker)


@pytest.mark.parametrize("name", SHARED_MODELS)
@pytest.mark.parametrize("arena", ["tflm", "best"])
def test_runs_inside_planned_arenas_stay_bit_exact(name, arena, reference_worker):
    """Every tensor a view into one arena at its planned offset: the plan is proven on data."""
    _check_against_reference(name, "tflm", arena, 5, reference_worker)


def _check_against_reference(name, ref, arena, runs, reference_worker):
    data = shared_model_path(name).read_bytes()
    model = load(data)
    interpreter = Interpreter(model, reference=ref, arena=arena)
    internal = {i for op in model.main.operators for i in op.intermediates}
    rng = np.random.default_rng(1234)
    for _ in range(runs):
        inputs = random_inputs(data, rng)
        interpreter.reset_variables()  # each reference run starts from a fresh interpreter
        expected = reference_worker.run(ref, data, inputs, all_tensors=True)
        outputs = interpreter.run(inputs)
        for output, index in zip(outputs, model.main.outputs):
            np.testing.assert_array_equal(output, expected.tensors[index].reshape(output.shape))
        interpreter.reset_variables()
        interpreter.run(inputs, intermediates=True)
        got = interpreter.tensor_values()
        for t in model.main.tensors:
            if t.index in internal:  # an LSTM's intermediates: scales only, never computed
                continue
            if t.index in expected.tensors and not t.is_constant:
                np.testing.assert_array_equal(got[t.index], expected.tensors[t.index].reshape(t.shape),
                                              err_msg=f"{name} {ref}: tensor {t.index} {t.name}")
