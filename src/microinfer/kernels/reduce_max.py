"""REDUCE_MAX over constant axes: the largest element (bool: any), see :class:`._reduce.ExtremumKernel`.

A float32 NaN never replaces the running maximum, which starts from the lowest float; LiteRT's fold
over every dimension starts from the first element instead (:func:`._reduce.extremum`).
"""

from __future__ import annotations

from ._reduce import ExtremumKernel
from .registry import register


@register("REDUCE_MAX", versions=range(1, 4), types=("float32", "int8", "int16", "int32", "int64", "bool", "uint8"),
          inputs=2, outputs=1)
class ReduceMax(ExtremumKernel):
    largest = True
