"""L2_POOL_2D: the square root of the mean of squares over each window clipped to the input, then
the fused activation as a clamp; float32 only, in both references.

The squares are summed in the references' loop order (window row by row) in float32 and divided
by the number of cells read.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType
from . import _pool_util as pool
from . import common
from ._reduce import no_empty_dimension
from .registry import Kernel, Node, register


@dataclass(frozen=True)
class L2PoolData:
    geometry: pool.PoolGeometry
    act_min: np.float32
    act_max: np.float32


def _float32(node: Node) -> bool:
    """Input and output are both float32"""
    x, y = node.input(0), node.outputs[0]
    return x is not None and x.type is TensorType.FLOAT32 and y.type is TensorType.FLOAT32


@register("L2_POOL_2D", versions=range(1, 2), types=("float32",), inputs=1, outputs=1)
class L2Pool2D(Kernel):
    constraints = (_float32, pool.one_input_4d, pool.positive_window, pool.output_shape_matches,
                   pool.windows_not_empty, pool.padding_fits_int16, no_empty_dimension, common.supported_activation)

    def prepare(self, node: Node) -> L2PoolData:
        lo, hi = pool.activation_bounds(node)
        return L2PoolData(pool.geometry(node), lo, hi)

    def eval(self, data: L2PoolData, inputs):
        x = inputs[0]
        squares = np.zeros(data.geometry.output_shape, np.float32)
        count = np.zeros(data.geometry.output_shape[1:3], np.float32)[None, :, :, None]
        with np.errstate(over="ignore", invalid="ignore"):
            for values, valid in pool.window_taps(x, data.geometry):
                squares = np.where(valid, squares + values * values, squares)
                count = count + valid
            result = np.sqrt(squares / count).astype(np.float32)
        return [common.float_bias_and_clamp(result, None, data.act_min, data.act_max)]
