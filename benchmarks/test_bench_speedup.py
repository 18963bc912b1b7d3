"""The C backend against TFLite Micro's interpreter, ratios measured in the same run (issue 18).

    pytest benchmarks/test_bench_speedup.py -s

Target: the C backend (one C program per inference, ``mi_run_steps``) at least 20x faster per
inference than the ``tflite-micro`` interpreter, in geometric mean over the four MLPerf Tiny
models. Both run the same input in this process, interleaved round by round, and the minimum of
each is compared (the machine is shared: minimums are what the code costs, means what the
neighbours cost).
"""

from __future__ import annotations

import math
import time

import pytest

from microinfer import Interpreter
from microinfer.c_backend import unavailable_reason
from test_bench_interpreter import MLPERF_TINY, _input, _model

TARGET = 20.0
ROUNDS = 30


def _best_times(functions, rounds: int) -> list[float]:
    best = [math.inf] * len(functions)
    for _ in range(rounds):
        for k, fn in enumerate(functions):
            start = time.perf_counter()
            fn()
            best[k] = min(best[k], time.perf_counter() - start)
    return best


def test_c_backend_against_tflite_micro(benchmark):
    reason = unavailable_reason()
    if reason:
        pytest.skip(f"C kernel library unavailable: {reason}")
    runtime = pytest.importorskip("tflite_micro.python.tflite_micro.runtime")
    rows, ratios, runs = [], [], []
    for name in MLPERF_TINY:
        data = _model(name)
        fast = Interpreter(data, backend="c")
        x = _input(fast)
        tflm = runtime.Interpreter.from_bytes(data, arena_size=1 << 20)

        def reference(tflm=tflm, x=x):
            tflm.set_input(x, 0)
            tflm.invoke()
            return tflm.get_output(0)

        def ours(fast=fast, x=x):
            return fast.run([x])

        c_time, tflm_time = _best_times([ours, reference], ROUNDS)
        ratios.append(tflm_time / c_time)
        rows.append((name, c_time * 1e6, tflm_time * 1e6, tflm_time / c_time))
        runs.append(ours)
    geomean = math.exp(sum(math.log(r) for r in ratios) / len(ratios))
    print()
    for name, c_us, tflm_us, ratio in rows:
        print(f"{name:32s} C {c_us:9.1f} us   TFLite Micro {tflm_us:9.1f} us   {ratio:6.1f}x")
    print(f"geometric mean: {geomean:.1f}x (target {TARGET:g}x)")
    benchmark.extra_info.update({name: round(ratio, 2) for name, _, _, ratio in rows})
    benchmark.extra_info["geometric_mean"] = round(geomean, 2)
    benchmark.pedantic(lambda: [run() for run in runs], rounds=10, iterations=1)  # all four, C backend
    assert geomean >= TARGET, f"C backend {geomean:.1f}x TFLite Micro in geometric mean, target {TARGET:g}x"
