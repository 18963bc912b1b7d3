"""Builders of one-operator models of TFLite Micro's custom operators (the signal library's
audio front end, CIRCULAR_BUFFER), shared by the catalogue (:mod:`.op_models`), the strategies
(:mod:`.families.signal`) and the tests.

Each takes the operator's parameters and returns .tflite bytes; options are written as the TFLite
converter writes a custom operator's attributes: a FlexBuffer map keyed by attribute name, which
FlexBuffers stores sorted (the order TFLite Micro reads them in).
"""

from __future__ import annotations

import numpy as np
from flatbuffers import flexbuffers

from ..tflite import ModelBuilder
from ..tflite.types import TensorType

CUSTOM = "CUSTOM"
TYPE_CODE = {"int16": TensorType.INT16.value, "int32": TensorType.INT32.value, "float32": TensorType.FLOAT32.value}


def custom_options(**attributes) -> bytes:
    return bytes(flexbuffers.Dumps(dict(sorted(attributes.items()))))


class _OneOp:
    def __init__(self):
        self.builder = ModelBuilder(description="microinfer.testing.signal_models")
        self.g = self.builder.main

    def input(self, shape, dtype) -> int:
        return self.g.add_input(f"input{len(self.g.tensors)}", shape, dtype)

    def output(self, shape, dtype) -> int:
        return self.g.add_output(f"output{len(self.g.tensors)}", shape, dtype)

    def const(self, values, dtype) -> int:
        return self.g.add_constant(f"const{len(self.g.tensors)}", np.asarray(values, dtype=dtype))

    def finish(self, code: str, inputs, outputs, options: bytes | None) -> bytes:
        self.g.add_operator(CUSTOM, inputs, outputs, custom_code=code, custom_options=options)
        return self.builder.build()


def window(shape=(2, 16), frame: int = 16, shift: int = 12, weights=None) -> bytes:
    m = _OneOp()
    if weights is None:
        weights = np.round(4096 * np.hanning(frame + 2)[1:-1]).astype(np.int16)
    x = m.input(shape, "int16")
    w = m.const(weights, np.int16)
    y = m.output(shape, "int16")
    return m.finish("SignalWindow", [x, w], [y], custom_options(shift=shift))


def fft_auto_scale(size: int = 16) -> bytes:
    m = _OneOp()
    x = m.input((size,), "int16")
    y = m.output((size,), "int16")
    bits = m.output((), "int32")
    return m.finish("SignalFftAutoScale", [x], [y, bits], None)


def energy(bins: int = 9, start: int = 0, end: int | None = None, input_values: int | None = None) -> bytes:
    m = _OneOp()
    x = m.input((input_values or 2 * bins,), "int16")
    y = m.output((bins,), "uint32")
    return m.finish("SignalEnergy", [x], [y], custom_options(end_index=bins if end is None else end, start_index=start))


def mel_tables(num_channels: int, spectrum: int, rng: np.random.Generator | None = None):
    """Filter-bank tables of ``num_channels`` triangular channels over ``spectrum`` bins (the
    tables have num_channels + 1 entries, channel 0 being scratch), with weights in Q12."""
    edges = np.linspace(1, spectrum - 1, num_channels + 2).astype(np.int64)
    starts, widths = edges[:-1], np.maximum(edges[1:] - edges[:-1], 1)
    weight_starts = np.concatenate([[0], np.cumsum(widths)[:-1]])
    rng = rng or np.random.default_rng(0)
    total = int(widths.sum())
    weights = rng.integers(0, 4097, total).astype(np.int16)
    unweights = (4096 - weights).astype(np.int16)
    return weights, unweights, starts.astype(np.int16), weight_starts.astype(np.int16), widths.astype(np.int16)


def filter_bank(num_channels: int = 6, spectrum: int = 33, outputs: int | None = None, tables=None) -> bytes:
    m = _OneOp()
    weights, unweights, starts, weight_starts, widths = tables or mel_tables(num_channels, spectrum)
    x = m.input((spectrum,), "uint32")
    consts = [m.const(t, np.int16) for t in (weights, unweights, starts, weight_starts, widths)]
    y = m.output((num_channels if outputs is None else outputs,), "uint64")
    return m.finish("SignalFilterBank", [x, *consts], [y], custom_options(num_channels=num_channels))


def filter_bank_square_root(channels: int = 8, scale_bits: int | None = 3) -> bytes:
    """``scale_bits`` None: the shift is a second model input, else a constant."""
    m = _OneOp()
    x = m.input((channels,), "uint64")
    bits = m.input((), "int32") if scale_bits is None else m.const(np.int32(scale_bits), np.int32)
    y = m.output((channels,), "uint32")
    return m.finish("SignalFilterBankSquareRoot", [x, bits], [y], None)


def filter_bank_log(channels: int = 8, correction_bits: int = 3, output_scale: int = 1600) -> bytes:
    m = _OneOp()
    x = m.input((channels,), "uint32")
    y = m.output((channels,), "int16")
    return m.finish("SignalFilterBankLog", [x], [y],
                    custom_options(input_correction_bits=correction_bits, output_scale=output_scale))


SPECTRAL_SUBTRACTION = dict(alternate_one_minus_smoothing=15729, alternate_smoothing=655, clamping=False,
                            min_signal_remaining=1638, one_minus_smoothing=15729, smoothing=655, smoothing_bits=10,
                            spectral_subtraction_bits=14)


def filter_bank_spectral_subtraction(channels: int = 8, **overrides) -> bytes:
    m = _OneOp()
    x = m.input((channels,), "uint32")
    y = m.output((channels,), "uint32")
    noise = m.output((channels,), "uint32")
    params = {**SPECTRAL_SUBTRACTION, **overrides, "num_channels": channels}
    return m.finish("SignalFilterBankSpectralSubtraction", [x], [y, noise], custom_options(**params))


def pcan_gain_table(strength: float = 0.95, offset: float = 80.0, gain_bits: int = 21,
                    input_bits: int = 6) -> np.ndarray:
    """A gain table laid out as TFLite Micro's PCAN reads it (3 entries, then 4 per bit position
    of the noise estimate), from the micro front end's formula: gain = 2**gain_bits /
    (offset + x / 2**input_bits) ** strength, each segment a quadratic in Q10."""
    def gain(x: float) -> float:
        return 2.0**gain_bits / (offset + x / 2.0**input_bits) ** strength

    lut = np.zeros(4 * 32 - 3, np.int64)
    lut[:3] = [round(gain(x)) for x in (0, 1, 2)]
    for interval in range(2, 33):
        x0 = float(1 << (interval - 1))
        x1, x2 = x0 + x0 / 2, 2 * x0
        g0, g1, g2 = gain(x0), gain(x1), gain(x2)
        base = 4 * interval - 6
        a1 = 4 * g1 - g2 - 3 * g0
        a2 = 2 * (g2 + g0) - 4 * g1
        lut[base:base + 3] = [round(g0), round(a1), round(a2)]
    return np.clip(lut, -32768, 32767).astype(np.int16)


def pcan(channels: int = 8, snr_shift: int = 6, gain_table=None) -> bytes:
    m = _OneOp()
    x = m.input((channels,), "uint32")
    noise = m.input((channels,), "uint32")
    lut = m.const(pcan_gain_table() if gain_table is None else gain_table, np.int16)
    y = m.output((channels,), "uint32")
    return m.finish("SignalPCAN", [x, noise, lut], [y], custom_options(snr_shift=snr_shift))


def delay(shape=(2, 8), delay_length: int = 3) -> bytes:
    m = _OneOp()
    x = m.input(shape, "int16")
    y = m.output(shape, "int16")
    return m.finish("SignalDelay", [x], [y], custom_options(delay_length=delay_length))


def framer(shape=(2, 8), frame_size: int = 6, frame_step: int = 4, prefill: bool = True) -> bytes:
    m = _OneOp()
    x = m.input(shape, "int16")
    y = m.output((*shape[:-1], shape[-1] // frame_step, frame_size), "int16")
    valid = m.output((), "bool")
    return m.finish("SignalFramer", [x], [y, valid],
                    custom_options(frame_size=frame_size, frame_step=frame_step, prefill=prefill))


def stacker(channels: int = 4, left_context: int = 2, right_context: int = 0, step: int = 1,
            input_size: int | None = None) -> bytes:
    m = _OneOp()
    x = m.input((input_size or channels,), "int16")
    y = m.output((channels * (left_context + right_context + 1),), "int16")
    valid = m.output((), "bool")
    return m.finish("SignalStacker", [x], [y, valid],
                    custom_options(num_channels=channels, stacker_left_context=left_context,
                                   stacker_right_context=right_context, stacker_step=step))


def overlap_add(shape=(2, 3, 8), frame_step: int = 4, dtype: str = "int16") -> bytes:
    m = _OneOp()
    x = m.input(shape, dtype)
    y = m.output((*shape[:-2], shape[-2] * frame_step), dtype)
    return m.finish("SignalOverlapAdd", [x], [y], custom_options(T=TYPE_CODE[dtype], frame_step=frame_step))


def rfft(dtype: str = "int16", shape=(2, 16), fft_length: int = 16) -> bytes:
    m = _OneOp()
    x = m.input(shape, dtype)
    y = m.output((*shape[:-1], 2 * (fft_length // 2 + 1)), dtype)
    return m.finish("SignalRfft", [x], [y], custom_options(T=TYPE_CODE[dtype], fft_length=fft_length))


def irfft(dtype: str = "int16", rows=(2,), fft_length: int = 16) -> bytes:
    m = _OneOp()
    x = m.input((*rows, 2 * (fft_length // 2 + 1)), dtype)
    y = m.output((*rows, fft_length), dtype)
    return m.finish("SignalIrfft", [x], [y], custom_options(T=TYPE_CODE[dtype], fft_length=fft_length))


def circular_buffer(slots: int = 3, width: int = 1, depth: int = 4, cycles_max: int | None = 1,
                    valid_output: bool = False) -> bytes:
    """``cycles_max`` None: no custom options (TFLite Micro then guesses the period)."""
    m = _OneOp()
    x = m.g.add_input("input", (1, 1, width, depth), "int8", scale=0.1, zero_point=2)
    y = m.g.add_output("output", (1, slots, width, depth), "int8", scale=0.1, zero_point=2)
    outputs = [y, m.output((), "bool")] if valid_output else [y]
    options = None if cycles_max is None else custom_options(cycles_max=cycles_max)
    return m.finish("CIRCULAR_BUFFER", [x], outputs, options)


def pack_indices(indices, width: int) -> np.ndarray:
    """LUT indices packed ``width`` bits each, most significant bit first, as TFLite Micro's
    compression tooling writes them."""
    bits = ((np.asarray(indices, np.int64).reshape(-1, 1) >> np.arange(width - 1, -1, -1)) & 1).astype(np.uint8)
    return np.packbits(bits.reshape(-1))


def lut_ancillary(tables, width: int, dtype, stride: int | None = None) -> np.ndarray:
    """The ancillary tensor of a LUT-compressed tensor: the 16-byte DECODE header (type 0,
    version 1, LUT version 1, index width, table stride) and the value tables, each padded to
    ``stride`` entries of the output's type."""
    stride = stride or max(len(t) for t in tables)
    header = bytes([0, 1, 0, 0, 1, 0xF0 | width, stride]) + bytes(9)
    body = b"".join(np.pad(np.asarray(t).astype(dtype), (0, stride - len(t))).tobytes() for t in tables)
    return np.frombuffer(header + body, np.uint8)


def prune_ancillary(values, dtype) -> np.ndarray:
    """The ancillary tensor of a pruned tensor: the DECODE header (type 2, version 1, pruning
    version 1) and the kept values in order, of the output's type."""
    header = bytes([2, 1, 0, 0, 1]) + bytes(11)
    return np.frombuffer(header + np.asarray(values).astype(dtype).tobytes(), np.uint8)


def decode(shape=(4, 6), width: int = 4, dtype: str = "int8", channels: int = 1, last_axis: bool = False,
           seed: int = 0, pairs: int = 1, pruned: bool = False, zero_points=None) -> bytes:
    """``pairs`` LUT-compressed (or, with ``pruned``, pruned) constants of ``shape`` (``channels``
    value tables along dimension 0, or along the last with ``last_axis``) decoded by one
    TFLM_DECODE into the model's outputs; the model's one input (int8, shape (1,)) is unused.
    ``zero_points``: the output's (one, or one per channel), 0 by default."""
    rng = np.random.default_rng(seed)
    m = _OneOp()
    m.input((1,), "int8")
    inputs, outputs = [], []
    count = int(np.prod(shape))
    np_dtype = np.dtype(dtype)
    for p in range(pairs):
        indices = rng.integers(0, 1 << width, count)
        size = max(count, 1) if pruned else 1 << width  # values a table holds
        if np_dtype == np.float32:
            tables = [rng.normal(0, 1, size).astype(np.float32) for _ in range(channels)]
        elif np_dtype == np.bool_:
            tables = [rng.integers(0, 2, size).astype(np.bool_) for _ in range(channels)]
        else:
            info = np.iinfo(np_dtype)
            tables = [rng.integers(max(info.min, -(2**40)), min(info.max, 2**40), size, endpoint=True)
                      for _ in range(channels)]
        if pruned:
            kept = rng.integers(0, 2, count).astype(bool)
            encoded = np.packbits(kept.astype(np.uint8))
            ancillary = prune_ancillary(np.concatenate(tables)[: int(kept.sum())] if count else [], np_dtype)
        else:
            encoded, ancillary = pack_indices(indices, width), lut_ancillary(tables, width, np_dtype)
        inputs += [m.const(encoded, np.uint8), m.const(ancillary, np.uint8)]
        points = [0] * channels if zero_points is None else list(np.broadcast_to(zero_points, channels))
        q = {}
        if channels > 1:
            q = dict(scale=[0.05] * channels, zero_point=points, axis=len(shape) - 1 if last_axis else 0)
        elif dtype in ("int8", "int16"):
            q = dict(scale=0.05, zero_point=points[0])
        outputs.append(m.g.add_output(f"decoded{p}", shape, dtype, **q))
    return m.finish("TFLM_DECODE", inputs, outputs, None)
