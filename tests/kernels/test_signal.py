"""TFLite Micro's custom operators (the signal library's audio front end, CIRCULAR_BUFFER,
TFLM_DECODE) against the live TFLite Micro, bit for bit, over streams of invokes; TFLite Micro's own kernel
tests' values by hand; and what microinfer refuses (LiteRT registers none of them).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microinfer import UnsupportedOpError
from microinfer.errors import ModelError
from microinfer.interpreter import Interpreter
from microinfer.testing import signal_models as M
from microinfer.testing.families import signal as family
from microinfer.testing.op_models import random_inputs
from microinfer.tflite import flexbuffers, load

SETTINGS = dict(deadline=None, derandomize=True, database=None, max_examples=12,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
STEPS = 4  # invokes per stream: state carries from one to the next


def _stream(worker, model: bytes, seed: int = 0, steps: int = STEPS, skip: int = 0):
    """microinfer and TFLite Micro over one stream of random inputs; microinfer again after
    reset_variables, which must start the stream over (``skip``: leading invokes whose outputs
    are not compared)."""
    rng = np.random.default_rng(seed)
    sets = [random_inputs(model, rng) for _ in range(steps)]
    live = worker.run_many("tflm", model, sets, reset=False)
    ours = Interpreter(model)
    for i, inputs in enumerate(sets + sets):
        if i == steps:
            ours.reset_variables()
        if i % steps < skip:
            ours.run(inputs)
            continue
        for j, (got, expected) in enumerate(zip(ours.run(inputs), live[i % steps].outputs)):
            assert got.shape == expected.shape and got.dtype == expected.dtype, (i, j)
            if got.dtype == np.float32:
                np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6, err_msg=f"invoke {i} output {j}")
            else:
                np.testing.assert_array_equal(got, expected, err_msg=f"invoke {i} output {j}")


def _reset_between_streams(worker, model: bytes):
    """The live interpreter resets between the two halves too: its Reset restores the state."""
    rng = np.random.default_rng(1)
    sets = [random_inputs(model, rng) for _ in range(3)]
    live = worker.run_many("tflm", model, sets, reset=True)
    ours = Interpreter(model)
    for inputs, run in zip(sets, live):
        ours.reset_variables()
        for got, expected in zip(ours.run(inputs), run.outputs):
            np.testing.assert_array_equal(got, expected)


STATELESS = {
    "window": family.window, "fft_auto_scale": family.fft_auto_scale, "energy": family.energy,
    "filter_bank": family.filter_bank, "filter_bank_square_root": family.filter_bank_square_root,
    "filter_bank_log": family.filter_bank_log, "pcan": family.pcan,
}
STATEFUL = {
    "spectral_subtraction": family.filter_bank_spectral_subtraction, "delay": family.delay,
    "framer": family.framer, "stacker": family.stacker,
    "overlap_add_int16": lambda: family.overlap_add("int16"),
    "overlap_add_float32": lambda: family.overlap_add("float32"),
}
FFTS = {f"{op}_{dtype}": (lambda op=op, dtype=dtype: getattr(family, op)(dtype))
        for op in ("rfft", "irfft") for dtype in ("int16", "int32", "float32")}


@pytest.mark.parametrize("name", sorted({**STATELESS, **STATEFUL, **FFTS}))
def test_streams_against_tflm(name, reference_worker):
    strategy = {**STATELESS, **STATEFUL, **FFTS}[name]

    @settings(**SETTINGS)
    @given(model=strategy(), seed=st.integers(0, 2**16))
    def run(model, seed):
        _stream(reference_worker, model, seed, steps=2 if name in STATELESS or name in FFTS else STEPS)

    run()


@pytest.mark.parametrize("model", [
    M.filter_bank_spectral_subtraction(clamping=True), M.delay((3, 5), 7), M.framer((2, 12), 9, 3),
    M.stacker(3, 2), M.overlap_add((2, 4, 6), 2), M.overlap_add((3, 5), 5, "float32"),
], ids=["spectral_subtraction", "delay", "framer", "stacker", "overlap_add", "overlap_add_float32"])
def test_reset_restores_the_state_as_tflm_reset_does(model, reference_worker):
    _reset_between_streams(reference_worker, model)


@pytest.mark.parametrize("kwargs", [dict(), dict(slots=4, width=2, cycles_max=3, valid_output=True),
                                    dict(slots=5, cycles_max=None), dict(slots=6, cycles_max=None, valid_output=True)])
def test_circular_buffer_stream(kwargs, reference_worker):
    """After ``slots - 1`` invokes every slot holds an input (before, TFLite Micro's older slots
    hold arena garbage); the valid flag follows the countdown from the first invoke."""
    model = M.circular_buffer(**kwargs)
    slots = kwargs.get("slots", 3)
    rng = np.random.default_rng(3)
    sets = [random_inputs(model, rng) for _ in range(slots + 6)]
    live = reference_worker.run_many("tflm", model, sets, reset=False)
    ours = Interpreter(model)
    for i, (inputs, run) in enumerate(zip(sets, live)):
        got = ours.run(inputs)
        filled = min(i + 1, slots)
        np.testing.assert_array_equal(got[0][:, slots - filled:], run.outputs[0][:, slots - filled:])
        if len(got) == 2:
            assert bool(got[1]) == bool(run.outputs[1]), i


def test_circular_buffer_unfilled_slots_start_zeroed_in_the_reference_worker(reference_worker):
    """TFLite Micro never initialises the older slots; the worker gives every run a fresh, zeroed
    arena, so after other models have left their activations in its heap the first invoke still
    equals microinfer's (whose slots start at zero) on every slot. Before, the same worker
    returned those models' bytes there (campaign seed 11, mutants 40991 and 92264)."""
    from microinfer.testing import build

    model = M.circular_buffer(slots=3, width=2, depth=8)
    inputs = random_inputs(model, np.random.default_rng(5))
    rng = np.random.default_rng(6)
    for name in ("CONV_2D/int8/per_channel", "FULLY_CONNECTED/int8/per_tensor", "SOFTMAX/int8") * 2:
        other = build(name)
        reference_worker.run("tflm", other, random_inputs(other, rng))
    live = reference_worker.run("tflm", model, inputs).outputs[0]
    ours = Interpreter(model).run(inputs)[0]
    assert not ours[:, :2].any()
    np.testing.assert_array_equal(ours, live)


@pytest.mark.parametrize("dtype", ["int8", "int16", "int32", "int64", "float32", "bool"])
def test_decode_against_tflm(dtype, reference_worker):
    @settings(**SETTINGS)
    @given(model=family.decode(dtype))
    def run(model):
        _stream(reference_worker, model, steps=1)

    run()


def test_pruned_decode_by_hand():
    """Mask 1011 0000: elements 0, 2, 3 take the table's 7, -2, 9; element 1 and the rest the
    zero point 4 (int8, one channel)."""
    m = M._OneOp()
    m.input((1,), "int8")
    enc = m.const(np.array([0b10110000], np.uint8), np.uint8)
    anc = m.const(M.prune_ancillary([7, -2, 9], np.int8), np.uint8)
    y = m.g.add_output("y", (6,), "int8", scale=0.1, zero_point=4)
    model = m.finish("TFLM_DECODE", [enc, anc], [y], None)
    assert _one(model, np.zeros(1, np.int8))[0].tolist() == [7, 4, -2, 9, 4, 4]


def test_decode_by_hand():
    """3-bit indices 5, 0, 7, 2 packed MSB first (101 000 111 010 -> 0xA3 0xA0) into the
    per-channel tables of a (2, 2) int16 output (channel = row)."""
    tables = [np.arange(8) * 10, np.arange(8) * -100]
    packed = M.pack_indices([5, 0, 7, 2], 3)
    assert packed.tolist() == [0b10100011, 0b10100000]
    m = M._OneOp()
    m.input((1,), "int8")
    enc, anc = m.const(packed, np.uint8), m.const(M.lut_ancillary(tables, 3, np.int16), np.uint8)
    y = m.g.add_output("y", (2, 2), "int16", scale=[0.1, 0.2], zero_point=[0, 0], axis=0)
    model = m.finish("TFLM_DECODE", [enc, anc], [y], None)
    assert _one(model, np.zeros(1, np.int8))[0].tolist() == [[50, 0], [-700, -200]]


# -- TFLite Micro's kernel tests, by hand -------------------------------------------------------------
def _one(model: bytes, *inputs) -> list[np.ndarray]:
    return Interpreter(model).run(list(inputs))


def test_window_values_of_tflm_kernel_test(reference_worker):
    ramp = np.arange(16, dtype=np.int16) * 0x100
    model = M.window((1, 16), 16, 12, (0xF00 - ramp).astype(np.int16))
    golden = [0, 224, 416, 576, 704, 800, 864, 896, 896, 864, 800, 704, 576, 416, 224, 0]
    x = ramp.reshape(1, 16)
    assert _one(model, x)[0].tolist() == [golden]
    assert reference_worker.run("tflm", model, [x]).outputs[0].tolist() == [golden]


def test_window_saturates_values_of_tflm_kernel_test():
    x = np.array([1221, 1920, 9531, 2795, 1826, 371, 8446, 850], np.int16).reshape(1, 8)
    w = np.array([1323, 764, 9100, 4220, 1745, 9311, 178, 9442], np.int16)
    assert _one(M.window((1, 8), 8, 8, w), x)[0].tolist() == [[6310, 5730, 32767, 32767, 12446, 13493, 5872, 31350]]


def test_filter_bank_log_values_of_tflm_kernel_test(reference_worker):
    x = np.array([29, 21, 29, 40, 19, 11, 13, 23, 13, 11, 25, 17, 5, 4, 46, 14], np.uint32)
    golden = [8715, 8198, 8715, 9229, 8038, 7164, 7431, 8344, 7431, 7164, 8477, 7860, 5902, 5545, 9453, 7550]
    model = M.filter_bank_log(16, 3, 1600)
    assert _one(model, x)[0].tolist() == golden
    # scale 32768 with 5 correction bits: the uint32 product wraps (TFLite Micro's second test)
    x = np.array([48, 20, 19, 24, 35, 47, 23, 30, 31, 10, 48, 21, 46, 14, 18, 27], np.uint32)
    golden = [32767, 15121, 13440, 21095, 32767, 32767, 19701, 28407, 29482, 32767, 32767, 16720, 32767, 3434,
              11669, 24955]
    model = M.filter_bank_log(16, 5, 32768)
    assert _one(model, x)[0].tolist() == golden
    assert reference_worker.run("tflm", model, [x]).outputs[0].tolist() == golden


def test_fft_auto_scale_follows_tflm_int16_negation(reference_worker):
    """MaxAbs16 negates in int16: -32768 makes the maximum -32768, then 5 replaces it; 16 - 3 - 1
    = 12 bits of scale, and -32768 << 12 wraps to 0."""
    model = M.fft_auto_scale(2)
    x = np.array([-32768, 5], np.int16)
    scaled, bits = _one(model, x)
    assert (scaled.tolist(), int(bits)) == ([0, 5 << 12], 12)
    live = reference_worker.run("tflm", model, [x]).outputs
    assert (live[0].tolist(), int(live[1])) == ([0, 5 << 12], 12)


def test_energy_of_the_most_negative_bin_wraps_to_2_pow_31():
    x = np.array([-32768, -32768, 3, -4], np.int16)
    assert _one(M.energy(2), x)[0].tolist() == [2**31, 25]


def test_delay_and_stacker_by_hand():
    delay = Interpreter(M.delay((1, 4), 3))
    assert delay.run([np.array([[1, 2, 3, 4]], np.int16)])[0].tolist() == [[0, 0, 0, 1]]
    assert delay.run([np.array([[5, 6, 7, 8]], np.int16)])[0].tolist() == [[2, 3, 4, 5]]
    stacker = Interpreter(M.stacker(2, 2))
    out, valid = stacker.run([np.array([1, 2], np.int16)])
    assert out.tolist() == [1, 2, 1, 2, 1, 2] and bool(valid)  # the first frame pads the left context
    assert stacker.run([np.array([3, 4], np.int16)])[0].tolist() == [1, 2, 1, 2, 3, 4]


def test_irfft_inverts_rfft_in_float():
    x = np.random.default_rng(0).uniform(-1, 1, (1, 32)).astype(np.float32)
    (spectrum,) = _one(M.rfft("float32", (1, 32), 32), x)
    (back,) = _one(M.irfft("float32", (1,), 32), spectrum)
    np.testing.assert_allclose(back, x, atol=1e-5)


# -- refusals -------------------------------------------------------------------------------------
def _decode_one(indices, width, tables, dtype=np.int8) -> bytes:
    """One int8 (len(indices),) output decoded from ``tables`` (per tensor)."""
    m = M._OneOp()
    m.input((1,), "int8")
    enc, anc = m.const(M.pack_indices(indices, width), np.uint8), m.const(M.lut_ancillary(tables, width, dtype), np.uint8)
    y = m.g.add_output("y", (len(indices),), "int8", scale=0.1, zero_point=0)
    return m.finish("TFLM_DECODE", [enc, anc], [y], None)


def _refusal(model: bytes, reference: str = "tflm") -> str:
    with pytest.raises(UnsupportedOpError) as info:
        Interpreter(model, reference=reference)
    return str(info.value)


def test_litert_refuses_every_custom_operator(reference_worker):
    for model in (M.window(), M.rfft(), M.circular_buffer(), M.delay(), M.decode()):
        assert "LiteRT registers none of TFLite Micro's custom operators" in _refusal(model, "tflite")
    with pytest.raises(Exception, match="unresolved custom op"):
        reference_worker.run("tflite", M.window(), [np.zeros((2, 16), np.int16)])


@pytest.mark.parametrize("model, message", [
    (M.energy(8, start=1), "start_index is 0 and end_index is the output's size"),
    (M.rfft("int16", (1, 14), 14), "half of it a product of 2, 3 and 5"),
    (M.framer((1, 8), 6, 2, prefill=False), "Every frame is emitted"),
    (M.stacker(2, 1, right_context=1), "right context 0 and step 1"),
    (M.window((1, 12), 8), "a multiple of theirs"),
    (M.filter_bank_log(4, 32), "input_correction_bits is in 0..31"),
    (M.circular_buffer(cycles_max=2), "and 1 when there is no valid output"),
    (M.decode().replace(bytes([0, 1, 0, 0, 1, 0xF4, 16]), bytes([1, 1, 0, 0, 1, 0xF4, 16])),
     "Huffman and custom types are not reproduced"),
    (_decode_one([15, 3], 4, [np.arange(8)]), "the encoded data and value tables cover every element"),
], ids=["energy_range", "fft_factor_7", "framer_unfilled", "stacker_right_context", "window_frames",
        "log_shift", "circular_buffer_abort", "decode_huffman", "decode_table_short"])
def test_refusals(model, message):
    assert message in _refusal(model)


def test_malformed_options_are_refused_not_a_traceback():
    """Every corruption of a window's options blob (inside the model) is refused or runs."""
    data = M.window()
    blob = bytes(load(data).main.operators[0].custom_options)
    assert data.count(blob) == 1
    rng = np.random.default_rng(0)
    refused = 0
    for _ in range(200):
        broken = bytearray(blob)
        broken[rng.integers(0, len(blob))] = rng.integers(0, 256)
        try:
            Interpreter(data.replace(blob, bytes(broken)))
        except UnsupportedOpError as exc:
            refused += "FlexBuffer map" in str(exc)
    assert refused > 0


# -- the FlexBuffers reader -----------------------------------------------------------------------------
VALUES = [{"shift": 12}, {"T": 7, "fft_length": 512}, [1, -2, 3], 5, -(2**40), 2.5, "text", True, None,
          {"a": [1, "b", [2.0, None]], "blob": b"\x00\x01", "m": {"x": -5, "y": [True, False]}}]


@pytest.mark.parametrize("value", VALUES, ids=[str(i) for i in range(len(VALUES))])
def test_flexbuffers_decode_what_flatbuffers_encodes(value):
    from flatbuffers import flexbuffers as reference_codec

    assert flexbuffers.decode(reference_codec.Dumps(value)) == value


def test_flexbuffers_mutations_raise_only_model_error():
    from flatbuffers import flexbuffers as reference_codec

    rng = np.random.default_rng(0)
    for value in VALUES:
        blob = bytes(reference_codec.Dumps(value))
        for _ in range(400):
            mutated = bytearray(blob)
            for i in rng.integers(0, len(blob), rng.integers(1, 4)):
                mutated[i] = rng.integers(0, 256)
            mutated = mutated[: rng.integers(0, len(mutated) + 1)] if rng.random() < 0.2 else mutated
            try:
                flexbuffers.decode(bytes(mutated))
            except ModelError:
                pass


def test_flexbuffers_unsorted_keys_are_malformed():
    from flatbuffers import flexbuffers as reference_codec

    blob = bytearray(reference_codec.Dumps({"a": 1, "b": 2}))
    a, b = blob.index(b"a"), blob.index(b"b")
    blob[a], blob[b] = ord("b"), ord("a")
    with pytest.raises(ModelError, match="not unique and sorted"):
        flexbuffers.decode(bytes(blob))
