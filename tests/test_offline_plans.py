"""Offline memory plans (OfflineMemoryAllocation metadata) as TFLite Micro honours them."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from microinfer import Interpreter, ModelError, load, plan
from microinfer.planner.lifetimes import buffer_lifetimes
from microinfer.reference import ReferenceFailure
from microinfer.testing import build, random_inputs
from microinfer.tflite.model import OFFLINE_MEMORY_ALLOCATION, Buffer
from microinfer.tflite.writer import serialize

from conftest import shared_model_path


def _with_offsets(data: bytes, offsets: list[int], count: int | None = None) -> bytes:
    model = load(data)
    count = len(offsets) if count is None else count
    words = np.array([1, 0, count, *offsets], "<i4").tobytes()
    buffers = (*model.buffers, Buffer(np.frombuffer(words, np.uint8)))
    index = len(buffers) - 1
    metadata = {**model.metadata, OFFLINE_MEMORY_ALLOCATION: buffers[index].data}
    names = {**model.metadata_buffers, OFFLINE_MEMORY_ALLOCATION: index}
    return serialize(dataclasses.replace(model, buffers=buffers, metadata=metadata, metadata_buffers=names))


def _svdf_offsets(state_offset: int, others: dict[int, int] | None = None) -> tuple[bytes, list[int]]:
    """The catalogue SVDF (its state, tensor 4, is a variable) with an offline offset for the
    state and, optionally, for other tensors."""
    data = build("SVDF/int8")
    model = load(data)
    offsets = [-1] * len(model.main.tensors)
    state = model.main.operators[0].inputs[4]
    assert model.main.tensors[state].is_variable
    offsets[state] = state_offset
    for index, offset in (others or {}).items():
        offsets[index] = offset
    return _with_offsets(data, offsets), offsets


def test_offline_planned_variable_lives_in_the_head(reference_worker):
    """TFLite Micro keeps a variable the offline plan places in the planned head, not the tail."""
    data, _ = _svdf_offsets(4096)
    live = reference_worker.run("tflm", data, random_inputs(data, np.random.default_rng(0)))
    arena = plan(load(data), planner="tflm", abi="x86_64")
    assert (arena.head_bytes, arena.tail_bytes) == (live.arena["head"], live.arena["tail"])
    plain = plan(load(build("SVDF/int8")), planner="tflm", abi="x86_64")
    assert arena.tail_bytes < plain.tail_bytes  # the state left the tail
    assert arena.head_bytes > 4096


def test_offline_planned_variable_runs_bit_exact_across_runs(reference_worker):
    data, _ = _svdf_offsets(4096)
    rng = np.random.default_rng(1)
    sets = [random_inputs(data, rng) for _ in range(4)]
    expected = reference_worker.run_many("tflm", data, [sets[0]])[0].outputs[0]
    interpreter = Interpreter(data)
    np.testing.assert_array_equal(interpreter.run(sets[0])[0], expected)


def test_variable_sharing_bytes_with_activations_is_refused(reference_worker):
    """The LSTM's output state at offset 0 shares its bytes with activations that TFLite Micro
    plans there after the LSTM has run: the state would not survive until the next run."""
    data = shared_model_path("trained_lstm_int8.tflite").read_bytes()
    model = load(data)
    lstm = model.main.operators[0]
    offsets = [-1] * len(model.main.tensors)
    offsets[lstm.inputs[18]], offsets[lstm.inputs[19]] = 0, 8192
    planned = _with_offsets(data, offsets)
    live = reference_worker.run("tflm", planned, random_inputs(planned, np.random.default_rng(0)))
    arena = plan(load(planned), planner="tflm", abi="x86_64")
    assert (arena.head_bytes, arena.tail_bytes) == (live.arena["head"], live.arena["tail"])
    with pytest.raises(ModelError, match="places variable .* the state would not survive"):
        Interpreter(planned)


def test_tensors_alive_together_on_the_same_bytes_are_refused(reference_worker):
    data = build("ADD/int8")
    model = load(data)
    a, b = model.main.operators[0].inputs
    offsets = [-1] * len(model.main.tensors)
    offsets[a] = offsets[b] = 0
    planned = _with_offsets(data, offsets)
    with pytest.raises(ModelError, match="alive together, on overlapping bytes"):
        Interpreter(planned)
    arena = plan(load(planned))  # planning still describes what TFLite Micro would do
    assert any("overlaps buffers that are alive together" in note for note in arena.notes)


def test_offset_count_must_match_every_tensor(reference_worker):
    data = build("ADD/int8")
    n = len(load(data).main.tensors)
    wrong = _with_offsets(data, [-1] * n, count=n - 1)
    with pytest.raises(ReferenceFailure):
        reference_worker.run("tflm", wrong, random_inputs(wrong, np.random.default_rng(0)))
    with pytest.raises(ModelError, match=f"{n - 1} offsets for {n} tensors"):
        Interpreter(wrong)
    with pytest.raises(ModelError, match=f"{n - 1} offsets for {n} tensors"):
        plan(load(wrong))


def test_negative_offsets_other_than_online_are_refused():
    data = build("ADD/int8")
    offsets = [-1] * len(load(data).main.tensors)
    offsets[0] = -16
    with pytest.raises(ModelError, match="offset -16 of tensor 0 is negative"):
        plan(load(_with_offsets(data, offsets)))


def _while_with_offsets(placed: dict[tuple[str, str], int]) -> bytes:
    """The catalogue WHILE/int32 model with offline offsets for (subgraph, tensor) names, written
    at the running index TFLite Micro gives a tensor across subgraphs."""
    data = build("WHILE/int32")
    model = load(data)
    index, offsets = {}, []
    for sg in model.subgraphs:
        for t in sg.tensors:
            index[sg.name, t.name] = len(offsets)
            offsets.append(-1)
    for key, offset in placed.items():
        offsets[index[key]] = offset
    return _with_offsets(data, offsets)


def test_offsets_number_the_tensors_of_all_subgraphs_in_a_row(reference_worker):
    """The plan lists subgraph after subgraph. Two tensors of the WHILE body that are alive
    together, placed on the same bytes at their running indices, corrupt TFLite Micro's result
    (measured), so microinfer refuses the plan."""
    x = np.array([5, -7, 100], np.int32)
    planned = _while_with_offsets({("body", "x"): 64, ("body", "early"): 64})
    clean = reference_worker.run("tflm", build("WHILE/int32"), [x]).outputs[1]
    corrupted = reference_worker.run("tflm", planned, [x]).outputs[1]
    assert not np.array_equal(clean, corrupted)
    overlap = r"'x' \(subgraph body\) and 'early' \(subgraph body\), which are alive together"
    with pytest.raises(ModelError, match=overlap):
        Interpreter(planned)
    buffers = {(b.subgraph, b.tensor): b.offline_offset for b in buffer_lifetimes(load(planned))}
    model = load(planned)
    body = next(sg for sg in model.subgraphs if sg.name == "body")
    names = {t.name: t.index for t in body.tensors}
    assert buffers[body.index, names["x"]] == buffers[body.index, names["early"]] == 64


def test_offsets_at_a_subgraphs_own_indices_place_other_tensors(reference_worker):
    """The same two offsets written at the body's own tensor indices (as if each subgraph's list
    began the plan) land on other subgraphs' tensors: TFLite Micro computes the plain result,
    and so does microinfer, with TFLite Micro's arena."""
    x = np.array([5, -7, 100], np.int32)
    model = load(build("WHILE/int32"))
    body = next(sg for sg in model.subgraphs if sg.name == "body")
    own = {t.name: t.index for t in body.tensors}
    total = sum(len(sg.tensors) for sg in model.subgraphs)
    offsets = [-1] * total
    offsets[own["x"]] = offsets[own["early"]] = 64
    planned = _with_offsets(build("WHILE/int32"), offsets)
    live = reference_worker.run("tflm", planned, [x])
    clean = reference_worker.run("tflm", build("WHILE/int32"), [x]).outputs
    ours = Interpreter(planned).run([x])
    for got, want, expect in zip(ours, live.outputs, clean):
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(want, expect)
    arena = plan(load(planned), planner="tflm", abi="x86_64")
    assert arena.head_bytes == live.arena["head"]
