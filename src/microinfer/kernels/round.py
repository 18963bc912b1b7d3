"""ROUND: x rounded to the nearest integer, halves to even (TFLite's RoundToNearest), float32 only;
TFLite Micro only (LiteRT's reference resolver does not register it)."""

from __future__ import annotations

import numpy as np

from . import _unary as u
from .registry import register


@register("ROUND", versions=range(1, 2), types=("float32",), inputs=1, outputs=1)
class Round(u.UnaryKernel):
    constraints = u.float_constraints(tflite_unregistered=True)

    @staticmethod
    def element(x: np.ndarray) -> np.ndarray:
        """RoundToNearest: floor, then up when the remainder is above a half, or a half with an
        odd floor (0.0 rather than -0.0 for small negatives, as the C code gives)."""
        x = x.astype(np.float32)
        floor = np.floor(x)
        remainder = x - floor
        keep = (remainder < np.float32(0.5)) | ((remainder == np.float32(0.5)) & (np.fmod(floor, 2) == 0))
        return np.where(keep, floor, floor + np.float32(1))
