"""Strategies of TFLite Micro's custom operators: the signal library's audio front end,
CIRCULAR_BUFFER and TFLM_DECODE (kernels/_signal.py). LiteRT registers none of them, so only TFLite Micro
compares; microinfer refuses them with reference='tflite'.

Drawn: frame and channel counts from 1, every parameter over the range TFLite Micro defines
(shifts at both ends, saturating windows, wrapping uint32 log scales, smoothing constants near
the Q14 ends), filter-bank tables with empty, overlapping and edge channels, PCAN gain tables of
any int16 values, FFT lengths of every radix KISS FFT takes (2, 3, 4, 5) in all three types, and
input rows shorter than the FFT. Inputs are drawn over the whole type by the campaign.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from ...kernels._kiss_fft import supported
from .. import signal_models as M

FFT_LENGTHS = [n for n in range(4, 161, 2) if supported(n)] + [256, 320, 400, 480, 512]
SHAPES = st.lists(st.integers(1, 3), min_size=0, max_size=2).map(tuple)
SEEDS = st.integers(0, 2**32 - 1)


def _int16(rng: np.random.Generator, size: int, spread: int = 32768) -> np.ndarray:
    return rng.integers(-spread, spread, size).clip(-32768, 32767).astype(np.int16)


@st.composite
def window(draw) -> bytes:
    frame = draw(st.integers(1, 24))
    rows = draw(SHAPES)
    frames = draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(SEEDS))
    weights = _int16(rng, frame, draw(st.sampled_from([2, 4097, 32768])))
    return M.window((*rows, frames * frame), frame, draw(st.integers(0, 31)), weights)


@st.composite
def fft_auto_scale(draw) -> bytes:
    return M.fft_auto_scale(draw(st.integers(1, 40)))


@st.composite
def energy(draw) -> bytes:
    bins = draw(st.integers(1, 40))
    return M.energy(bins, input_values=2 * bins + draw(st.sampled_from([0, 0, 1, 5])))


@st.composite
def filter_bank(draw) -> bytes:
    channels = draw(st.integers(1, 12))
    spectrum = draw(st.integers(2, 70))
    rng = np.random.default_rng(draw(SEEDS))
    widths = np.minimum(rng.integers(-1, max(2, spectrum // channels + 3), channels + 1), spectrum)
    starts = np.array([rng.integers(0, spectrum - max(w, 0) + 1) for w in widths])
    weight_starts = np.concatenate([[0], np.cumsum(np.maximum(widths, 0))[:-1]])
    if draw(st.booleans()):  # channels share weights
        weight_starts = np.zeros_like(weight_starts)
    n_weights = int(max(1, (weight_starts + np.maximum(widths, 0)).max()))
    spread = draw(st.sampled_from([4097, 32768]))
    tables = (_int16(rng, n_weights, spread), _int16(rng, n_weights, spread),
              starts.astype(np.int16), weight_starts.astype(np.int16), widths.astype(np.int16))
    outputs = draw(st.integers(1, channels))
    return M.filter_bank(channels, spectrum, outputs, tables)


@st.composite
def filter_bank_square_root(draw) -> bytes:
    return M.filter_bank_square_root(draw(st.integers(1, 40)), draw(st.integers(0, 31)))


@st.composite
def filter_bank_log(draw) -> bytes:
    scale = draw(st.sampled_from([1, 1600, 32768, 65535, 2**31 - 1, -1, -(2**31)]) | st.integers(-(2**31), 2**31 - 1))
    return M.filter_bank_log(draw(st.integers(1, 40)), draw(st.integers(0, 31)), scale)


@st.composite
def filter_bank_spectral_subtraction(draw) -> bytes:
    q14 = st.sampled_from([0, 1, 655, 15729, 16383, 16384]) | st.integers(-(2**31), 2**31 - 1)
    params = dict(alternate_one_minus_smoothing=draw(q14), alternate_smoothing=draw(q14),
                  clamping=draw(st.booleans()), min_signal_remaining=draw(q14), one_minus_smoothing=draw(q14),
                  smoothing=draw(q14), smoothing_bits=draw(st.integers(0, 31)),
                  spectral_subtraction_bits=draw(st.integers(0, 63)))
    return M.filter_bank_spectral_subtraction(draw(st.integers(1, 40)), **params)


@st.composite
def pcan(draw) -> bytes:
    if draw(st.booleans()):
        table = M.pcan_gain_table(draw(st.floats(0.5, 1.0)), draw(st.floats(1.0, 100.0)))
    else:
        table = _int16(np.random.default_rng(draw(SEEDS)), 4 * 32 - 3 + draw(st.integers(0, 3)))
    return M.pcan(draw(st.integers(1, 40)), draw(st.integers(0, 63)), table)


@st.composite
def delay(draw) -> bytes:
    shape = (*draw(SHAPES), draw(st.integers(1, 16)))
    return M.delay(shape, draw(st.integers(0, 40)))


@st.composite
def framer(draw) -> bytes:
    step = draw(st.integers(1, 8))
    prefill = draw(st.booleans())
    size = draw(st.integers(step, 3 * step + 2)) if prefill else draw(st.integers(1, step))
    shape = (*draw(SHAPES), step * draw(st.integers(1, 4)))
    return M.framer(shape, size, step, prefill)


@st.composite
def stacker(draw) -> bytes:
    channels = draw(st.integers(1, 8))
    return M.stacker(channels, draw(st.integers(0, 4)), input_size=channels + draw(st.sampled_from([0, 0, 3])))


@st.composite
def overlap_add(draw, dtype: str) -> bytes:
    size = draw(st.integers(1, 12))
    shape = (*draw(SHAPES), draw(st.integers(1, 4)), size)
    return M.overlap_add(shape, draw(st.integers(1, size)), dtype)


@st.composite
def rfft(draw, dtype: str) -> bytes:
    n = draw(st.sampled_from(FFT_LENGTHS))
    samples = draw(st.sampled_from([n, n, 1, n // 2 + 1]))
    return M.rfft(dtype, (*draw(SHAPES), samples), n)


@st.composite
def irfft(draw, dtype: str) -> bytes:
    return M.irfft(dtype, draw(SHAPES), draw(st.sampled_from(FFT_LENGTHS)))


@st.composite
def circular_buffer(draw) -> bytes:
    """One slot: a single invoke fills it (older slots hold arena garbage in TFLite Micro until
    the stream has filled them; tests/kernels/test_signal.py checks streams)."""
    valid = draw(st.booleans())
    cycles = draw(st.integers(1, 4)) if valid else 1
    return M.circular_buffer(1, draw(st.integers(1, 3)), draw(st.integers(1, 8)), cycles, valid)


@st.composite
def decode(draw, dtype: str) -> bytes:
    """LUT-compressed constants of every index width, or pruned ones, per tensor or per channel
    along the first or the last axis (int8 widths 2, 3 and 4 take TFLite Micro's unrolled paths on
    long rows)."""
    shape = tuple(draw(st.lists(st.integers(1, 6), min_size=1, max_size=3)))
    if draw(st.booleans()):
        shape = (*shape[:-1], draw(st.sampled_from([16, 32, 33, 48])))
    last_axis = draw(st.booleans())
    dim = shape[-1] if last_axis else shape[0]
    channels = dim if draw(st.booleans()) and dim > 1 else 1
    pruned = draw(st.booleans())
    zero_points = None
    if pruned and dtype == "int8":  # pruned int8 elements take their channel's zero point
        zero_points = draw(st.lists(st.integers(-128, 127), min_size=channels, max_size=channels))
    return M.decode(shape, draw(st.integers(1, 7)), dtype, channels, last_axis, draw(SEEDS), draw(st.integers(1, 2)),
                    pruned, zero_points)


def _each(strategy):
    return lambda act: strategy()


GENERATED = {
    "SignalWindow": (("int16x8",), _each(window)),
    "SignalFftAutoScale": (("int16x8",), _each(fft_auto_scale)),
    "SignalEnergy": (("int16x8",), _each(energy)),
    "SignalFilterBank": (("uint32",), _each(filter_bank)),
    "SignalFilterBankSquareRoot": (("uint64",), _each(filter_bank_square_root)),
    "SignalFilterBankLog": (("uint32",), _each(filter_bank_log)),
    "SignalFilterBankSpectralSubtraction": (("uint32",), _each(filter_bank_spectral_subtraction)),
    "SignalPCAN": (("uint32",), _each(pcan)),
    "SignalDelay": (("int16x8",), _each(delay)),
    "SignalFramer": (("int16x8",), _each(framer)),
    "SignalStacker": (("int16x8",), _each(stacker)),
    "SignalOverlapAdd": (("int16x8", "float32"), overlap_add),
    "SignalRfft": (("int16x8", "int32", "float32"), rfft),
    "SignalIrfft": (("int16x8", "int32", "float32"), irfft),
    "CIRCULAR_BUFFER": (("int8",), _each(circular_buffer)),
    "TFLM_DECODE": (("int8", "int16x8", "int32", "int64", "float32", "bool"), decode),
}
