"""What RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR share in C: checked shapes and index tables.

The NumPy prepare has worked out every source row and column (and bilinear weight); the C kernels
take those tables as int32 arrays, checked here to lie inside the input.
"""

from __future__ import annotations

import ctypes
from ctypes import POINTER, c_void_p

import numpy as np

from ...kernels.registry import Node
from ..binding import Input, bound_call
from ..binding import INT32_LIMIT, CCall, Fallback, address, contiguous, dims, pointers
from ..structs import Dims

KERNEL_SUFFIX = {np.dtype(np.int8): "s8", np.dtype(np.int16): "s16"}
# Nearest neighbour only copies elements: uint8 tensors (LiteRT) go through the int8 kernel.
COPY_SUFFIX = {**KERNEL_SUFFIX, np.dtype(np.uint8): "s8"}


def kernel_dtype(op: str, node: Node, suffixes: dict = KERNEL_SUFFIX) -> np.dtype:
    """The element type of the node, if a C kernel (``suffixes``) takes it; the size must be
    constant (a size fed at run time is checked in NumPy)."""
    dtype = np.dtype(node.inputs[0].type.numpy_dtype)
    if dtype not in suffixes:
        raise Fallback(f"{op}: {dtype.name} runs in NumPy")
    if not node.inputs[1].is_constant:
        raise Fallback(f"{op}: a size fed at run time runs in NumPy")
    return dtype


def shapes(op: str, node: Node, out_hw: tuple[int, int]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(input shape, output shape), NHWC, with every element count within int32."""
    input_shape = tuple(int(d) for d in node.inputs[0].shape)
    if len(input_shape) != 4 or min(input_shape) <= 0 or min(out_hw) <= 0:
        raise Fallback(f"{op}: input {input_shape} is not a non-empty NHWC tensor")
    output_shape = (input_shape[0], *out_hw, input_shape[3])
    if tuple(int(d) for d in node.outputs[0].shape) != output_shape:
        raise Fallback(f"{op}: output {tuple(node.outputs[0].shape)} is not {output_shape}")
    if max(int(np.prod(input_shape)), int(np.prod(output_shape))) >= INT32_LIMIT:
        raise Fallback(f"{op}: more elements than the C kernel's int32 indexing")
    return input_shape, output_shape


def index_table(op: str, indices, size: int) -> np.ndarray:
    """``indices`` as a contiguous int32 array, each in [0, size)."""
    table = contiguous(indices, np.int32)
    if table.size and (table.min() < 0 or table.max() >= size):
        raise Fallback(f"{op}: a source index lies outside the input (a bug)")
    return table


def resize_call(op: str, fn, params: ctypes.Structure, dtype: np.dtype, input_shape, output_shape,
                tables: list) -> CCall:
    """The prepared call ``fn(params, input_dims, input, output_dims, output)``; ``tables``: the
    arrays ``params`` points into."""
    output = np.empty(output_shape, dtype)
    fn.argtypes = [POINTER(type(params)), POINTER(Dims), c_void_p, POINTER(Dims), c_void_p]
    head = pointers(params, dims(input_shape))
    tail = (ctypes.pointer(dims(output_shape)), address(output))
    return CCall(op, bound_call(fn, [*head, Input(0), *tail]), (dtype,), (int(np.prod(input_shape)),), output,
                 [tables, output, head, tail])
