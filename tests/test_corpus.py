"""Real models, as MCU projects publish them, against the live references.

Every model in ../shared/models and ../shared/models/wild (or where MICROINFER_SHARED_MODELS
points): where a reference runs the model, microinfer in that reference's mode runs it too, with
bit-identical outputs and intermediates (float32 within 1e-5 relative) on 5 seeded random
inputs; where the reference refuses it, microinfer refuses it as well (UnsupportedOpError or
ModelError), never with a traceback. For every model TFLite Micro runs, the offline arena plan
equals print_allocations() (head, tail, total) and the smallest working arena is exactly the one
predicted. Each part skips cleanly when the models are absent.
"""

from __future__ import annotations

import numpy as np
import pytest

from microinfer import Interpreter, load, plan
from microinfer.errors import ModelError, UnsupportedOpError
from microinfer.reference import ReferenceFailure

from conftest import SHARED_MODELS
from kernel_check import random_inputs

RUNS = 5
WILD = SHARED_MODELS / "wild"
CORPUS = sorted([*SHARED_MODELS.glob("*.tflite"), *WILD.glob("*.tflite")]) if SHARED_MODELS.is_dir() else []
FLOAT_RTOL = 1e-5


def _corpus_params():
    if not CORPUS:
        return [pytest.param(None, marks=pytest.mark.skip(
            reason=f"no models in {SHARED_MODELS} (set MICROINFER_SHARED_MODELS)"))]
    return [pytest.param(p, id=p.name) for p in CORPUS]


def _arena_size(model) -> int:
    """A reference arena with room to spare: TFLite Micro's own plan twice over, plus every
    tensor at once (keeping all tensors for comparison plans none over another), at least 4 MiB."""
    try:
        total = plan(model).total_bytes
    except (ModelError, UnsupportedOpError):
        total = 0
    every_tensor = sum((t.nbytes + 15) // 16 * 16 for sg in model.subgraphs for t in sg.tensors
                       if not t.is_constant)
    return max(4 << 20, 2 * total + every_tensor)


def _reference_runs(worker, ref, data, input_sets, arena_size):
    try:
        return worker.run_many(ref, data, input_sets, all_tensors=True, arena_size=arena_size)
    except ReferenceFailure:
        return None


def _assert_same(got: np.ndarray, expected: np.ndarray, what: str) -> None:
    expected = np.asarray(expected).reshape(got.shape)
    assert got.dtype == expected.dtype, f"{what}: dtype {got.dtype} != {expected.dtype}"
    if np.issubdtype(got.dtype, np.floating):
        np.testing.assert_allclose(got, expected, rtol=FLOAT_RTOL, atol=FLOAT_RTOL, err_msg=what)
    else:
        np.testing.assert_array_equal(got, expected, err_msg=what)


@pytest.mark.parametrize("ref", ["tflm", "tflite"])
@pytest.mark.parametrize("path", _corpus_params())
def test_runs_as_the_reference_does_or_refuses_with_it(path, ref, reference_worker):
    data = path.read_bytes()
    model = load(data)
    rng = np.random.default_rng(20261201)
    input_sets = [random_inputs(model, rng) for _ in range(RUNS)]
    runs = _reference_runs(reference_worker, ref, data, input_sets, _arena_size(model))
    if runs is None:
        with pytest.raises((UnsupportedOpError, ModelError)):
            Interpreter(model, reference=ref)
        return
    interpreter = Interpreter(model, reference=ref)
    internal = {i for op in model.main.operators for i in op.intermediates}
    for run, (inputs, expected) in enumerate(zip(input_sets, runs)):
        interpreter.reset_variables()
        got = interpreter.run(inputs, intermediates=True) and interpreter.tensor_values()
        for t in model.main.tensors:
            if t.is_constant or t.index in internal or t.index not in expected.tensors:
                continue
            _assert_same(got[t.index], expected.tensors[t.index], f"{path.name} {ref} input set {run}: "
                                                                 f"tensor {t.index} {t.name!r}")


@pytest.mark.parametrize("path", _corpus_params())
def test_arena_plan_equals_tflite_micro(path, reference_worker):
    data = path.read_bytes()
    model = load(data)
    zeros = [np.zeros(t.shape, t.type.numpy_dtype) for t in model.main.input_tensors()]
    arena = plan(model, planner="tflm", abi="x86_64")
    try:
        live = reference_worker.run("tflm", data, zeros, arena_size=_arena_size(model))
    except ReferenceFailure as exc:
        pytest.skip(f"TFLite Micro does not run this model: {exc}")
    assert (arena.head_bytes, arena.tail_bytes, arena.total_bytes) == (
        live.arena["head"], live.arena["tail"], live.arena["total"])
    smallest = arena.min_working_arena_bytes
    # The prediction is right when it works and 16 bytes less does not.
    assert reference_worker.min_arena(data, smallest - 16, smallest, isolated=True) == smallest
