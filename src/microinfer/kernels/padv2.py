"""PADV2: PAD with the padding value given by a third input (see pad.py for the semantics)."""

from __future__ import annotations

from .pad import TYPES, PadBase
from .registry import register


@register("PADV2", versions=range(1, 5), types=tuple(t.name.lower() for t in TYPES))
class PadV2(PadBase):
    pass
