"""SignalRfft (TFLite Micro signal library): the real FFT of every row of int16, int32 or
float32 samples, zero-padded to ``fft_length``, as ``fft_length / 2 + 1`` interleaved (re, im)
bins computed by KISS FFT (see :mod:`._kiss_fft`; fixed point scales by 1 / fft_length)."""

from __future__ import annotations

import numpy as np

from . import _fft_ops as F
from .registry import Kernel, Node, register


def _shapes(node: Node) -> bool:
    """Input rows of 1..fft_length samples; the output has the input's rank and outer dimensions and fft_length + 2 values a row"""
    return F.rows(node.input(0).shape, node.outputs[0].shape, F.fft_length(node), real_exact=False)


@register("SignalRfft", versions=range(1, 2), types=("int16", "int32", "float32"), inputs=1, outputs=1)
class Rfft(Kernel):
    constraints = F.constraints(_shapes)

    def prepare(self, node: Node) -> F.FftData:
        return F.prepare(node, inverse=False)

    def eval(self, data: F.FftData, inputs):
        x = inputs[0]
        samples = x.reshape(-1, x.shape[-1])
        padded = np.zeros((samples.shape[0], data.fft.fft_length), samples.dtype)
        padded[:, : samples.shape[1]] = samples
        re, im = data.fft.forward(padded)
        out = np.empty((re.shape[0], 2 * re.shape[1]), data.dtype)
        out[:, 0::2], out[:, 1::2] = re, im
        return [out.reshape(*x.shape[:-1], out.shape[1])]
