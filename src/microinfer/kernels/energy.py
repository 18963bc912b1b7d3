"""SignalEnergy (TFLite Micro signal library): the squared magnitude of complex int16 spectrum
bins, ``re * re + im * im`` as uint32, for the bins ``start_index .. end_index - 1``.

TFLite Micro writes only those bins and leaves the rest of the output as the arena held it, so
microinfer takes only models whose index range covers the whole output.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType
from . import _signal as S
from .registry import Kernel, Node, register


def _shapes(node: Node) -> bool:
    """Input (interleaved re, im) and output are 1-D"""
    return len(node.input(0).shape) == 1 and len(node.outputs[0].shape) == 1


def _range(node: Node) -> bool:
    """start_index is 0 and end_index is the output's size (TFLite Micro leaves other bins unwritten), with two input values per bin"""
    end, start = S.ints(node, 2)
    size = node.outputs[0].shape[0]
    return start == 0 and end == size and 2 * size <= node.input(0).shape[0]


@dataclass(frozen=True)
class EnergyData:
    bins: int


@register("SignalEnergy", versions=range(1, 2), types=("int16",), inputs=1, outputs=1)
class Energy(Kernel):
    constraints = (S.tflm_only, S.tensor_types(("i0", TensorType.INT16), ("o0", TensorType.UINT32)),
                   S.parameters("end_index", "start_index"), _shapes, _range)

    def prepare(self, node: Node) -> EnergyData:
        return EnergyData(node.outputs[0].shape[0])

    def eval(self, data: EnergyData, inputs):
        pairs = inputs[0][: 2 * data.bins].astype(np.int64).reshape(-1, 2)
        # the int32 sum wraps at 2**31 (-32768 in both parts); as uint32 that is 2**31 exactly
        return [((pairs * pairs).sum(axis=1) & 0xFFFFFFFF).astype(np.uint32)]
