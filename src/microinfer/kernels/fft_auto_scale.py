"""SignalFftAutoScale (TFLite Micro signal library): shift an int16 frame left so that its
largest magnitude uses the full int16 range, and output the shift.

signal/src/fft_auto_scale.cc: ``scale_bits = 16 - msb(max_abs) - 1`` (at least 0), then every
sample times ``1 << scale_bits``, narrowed to int16. TFLite Micro's MaxAbs16 negates in int16:
a -32768 sample makes the running maximum -32768, after which later samples replace it by
their own (signed) value; microinfer follows that running maximum sample by sample.
"""

from __future__ import annotations

import numpy as np

from ..tflite.types import TensorType
from . import _signal as S
from .registry import Kernel, Node, register


def _shapes(node: Node) -> bool:
    """Input and output are 1-D of one size; the scale output is a scalar"""
    x, y, bits = node.input(0), node.outputs[0], node.outputs[1]
    return len(x.shape) == 1 and y.shape == x.shape and bits.shape == ()


def max_abs16(x: np.ndarray) -> int:
    """signal/src/max_abs.cc MaxAbs16, with its int16 negation."""
    if not np.any(x == -32768):
        return int(np.abs(x.astype(np.int32)).max(initial=0))
    running = 0
    for value in x.tolist():
        if value > running:
            running = value
        elif -value > running:
            running = -value
        if running == 32768:  # stored back into an int16
            running = -32768
    return running


def scale_bits(maximum: int) -> int:
    msb = int(S.most_significant_bit(np.array([maximum & 0xFFFFFFFF], np.uint64))[0])
    return max(0, 16 - msb - 1)


@register("SignalFftAutoScale", versions=range(1, 2), types=("int16",), inputs=1, outputs=2)
class FftAutoScale(Kernel):
    constraints = (S.tflm_only,
                   S.tensor_types(("i0", TensorType.INT16), ("o0", TensorType.INT16), ("o1", TensorType.INT32)),
                   _shapes)

    def prepare(self, node: Node):
        return None

    def eval(self, data, inputs):
        x = inputs[0]
        bits = scale_bits(max_abs16(x))
        scaled = (x.astype(np.int64) * (1 << bits)).astype(np.int16)
        return [scaled, np.array(bits, dtype=np.int32)]
