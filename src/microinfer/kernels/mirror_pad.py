"""MIRROR_PAD: pad each dimension with a mirror image of the input's edge.

REFLECT mirrors without repeating the edge element (at most dim - 1 a side), SYMMETRIC repeats
it (at most dim a side); NumPy's ``pad`` modes of the same names. The paddings are a constant
(rank, 2) int32/int64 tensor; the references do not check their bounds, so larger ones are refused.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType
from . import _shapes
from .registry import Kernel, Node, register

F32, I8, I16, I32, I64, BOOL, U8 = (TensorType.FLOAT32, TensorType.INT8, TensorType.INT16, TensorType.INT32,
                                    TensorType.INT64, TensorType.BOOL, TensorType.UINT8)
TFLM_TYPES = (F32, I8)
LITERT_TYPES = (F32, I8, I16, I32, I64, BOOL, U8)
MODES = {0: "reflect", 1: "symmetric"}


@dataclass(frozen=True)
class MirrorPadData:
    pads: tuple[tuple[int, int], ...]
    mode: str


def paddings(node: Node) -> np.ndarray | None:
    x, p = node.inputs
    values = _shapes.constant_index_vector(p, (I32, I64))
    rank = len(x.shape)
    if values is None or tuple(p.shape) != (rank, 2):
        return None
    return values.reshape(rank, 2)


def _mode(node: Node) -> bool:
    """The mode is REFLECT or SYMMETRIC"""
    return getattr(node.options, "mode", None) in MODES


def _paddings(node: Node) -> bool:
    """The paddings are a constant int32 or int64 tensor of shape (rank, 2), each in [0, dim - 1] (REFLECT) or [0, dim] (SYMMETRIC)"""
    pads = paddings(node)
    if pads is None or not _mode(node):
        return False
    limit_offset = 1 if node.options.mode == 0 else 0
    return all(0 <= a <= d - limit_offset and 0 <= b <= d - limit_offset
               for d, (a, b) in zip(node.inputs[0].shape, pads))


def _output_shape(node: Node) -> bool:
    """The output's shape is the input's plus the paddings"""
    pads = paddings(node)
    return pads is not None and tuple(int(d + a + b) for d, (a, b) in zip(node.inputs[0].shape, pads)) \
        == tuple(node.outputs[0].shape)


@register("MIRROR_PAD", versions=range(1, 3), types=_shapes.type_labels(TFLM_TYPES, LITERT_TYPES),
          inputs=2, outputs=1)
class MirrorPad(Kernel):
    constraints = (
        *_shapes.types_by_reference(TFLM_TYPES, LITERT_TYPES, inputs=(0,)),
        _mode,
        _paddings,
        _output_shape,
        _shapes.litert_only(lambda node: node.inputs[0].type is not I16
                            or _shapes.quantization_key(node.inputs[0])[1] == 0,
                            "With reference='tflite': an int16 input has zero point 0 (LiteRT checks it)"),
        _shapes.tflm_allocates_outputs,
    )

    def prepare(self, node: Node) -> MirrorPadData:
        pads = tuple((int(a), int(b)) for a, b in paddings(node))
        return MirrorPadData(pads, MODES[node.options.mode])

    def eval(self, data: MirrorPadData, inputs):
        return [np.pad(inputs[0], data.pads, mode=data.mode)]
