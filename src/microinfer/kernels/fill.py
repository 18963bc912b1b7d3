"""FILL: a tensor of the shape given by input 0 (constant here), every element the scalar input 1.

LiteRT insists that a quantized value has the output's scale and zero point; TFLite Micro copies
the raw value whatever the quantization.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType
from . import _shapes
from .registry import Kernel, Node, register

F32, I8, I16, I32, I64, BOOL, U8 = (TensorType.FLOAT32, TensorType.INT8, TensorType.INT16, TensorType.INT32,
                                    TensorType.INT64, TensorType.BOOL, TensorType.UINT8)
TFLM_TYPES = (F32, I8, I32)
LITERT_TYPES = (F32, I8, I16, I32, I64, BOOL, U8)


@dataclass(frozen=True)
class FillData:
    shape: tuple[int, ...]


def _dims(node: Node) -> tuple[int, ...] | None:
    dims_t = node.inputs[0]
    dims = _shapes.constant_index_vector(dims_t, (I32, I64))
    if dims is None or len(dims_t.shape) != 1 or (dims < 0).any():
        return None
    return tuple(int(d) for d in dims)


def _constant_dims(node: Node) -> bool:
    """The dimensions are a constant 1-D int32 or int64 tensor of non-negative values"""
    return _dims(node) is not None


def _output_shape(node: Node) -> bool:
    """The output has the shape the dimensions give"""
    return _dims(node) == tuple(node.outputs[0].shape)


def _scalar_value(node: Node) -> bool:
    """The value is a scalar (a tensor of rank 0)"""
    return len(node.inputs[1].shape) == 0


def _tflm_output_not_scalar(node: Node) -> bool:
    return len(node.outputs[0].shape) > 0


@register("FILL", versions=range(1, 6), types=_shapes.type_labels(LITERT_TYPES), inputs=2, outputs=1)
class Fill(Kernel):
    constraints = (
        *_shapes.types_by_reference(TFLM_TYPES, LITERT_TYPES, inputs=(1,)),
        _constant_dims,
        _output_shape,
        _scalar_value,
        _shapes.tflm_only(_tflm_output_not_scalar,
                          "With reference='tflm': the output has at least one dimension (TFLite Micro "
                          "fails to allocate a scalar output)"),
        _shapes.litert_only(
            lambda node: _shapes.same_quantization(node.inputs[1:] + node.outputs),
            "With reference='tflite': an int8/int16 value has the output's scale and zero point "
            "(LiteRT checks it)"),
        _shapes.litert_only(
            lambda node: node.inputs[1].type is not I16 or _shapes.quantization_key(node.inputs[1])[1] == 0,
            "With reference='tflite': an int16 value has zero point 0 (LiteRT checks it)"),
        _shapes.tflm_allocates_outputs,
    )

    def prepare(self, node: Node) -> FillData:
        return FillData(_dims(node))

    def eval(self, data: FillData, inputs):
        return [np.full(data.shape, np.asarray(inputs[1]).reshape(()), dtype=inputs[1].dtype)]
