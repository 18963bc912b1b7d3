"""SignalStacker (TFLite Micro signal library): stack a frame of ``num_channels`` int16 values
with its left and right context frames; stateful.

TFLite Micro keeps a circular buffer of ``left + right + 1`` frames: each invoke appends the
frame (the very first one ``left + 1`` times, as padding), and when the buffer is full emits it
and drops the oldest ``stacker_step`` frames. When it is not full the output is left as the
arena held it and ``output_valid`` is false, so microinfer takes only stackers that emit on every
invoke: no right context and a step of 1 (the output is the last ``left + 1`` frames).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType
from . import _signal as S
from .registry import Kernel, Node, register

NAMES = ("num_channels", "stacker_left_context", "stacker_right_context", "stacker_step")


def _emits_every_invoke(node: Node) -> bool:
    """num_channels is at least 1, left context at least 0, right context 0 and step 1 (otherwise TFLite Micro leaves the output unwritten on some invokes)"""
    channels, left, right, step = S.ints(node, 4)
    return channels >= 1 and left >= 0 and right == 0 and step == 1


def _shapes(node: Node) -> bool:
    """The input is 1-D with at least num_channels values, the output 1-D of num_channels * (left + 1), output_valid a scalar"""
    channels, left, _, _ = S.ints(node, 4)
    x, y, valid = node.input(0), node.outputs[0], node.outputs[1]
    return (len(x.shape) == 1 and x.shape[0] >= channels and y.shape == (channels * (left + 1),)
            and valid.shape == ())


@dataclass(frozen=True)
class StackerData:
    channels: int
    left: int
    state: S.KernelState


@register("SignalStacker", versions=range(1, 2), types=("int16",), inputs=1, outputs=2)
class Stacker(S.StatefulKernel, Kernel):
    constraints = (S.tflm_only,
                   S.tensor_types(("i0", TensorType.INT16), ("o0", TensorType.INT16), ("o1", TensorType.BOOL)),
                   S.parameters(*NAMES), _emits_every_invoke, _shapes)

    def prepare(self, node: Node) -> StackerData:
        channels, left, _, _ = S.ints(node, 4)
        # history: the last `left` frames; None-like empty before the first frame pads it
        return StackerData(channels, left, S.KernelState(history=np.zeros((0, channels), np.int16)))

    def eval(self, data: StackerData, inputs):
        frame = inputs[0][: data.channels].reshape(1, -1)
        history = data.state.history
        if history.shape[0] < data.left:  # the first frame, replicated as the left padding
            history = np.repeat(frame, data.left, axis=0)
        stacked = np.concatenate([history, frame], axis=0)
        data.state.history = stacked[1:].copy()
        return [stacked.reshape(-1), np.array(True)]
