"""EQUAL: ``a == b`` element-wise with broadcasting; the output is bool.

int8 inputs are rescaled to real values before comparing (both references), and so are int16
ones with reference='tflite' (LiteRT 2.3.0, measured); TFLite Micro takes no int16.
"""

from __future__ import annotations

import numpy as np

from . import _binary as bw
from .registry import register


@register("EQUAL", versions=range(1, 6),
          types=("bool", "float32", "int8", "int16", "int32", "int64"),
          inputs=2, outputs=1)
class Equal(bw.ComparisonKernel):
    litert_int16_scaled = True
    constraints = bw.comparison_constraints(
        tflm=(bw.BOOL, bw.F32, bw.I8, bw.I32, bw.I64),
        tflite=(bw.BOOL, bw.F32, bw.I8, bw.I16, bw.I32, bw.I64),
        litert_int16_scaled=True,
    )

    @staticmethod
    def compare(a, b):
        return np.equal(a, b)
