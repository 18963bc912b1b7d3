"""C backend vs TFLite Micro's interpreter vs the NumPy backend, same process, same inputs.

    pytest benchmarks/test_bench_c_backend.py --benchmark-group-by=param:name

Target (issue 5, C kernels): the C backend at least 3x faster than TFLite Micro in geometric
mean over the four MLPerf Tiny models, and faster than the NumPy backend on every one.
"""

from __future__ import annotations

import pytest

from microinfer import Interpreter
from microinfer.c_backend import unavailable_reason

# The NumPy and TFLite Micro benchmarks of the same models, collected here too so that one run
# compares all three in the same process.
from test_bench_interpreter import MLPERF_TINY, _input, _model, test_numpy_backend, test_tflite_micro  # noqa: F401


@pytest.mark.parametrize("name", MLPERF_TINY)
def test_c_backend(benchmark, name):
    reason = unavailable_reason()
    if reason:
        pytest.skip(f"C kernel library unavailable: {reason}")
    interpreter = Interpreter(_model(name), backend="c")
    x = _input(interpreter)
    benchmark(interpreter.run, [x])
