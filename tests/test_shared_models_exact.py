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
    data = shared_model_path(name).read_bytes()
    model = load(data)
    interpreter = Interpreter(model, reference=ref)
    internal = {i for op in model.main.operators for i in op.intermediates}
    rng = np.random.default_rng(1234)
    for _ in range(RUNS):
        inputs = random_inputs(data, rng)
        interpreter.reset_variables()  # each reference run starts from a fresh interpreter
        expected = reference_worker.run(ref, data, inputs, all_tensors=True)
        interpreter.run(inputs)
        got = interpreter.tensor_values()
        for t in model.main.tensors:
            if t.index in internal:  # an LSTM's intermediates: scales only, never computed
                continue
            if t.index in expected.tensors and not t.is_constant:
                np.testing.assert_array_equal(got[t.index], expected.tensors[t.index].reshape(t.shape),
                                              err_msg=f"{name} {ref}: tensor {t.index} {t.name}")
