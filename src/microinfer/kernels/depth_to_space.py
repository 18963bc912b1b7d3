"""DEPTH_TO_SPACE: move blocks of channels into block_size x block_size spatial blocks (NHWC)."""

from __future__ import annotations

from dataclasses import dataclass

from . import _blocks, _shapes
from ._blocks import F32, I8, I32, I64, U8
from .registry import Kernel, Node, register

TFLM_TYPES = (F32, I8)
LITERT_TYPES = (F32, I8, I32, I64, U8)


@dataclass(frozen=True)
class DepthToSpaceData:
    block: int


def _output_shape(node: Node) -> bool:
    """The input is 4-D with channels divisible by block_size**2 (block_size >= 1), and the output is (N, H*block, W*block, C/block**2)"""
    b, shape = _blocks.block_size(node), tuple(node.inputs[0].shape)
    if b < 1 or len(shape) != 4 or shape[3] % (b * b):
        return False
    n, h, w, c = shape
    return tuple(node.outputs[0].shape) == (n, h * b, w * b, c // (b * b))


@register("DEPTH_TO_SPACE", versions=range(1, 2), types=_shapes.type_labels(TFLM_TYPES, LITERT_TYPES),
          inputs=1, outputs=1)
class DepthToSpace(Kernel):
    constraints = (
        *_shapes.types_by_reference(TFLM_TYPES, LITERT_TYPES),
        _output_shape,
        _shapes.tflm_allocates_outputs,
    )

    def prepare(self, node: Node) -> DepthToSpaceData:
        return DepthToSpaceData(_blocks.block_size(node))

    def eval(self, data: DepthToSpaceData, inputs):
        return [_blocks.depth_to_space(inputs[0], data.block)]
