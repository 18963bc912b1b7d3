"""Helpers of the block-rearranging kernels (DEPTH_TO_SPACE, SPACE_TO_DEPTH, SPACE_TO_BATCH_ND,
BATCH_TO_SPACE_ND): the shapes both references accept and the moves as NumPy reshapes."""

from __future__ import annotations

import numpy as np

from ..tflite.types import TensorType
from . import _shapes
from .registry import Node

F32, I8, I16, I32, I64, BOOL, U8 = (TensorType.FLOAT32, TensorType.INT8, TensorType.INT16, TensorType.INT32,
                                    TensorType.INT64, TensorType.BOOL, TensorType.UINT8)


def litert_quantization():
    """LiteRT's checks of SPACE_TO_BATCH_ND / BATCH_TO_SPACE_ND: the values are copied unchanged."""
    return (
        _shapes.litert_only(lambda node: _shapes.same_quantization((node.inputs[0], node.outputs[0])),
                            "With reference='tflite': quantized input and output share scale and zero "
                            "point (LiteRT checks it)"),
        _shapes.litert_only(lambda node: node.inputs[0].type is not I16
                            or _shapes.quantization_key(node.inputs[0])[1] == 0,
                            "With reference='tflite': an int16 input has zero point 0 (LiteRT checks it)"),
    )


def block_size(node: Node) -> int:
    return int(getattr(node.options, "block_size", 0))


def depth_to_space(x: np.ndarray, b: int) -> np.ndarray:
    n, h, w, c = x.shape
    moved = x.reshape(n, h, w, b, b, c // (b * b)).transpose(0, 1, 3, 2, 4, 5)
    return moved.reshape(n, h * b, w * b, c // (b * b))


def space_to_depth(x: np.ndarray, b: int) -> np.ndarray:
    n, h, w, c = x.shape
    moved = x.reshape(n, h // b, b, w // b, b, c).transpose(0, 1, 3, 2, 4, 5)
    return moved.reshape(n, h // b, w // b, c * b * b)


def block_parameters(node: Node) -> tuple[tuple[int, int], np.ndarray] | None:
    """SPACE_TO_BATCH_ND / BATCH_TO_SPACE_ND: the block shape and the (2, 2) paddings or crops,
    both over two spatial dimensions (a 3-D input has one: its second is 1, unblocked)."""
    x = node.inputs[0]
    spatial = len(x.shape) - 2
    block = _shapes.constant_index_vector(node.inputs[1], (I32,))
    pads = _shapes.constant_index_vector(node.inputs[2], (I32,))
    if spatial not in (1, 2) or block is None or pads is None:
        return None
    if len(node.inputs[1].shape) != 1 or block.size != spatial or pads.size != 2 * spatial:
        return None
    if (block < 1).any() or (pads < 0).any():
        return None
    block2 = tuple(int(v) for v in block) + (1,) * (2 - spatial)
    pads2 = np.zeros((2, 2), np.int64)
    pads2[:spatial] = pads.reshape(spatial, 2)
    return block2, pads2


def as_4d(shape) -> tuple[int, int, int, int]:
    """A 3-D (batch, spatial, channels) shape as 4-D with a second spatial dimension of 1."""
    shape = tuple(shape)
    return shape if len(shape) == 4 else (shape[0], shape[1], 1, shape[2])


def space_to_batch(x: np.ndarray, block: tuple[int, int], pads: np.ndarray, pad_value) -> np.ndarray:
    n, h, w, c = x.shape
    (b1, b2), ((t, bottom), (left, right)) = block, pads
    padded = np.full((n, h + t + bottom, w + left + right, c), pad_value, dtype=x.dtype)
    padded[:, t:t + h, left:left + w, :] = x
    ph, pw = padded.shape[1] // b1, padded.shape[2] // b2
    moved = padded.reshape(n, ph, b1, pw, b2, c).transpose(2, 4, 0, 1, 3, 5)
    return moved.reshape(b1 * b2 * n, ph, pw, c)


def batch_to_space(x: np.ndarray, block: tuple[int, int], crops: np.ndarray) -> np.ndarray:
    nb, h, w, c = x.shape
    b1, b2 = block
    n = nb // (b1 * b2)
    moved = x.reshape(b1, b2, n, h, w, c).transpose(2, 3, 0, 4, 1, 5).reshape(n, h * b1, w * b2, c)
    (t, bottom), (left, right) = crops
    return moved[:, t:h * b1 - bottom, left:w * b2 - right, :]
