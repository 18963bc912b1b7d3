"""MAX_POOL_2D: float32, int8 and int16 (same quantization in and out), and (LiteRT) uint8.

The maximum over the window clipped to the input, then the fused activation as a clamp; identical
in both references.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _pool_util as pool
from .registry import Kernel, Node, register


@dataclass(frozen=True)
class MaxPoolData:
    kind: str
    geometry: pool.PoolGeometry
    act_min: float
    act_max: float


@register("MAX_POOL_2D", versions=range(1, 4), types=("float32", "int8", "int16", "uint8"),
          inputs=1, outputs=1)
class MaxPool(Kernel):
    constraints = pool.CONSTRAINTS

    def prepare(self, node: Node) -> MaxPoolData:
        lo, hi = pool.activation_bounds(node)
        return MaxPoolData(node.inputs[0].type.name.lower(), pool.geometry(node), lo, hi)

    def eval(self, data: MaxPoolData, inputs):
        x = inputs[0]
        dtype = x.dtype
        lowest = np.finfo(dtype).min if data.kind == "float32" else np.iinfo(dtype).min
        best = np.full(data.geometry.output_shape, lowest, dtype)
        for values, valid in pool.window_taps(x, data.geometry):
            best = np.where(valid, np.maximum(best, values), best)
        return [np.clip(best, data.act_min, data.act_max).astype(dtype)]
