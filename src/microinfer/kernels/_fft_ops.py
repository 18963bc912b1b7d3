"""What SignalRfft and SignalIrfft share: the "T" and fft_length options and the row layout.

Both kernels (signal/micro/kernels/rfft.cc, irfft.cc) pick their type from the "T" entry of their
options (TensorType INT16 = 7, INT32 = 2, FLOAT32 = 0; any other makes their Init return nothing,
on which their Prepare crashes) and read ``fft_length`` at position 1. They run row by row over
the innermost dimension: the real side holds ``fft_length`` samples a row (Rfft zero-pads shorter
rows), the complex side ``fft_length / 2 + 1`` bins as interleaved (re, im) pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType
from . import _kiss_fft
from . import _signal as S
from ._kiss_fft import RealFft
from .registry import Node

KIND = {TensorType.INT16: "int16", TensorType.INT32: "int32", TensorType.FLOAT32: "float32"}


def kind(node: Node) -> str:
    return KIND[node.input(0).type]


def fft_length(node: Node) -> int:
    return S.parameter(node, 1)


def type_entry(node: Node) -> bool:
    """The "T" option is the tensors' type (7 int16, 2 int32 or 0 float32), shared by input and output"""
    code = S.typed_parameter(node)
    x, y = node.input(0), node.outputs[0]
    return code is not None and x.type in KIND and code == x.type.value and y.type is x.type


def length(node: Node) -> bool:
    """fft_length is even, at least 4, and half of it a product of 2, 3 and 5 (TFLite Micro's KISS FFT crashes on other factors)"""
    n = fft_length(node)
    return 4 <= n <= 1 << 16 and _kiss_fft.supported(n)


def rows(real_shape: tuple, complex_shape: tuple, n: int, real_exact: bool) -> bool:
    """Same rank and outer dimensions; the complex side holds n/2 + 1 (re, im) pairs a row, the
    real side n samples (or, when not ``real_exact``, between 1 and n)."""
    if len(real_shape) < 1 or len(real_shape) != len(complex_shape) or real_shape[:-1] != complex_shape[:-1]:
        return False
    samples = real_shape[-1]
    fits = samples == n if real_exact else 1 <= samples <= n
    return fits and complex_shape[-1] == 2 * (n // 2 + 1)


def constraints(shapes) -> tuple:
    """Both kernels' constraints, ending with their own shape constraint."""
    return (S.tflm_only, S.parameters("T", "fft_length"), type_entry, length, shapes)


@dataclass(frozen=True)
class FftData:
    fft: RealFft
    dtype: np.dtype


def prepare(node: Node, inverse: bool) -> FftData:
    return FftData(RealFft.plan(kind(node), fft_length(node), inverse), node.outputs[0].type.numpy_dtype)
