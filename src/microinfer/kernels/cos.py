"""COS: the cosine (cosf), float32 only in both references."""

from __future__ import annotations

from . import _unary as u
from ._libm import cosf_array
from .registry import register


@register("COS", versions=range(1, 2), types=("float32",), inputs=1, outputs=1)
class Cos(u.UnaryKernel):
    constraints = u.float_constraints()
    element = staticmethod(cosf_array)  # the C library's cosf, bit for bit
