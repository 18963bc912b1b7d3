"""BATCH_TO_SPACE_ND: move batch blocks back into the spatial dimensions, then crop.

The input is (batch, height, width, channels) or (batch, width, channels); block shape and
crops are constant int32 tensors.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import _blocks, _shapes
from ._blocks import BOOL, F32, I8, I16, I32, I64, U8
from .registry import Kernel, Node, register

TFLM_TYPES = (F32, I8)
LITERT_TYPES = (F32, I8, I16, I32, I64, BOOL, U8)


@dataclass(frozen=True)
class BatchToSpaceData:
    block: tuple[int, int]
    crops: tuple[tuple[int, int], tuple[int, int]]
    output_shape: tuple[int, ...]


def spatial_shape(node: Node) -> tuple[int, ...] | None:
    params = _blocks.block_parameters(node)
    if params is None:
        return None
    (b1, b2), crops = params
    n, h, w, c = _blocks.as_4d(node.inputs[0].shape)
    if n % (b1 * b2):
        return None
    oh, ow = h * b1 - int(crops[0].sum()), w * b2 - int(crops[1].sum())
    if oh < 0 or ow < 0:
        return None
    shape = (n // (b1 * b2), oh, ow, c)
    return shape if len(node.inputs[0].shape) == 4 else (shape[0], shape[1], shape[3])


def _parameters(node: Node) -> bool:
    """The input is 3-D or 4-D; block shape (positive) and crops (non-negative, (spatial dims, 2)) are constant int32 tensors"""
    return _blocks.block_parameters(node) is not None


def _output_shape(node: Node) -> bool:
    """The batch divides by the block size, the crops fit, and the output has the cropped shape"""
    return spatial_shape(node) == tuple(node.outputs[0].shape)


@register("BATCH_TO_SPACE_ND", versions=range(1, 5), types=_shapes.type_labels(TFLM_TYPES, LITERT_TYPES),
          inputs=3, outputs=1)
class BatchToSpaceNd(Kernel):
    constraints = (
        *_shapes.types_by_reference(TFLM_TYPES, LITERT_TYPES, inputs=(0,)),
        _parameters,
        _output_shape,
        *_blocks.litert_quantization(),
        _shapes.tflm_allocates_outputs,
    )

    def prepare(self, node: Node) -> BatchToSpaceData:
        block, crops = _blocks.block_parameters(node)
        return BatchToSpaceData(block, tuple(tuple(int(v) for v in p) for p in crops),
                                tuple(node.outputs[0].shape))

    def eval(self, data: BatchToSpaceData, inputs):
        x = inputs[0].reshape(_blocks.as_4d(inputs[0].shape))
        out = _blocks.batch_to_space(x, data.block, data.crops)
        return [out.reshape(data.output_shape)]
