"""SignalFilterBankSquareRoot (TFLite Micro signal library): integer square roots of uint64
filter-bank energies, shifted right by a run-time number of bits.

signal/src/square_root_64.cc: a bit-by-bit square root that rounds up when the remainder exceeds
the root (except at the type's largest root); values below 2**32 take the 32-bit routine, whose
root is a uint16 (so it never rounds up past 0xFFFF). The shift is an input tensor; a shift
outside 0..31 (undefined behaviour in C) is an invalid input.
"""

from __future__ import annotations

import numpy as np

from ..errors import InvalidInputError
from ..tflite.types import TensorType
from . import _signal as S
from .registry import Kernel, Node, register


def _shapes(node: Node) -> bool:
    """Input and output are 1-D of one size; the shift is a scalar (constant ones in 0..31)"""
    x, bits, y = node.input(0), node.input(1), node.outputs[0]
    if not (len(x.shape) == 1 and y.shape == x.shape and bits.shape == ()):
        return False
    return not bits.is_constant or 0 <= int(np.asarray(bits.data).reshape(-1)[0]) <= 31


def _bit_root(num: np.ndarray, bit: np.ndarray, iterations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The shared loop of Sqrt32/Sqrt64 over uint64 arrays: (root, remainder)."""
    res = np.zeros_like(num)
    for step in range(int(iterations.max(initial=0))):
        active = iterations > step
        take = active & (num >= res + bit)
        num = np.where(take, num - (res + bit), num)
        res = np.where(take, (res >> np.uint64(1)) + bit, np.where(active, res >> np.uint64(1), res))
        bit = np.where(active, bit >> np.uint64(2), bit)
    return res, num


def _start(num: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    max_bit = (width - S.most_significant_bit(num, width)) | 1
    bit = np.left_shift(np.uint64(1), (width - 1 - max_bit).astype(np.uint64))
    return bit, (width - 1 - max_bit) // 2 + 1


def sqrt32(num: np.ndarray) -> np.ndarray:
    num = num.astype(np.uint64)
    bit, iterations = _start(np.maximum(num, 1), 32)
    iterations = np.where(num == 0, 0, iterations)
    res, rest = _bit_root(num, bit, iterations)
    res = np.where((rest > res) & (res != 0xFFFF), res + np.uint64(1), res)
    return res & np.uint64(0xFFFF)


def sqrt64(num: np.ndarray) -> np.ndarray:
    num = num.astype(np.uint64)
    small = (num >> np.uint64(32)) == 0
    big = np.where(small, np.uint64(1 << 32), num)
    bit, iterations = _start(big, 64)
    res, rest = _bit_root(big, bit, iterations)
    res = np.where((rest > res) & (res != 0xFFFFFFFF), res + np.uint64(1), res)
    return np.where(small, sqrt32(num), res & np.uint64(0xFFFFFFFF))


@register("SignalFilterBankSquareRoot", versions=range(1, 2), types=("uint64",), inputs=2, outputs=1)
class FilterBankSquareRoot(Kernel):
    constraints = (S.tflm_only,
                   S.tensor_types(("i0", TensorType.UINT64), ("i1", TensorType.INT32), ("o0", TensorType.UINT32)),
                   _shapes)

    def prepare(self, node: Node):
        return None

    def eval(self, data, inputs):
        bits = int(np.asarray(inputs[1]).reshape(-1)[0])
        if not 0 <= bits <= 31:
            raise InvalidInputError(f"SignalFilterBankSquareRoot: a shift of {bits} bits is outside 0..31, "
                                    "which TFLite Micro's uint32 shift leaves undefined")
        return [(sqrt64(inputs[0]) >> np.uint64(bits)).astype(np.uint32)]
