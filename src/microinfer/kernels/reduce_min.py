"""REDUCE_MIN over constant axes: the smallest element (bool: all), see :class:`._reduce.ExtremumKernel`.

A float32 NaN never replaces the running minimum, which starts from the largest float; LiteRT's fold
over every dimension starts from the first element instead (:func:`._reduce.extremum`).
"""

from __future__ import annotations

from ._reduce import ExtremumKernel
from .registry import register


@register("REDUCE_MIN", versions=range(1, 4), types=("float32", "int8", "int16", "int32", "int64", "bool", "uint8"),
          inputs=2, outputs=1)
class ReduceMin(ExtremumKernel):
    largest = False
