"""SignalFilterBank (TFLite Micro signal library): triangular (mel) filter bank over uint32
spectrum energies, accumulated in uint64.

signal/src/filter_bank.cc: for channel i of ``num_channels + 1`` (channel 0 is scratch), the
energies ``x[freq_start[i] + j]`` for ``j < width[i]`` are multiplied by ``weights[weight_start[i]
+ j]`` into channel i and by ``unweights[...]`` into channel i + 1; the output is channels
1..num_channels. The int16 weights are sign-extended to uint64, so every product and sum wraps
modulo 2**64, as in TFLite Micro.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType
from . import _signal as S
from .registry import Kernel, Node, register

I16 = TensorType.INT16
WEIGHTS, UNWEIGHTS, FREQ_STARTS, WEIGHT_STARTS, WIDTHS = 1, 2, 3, 4, 5


def _num_channels(node: Node) -> int:
    return S.parameter(node, 0)


def _shapes(node: Node) -> bool:
    """Every input and the output are 1-D; the channel tables hold num_channels + 1 entries and the output at most num_channels"""
    n = _num_channels(node)
    if n < 1 or any(len(t.shape) != 1 for t in (*node.inputs, node.outputs[0])):
        return False
    tables_fit = all(node.input(p).shape[0] >= n + 1 for p in (FREQ_STARTS, WEIGHT_STARTS, WIDTHS))
    return tables_fit and node.outputs[0].shape[0] <= n


def _tables_constant_and_in_bounds(node: Node) -> bool:
    """The channel tables are constant and every channel reads within the input and the weights"""
    if not S.constant(node, FREQ_STARTS, WEIGHT_STARTS, WIDTHS):
        return False
    segments = _segments(node)
    n_in, n_w = node.input(0).shape[0], min(node.input(WEIGHTS).shape[0], node.input(UNWEIGHTS).shape[0])
    return all(width <= 0 or (0 <= f and f + width <= n_in and 0 <= w and w + width <= n_w)
               for f, w, width in segments)


def _segments(node: Node) -> list[tuple[int, int, int]]:
    n = _num_channels(node)
    tables = [np.asarray(node.input(p).data, np.int64)[: n + 1] for p in (FREQ_STARTS, WEIGHT_STARTS, WIDTHS)]
    return [tuple(int(t[i]) for t in tables) for i in range(n + 1)]


@dataclass(frozen=True)
class FilterBankData:
    freq_index: np.ndarray  # every (channel, j) read, flattened in channel order
    weight_index: np.ndarray
    bounds: np.ndarray  # per channel, its slice of the flattened reads: bounds[i] .. bounds[i+1]
    outputs: int


@register("SignalFilterBank", versions=range(1, 2), types=("uint32",), inputs=6, outputs=1)
class FilterBank(Kernel):
    constraints = (S.tflm_only,
                   S.tensor_types(("i0", TensorType.UINT32), ("i1", I16), ("i2", I16), ("i3", I16), ("i4", I16),
                                  ("i5", I16), ("o0", TensorType.UINT64)),
                   S.parameters("num_channels"), _shapes, _tables_constant_and_in_bounds)

    def prepare(self, node: Node) -> FilterBankData:
        freq, weight, bounds = [], [], [0]
        for f, w, width in _segments(node):
            width = max(width, 0)
            freq.extend(range(f, f + width))
            weight.extend(range(w, w + width))
            bounds.append(bounds[-1] + width)
        return FilterBankData(np.array(freq, np.int64), np.array(weight, np.int64), np.array(bounds, np.int64),
                              node.outputs[0].shape[0])

    def eval(self, data: FilterBankData, inputs):
        energy = inputs[0][data.freq_index].astype(np.uint64)
        weighted = _segment_sums(_wrap(inputs[WEIGHTS][data.weight_index]) * energy, data.bounds)
        unweighted = _segment_sums(_wrap(inputs[UNWEIGHTS][data.weight_index]) * energy, data.bounds)
        # channel i collects its own weighted sum and channel i - 1's unweighted one
        channels = weighted.copy()
        channels[1:] += unweighted[:-1]
        return [channels[1: 1 + data.outputs]]


def _wrap(weights: np.ndarray) -> np.ndarray:
    """int16 weights as C converts them to uint64 (sign-extended, modulo 2**64)."""
    return weights.astype(np.int64).astype(np.uint64)


def _segment_sums(values: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Sums of values[bounds[i]:bounds[i+1]] modulo 2**64 (uint64 cumulative sums wrap alike)."""
    with np.errstate(over="ignore"):
        running = np.concatenate([np.zeros(1, np.uint64), np.cumsum(values, dtype=np.uint64)])
        return running[bounds[1:]] - running[bounds[:-1]]
