"""LESS: ``a < b`` element-wise with broadcasting; the output is bool.

int8 inputs are rescaled to real values before comparing (both references); LiteRT compares
int16 raw.
"""

from __future__ import annotations

import numpy as np

from . import _binary as bw
from .registry import register


@register("LESS", versions=range(1, 4),
          types=("float32", "int8", "int16", "int32", "int64"),
          inputs=2, outputs=1)
class Less(bw.ComparisonKernel):
    constraints = bw.comparison_constraints(
        tflm=(bw.F32, bw.I8, bw.I32, bw.I64),
        tflite=(bw.F32, bw.I8, bw.I16, bw.I32, bw.I64),
    )

    @staticmethod
    def compare(a, b):
        return np.less(a, b)
