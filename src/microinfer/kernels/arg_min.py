"""ARG_MIN: the index of the smallest value along one axis; ties go to the lowest index (see
:class:`._arg.ArgKernel`)."""

from __future__ import annotations

from ._arg import ArgKernel
from .registry import register


@register("ARG_MIN", versions=range(1, 3), types=("float32", "int8", "int32", "uint8", "bool"), inputs=2, outputs=1)
class ArgMin(ArgKernel):
    largest = False
