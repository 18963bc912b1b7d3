"""RESHAPE: the same elements in row-major order under a new shape.

TFLite Micro takes the new shape from the output tensor of the model (a single -1 there is
stretched to fit), ignoring the shape input. LiteRT computes it from the shape input when that is
a 1-D int32 tensor, else from the ``new_shape`` option (``[0]`` meaning a scalar); with a shape
input that is not constant it learns the shape only when it runs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InvalidInputError
from ..tflite.types import TensorType
from . import _shapes
from .registry import TFLITE, Kernel, Node, register

TYPES = (
    TensorType.FLOAT32, TensorType.INT8, TensorType.INT16, TensorType.INT32,
    TensorType.UINT8, TensorType.INT64, TensorType.BOOL,
)


@dataclass(frozen=True)
class ReshapeData:
    output_shape: tuple[int, ...] | None  # None: read from the shape input when running (LiteRT)


def stretch(shape, num_elements: int) -> tuple[int, ...] | None:
    """``shape`` with its -1 (at most one) resolved; None when it cannot hold ``num_elements``."""
    shape = [int(d) for d in shape]
    if shape.count(-1) > 1 or any(d < -1 for d in shape):
        return None
    known = int(np.prod([d for d in shape if d != -1], dtype=np.int64))
    if -1 in shape:
        if known == 0:
            return None
        stretched = num_elements // known
        shape[shape.index(-1)] = stretched
        known *= stretched
    return tuple(shape) if known == num_elements else None


def _tflm_shape(node: Node) -> tuple[int, ...] | None:
    shape = node.outputs[0].shape
    if len(node.inputs) == 1 and tuple(shape) == (0,):
        shape = ()  # legacy converters wrote [0] for a scalar
    return stretch(shape, node.inputs[0].num_elements)


def _litert_requested(node: Node):
    """LiteRT's requested shape: a tuple, "dynamic" (non-constant shape input), before stretching."""
    shape_input = node.input(1)
    if len(node.inputs) == 2 and shape_input is not None and len(shape_input.shape) == 1 \
            and shape_input.type is TensorType.INT32:
        if not shape_input.is_constant:
            return "dynamic"
        return tuple(int(v) for v in np.asarray(shape_input.data).reshape(-1))
    new_shape = tuple(node.options.new_shape or ()) if node.options is not None else ()
    if new_shape == (0,):
        new_shape = ()
    return new_shape


def _litert_shape(node: Node):
    requested = _litert_requested(node)
    if requested == "dynamic":
        return requested
    return stretch(requested, node.inputs[0].num_elements)


def _output_fits(node: Node) -> bool:
    """The output tensor's shape (with at most one -1 dimension) holds exactly the input's elements"""
    return _tflm_shape(node) is not None


def _litert_shape_agrees(node: Node) -> bool:
    shape = _litert_shape(node)
    return shape == "dynamic" or (shape is not None and shape == _tflm_shape(node))


@register("RESHAPE", versions=range(1, 2), types=tuple(t.name.lower() for t in TYPES), inputs=(1, 2),
          outputs=1, optional_inputs=(1,))
class Reshape(Kernel):
    constraints = (
        _shapes.same_type_among(TYPES, inputs=(0,)),
        _output_fits,
        _shapes.litert_only(
            _litert_shape_agrees,
            "With reference='tflite': the shape input (1-D int32) or else the new_shape option "
            "gives the output tensor's shape (LiteRT sizes the output from them)",
        ),
    )

    def prepare(self, node: Node) -> ReshapeData:
        if node.reference == TFLITE and _litert_shape(node) == "dynamic":
            return ReshapeData(None)
        return ReshapeData(_tflm_shape(node))

    def eval(self, data: ReshapeData, inputs):
        x = inputs[0]
        shape = data.output_shape
        if shape is None:
            shape = stretch(np.asarray(inputs[1]).reshape(-1), x.size)
            if shape is None:
                raise InvalidInputError(
                    f"RESHAPE: the shape input {np.asarray(inputs[1]).tolist()} cannot hold the "
                    f"{x.size} elements of the input (LiteRT fails the same way)"
                )
        return [x.reshape(shape)]
