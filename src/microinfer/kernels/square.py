"""SQUARE: x * x in float32, float32 only in both references."""

from __future__ import annotations

import numpy as np

from . import _unary as u
from .registry import register


@register("SQUARE", versions=range(1, 2), types=("float32",), inputs=1, outputs=1)
class Square(u.UnaryKernel):
    constraints = u.float_constraints()
    element = u.float_function(np.square)
