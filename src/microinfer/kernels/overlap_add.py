"""SignalOverlapAdd (TFLite Micro signal library): overlap-add frames of ``frame_size`` samples
into a stream advancing ``frame_step`` samples a frame; stateful.

Per row TFLite Micro keeps a buffer of ``frame_size`` samples (zero at first and after a reset):
each frame is added into it (int16: saturating; float32: plain float adds), its first
``frame_step`` samples are emitted, and it shifts left by ``frame_step`` with zeros coming in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType
from . import _signal as S
from .registry import Kernel, Node, register

TYPES = (TensorType.INT16, TensorType.FLOAT32)


def _type_entry(node: Node) -> bool:
    """The "T" option names the tensors' type (7 int16 or 0 float32) and input and output have it"""
    code = S.typed_parameter(node)
    x, y = node.input(0), node.outputs[0]
    return code is not None and x.type in TYPES and code == x.type.value and y.type is x.type


def _shapes(node: Node) -> bool:
    """The input has rank at least 2 (..., frames, frame_size), the output (..., frames * frame_step), with 1 <= frame_step <= frame_size"""
    x, y = node.input(0), node.outputs[0]
    step = S.parameter(node, 1)
    if len(x.shape) < 2 or x.shape[-1] < 1 or not 1 <= step <= x.shape[-1]:
        return False
    return y.shape == (*x.shape[:-2], x.shape[-2] * step)


@dataclass(frozen=True)
class OverlapAddData:
    frame_size: int
    step: int
    frames: int
    saturate: bool
    state: S.KernelState


@register("SignalOverlapAdd", versions=range(1, 2), types=("int16", "float32"), inputs=1, outputs=1)
class OverlapAdd(S.StatefulKernel, Kernel):
    constraints = (S.tflm_only, S.parameters("T", "frame_step"), _type_entry, _shapes)

    def prepare(self, node: Node) -> OverlapAddData:
        x = node.input(0)
        size, frames = x.shape[-1], x.shape[-2]
        rows = x.num_elements // (size * frames) if size * frames else 0
        dtype = x.type.numpy_dtype
        return OverlapAddData(size, S.parameter(node, 1), frames, x.type is TensorType.INT16,
                              S.KernelState(buffer=np.zeros((rows, size), dtype)))

    def eval(self, data: OverlapAddData, inputs):
        x = inputs[0]
        frames = x.reshape(-1, data.frames, data.frame_size)
        buffer = data.state.buffer
        out = np.empty((frames.shape[0], data.frames, data.step), buffer.dtype)
        for f in range(data.frames):
            if data.saturate:
                buffer = np.clip(buffer.astype(np.int32) + frames[:, f], -32768, 32767).astype(np.int16)
            else:
                buffer = (buffer + frames[:, f]).astype(np.float32)
            out[:, f] = buffer[:, : data.step]
            buffer = np.concatenate([buffer[:, data.step:], np.zeros((buffer.shape[0], data.step), buffer.dtype)], axis=1)
        data.state.buffer = buffer
        return [out.reshape(*x.shape[:-2], data.frames * data.step)]
