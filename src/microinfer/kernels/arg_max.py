"""ARG_MAX: the index of the largest value along one axis; ties go to the lowest index (see
:class:`._arg.ArgKernel`)."""

from __future__ import annotations

from ._arg import ArgKernel
from .registry import register


@register("ARG_MAX", versions=range(1, 3), types=("float32", "int8", "int32", "uint8", "bool"), inputs=2, outputs=1)
class ArgMax(ArgKernel):
    largest = True
