"""The offline TFLite Micro arena accounting (planner/tail.py) against the live interpreter.

For every shared model and every single-op catalogue model TFLM runs: the predicted tail equals
print_allocations()' tail, its per-category lines match, and the predicted minimum working arena
(given the live head) equals the bisected smallest arena with which TFLM allocates and invokes.
"""

from __future__ import annotations

import numpy as np
import pytest

from microinfer.planner import plan
from microinfer.planner import tail as arena_tail
from microinfer.reference import ReferenceFailure
from microinfer.testing.op_models import OP_CASES
from microinfer.tflite import load


def _zeros(model) -> list[np.ndarray]:
    return [np.zeros(t.shape, t.type.numpy_dtype) for t in model.main.input_tensors()]


def _live(worker, data: bytes, model):
    try:
        result = worker.run("tflm", data, _zeros(model))
    except ReferenceFailure as exc:
        pytest.skip(f"TFLite Micro does not run this model: {exc}")
    return result


def _check(worker, data: bytes, *, min_arena: bool = True) -> None:
    model = load(data)
    live = _live(worker, data, model)
    arena = plan(model, planner="tflm", abi="x86_64")
    assert (arena.head_bytes, arena.tail_bytes, arena.total_bytes) == (
        live.arena["head"], live.arena["tail"], live.arena["total"]
    ), arena_tail.describe(model)
    if live.arena_categories is not None:
        assert arena_tail.categories(model, "x86_64") == live.arena_categories
    if min_arena:
        predicted = arena.min_working_arena_bytes
        # a bracket around the prediction keeps the bisection short; it must not decide the answer
        low, high = max(16, predicted // 2 // 16 * 16), predicted * 2
        measured = worker.min_arena(data, low, high, isolated=True)
        assert low < measured < high
        assert predicted == measured


def test_shared_model_tail_and_min_arena(shared_model, reference_worker):
    _check(reference_worker, shared_model.read_bytes())


@pytest.mark.parametrize("case", OP_CASES, ids=[c.name for c in OP_CASES])
def test_op_case_tail(case, reference_worker):
    _check(reference_worker, case.build())


def test_scratch_requests_of_reference_kernels():
    from microinfer.testing.op_models import build

    assert arena_tail.scratch_requests(load(build("MEAN/int8"))) == [(0, 32), (0, 16), (0, 8)]
    assert arena_tail.scratch_requests(load(build("SVDF/int8"))) == [(0, 64), (0, 32)]
    assert arena_tail.scratch_requests(load(build("TRANSPOSE_CONV/int8"))) == [(0, 1024)]
    assert arena_tail.scratch_requests(load(build("CONV_2D/int8/per_channel"))) == []


def test_arm32_struct_sizes():
    from microinfer.planner import _structs as S

    assert S.sizeof("TfLiteEvalTensor", "arm32") == 12
    assert S.sizeof("NodeAndRegistration", "arm32") == 32
    assert S.sizeof("TfLiteEvalTensor", "x86_64") == 24
    assert S.sizeof("NodeAndRegistration", "x86_64") == 64
    assert S.greedy_per_buffer_size("arm32") == S.greedy_per_buffer_size("x86_64") == 40
