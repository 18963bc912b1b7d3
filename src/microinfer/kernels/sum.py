"""SUM over constant axes.

TFLite Micro: float32, and int8/int16 requantized like MEAN but without the division by the count
(``QuantizedMeanOrSum`` with ``compute_sum``), clamped to the output type.

LiteRT: float32, int32 and int64 (wrapping), bool (any), uint8 requantized like int8 in TFLite
Micro but clamped to 0..255. LiteRT 2.3.0's reference SUM of int8 runs that same uint8 code on the
int8 tensors, whatever their scales (its int8 and int16 entry points both call the uint8
instantiation of ``QuantizedMeanOrSum``, as its machine code shows): the raw bytes are read as
uint8 (0..255), the int8 zero points are used as they are, and the result is clamped to 0..255 and
stored as a byte, i.e. read back as int8 ``(v + 128) % 256 - 128``. microinfer reproduces that.
Its int16 SUM reads the int16 data as bytes too and leaves half of the output unwritten, so
microinfer refuses it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType
from . import _reduce as R
from ._elementwise import QUANTIZATION_CONSTRAINTS
from ._shapes import litert_only
from .registry import TFLITE, Kernel, Node, register

F32, I8, I16, I32, I64, BOOL, U8 = (TensorType.FLOAT32, TensorType.INT8, TensorType.INT16, TensorType.INT32,
                                    TensorType.INT64, TensorType.BOOL, TensorType.UINT8)


@dataclass(frozen=True)
class SumData:
    fold: R.FoldData
    rescale: R.SumRescale | None = None  # int8/int16
    as_bytes: bool = False  # LiteRT's int8 SUM: data read as uint8


@register("SUM", versions=range(1, 3), types=("float32", "int8", "int16", "int32", "int64", "bool", "uint8"),
          inputs=2, outputs=1)
class Sum(Kernel):
    constraints = (
        R.same_type((F32, I8, I16), litert_also=(I32, I64, BOOL, U8)),
        litert_only(lambda node: node.inputs[0].type is not I16,
                    "With reference='tflite': the input is not int16 (LiteRT 2.3.0's reference SUM "
                    "reads int16 data as bytes and leaves part of the output unwritten)"),
        *R.AXES_CONSTRAINTS,
        *QUANTIZATION_CONSTRAINTS,
        R.uint8_quantized,
        R.rescale_fits(mean=False),
    )

    def prepare(self, node: Node) -> SumData:
        fold = R.fold_data(node)
        x = node.inputs[0]
        if x.type not in R.QUANTIZED:
            return SumData(fold)
        as_bytes = node.reference == TFLITE
        rescale = R.sum_rescale(node, fold.reduction.count, mean=False,
                                value_type=TensorType.UINT8 if as_bytes else None)
        return SumData(fold, rescale, as_bytes)

    def eval(self, data: SumData, inputs):
        x = inputs[0]
        if data.rescale is None:
            return [R.wrapping_fold(x, data.fold, add=True)]
        values = x.view(np.uint8) if data.as_bytes else x
        total = R.apply_sum_rescale(R.integer_sum(values, data.fold.reduction), data.fold.reduction.count,
                                    data.rescale)
        if data.as_bytes:
            return [total.astype(np.uint8).view(x.dtype)]  # bytes read back as int8 (or uint8)
        return [total.astype(x.dtype)]
