"""PADV2: PAD with the padding value given by a third input (see pad.py for the semantics)."""

from __future__ import annotations

from . import _shapes
from .pad import LITERT_TYPES, PadBase
from .registry import register


@register("PADV2", versions=range(1, 5), types=_shapes.type_labels(LITERT_TYPES), inputs=(2, 3), outputs=1,
          optional_inputs=(2,))
class PadV2(PadBase):
    pass
