"""HARD_SWISH in C for int8 inputs: a 256-entry table from the NumPy kernel (see _lookup.py); other
input types run in NumPy."""

from __future__ import annotations

from ..binding import register_c
from ._lookup import LookupS8C


@register_c("HARD_SWISH")
class HardSwishC(LookupS8C):
    pass
