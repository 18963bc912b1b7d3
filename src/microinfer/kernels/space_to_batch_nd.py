"""SPACE_TO_BATCH_ND: pad the spatial dimensions, then move block_shape blocks into the batch.

The input is (batch, height, width, channels) or (batch, width, channels); block shape and
paddings are constant int32 tensors. LiteRT pads with the output's zero point (and insists that
input and output share their quantization; int16 zero points are 0). TFLite Micro pads with a
value it never initializes (its OpData's output offset): fuzzing saw 0 and leftover data, so
with reference='tflm' only models without padding are run.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import _blocks, _shapes
from ._blocks import BOOL, F32, I8, I16, I32, I64, U8
from .registry import TFLITE, Kernel, Node, register

TFLM_TYPES = (F32, I8)
LITERT_TYPES = (F32, I8, I16, I32, I64, BOOL, U8)


@dataclass(frozen=True)
class SpaceToBatchData:
    block: tuple[int, int]
    pads: tuple[tuple[int, int], tuple[int, int]]
    pad_value: int
    output_shape: tuple[int, ...]


def batched_shape(node: Node) -> tuple[int, ...] | None:
    params = _blocks.block_parameters(node)
    if params is None:
        return None
    (b1, b2), pads = params
    n, h, w, c = _blocks.as_4d(node.inputs[0].shape)
    ph, pw = h + int(pads[0].sum()), w + int(pads[1].sum())
    if ph % b1 or pw % b2:
        return None
    shape = (n * b1 * b2, ph // b1, pw // b2, c)
    return shape if len(node.inputs[0].shape) == 4 else (shape[0], shape[1], shape[3])


def _parameters(node: Node) -> bool:
    """The input is 3-D or 4-D; block shape (positive) and paddings (non-negative, (spatial dims, 2)) are constant int32 tensors"""
    return _blocks.block_parameters(node) is not None


def _output_shape(node: Node) -> bool:
    """The padded spatial dimensions divide by the block shape, and the output has the batched shape"""
    return batched_shape(node) == tuple(node.outputs[0].shape)


def _no_padding(node: Node) -> bool:
    params = _blocks.block_parameters(node)
    return params is not None and not params[1].any()


@register("SPACE_TO_BATCH_ND", versions=range(1, 5), types=_shapes.type_labels(TFLM_TYPES, LITERT_TYPES),
          inputs=3, outputs=1)
class SpaceToBatchNd(Kernel):
    constraints = (
        *_shapes.types_by_reference(TFLM_TYPES, LITERT_TYPES, inputs=(0,)),
        _parameters,
        _output_shape,
        _shapes.tflm_only(_no_padding, "With reference='tflm': the paddings are all 0 (TFLite Micro pads "
                                       "with an uninitialized value)"),
        *_blocks.litert_quantization(),
        _shapes.tflm_allocates_outputs,
    )

    def prepare(self, node: Node) -> SpaceToBatchData:
        block, pads = _blocks.block_parameters(node)
        pad_value = _shapes.quantization_key(node.outputs[0])[1] if node.reference == TFLITE else 0
        return SpaceToBatchData(block, tuple(tuple(int(v) for v in p) for p in pads), pad_value,
                                tuple(node.outputs[0].shape))

    def eval(self, data: SpaceToBatchData, inputs):
        x = inputs[0].reshape(_blocks.as_4d(inputs[0].shape))
        out = _blocks.space_to_batch(x, data.block, data.pads, data.pad_value)
        return [out.reshape(data.output_shape)]
