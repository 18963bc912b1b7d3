"""ELU: x for x >= 0, e**x - 1 below. TFLite Micro only (LiteRT's reference resolver does not
register it): float32 with expm1f, and int8 through a 256-entry table built like LiteRT's
LUTPopulate from ``expf(x) - 1``."""

from __future__ import annotations

import numpy as np

from . import _unary as u
from ._libm import expf
from .registry import Node, register


def _elu(value: np.float32) -> np.float32:
    return np.float32(expf(value) - np.float32(1)) if value < 0 else value


def _table(node: Node) -> u.QuantizedTable:
    return u.litert_lut_table(node, _elu)


@register("ELU", versions=range(1, 2), types=("float32", "int8"), inputs=1, outputs=1)
class Elu(u.UnaryKernel):
    constraints = (
        *u.operand_constraints((u.F32, u.I8), (u.F32, u.I8)),
        u.litert_unregistered,
        *u.QUANTIZED_CONSTRAINTS,
        u.lut_defined(_table),
    )

    @staticmethod
    def element(x: np.ndarray) -> np.ndarray:
        x = x.astype(np.float32)
        return np.where(x < 0, np.expm1(x.astype(np.float64)).astype(np.float32), x)

    table = staticmethod(_table)
