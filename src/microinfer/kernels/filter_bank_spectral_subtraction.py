"""SignalFilterBankSpectralSubtraction (TFLite Micro signal library): subtract a running noise
estimate from uint32 filter-bank channels; stateful.

signal/src/filter_bank_spectral_subtraction.cc, per channel (even channels use ``smoothing``,
odd ones ``alternate_smoothing``): the signal scaled up by ``smoothing_bits`` (uint32, wrapping);
the noise estimate becomes ``(signal * smoothing + noise * one_minus_smoothing) >>
spectral_subtraction_bits`` (uint64, wrapping); the estimate used is capped at the signal (and,
with ``clamping``, stored capped); the output is ``(signal - estimate) >> smoothing_bits``, but at
least ``input * min_signal_remaining >> spectral_subtraction_bits``. The noise estimate lives in a
persistent buffer across invokes (zero at first and after a reset) and is also the second output.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType
from . import _signal as S
from .registry import Kernel, Node, register

U32 = TensorType.UINT32
NAMES = ("alternate_one_minus_smoothing", "alternate_smoothing", "clamping", "min_signal_remaining", "num_channels",
         "one_minus_smoothing", "smoothing", "smoothing_bits", "spectral_subtraction_bits")
MASK32 = np.uint64(0xFFFFFFFF)


def _shapes(node: Node) -> bool:
    """Input, output and noise estimate are 1-D of num_channels (at least 1) elements each"""
    n = S.ints(node, len(NAMES))[4]
    shapes = (node.input(0).shape, node.outputs[0].shape, node.outputs[1].shape)
    return n >= 1 and all(shape == (n,) for shape in shapes)


def _shifts(node: Node) -> bool:
    """smoothing_bits is in 0..31 and spectral_subtraction_bits in 0..63"""
    values = S.ints(node, len(NAMES))
    return 0 <= values[7] <= 31 and 0 <= values[8] <= 63


@dataclass(frozen=True)
class SpectralSubtractionData:
    smoothing: np.ndarray  # per channel (uint64)
    one_minus_smoothing: np.ndarray
    min_signal_remaining: np.uint64
    clamping: bool
    smoothing_bits: np.uint64
    subtraction_bits: np.uint64
    state: S.KernelState


@register("SignalFilterBankSpectralSubtraction", versions=range(1, 2), types=("uint32",), inputs=1, outputs=2)
class FilterBankSpectralSubtraction(S.StatefulKernel, Kernel):
    constraints = (S.tflm_only, S.tensor_types(("i0", U32), ("o0", U32), ("o1", U32)), S.parameters(*NAMES),
                   _shapes, _shifts)

    def prepare(self, node: Node) -> SpectralSubtractionData:
        p = dict(zip(NAMES, S.ints(node, len(NAMES))))
        n = p["num_channels"]
        odd = np.arange(n) % 2 == 1

        def per_channel(even_value, odd_value):  # int32 parameters stored in uint32 fields
            return np.where(odd, odd_value & 0xFFFFFFFF, even_value & 0xFFFFFFFF).astype(np.uint64)

        return SpectralSubtractionData(
            smoothing=per_channel(p["smoothing"], p["alternate_smoothing"]),
            one_minus_smoothing=per_channel(p["one_minus_smoothing"], p["alternate_one_minus_smoothing"]),
            min_signal_remaining=np.uint64(p["min_signal_remaining"] & 0xFFFFFFFF),
            clamping=bool(p["clamping"]),
            smoothing_bits=np.uint64(p["smoothing_bits"]),
            subtraction_bits=np.uint64(p["spectral_subtraction_bits"]),
            state=S.KernelState(noise=np.zeros(n, np.uint64)),
        )

    def eval(self, data: SpectralSubtractionData, inputs):
        x = inputs[0].astype(np.uint64)
        with np.errstate(over="ignore"):
            signal = (x << data.smoothing_bits) & MASK32
            noise = ((signal * data.smoothing + data.state.noise * data.one_minus_smoothing)
                     >> data.subtraction_bits) & MASK32
            estimate = np.minimum(noise, signal)
            if data.clamping:
                noise = estimate
            floor = ((x * data.min_signal_remaining) >> data.subtraction_bits) & MASK32
        data.state.noise = noise
        subtracted = (signal - estimate) >> data.smoothing_bits
        return [np.maximum(subtracted, floor).astype(np.uint32), noise.astype(np.uint32)]
