"""REDUCE_PROD over constant axes (LiteRT only; TFLite Micro has no kernel for it).

float32 (multiplied in the input's row-major order), int32/int64 (wrapping), bool (all). int8 and
int16 (``QuantizedReduceProd``): with ``n = input size / output size`` elements folded into each
output, the scale ``input_scale / output_scale ** (1/n)`` (in double) becomes a multiplier; the
first element of a group gives ``x - zero_point``, each further one multiplies the running product
(in 64 bits) by ``x - zero_point`` and rescales it, and the product is rescaled once more, offset
by the output zero point and clamped. The rescaling is the 64-bit ``MultiplyByQuantizedMultiplier``
(16-bit multiplier, one rounding shift).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType as T
from . import _reduce as R
from . import common
from ._elementwise import QUANTIZATION_CONSTRAINTS
from .fixedpoint import multiply_by_quantized_multiplier_int64, quantize_multiplier
from .registry import Kernel, Node, register


@dataclass(frozen=True)
class ProdData:
    fold: R.FoldData
    input_zero_point: int = 0
    output_zero_point: int = 0
    multiplier: int = 0
    shift: int = 0
    low: int = 0
    high: int = 0


def _scaling(node: Node) -> tuple[int, int]:
    x, y = node.inputs[0], node.outputs[0]
    n = x.num_elements // max(y.num_elements, 1)
    real = float(common.scale_of(x)) / math.pow(float(common.scale_of(y)), 1.0 / n)
    return quantize_multiplier(real)


def _scaling_fits(node: Node) -> bool:
    """Quantized: input_scale / output_scale ** (1/n) (n elements folded into each output) is below 2**14"""
    x, y = node.input(0), node.outputs[0]
    if x is None or x.type not in R.QUANTIZED or R.resolved_axes(node) is None or not R.no_empty_dimension(node):
        return True
    if not (float(common.scale_of(x)) > 0 and float(common.scale_of(y)) > 0):
        return False
    return _scaling(node)[1] <= 14  # the 64-bit rescaling shifts right by 15 - shift


@register("REDUCE_PROD", versions=range(1, 3), types=("float32", "int8", "int16", "int32", "int64", "bool"),
          inputs=2, outputs=1)
class ReduceProd(Kernel):
    constraints = (
        R.NOT_IN_TFLM,
        R.same_type((T.FLOAT32, T.INT8, T.INT16, T.INT32, T.INT64, T.BOOL)),
        *R.AXES_CONSTRAINTS,
        *QUANTIZATION_CONSTRAINTS,
        R.litert_int16_zero_points,
        _scaling_fits,
    )

    def prepare(self, node: Node) -> ProdData:
        fold = R.fold_data(node)
        x, y = node.inputs[0], node.outputs[0]
        if x.type not in R.QUANTIZED:
            return ProdData(fold)
        multiplier, shift = _scaling(node)
        low, high = common.INTEGER_RANGE[y.type]
        return ProdData(fold, common.zero_point_of(x), common.zero_point_of(y), multiplier, shift, low, high)

    def eval(self, data: ProdData, inputs):
        x = inputs[0]
        if data.high == 0:
            return [R.wrapping_fold(x, data.fold, add=False)]
        rows = R.grouped(x.astype(np.int64) - data.input_zero_point, data.fold.reduction)
        product = rows[:, 0]
        for j in range(1, rows.shape[1]):
            product = multiply_by_quantized_multiplier_int64(product * rows[:, j], data.multiplier, data.shift)
        out = multiply_by_quantized_multiplier_int64(product, data.multiplier, data.shift) + data.output_zero_point
        return [np.clip(out, data.low, data.high).astype(x.dtype).reshape(data.fold.reduction.output_shape)]
