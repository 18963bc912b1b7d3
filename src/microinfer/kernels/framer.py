"""SignalFramer (TFLite Micro signal library): cut every row of an int16 stream into
overlapping frames of ``frame_size`` samples ``frame_step`` apart; stateful.

Per row TFLite Micro keeps a circular buffer (primed with ``frame_size - frame_step`` zeros when
``prefill``); each of the row's ``len / frame_step`` steps appends ``frame_step`` samples and, when
``frame_size`` samples are buffered, emits them as a frame and drops the oldest ``frame_step``.
The ``output_valid`` flag is false when some frame was not emitted; TFLite Micro then leaves that
frame as the arena held it, so microinfer takes only framers whose every frame is emitted:
``prefill`` with ``frame_size >= frame_step``, or ``frame_size <= frame_step``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType
from . import _signal as S
from .registry import Kernel, Node, register

NAMES = ("frame_size", "frame_step", "prefill")


def _steps(node: Node) -> bool:
    """frame_size and frame_step are at least 1 and frame_step divides the innermost dimension"""
    size, step, _ = S.ints(node, 3)
    x = node.input(0)
    return size >= 1 and step >= 1 and len(x.shape) >= 1 and x.shape[-1] >= step and x.shape[-1] % step == 0


def _every_frame_emitted(node: Node) -> bool:
    """Every frame is emitted: prefill with frame_size >= frame_step, or frame_size <= frame_step (TFLite Micro leaves frames it cannot fill unwritten, and crashes on prefill with frame_size < frame_step)"""
    size, step, prefill = S.ints(node, 3)
    return size >= step if prefill else size <= step


def _shapes(node: Node) -> bool:
    """The output is the input's outer dimensions, then (innermost / frame_step, frame_size); output_valid is a scalar"""
    size, step, _ = S.ints(node, 3)
    x, y, valid = node.input(0), node.outputs[0], node.outputs[1]
    return y.shape == (*x.shape[:-1], x.shape[-1] // step, size) and valid.shape == ()


@dataclass(frozen=True)
class FramerData:
    size: int
    step: int
    frames: int
    state: S.KernelState


@register("SignalFramer", versions=range(1, 2), types=("int16",), inputs=1, outputs=2)
class Framer(S.StatefulKernel, Kernel):
    constraints = (S.tflm_only,
                   S.tensor_types(("i0", TensorType.INT16), ("o0", TensorType.INT16), ("o1", TensorType.BOOL)),
                   S.parameters(*NAMES), _steps, _every_frame_emitted, _shapes)

    def prepare(self, node: Node) -> FramerData:
        size, step, _ = S.ints(node, 3)
        x = node.input(0)
        rows = x.num_elements // x.shape[-1]
        history = np.zeros((rows, max(size - step, 0)), np.int16)
        return FramerData(size, step, x.shape[-1] // step, S.KernelState(history=history))

    def eval(self, data: FramerData, inputs):
        x = inputs[0]
        stream = np.concatenate([data.state.history, x.reshape(-1, x.shape[-1])], axis=1)
        starts = np.arange(data.frames) * data.step
        frames = stream[:, starts[:, None] + np.arange(data.size)]
        data.state.history = stream[:, data.frames * data.step:].copy()
        shape = (*x.shape[:-1], data.frames, data.size)
        return [frames.reshape(shape), np.array(True)]
