"""SignalFilterBankLog (TFLite Micro signal library): a fixed-point natural logarithm of uint32
filter-bank values, scaled and saturated to int16.

signal/src/log.cc: the input shifted left by ``input_correction_bits`` (modulo 2**32); values of
at most 1 give 0; otherwise log2 from the highest set bit plus a 128-segment interpolated table of
the fraction (16 fractional bits), times ln 2 (45426 / 2**16, rounded), times ``output_scale`` (a
uint32 product that wraps), rounded down by 16 bits and saturated at 32767.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType
from . import _signal as S
from .registry import Kernel, Node, register

# signal/src/log.cc kLogLut: log2(1 + x) - x on 128 segments of [0, 1), 16 fractional bits
LOG_TABLE = np.array([
    0, 224, 442, 654, 861, 1063, 1259, 1450, 1636, 1817, 1992, 2163, 2329, 2490, 2646, 2797, 2944,
    3087, 3224, 3358, 3487, 3611, 3732, 3848, 3960, 4068, 4172, 4272, 4368, 4460, 4549, 4633, 4714,
    4791, 4864, 4934, 5001, 5063, 5123, 5178, 5231, 5280, 5326, 5368, 5408, 5444, 5477, 5507, 5533,
    5557, 5578, 5595, 5610, 5622, 5631, 5637, 5640, 5641, 5638, 5633, 5626, 5615, 5602, 5586, 5568,
    5547, 5524, 5498, 5470, 5439, 5406, 5370, 5332, 5291, 5249, 5203, 5156, 5106, 5054, 5000, 4944,
    4885, 4825, 4762, 4697, 4630, 4561, 4490, 4416, 4341, 4264, 4184, 4103, 4020, 3935, 3848, 3759,
    3668, 3575, 3481, 3384, 3286, 3186, 3084, 2981, 2875, 2768, 2659, 2549, 2437, 2323, 2207, 2090,
    1971, 1851, 1729, 1605, 1480, 1353, 1224, 1094, 963, 830, 695, 559, 421, 282, 142, 0, 0,
], dtype=np.int64)
LN2_Q16 = 45426
U32 = 0xFFFFFFFF


def _shapes(node: Node) -> bool:
    """Input and output are 1-D of one size"""
    return len(node.input(0).shape) == 1 and node.outputs[0].shape == node.input(0).shape


def _correction_bits(node: Node) -> bool:
    """input_correction_bits is in 0..31"""
    return 0 <= S.parameter(node, 0) <= 31


def log32(x: np.ndarray, out_scale: int) -> np.ndarray:
    """signal/src/log.cc Log32 for uint32 values of at least 2 (int64 arrays in, uint32 values out)."""
    integer = S.most_significant_bit(x) - 1
    frac = x - (np.int64(1) << integer)
    frac = np.where(integer < 16, frac << np.maximum(16 - integer, 0), frac >> np.maximum(integer - 16, 0))
    segment = frac >> 9
    c0, c1 = LOG_TABLE[segment], LOG_TABLE[segment + 1]
    fraction = frac + c0 + (((c1 - c0) * (frac - (segment << 9))) >> 16)
    log2 = ((integer << 16) + fraction) & U32
    loge = ((LN2_Q16 * log2 + 32768) >> 16) & U32
    return (((out_scale & U32) * loge + 32768) & U32) >> 16


@dataclass(frozen=True)
class FilterBankLogData:
    correction_bits: int
    output_scale: int


@register("SignalFilterBankLog", versions=range(1, 2), types=("uint32",), inputs=1, outputs=1)
class FilterBankLog(Kernel):
    constraints = (S.tflm_only, S.tensor_types(("i0", TensorType.UINT32), ("o0", TensorType.INT16)),
                   S.parameters("input_correction_bits", "output_scale"), _shapes, _correction_bits)

    def prepare(self, node: Node) -> FilterBankLogData:
        return FilterBankLogData(*S.ints(node, 2))

    def eval(self, data: FilterBankLogData, inputs):
        scaled = (inputs[0].astype(np.int64) << data.correction_bits) & U32
        logs = log32(np.maximum(scaled, 2), data.output_scale)
        return [np.where(scaled > 1, np.minimum(logs, 32767), 0).astype(np.int16)]
