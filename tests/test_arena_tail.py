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
    # arm-none-eabi-gcc gives enums the smallest type that holds their values (one byte for every
    # TFLite enum); the x86_64 wheel uses int-sized enums
    assert S.sizeof("TfLiteTensor", "arm32") == 32
    assert S.sizeof("TfLiteTensor", "x86_64") == 64
    assert S.sizeof("RecordingMicroAllocator", "arm32") == 36 + 4 + 7 * 12  # no compression record


# Sizes of the builtin-options structs measured on the x86_64 wheel (gdb, sizeof/alignof); the
# member lists in _structs must reproduce them before their arm32 layout can be trusted.
X86_64_BUILTIN_PARAMS = {
    "ADD": (8, 4), "SUB": (8, 4), "MUL": (4, 4), "AVERAGE_POOL_2D": (40, 4),
    "MAX_POOL_2D": (40, 4), "CONCATENATION": (8, 4), "CONV_2D": (28, 4),
    "DEPTHWISE_CONV_2D": (28, 4), "FULLY_CONNECTED": (32, 8), "LEAKY_RELU": (4, 4),
    "MEAN": (1, 1), "SUM": (1, 1), "REDUCE_MAX": (1, 1), "PACK": (8, 4), "UNPACK": (8, 4),
    "RESHAPE": (36, 4), "SOFTMAX": (4, 4), "SPLIT": (4, 4), "SQUEEZE": (36, 4),
    "STRIDED_SLICE": (24, 4), "SVDF": (12, 4), "TRANSPOSE_CONV": (20, 4),
    "UNIDIRECTIONAL_SEQUENCE_LSTM": (16, 4),
}


def test_builtin_params_member_lists_match_the_wheel():
    from microinfer.planner import _structs as S

    assert {op: S.builtin_params(op, "x86_64") for op in X86_64_BUILTIN_PARAMS} == X86_64_BUILTIN_PARAMS
    # on arm32 a struct of an enum and a bool shrinks to 2 bytes; one with ints keeps its size
    assert S.builtin_params("ADD", "arm32") == (2, 1)
    assert S.builtin_params("CONV_2D", "arm32") == (28, 4)


# The tflite-micro Python wrapper creates MicroResourceVariables with as many slots as it is
# told (the public runtime passes the model's VAR_HANDLE count); run it with a given count.
_LIVE_WITH_RESOURCE_VARIABLES = """
import ctypes, sys
from tflite_micro.python.tflite_micro import _runtime, runtime
model = open(sys.argv[1], "rb").read()
wrapper = _runtime.InterpreterWrapper(
    model, [], 1 << 20, int(sys.argv[2]),
    runtime._ENUM_TRANSLATOR[runtime.InterpreterConfig.kAllocationRecording], 0)
wrapper.PrintAllocations()
ctypes.CDLL(None).fflush(None)
"""


def _live_allocations(tmp_path, data: bytes, resource_variables: int) -> tuple[int, dict]:
    import re
    import subprocess
    import sys

    pytest.importorskip("tflite_micro")
    path = tmp_path / "model.tflite"
    path.write_bytes(data)
    done = subprocess.run([sys.executable, "-c", _LIVE_WITH_RESOURCE_VARIABLES, str(path),
                           str(resource_variables)], capture_output=True, text=True, timeout=120)
    text = done.stdout + done.stderr
    tail = re.search(r"Arena allocation tail (\d+) bytes", text)
    assert done.returncode == 0 and tail, text
    pattern = r"'([^']+)' used (\d+) bytes with alignment overhead \(requested (\d+) bytes for (\d+) "
    lines = {m.group(1): (int(m.group(2)), int(m.group(3)), int(m.group(4)))
             for m in re.finditer(pattern, text)}
    return int(tail.group(1)), lines


@pytest.mark.parametrize("slots", [1, 100])
def test_resource_variables_against_live_interpreter(tmp_path, slots):
    from microinfer.testing.op_models import build

    data = build("CONV_2D/int8/per_channel")
    model = load(data)
    live_tail, live_lines = _live_allocations(tmp_path, data, slots)
    assert arena_tail.tail_bytes(model, "x86_64", resource_variables=slots) == live_tail
    assert arena_tail.categories(model, "x86_64", resource_variables=slots) == live_lines
    assert plan(model, abi="x86_64", resource_variables=slots).tail_bytes == live_tail
