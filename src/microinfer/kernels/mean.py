"""MEAN over constant axes: float32, int8 and int16 in both references; int32, int64 and uint8 in
LiteRT.

Quantized (both references, ``QuantizedMeanOrSum``; uint8 alike, clamped to 0..255): the int32 sum of the raw values over the
reduced axes, minus ``input_zero_point * count``, requantized with ``input_scale / output_scale``
into which ``1/count`` is folded (:func:`._reduce.rescale_shift`), with double rounding in both
references (LiteRT 2.3.0's reference MEAN was observed to round like TFLite Micro, not with single
rounding). This one path reproduces every case of both references, including the 4-D mean over
height and width with keep_dims and equal input/output quantization.

float32: the sum in row-major order divided by the count. int32/int64 (LiteRT): the int64 sum
divided by the count, truncated toward zero as C++ integer division does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType
from . import _reduce as R
from ._elementwise import QUANTIZATION_CONSTRAINTS
from .registry import Kernel, Node, register

F32, I8, I16, I32, I64, U8 = (TensorType.FLOAT32, TensorType.INT8, TensorType.INT16, TensorType.INT32,
                              TensorType.INT64, TensorType.UINT8)


@dataclass(frozen=True)
class MeanData:
    kind: str  # "float32", "quantized" or "integer"
    reduction: R.Reduction
    rescale: R.SumRescale | None = None
    dtype: type = np.float32


@register("MEAN", versions=range(1, 4), types=("float32", "int8", "int16", "int32", "int64", "uint8"),
          inputs=2, outputs=1)
class Mean(Kernel):
    constraints = (
        R.same_type((F32, I8, I16), litert_also=(I32, I64, U8)),
        *R.AXES_CONSTRAINTS,
        *QUANTIZATION_CONSTRAINTS,
        R.uint8_quantized,
        R.litert_int16_zero_points,
        R.rescale_fits(mean=True),
    )

    def prepare(self, node: Node) -> MeanData:
        x = node.inputs[0]
        r = R.reduction(node)
        dtype = x.type.numpy_dtype
        if x.type is F32:
            return MeanData("float32", r)
        if x.type in R.QUANTIZED:
            return MeanData("quantized", r, R.sum_rescale(node, r.count, mean=True), dtype)
        return MeanData("integer", r, dtype=dtype)

    def eval(self, data: MeanData, inputs):
        x, r = inputs[0], data.reduction
        if data.kind == "float32":
            total = R.fold_sequential(x.astype(np.float32), r, np.add, np.float32(0))
            return [(total / np.float32(r.count)).astype(np.float32)]
        sums = R.integer_sum(x, r)
        if data.kind == "quantized":
            return [R.apply_sum_rescale(sums, r.count, data.rescale).astype(data.dtype)]
        floor = sums // r.count
        quotient = floor + ((floor * r.count != sums) & (sums < 0))  # C++ division truncates toward 0
        return [quotient.astype(data.dtype)]
