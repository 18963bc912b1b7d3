"""SignalWindow (TFLite Micro signal library): multiply int16 frames by int16 window weights.

Each frame of ``len(weights)`` samples becomes ``clamp((x * w) >> shift)`` with an arithmetic
shift of the 32-bit product, saturated to int16 (signal/src/window.cc).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType
from . import _signal as S
from .registry import Kernel, Node, register

I16 = TensorType.INT16


def _shapes(node: Node) -> bool:
    """The weights are 1-D and non-empty, the input's size is a multiple of theirs, and the output has the input's shape"""
    x, w, y = node.input(0), node.input(1), node.outputs[0]
    return (len(w.shape) == 1 and w.shape[0] >= 1 and len(x.shape) >= 1 and y.shape == x.shape
            and x.num_elements % w.shape[0] == 0)


def _shift(node: Node) -> bool:
    """The shift is in 0..31"""
    return 0 <= S.parameter(node, 0) <= 31


@dataclass(frozen=True)
class WindowData:
    shift: int
    frame: int


@register("SignalWindow", versions=range(1, 2), types=("int16",), inputs=2, outputs=1)
class Window(Kernel):
    constraints = (S.tflm_only, S.tensor_types(("i0", I16), ("i1", I16), ("o0", I16)), S.parameters("shift"),
                   _shapes, _shift)

    def prepare(self, node: Node) -> WindowData:
        return WindowData(S.parameter(node, 0), node.input(1).shape[0])

    def eval(self, data: WindowData, inputs):
        x, w = inputs[0], inputs[1]
        frames = x.reshape(-1, data.frame).astype(np.int32)
        raw = (frames * w.astype(np.int32)) >> data.shift
        return [np.clip(raw, -32768, 32767).astype(np.int16).reshape(x.shape)]
