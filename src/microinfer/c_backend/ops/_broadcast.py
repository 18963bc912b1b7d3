"""What ADD and MUL share in C: the broadcast layout (mi_broadcast) and the two-input call."""

from __future__ import annotations

import ctypes
from ctypes import POINTER, c_int32, c_void_p

import numpy as np

from ...kernels.registry import Node
from ..binding import Input, bound_call
from ..binding import INT32_LIMIT, CCall, Fallback, address

MAX_RANK = 6


class Broadcast(ctypes.Structure):
    """Mirror of mi_broadcast (kernels_c/include/mi_nn_elementwise.h)."""

    _fields_ = [("rank", c_int32), ("dims", c_int32 * MAX_RANK), ("stride1", c_int32 * MAX_RANK),
                ("stride2", c_int32 * MAX_RANK)]


class Scale(ctypes.Structure):
    """Mirror of mi_scale: multiplier * 2**(shift - 31)."""

    _fields_ = [("multiplier", c_int32), ("shift", c_int32)]


def _element_strides(shape: tuple[int, ...], rank: int) -> list[int]:
    """Row-major element strides of ``shape`` right-aligned to ``rank`` dims; 0 along size-1 dims
    (which broadcast)."""
    padded = (1,) * (rank - len(shape)) + tuple(shape)
    strides, step = [], 1
    for size in reversed(padded):
        strides.append(step if size != 1 else 0)
        step *= size
    return strides[::-1]


def broadcast_layout(shape1, shape2, output_shape) -> tuple[list[int], list[int], list[int]]:
    """(dims, stride1, stride2) of the output walk, with size-1 output dims dropped and adjacent
    dims merged wherever both inputs step through them contiguously (or not at all): same-shape
    and scalar operands become one dimension."""
    rank = max(len(output_shape), 1)
    out = (1,) * (rank - len(output_shape)) + tuple(int(d) for d in output_shape)
    s1, s2 = _element_strides(tuple(shape1), rank), _element_strides(tuple(shape2), rank)
    kept = [d for d in range(rank) if out[d] != 1] or [rank - 1]
    dims, stride1, stride2 = [out[kept[0]]], [s1[kept[0]]], [s2[kept[0]]]
    for d in kept[1:]:
        if stride1[-1] == s1[d] * out[d] and stride2[-1] == s2[d] * out[d]:
            dims[-1] *= out[d]
            stride1[-1], stride2[-1] = s1[d], s2[d]
        else:
            dims.append(out[d])
            stride1.append(s1[d])
            stride2.append(s2[d])
    return dims, stride1, stride2


def broadcast_struct(op: str, node: Node, output_shape) -> Broadcast:
    """The checked mi_broadcast of ``node``: every offset the kernel computes lies inside its input."""
    shape1, shape2 = (tuple(int(d) for d in node.input(i).shape) for i in (0, 1))
    if np.broadcast_shapes(shape1, shape2) != tuple(output_shape):
        raise Fallback(f"{op}: output shape {tuple(output_shape)} is not the broadcast of {shape1} and {shape2}")
    if int(np.prod(output_shape)) == 0:
        raise Fallback(f"{op}: empty output")
    if int(np.prod(output_shape)) >= INT32_LIMIT:
        raise Fallback(f"{op}: more elements than the C kernel's int32 indexing")
    dims, stride1, stride2 = broadcast_layout(shape1, shape2, output_shape)
    if len(dims) > MAX_RANK:
        raise Fallback(f"{op}: broadcast needs {len(dims)} dimensions, more than {MAX_RANK}")
    for shape, strides in ((shape1, stride1), (shape2, stride2)):
        last = sum((d - 1) * s for d, s in zip(dims, strides))
        if not 0 <= last < max(int(np.prod(shape)), 1):
            raise Fallback(f"{op}: broadcast layout reads outside an input (a bug)")
    padding = [0] * (MAX_RANK - len(dims))
    row = c_int32 * MAX_RANK
    return Broadcast(len(dims), row(*dims, *padding), row(*stride1, *padding), row(*stride2, *padding))


def binary_call(op: str, fn, params: ctypes.Structure, node: Node, output_shape, dtype) -> CCall:
    """The prepared call of ``fn(params, broadcast, input1, input2, output)`` on ``node``."""
    shape = broadcast_struct(op, node, output_shape)
    output = np.empty(tuple(output_shape), dtype)
    fn.argtypes = [POINTER(type(params)), POINTER(Broadcast), c_void_p, c_void_p, c_void_p]
    head = (ctypes.pointer(params), ctypes.pointer(shape))
    out = address(output)
    sizes = tuple(int(np.prod(node.input(i).shape)) for i in (0, 1))
    return CCall(op, bound_call(fn, [*head, Input(0), Input(1), out]), (np.dtype(dtype),) * 2, sizes, output, [output, head],
                 input_positions=(0, 1))
