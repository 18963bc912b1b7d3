"""CEIL: the smallest integer not below x (ceilf), float32 only; TFLite Micro only (LiteRT's
reference resolver does not register it)."""

from __future__ import annotations

import numpy as np

from . import _unary as u
from .registry import register


@register("CEIL", versions=range(1, 2), types=("float32",), inputs=1, outputs=1)
class Ceil(u.UnaryKernel):
    constraints = u.float_constraints(tflite_unregistered=True)
    element = u.float_function(np.ceil)
