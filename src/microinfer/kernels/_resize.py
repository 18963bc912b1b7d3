"""Helpers shared by RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR.

Both resize the height and width of a 4-D NHWC tensor to the (height, width) held by an int32
``size`` tensor; batches and channels stay. Neither reference looks at quantization: the integer
kernels move or interpolate the stored values. Every source row and column an output pixel reads
is worked out in prepare (per output row and per output column), so ``eval`` only gathers and,
for bilinear, weights.

Shapes: TFLite Micro requires a constant size and writes ``batches * size[0] * size[1] *
channels`` values into the output tensor the model declares; LiteRT resizes the output to that
shape, at run time when the size is not constant. microinfer's shapes are static, so the declared
output must be exactly (batches, size[0], size[1], channels); with a size fed at run time
(LiteRT only) the fed values must equal the declared height and width, else ``eval`` raises.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..errors import InvalidInputError
from ..tflite.types import TensorType
from . import _shapes
from .registry import TFLITE, TFLM, Node

_INPUT, _SIZE = 0, 1
# Largest output height and width: keeps the references' int32 index arithmetic (1024 * size in
# the integer bilinear kernel) far from overflow; far beyond any image a microcontroller resizes.
MAX_SIZE = 1 << 16


def types_per_reference(tflm: tuple[TensorType, ...], litert: tuple[TensorType, ...]) -> Callable[[Node], bool]:
    """A constraint: input and output share one type, one each reference runs."""

    def check(node: Node) -> bool:
        allowed = tflm if node.reference == TFLM else litert
        x, y = node.input(_INPUT), node.outputs[0]
        return x.type in allowed and y.type is x.type

    extra = [t for t in litert if t not in tflm]
    check.__doc__ = (f"Input and output share one type: {_shapes.type_names(tflm)}"
                     + (f" (LiteRT also {_shapes.type_names(extra)})" if extra else ""))
    return check


def input_4d(node: Node) -> bool:
    """The input is 4-D (NHWC) with no empty dimension"""
    shape = node.input(_INPUT).shape
    return len(shape) == 4 and all(d > 0 for d in shape)


def size_vector(tflm_longer: bool) -> Callable[[Node], bool]:
    """A constraint: the size is a 1-D int32 tensor of two values (``tflm_longer``: TFLite
    Micro takes a longer one and reads its first two)."""

    def check(node: Node) -> bool:
        size = node.input(_SIZE)
        if size.type is not TensorType.INT32 or len(size.shape) != 1:
            return False
        return size.shape[0] == 2 or (tflm_longer and node.reference == TFLM and size.shape[0] > 2)

    check.__doc__ = "The size is a 1-D int32 tensor of two values (height, width)" + (
        "; TFLite Micro's bilinear resize also takes a longer one and reads its first two"
        if tflm_longer else "")
    return check


def size_constant_or_fed(node: Node) -> bool:
    """The size is a constant tensor (LiteRT also takes one fed at run time: it must then equal the output's height and width)"""
    return node.input(_SIZE).is_constant or node.reference == TFLITE


def constant_size(node: Node) -> tuple[int, int] | None:
    """The first two values of a constant int32 size tensor; None when it is not one."""
    size = node.input(_SIZE)
    if size.type is not TensorType.INT32 or not size.is_constant:
        return None
    values = np.asarray(size.data, np.int64).reshape(-1)
    return (int(values[0]), int(values[1])) if values.size >= 2 else None


def output_size(node: Node) -> tuple[int, int] | None:
    """(height, width) of the output: the constant size's, or, for a size fed at run time, the
    declared output's; None when neither is known."""
    constant = constant_size(node)
    if constant is not None:
        return constant
    y = node.outputs[0]
    return (int(y.shape[1]), int(y.shape[2])) if len(y.shape) == 4 else None


def size_in_range(node: Node) -> bool:
    """The output height and width lie in 1..65536"""
    size = output_size(node)
    return size is not None and all(1 <= s <= MAX_SIZE for s in size)


def output_shape(node: Node) -> bool:
    """The output tensor's shape is (batches, height, width, channels) with the input's batches and channels"""
    size = output_size(node)
    x, y = node.input(_INPUT), node.outputs[0]
    if size is None or len(x.shape) != 4:
        return False
    return tuple(y.shape) == (x.shape[0], size[0], size[1], x.shape[3])


def check_fed_size(op: str, fed: np.ndarray, expected: tuple[int, int]) -> None:
    """A size fed at run time must be the declared output's (height, width)."""
    values = tuple(int(v) for v in np.asarray(fed).reshape(-1)[:2])
    if values != expected:
        raise InvalidInputError(f"{op}: the size input is {list(values)} but the output tensor is declared "
                         f"{expected[0]}x{expected[1]}; LiteRT would resize the output to the fed size, "
                         f"which a static shape cannot follow")


def float32_steps(count: int) -> np.ndarray:
    """0, 1, ..., count - 1 as float32 (an int loop variable converted to float in the C code)."""
    return np.arange(count, dtype=np.float32)
