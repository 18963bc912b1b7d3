"""C backend vs TFLite Micro's interpreter vs the NumPy backend, same process, same inputs.

    pytest benchmarks/test_bench_c_backend.py --benchmark-group-by=param:name

Target (issue 5, C kernels): the C backend at least 3x faster than TFLite Micro in geometric
mean over the four MLPerf Tiny models, and faster than the NumPy backend on every one.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from microinfer import Interpreter
from microinfer.c_backend import unavailable_reason

SHARED = Path(os.environ.get("MICROINFER_SHARED_MODELS", Path(__file__).resolve().parents[2] / "shared" / "models"))
MLPERF_TINY = ["ad01_int8.tflite", "kws_ref_model.tflite", "vww_96_int8.tflite", "pretrainedResnet_quant.tflite"]


def _model(name: str) -> bytes:
    path = SHARED / name
    if not path.is_file():
        pytest.skip(f"{path} not found (set MICROINFER_SHARED_MODELS)")
    return path.read_bytes()


def _input(interpreter: Interpreter) -> np.ndarray:
    t = interpreter.subgraph.tensors[interpreter.subgraph.inputs[0]]
    return np.random.default_rng(0).integers(-128, 128, size=t.shape).astype(np.int8)


@pytest.mark.parametrize("name", MLPERF_TINY)
def test_c_backend(benchmark, name):
    reason = unavailable_reason()
    if reason:
        pytest.skip(f"C kernel library unavailable: {reason}")
    interpreter = Interpreter(_model(name), backend="c")
    x = _input(interpreter)
    benchmark(interpreter.run, [x])


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
