"""GREATER: ``a > b`` element-wise with broadcasting; the output is bool.

int8 inputs are rescaled to real values before comparing (both references); LiteRT compares
int16 raw. TFLite Micro's int16 GREATER is refused: the pinned build's answers are unrelated to its
inputs and vary between runs (5 > 0 came out false).
"""

from __future__ import annotations

import numpy as np

from . import _binary as bw
from .registry import register


@register("GREATER", versions=range(1, 3),
          types=("float32", "int8", "int16", "int32", "int64"),
          inputs=2, outputs=1)
class Greater(bw.ComparisonKernel):
    constraints = bw.comparison_constraints(
        tflm=(bw.F32, bw.I8, bw.I32, bw.I64),
        tflite=(bw.F32, bw.I8, bw.I16, bw.I32, bw.I64),
    )

    @staticmethod
    def compare(a, b):
        return np.greater(a, b)
