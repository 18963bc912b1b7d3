"""NumPy backend vs TFLite Micro's interpreter, same inputs, same process.

    pytest benchmarks/test_bench_interpreter.py --benchmark-group-by=param:name

Target (issue: bit-exact kernels): the NumPy backend at least as fast as TFLite Micro's
interpreter in geometric mean over the four MLPerf Tiny models, none more than 2x slower.
"""

from __future__ import annotations

import numpy as np
import pytest

from microinfer import Interpreter
from shared_paths import SHARED_MODELS

MLPERF_TINY = ["ad01_int8.tflite", "kws_ref_model.tflite", "vww_96_int8.tflite", "pretrainedResnet_quant.tflite"]


def _model(name: str) -> bytes:
    path = SHARED_MODELS / name
    if not path.is_file():
        pytest.skip(f"{path} not found (set MICROINFER_SHARED_MODELS)")
    return path.read_bytes()


def _input(interpreter: Interpreter) -> np.ndarray:
    t = interpreter.subgraph.tensors[interpreter.subgraph.inputs[0]]
    return np.random.default_rng(0).integers(-128, 128, size=t.shape).astype(np.int8)


@pytest.mark.parametrize("name", MLPERF_TINY)
def test_numpy_backend(benchmark, name):
    interpreter = Interpreter(_model(name))
    x = _input(interpreter)
    benchmark(interpreter.run, [x])


@pytest.mark.parametrize("name", MLPERF_TINY)
def test_tflite_micro(benchmark, name):
    runtime = pytest.importorskip("tflite_micro.python.tflite_micro.runtime")
    data = _model(name)
    x = _input(Interpreter(data))
    tflm = runtime.Interpreter.from_bytes(data, arena_size=1 << 20)

    def run():
        tflm.set_input(x, 0)
        tflm.invoke()
        return tflm.get_output(0)

    benchmark(run)
