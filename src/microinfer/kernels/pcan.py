"""SignalPCAN (TFLite Micro signal library): per-channel amplitude normalization of uint32
filter-bank channels by a gain looked up from the noise estimate.

signal/src/pcan_argc_fixed.cc: the gain is a piecewise quadratic of the noise estimate read from
an int16 table (``lut[x]`` below 3, else 4 coefficients per power of two, evaluated on 10
fractional bits in int32 arithmetic that wraps, narrowed to int16 and sign-extended to uint32);
``snr = (channel * gain) >> snr_shift`` in uint64, narrowed to uint32; the output is the
"shrink" of the SNR (``x*x/4`` below 2 with 12 fractional bits in and 6 out, else ``x - 1``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType
from . import _signal as S
from .registry import Kernel, Node, register

U32 = TensorType.UINT32
LUT_SIZE = 4 * 32 - 3  # the entries a uint32 noise estimate can reach: 3 + 4 per bit position
SNR_BITS, OUTPUT_BITS = 12, 6


def _shapes(node: Node) -> bool:
    """Input, noise estimate, gain table and output are 1-D; input, noise estimate and output have one non-zero size; the gain table has at least 125 entries"""
    x, noise, lut, y = node.input(0), node.input(1), node.input(2), node.outputs[0]
    if any(len(t.shape) != 1 for t in (x, noise, lut, y)):
        return False
    return x.shape[0] > 0 and noise.shape == x.shape and y.shape == x.shape and lut.shape[0] >= LUT_SIZE


def _snr_shift(node: Node) -> bool:
    """snr_shift is in 0..63"""
    return 0 <= S.parameter(node, 0) <= 63


def _wrap32(x: np.ndarray) -> np.ndarray:
    return ((x + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


def gain(noise: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """WideDynamicFunction as uint32 (the int16 result sign-extended), elementwise."""
    x = noise.astype(np.int64)
    lut = lut.astype(np.int64)
    interval = S.most_significant_bit(np.maximum(x, 3))
    base = 4 * interval - 6
    shifted = np.where(interval < 11, x << np.maximum(11 - interval, 0), x >> np.maximum(interval - 11, 0))
    frac = shifted & 0x3FF
    result = (lut[base + 2] * frac) >> 5
    result = _wrap32(result + lut[base + 1] * 32)
    result = _wrap32(result * frac)
    result = _wrap32(result + (1 << 14)) >> 15
    result = result + lut[base]
    narrowed = ((result + 32768) & 0xFFFF) - 32768
    narrowed = np.where(x <= 2, lut[np.minimum(x, 2)], narrowed)
    return narrowed & 0xFFFFFFFF


def shrink(snr: np.ndarray) -> np.ndarray:
    low = (snr * snr) >> (2 + 2 * SNR_BITS - OUTPUT_BITS)
    high = ((snr >> (SNR_BITS - OUTPUT_BITS)) - (1 << OUTPUT_BITS)) & 0xFFFFFFFF
    return np.where(snr < (2 << SNR_BITS), low, high)


@dataclass(frozen=True)
class PcanData:
    snr_shift: int


@register("SignalPCAN", versions=range(1, 2), types=("uint32",), inputs=3, outputs=1)
class Pcan(Kernel):
    constraints = (S.tflm_only,
                   S.tensor_types(("i0", U32), ("i1", U32), ("i2", TensorType.INT16), ("o0", U32)),
                   S.parameters("snr_shift"), _shapes, _snr_shift)

    def prepare(self, node: Node) -> PcanData:
        return PcanData(S.parameter(node, 0))

    def eval(self, data: PcanData, inputs):
        x, noise, lut = inputs
        g = gain(noise, lut).astype(np.uint64)
        with np.errstate(over="ignore"):
            snr = ((x.astype(np.uint64) * g) >> np.uint64(data.snr_shift)) & np.uint64(0xFFFFFFFF)
        return [shrink(snr.astype(np.int64)).astype(np.uint32)]
