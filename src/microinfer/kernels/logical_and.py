"""LOGICAL_AND: ``a and b`` on bool tensors, with broadcasting.

TFLite Micro reads any input as bool without checking its type (undefined for bytes other than 0
and 1), so microinfer takes bool inputs only, as LiteRT does.
"""

from __future__ import annotations

import numpy as np

from . import _binary as bw
from . import _elementwise as ew
from .registry import register


@register("LOGICAL_AND", versions=range(1, 2), types=("bool",), inputs=2, outputs=1)
class LogicalAnd(bw.BinaryKernel):
    constraints = (*bw.types((bw.BOOL,), (bw.BOOL,)), bw.output_is_broadcast, ew.max_rank(6))

    @staticmethod
    def function(constants, a, b):
        return np.logical_and(a, b)
