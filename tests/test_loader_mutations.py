"""The loader refuses malformed files with ModelError, and only ModelError.

A Hypothesis-driven mutation test runs over every shared model (when present) and three small
builder-made models: bit flips, interesting values at the offsets/vtables/vector lengths the
loader reads, truncations, splices, inflated vector lengths and random bytes. Every mutant must
load (and then every byte of its constant data must be readable) or raise ModelError, in bounded
time. Hand-crafted files then check that each kind of damage is reported with a useful message.
"""

from __future__ import annotations

import dataclasses
import struct
import time
import tracemalloc

import flatbuffers
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import microinfer
from microinfer import ModelError
from microinfer.tflite import ActivationFunction, ModelBuilder, Quantization, TensorType, options, serialize
from microinfer.tflite.flatbuf import FlatBuffer

from conftest import SHARED_MODEL_NAMES, SHARED_MODELS
import tflite_mutations as tm

SEEDS = {name: tm.make_seed(name, data) for name, data in tm.builder_seeds().items()}
SEEDS.update({name: tm.make_seed(name, (SHARED_MODELS / name).read_bytes()) for name in SHARED_MODEL_NAMES})
CORPUS = list(SEEDS.values())

MUTATION_SETTINGS = settings(
    max_examples=400,
    deadline=2000,  # ms per load: a mutant that makes the loader crawl fails the test
    derandomize=True,  # reproducible in CI
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# -- mutation tests --------------------------------------------------------------------------------
@pytest.mark.parametrize("seed_name", sorted(SEEDS))
@MUTATION_SETTINGS
@given(data=st.data())
def test_mutant_loads_or_raises_model_error(seed_name, data):
    mutant = tm.mutate(tm.HypothesisDraw(data), SEEDS[seed_name], CORPUS)
    tm.load_and_touch(mutant)


@pytest.mark.parametrize("kind", sorted(f.__name__ for f in set(tm.MUTATIONS)))
@settings(MUTATION_SETTINGS, max_examples=100)
@given(data=st.data())
def test_each_mutation_kind(kind, data):
    """Each mutation alone, on a seed Hypothesis picks, so no kind goes untested."""
    draw = tm.HypothesisDraw(data)
    seed = CORPUS[draw.integer(0, len(CORPUS) - 1)]
    mutation = getattr(tm, kind)
    tm.load_and_touch(bytes(mutation(draw, bytearray(seed.data), seed, CORPUS)))


@MUTATION_SETTINGS
@given(raw=st.binary(max_size=300), header=st.booleans())
def test_random_bytes(raw, header):
    if header and len(raw) >= 8:
        raw = struct.pack("<I", raw[0]) + b"TFL3" + raw[8:]
    tm.load_and_touch(raw)


def test_seeds_load_unmutated():
    for seed in CORPUS:
        assert tm.load_and_touch(seed.data) is not None, seed.name


# -- hand-crafted files ----------------------------------------------------------------------------
def _model() -> microinfer.Model:
    """A small valid model: FULLY_CONNECTED with per-channel int8 weights."""
    b = ModelBuilder("handcrafted")
    g = b.main
    x = g.add_input("x", (1, 8), "int8", scale=0.05, zero_point=-3)
    w = g.add_constant("weights", np.arange(32, dtype=np.int8).reshape(4, 8), scale=[0.1, 0.2, 0.3, 0.4])
    y = g.add_tensor("PATCH_ME_NAME", (1, 4), "int8", scale=0.1, zero_point=2)
    relu = options.FullyConnectedOptions(fused_activation_function=ActivationFunction.RELU)
    g.add_operator("FULLY_CONNECTED", [x, w, -1], [y], relu)
    g.outputs.append(y)
    return b.model()


def _replace_tensor(model, index: int, **changes):
    sg = model.main
    tensors = list(sg.tensors)
    tensors[index] = dataclasses.replace(tensors[index], **changes)
    return dataclasses.replace(model, subgraphs=(dataclasses.replace(sg, tensors=tuple(tensors)),))


def _replace_operator(model, index: int, **changes):
    sg = model.main
    ops = list(sg.operators)
    ops[index] = dataclasses.replace(ops[index], **changes)
    return dataclasses.replace(model, subgraphs=(dataclasses.replace(sg, operators=tuple(ops)),))


def _raises(data: bytes, *fragments: str) -> str:
    with pytest.raises(ModelError) as info:
        microinfer.load(data)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    return message


def test_handcrafted_base_model_is_valid():
    model = microinfer.load(serialize(_model()))
    assert [t.name for t in model.main.tensors] == ["x", "weights", "PATCH_ME_NAME"]


def test_model_error_is_a_value_error():
    assert issubclass(ModelError, ValueError)


def test_empty_file():
    _raises(b"", "0 bytes long", "too short")


def test_seven_bytes():
    _raises(b"\x08\x00\x00\x00TFL", "7 bytes long", "too short")


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00",
        b"This is a plain text file, not a model at all.\n" * 3,
    ],
    ids=["png", "text"],
)
def test_not_a_flatbuffer(data):
    _raises(data, "not a TFLite model", "'TFL3'")


def test_root_offset_past_end():
    data = bytearray(serialize(_model()))
    struct.pack_into("<I", data, 0, len(data) + 100)
    _raises(bytes(data), "root table offset at byte 0", "past the end")


def test_vtable_outside_file():
    data = bytearray(serialize(_model()))
    root = struct.unpack_from("<I", data, 0)[0]
    struct.pack_into("<i", data, root, -(len(data) + 64))  # vtable = root - soffset: past the end
    _raises(bytes(data), "model: vtable at byte", "outside the file")


def test_vector_longer_than_file():
    data = bytearray(serialize(_model()))
    length_word = FlatBuffer(bytes(data)).root()._target(4, "buffers")
    struct.pack_into("<I", data, length_word, 0x0FFFFFFF)
    _raises(bytes(data), f"model.buffers: vector at byte {length_word} claims 268435455 elements", "bytes left")


def test_tensor_buffer_index_out_of_range():
    model = _replace_tensor(_model(), 1, buffer=99)
    _raises(serialize(model), "subgraphs[0].tensors[1].buffer: buffer index 99 is out of range")


def test_operator_input_index_out_of_range():
    model = _replace_operator(_model(), 0, inputs=(0, 57, -1))
    _raises(serialize(model), "subgraphs[0].operators[0].inputs[1]: tensor index 57 is out of range")


def test_opcode_index_out_of_range():
    model = _replace_operator(_model(), 0, opcode_index=5)
    _raises(serialize(model), "operators[0].opcode_index: operator code index 5 is out of range")


def test_constant_buffer_size_inconsistent_with_shape():
    model = _replace_tensor(_model(), 1, shape=(4, 9), quantization=None)
    _raises(serialize(model), "tensors[1]: buffer 1 holds 32 bytes", "[4, 9] of INT8 needs 36")


def test_constant_buffer_size_inconsistent_with_type():
    model = _replace_tensor(_model(), 1, type=TensorType.INT16)
    _raises(serialize(model), "tensors[1]: buffer 1 holds 32 bytes", "of INT16 needs 64")


def _quant(scales, zero_points, axis=0):
    return Quantization(np.array(scales, "<f4"), np.array(zero_points, "<i8"), axis)


def _warns(data: bytes, refused_by: tuple[str, ...], *fragments: str) -> str:
    """The file loads (TFLite Micro tolerates it) with one warning holding ``fragments``,
    refused by the references ``refused_by``."""
    model = microinfer.load(data)
    (warning,) = model.warnings
    for fragment in fragments:
        assert fragment in str(warning), f"{fragment!r} not in {str(warning)!r}"
    assert warning.refused_by == refused_by
    return str(warning)


def test_scale_and_zero_point_counts_differ():
    """TFLite Micro uses the first zero point for every channel; LiteRT refuses the model."""
    model = _replace_tensor(_model(), 1, quantization=_quant([0.1, 0.2, 0.3, 0.4], [0, 0]))
    _warns(serialize(model), ("tflite",), "tensors[1].quantization: 4 scales but 2 zero points")
    weights = microinfer.load(serialize(model)).main.tensors[1].quantization
    assert weights.zero_point.tolist() == [0, 0, 0, 0]


def test_per_channel_scales_do_not_match_dimension():
    model = _replace_tensor(_model(), 1, quantization=_quant([0.1, 0.2, 0.3], [0, 0, 0]))
    _warns(serialize(model), ("tflite",), "tensors[1].quantization: 3 scales",
           "[4, 8] has 4 channels")


def test_quantized_dimension_out_of_rank():
    model = _replace_tensor(_model(), 1, quantization=_quant([0.1] * 4, [0] * 4, axis=5))
    _warns(serialize(model), ("tflite",), "tensors[1].quantization.quantized_dimension: axis 5",
           "rank 2")


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -0.5, 0.0])
def test_scale_not_finite_or_positive(bad):
    """Both references load such a file; the operators that use the scale refuse it."""
    model = _replace_tensor(_model(), 1, quantization=_quant([0.1, bad, 0.3, 0.4], [0] * 4))
    _warns(serialize(model), (), "tensors[1].quantization.scale[1]", "not a finite positive")


def test_schema_version_2():
    _raises(serialize(dataclasses.replace(_model(), version=2)), "model.version: schema version 2")


def test_string_with_invalid_utf8():
    data = bytearray(serialize(_model()))
    at = data.index(b"PATCH_ME_NAME")
    data[at : at + 4] = b"\xff\xfe\xc3\x28"
    _raises(bytes(data), "subgraphs[0].tensors[2].name", "not valid UTF-8")


def test_huge_shape_does_not_overflow():
    model = _replace_tensor(_model(), 2, shape=(2**31 - 1,) * 4, quantization=None)
    _raises(serialize(model), "tensors[2].shape", "bytes, more than")


def test_rank_above_limit():
    model = _replace_tensor(_model(), 2, shape=(1,) * 17, quantization=None)
    _raises(serialize(model), "tensors[2].shape: rank 17 exceeds")


def test_unknown_tensor_type():
    data = bytearray(serialize(_model()))
    # The type byte of tensor 2: find it through the loader's own reader.
    sg = FlatBuffer(bytes(data)).root().tables(2, "subgraphs")[0]
    tensor = sg.tables(0, "tensors")[2]
    data[tensor._field(1, 1, "type")] = 99
    _raises(bytes(data), "tensors[2].type: unknown tensor type 99")


def test_invalid_option_enum():
    data = bytearray(serialize(_model()))
    op = FlatBuffer(bytes(data)).root().tables(2, "subgraphs")[0].tables(3, "operators")[0]
    opts = op.table(4, "builtin_options")
    data[opts._field(0, 1, "fused_activation_function")] = 42
    _raises(bytes(data), "operators[0].builtin_options.fused_activation_function: 42", "ActivationFunction")


def test_cyclic_reference_to_the_root():
    """A subgraph entry that points back at the model table is decoded once, as a subgraph."""
    data = bytearray(serialize(_model()))
    root = FlatBuffer(bytes(data)).root()
    vector = root._target(2, "subgraphs")
    struct.pack_into("<I", data, vector + 4, root.pos - (vector + 4) & 0xFFFFFFFF)
    with pytest.raises(ModelError, match=r"model\.subgraphs\[0\]"):
        microinfer.load(bytes(data))


# -- amplification: small files whose tables share one table or vector many times -----------------
def _tensor_table(b, name_offset, shape=(1,)):
    b.StartVector(4, len(shape), 4)
    for d in reversed(shape):
        b.PrependInt32(d)
    shape_vec = b.EndVector()
    b.StartObject(9)
    b.PrependUOffsetTRelativeSlot(0, shape_vec, 0)
    b.PrependInt8Slot(1, 9, 0)
    if name_offset is not None:
        b.PrependUOffsetTRelativeSlot(3, name_offset, 0)
    return b.EndObject()


def _repeat(b, offset, count):
    b.StartVector(4, count, 4)
    for _ in range(count):
        b.PrependUOffsetTRelative(offset)
    return b.EndVector()


def _finish(b, subgraphs_vec, opcodes_vec=None):
    b.StartObject(0)
    buffer0 = b.EndObject()
    buffers = _repeat(b, buffer0, 1)
    b.StartObject(8)
    b.PrependUint32Slot(0, 3, 0)
    if opcodes_vec is not None:
        b.PrependUOffsetTRelativeSlot(1, opcodes_vec, 0)
    b.PrependUOffsetTRelativeSlot(2, subgraphs_vec, 0)
    b.PrependUOffsetTRelativeSlot(4, buffers, 0)
    b.Finish(b.EndObject(), file_identifier=b"TFL3")
    return bytes(b.Output())


def _shared_name_string() -> bytes:
    """20,000 tensors, one tensor table, one 64 KB name: 1.3 GB of strings if decoded naively."""
    b = flatbuffers.Builder(1 << 18)
    name = b.CreateString("n" * 65536)
    tensors = _repeat(b, _tensor_table(b, name), 20_000)
    b.StartObject(5)
    b.PrependUOffsetTRelativeSlot(0, tensors, 0)
    return _finish(b, _repeat(b, b.EndObject(), 1))


def _shared_operator_inputs() -> bytes:
    """30,000 operators sharing one operator table whose inputs vector holds 20,000 entries."""
    b = flatbuffers.Builder(1 << 18)
    tensors = _repeat(b, _tensor_table(b, None), 1)
    b.StartVector(4, 20_000, 4)
    for _ in range(20_000):
        b.PrependInt32(0)
    inputs = b.EndVector()
    b.StartObject(9)
    b.PrependUOffsetTRelativeSlot(1, inputs, 0)
    b.PrependUOffsetTRelativeSlot(2, inputs, 0)
    operators = _repeat(b, b.EndObject(), 30_000)
    b.StartObject(5)
    b.PrependUOffsetTRelativeSlot(0, tensors, 0)
    b.PrependUOffsetTRelativeSlot(3, operators, 0)
    subgraphs = _repeat(b, b.EndObject(), 1)
    b.StartObject(4)
    b.PrependInt8Slot(0, 0, 0)  # ADD
    opcodes = _repeat(b, b.EndObject(), 1)
    return _finish(b, subgraphs, opcodes)


def _nested_sharing() -> bytes:
    """3,000 subgraphs sharing one subgraph of 3,000 tensors sharing one tensor: 9 M tensors."""
    b = flatbuffers.Builder(1 << 16)
    tensors = _repeat(b, _tensor_table(b, b.CreateString("t"), shape=(1, 2, 3, 4)), 3000)
    b.StartObject(5)
    b.PrependUOffsetTRelativeSlot(0, tensors, 0)
    return _finish(b, _repeat(b, b.EndObject(), 3000))


@pytest.mark.parametrize("make", [_shared_name_string, _shared_operator_inputs, _nested_sharing])
def test_amplification_hits_the_work_budget(make):
    data = make()
    assert len(data) < 300_000
    tracemalloc.start()
    start = time.perf_counter()
    try:
        _raises(data, "the model references far more data than its", f"{len(data)} bytes hold")
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # a guard against a hang, not a speed test (the work budget is what stops it; ~1 s unloaded)
    assert elapsed < 30.0, f"took {elapsed:.2f} s to refuse (tracemalloc on)"
    assert peak < 64 * 2**20, f"peak memory {peak / 2**20:.0f} MiB"
