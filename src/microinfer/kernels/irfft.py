"""SignalIrfft (TFLite Micro signal library): the inverse real FFT of every row of
``fft_length / 2 + 1`` interleaved (re, im) bins, as ``fft_length`` samples, by KISS FFT (see
:mod:`._kiss_fft`). Fixed point scales by 1 / fft_length along the way; float32 divides the
unscaled result by ``fft_length`` at the end, as TFLite Micro does."""

from __future__ import annotations

import numpy as np

from . import _fft_ops as F
from .registry import Kernel, Node, register


def _shapes(node: Node) -> bool:
    """The output has the input's rank and outer dimensions and fft_length samples a row; the input fft_length + 2 values a row"""
    return F.rows(node.outputs[0].shape, node.input(0).shape, F.fft_length(node), real_exact=True)


@register("SignalIrfft", versions=range(1, 2), types=("int16", "int32", "float32"), inputs=1, outputs=1)
class Irfft(Kernel):
    constraints = F.constraints(_shapes)

    def prepare(self, node: Node) -> F.FftData:
        return F.prepare(node, inverse=True)

    def eval(self, data: F.FftData, inputs):
        x = inputs[0]
        bins = x.reshape(-1, x.shape[-1])
        samples = data.fft.inverse_transform(bins[:, 0::2], bins[:, 1::2])
        if data.dtype == np.float32:
            samples = (samples / np.float32(data.fft.fft_length)).astype(np.float32)
        out = samples.astype(data.dtype)
        return [out.reshape(*x.shape[:-1], data.fft.fft_length)]
