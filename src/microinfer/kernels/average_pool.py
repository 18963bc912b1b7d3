"""AVERAGE_POOL_2D: float32, int8 and int16 (same quantization in and out), and (LiteRT) uint8.

The quantized average is the integer window sum divided by the number of cells read, rounded half
away from zero with C's truncating division (``(sum +- count/2) / count``); both references do the
same. float32 sums in window order and divides by the count.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType
from . import _pool_util as pool
from .registry import Kernel, Node, register


@dataclass(frozen=True)
class AveragePoolData:
    kind: str  # "float32", "int8", "int16", "uint8"
    geometry: pool.PoolGeometry
    count: np.ndarray  # (1, out_h, out_w, 1) number of cells in each window
    act_min: float
    act_max: float


def _int16_sum_fits(node: Node) -> bool:
    """int16 window sums fit in int32 (filter area at most 65536)"""
    x = node.input(0)
    if x is None or x.type is not TensorType.INT16:
        return True
    return node.options.filter_height * node.options.filter_width <= 65536


@register("AVERAGE_POOL_2D", versions=range(1, 4), types=("float32", "int8", "int16", "uint8"),
          inputs=1, outputs=1)
class AveragePool(Kernel):
    constraints = (*pool.CONSTRAINTS, _int16_sum_fits)

    def prepare(self, node: Node) -> AveragePoolData:
        geo = pool.geometry(node)
        count = (geo.rows.count[:, None] * geo.cols.count[None, :])[None, :, :, None].astype(np.int64)
        lo, hi = pool.activation_bounds(node)
        return AveragePoolData(node.inputs[0].type.name.lower(), geo, count, lo, hi)

    def eval(self, data: AveragePoolData, inputs):
        x = inputs[0]
        if data.kind == "float32":
            total = np.zeros(data.geometry.output_shape, np.float32)
            for values, valid in pool.window_taps(x, data.geometry):
                total = np.where(valid, total + values, total).astype(np.float32)
            mean = (total / data.count.astype(np.float32)).astype(np.float32)
            return [np.clip(mean, data.act_min, data.act_max).astype(np.float32)]
        total = pool.window_sums(x, data.geometry)
        half = data.count // 2
        numerator = np.where(total > 0, total + half, total - half)
        quotient = np.abs(numerator) // data.count * np.sign(numerator)  # C truncating division
        out = np.clip(quotient, data.act_min, data.act_max)
        return [out.astype(x.dtype)]
