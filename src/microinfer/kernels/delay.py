"""SignalDelay (TFLite Micro signal library): delay every row of an int16 signal by
``delay_length`` samples; stateful.

TFLite Micro keeps, per row (all but the innermost dimension), a circular buffer primed with
``delay_length`` zeros: each invoke appends the row and takes its oldest ``frame`` samples. So
the output row is the last ``delay_length`` samples of the history followed by the row, cut to
the row's length, and the history carries over to the next invoke (zeros again after a reset).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType
from . import _signal as S
from .registry import Kernel, Node, register


def _shapes(node: Node) -> bool:
    """Input and output have one shape, of rank at least 1 and a non-empty innermost dimension"""
    x, y = node.input(0), node.outputs[0]
    return len(x.shape) >= 1 and x.shape[-1] >= 1 and y.shape == x.shape


MAX_STATE = 1 << 24  # samples of history microinfer keeps (32 MiB); TFLite Micro's arena bounds it


def _delay(node: Node) -> bool:
    """delay_length is at least 0, and the delay line (rows x delay_length samples) at most 2**24 samples"""
    x = node.input(0)
    rows = x.num_elements // x.shape[-1] if x.shape and x.shape[-1] else 0
    return 0 <= S.parameter(node, 0) and rows * S.parameter(node, 0) <= MAX_STATE


@dataclass(frozen=True)
class DelayData:
    frame: int
    delay: int
    state: S.KernelState


@register("SignalDelay", versions=range(1, 2), types=("int16",), inputs=1, outputs=1)
class Delay(S.StatefulKernel, Kernel):
    constraints = (S.tflm_only, S.tensor_types(("i0", TensorType.INT16), ("o0", TensorType.INT16)),
                   S.parameters("delay_length"), _shapes, _delay)

    def prepare(self, node: Node) -> DelayData:
        x = node.input(0)
        frame, delay = x.shape[-1], S.parameter(node, 0)
        rows = x.num_elements // frame
        return DelayData(frame, delay, S.KernelState(history=np.zeros((rows, delay), np.int16)))

    def eval(self, data: DelayData, inputs):
        x = inputs[0]
        stream = np.concatenate([data.state.history, x.reshape(-1, data.frame)], axis=1)
        data.state.history = stream[:, stream.shape[1] - data.delay:].copy()
        return [stream[:, : data.frame].reshape(x.shape).copy()]
