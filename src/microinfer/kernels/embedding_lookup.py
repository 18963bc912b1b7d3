"""EMBEDDING_LOOKUP: rows of a value table (input 1) picked by 1-D int32 ids (input 0).

Rows are copied when the table and the output share a type. An int8 table with a float32 output
is dequantized (zero point 0): TFLite Micro scales every row by the table's first scale, LiteRT
by the row's own scale when the table is quantized per row. An id out of range fails the run in
both references, and in microinfer, naming the operator.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType
from . import _shapes
from .registry import TFLM, Kernel, Node, register

F32, I8, I16, I32, I64, BOOL, U8 = (TensorType.FLOAT32, TensorType.INT8, TensorType.INT16, TensorType.INT32,
                                    TensorType.INT64, TensorType.BOOL, TensorType.UINT8)
TFLM_COPIES = (F32, I8)
LITERT_COPIES = (F32, I8, I16, I32, I64, BOOL, U8)


@dataclass(frozen=True)
class EmbeddingData:
    rows: int
    output_shape: tuple[int, ...]
    row_scales: np.ndarray | None  # float32 per row when dequantizing, else None


def _hybrid(node: Node) -> bool:
    return node.inputs[1].type is I8 and node.outputs[0].type is F32


def _ids(node: Node) -> bool:
    """The ids are a 1-D int32 tensor"""
    ids = node.inputs[0]
    return ids.type is I32 and len(ids.shape) == 1


def _types(node: Node) -> bool:
    """The output has the table's type (float32, int8, int16, int32, int64, bool or uint8), or the table is int8 and the output float32"""
    value, out = node.inputs[1].type, node.outputs[0].type
    return _hybrid(node) or (value is out and value in LITERT_COPIES)


def _tflm_types(node: Node) -> bool:
    return _hybrid(node) or node.inputs[1].type in TFLM_COPIES


def _shape(node: Node) -> bool:
    """The table has at least 2 dimensions and the output is (number of ids,) + table.shape[1:]"""
    ids, value = node.inputs[0], node.inputs[1]
    return len(value.shape) >= 2 and tuple(node.outputs[0].shape) == (ids.shape[0],) + tuple(value.shape[1:])


def _hybrid_quantization(node: Node) -> bool:
    """An int8 table dequantized to float32 has zero points 0 and one scale, or (LiteRT) one per row"""
    if not _hybrid(node):
        return True
    q = node.inputs[1].quantization
    if q is None or len(q.scale) == 0 or any(int(z) != 0 for z in q.zero_point):
        return False
    return len(q.scale) == 1 or (node.reference != TFLM and len(q.scale) == node.inputs[1].shape[0])


@register("EMBEDDING_LOOKUP", versions=range(1, 6), types=_shapes.type_labels(LITERT_COPIES),
          inputs=2, outputs=1)
class EmbeddingLookup(Kernel):
    constraints = (
        _ids,
        _types,
        _shapes.tflm_only(_tflm_types, "With reference='tflm': the table is float32 or int8"),
        _shape,
        _hybrid_quantization,
        _shapes.tflm_allocates_outputs,
    )

    def prepare(self, node: Node) -> EmbeddingData:
        value = node.inputs[1]
        scales = None
        if _hybrid(node):
            scales = np.asarray(value.quantization.scale, np.float32)
            if node.reference == TFLM or scales.size == 1:
                scales = np.full(value.shape[0], scales[0], np.float32)
        return EmbeddingData(value.shape[0], tuple(node.outputs[0].shape), scales)

    def eval(self, data: EmbeddingData, inputs):
        ids, table = inputs
        ids = np.asarray(ids).astype(np.int64)
        _shapes.check_indices("EMBEDDING_LOOKUP", ids, data.rows)
        rows = table[ids]
        if data.row_scales is not None:
            scale = data.row_scales[ids].reshape((-1,) + (1,) * (rows.ndim - 1))
            rows = rows.astype(np.float32) * scale
        return [np.ascontiguousarray(rows).reshape(data.output_shape)]
