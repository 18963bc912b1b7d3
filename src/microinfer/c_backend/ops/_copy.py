"""What the data-movement ops share in C: copies described as strided N-dimensional walks
(mi_copy_nd) and fills (mi_fill).

Each op's prepare describes its output as blocks: a block copies (part of) one input into the
output along a walk with element strides of its own for each side. Dimensions are merged where
both sides step contiguously, so a contiguous block is one memcpy. Every offset a walk reaches is
checked against both tensors before any call.
"""

from __future__ import annotations

import ctypes
import inspect
from ctypes import POINTER, c_int32, c_uint32, c_void_p
from dataclasses import dataclass

import numpy as np

from ...kernels.registry import Node
from ..binding import INT32_LIMIT, CCall, Fallback, address

MAX_RANK = 6
ELEMENT_BYTES = (1, 2, 4, 8)


class CopyParams(ctypes.Structure):
    """Mirror of mi_copy_params (kernels_c/include/mi_nn_data.h)."""

    _c_name_ = "mi_copy_params"
    _fields_ = [("rank", c_int32), ("element_bytes", c_int32), ("dims", c_int32 * MAX_RANK),
                ("in_stride", c_int32 * MAX_RANK), ("out_stride", c_int32 * MAX_RANK)]


class FillParams(ctypes.Structure):
    """Mirror of mi_fill_params."""

    _c_name_ = "mi_fill_params"
    _fields_ = [("count", c_int32), ("element_bytes", c_int32), ("pattern_low", c_uint32),
                ("pattern_high", c_uint32)]


@dataclass(frozen=True)
class Block:
    """Copy input ``source`` (its position among the call's inputs) from element ``in_offset``
    along ``dims`` with ``in_strides``, to the output from ``out_offset`` with ``out_strides``."""

    source: int
    dims: tuple[int, ...]
    in_strides: tuple[int, ...]
    out_strides: tuple[int, ...]
    in_offset: int = 0
    out_offset: int = 0


def strides(shape) -> tuple[int, ...]:
    """Row-major element strides of ``shape``."""
    out, step = [], 1
    for d in reversed(tuple(shape)):
        out.append(step)
        step *= int(d)
    return tuple(reversed(out))


def merged(dims, in_strides, out_strides) -> tuple[list[int], list[int], list[int]]:
    """Drop dimensions of 1, merge neighbours both sides step through contiguously."""
    kept = [(int(d), int(a), int(b)) for d, a, b in zip(dims, in_strides, out_strides) if d != 1] or [(1, 1, 1)]
    out = [list(kept[0])]
    for d, a, b in kept[1:]:
        last = out[-1]
        if last[1] == a * d and last[2] == b * d:
            last[0] *= d
            last[1], last[2] = a, b
        else:
            out.append([d, a, b])
    return [r[0] for r in out], [r[1] for r in out], [r[2] for r in out]


def _reach(offset: int, dims, step) -> tuple[int, int]:
    low = high = offset
    for d, s in zip(dims, step):
        extent = (d - 1) * s
        low += min(extent, 0)
        high += max(extent, 0)
    return low, high


def fill_pattern(value, dtype) -> tuple[int, int]:
    raw = np.zeros(8, np.uint8)
    element = np.array([value]).astype(dtype).view(np.uint8)
    raw[:element.size] = element
    words = raw.view("<u4")
    return int(words[0]), int(words[1])


def copy_call(op: str, lib, node: Node, positions: tuple[int, ...], blocks: list[Block], output_shape, dtype,
              fill=None) -> CCall:
    """The prepared call running ``blocks`` (after filling the output with ``fill``, if given)."""
    dtype = np.dtype(dtype)
    if dtype.itemsize not in ELEMENT_BYTES:
        raise Fallback(f"{op}: {dtype.name} elements")
    output_size = int(np.prod(output_shape, dtype=np.int64))
    if output_size == 0 or output_size >= INT32_LIMIT:
        raise Fallback(f"{op}: empty output, or more elements than int32 indexing")
    sizes = tuple(node.inputs[p].num_elements for p in positions)
    copies = []
    for block in blocks:
        if min(block.dims, default=1) == 0:
            continue
        dims, ins, outs = merged(block.dims, block.in_strides, block.out_strides)
        if len(dims) > MAX_RANK:
            raise Fallback(f"{op}: a copy needs {len(dims)} dimensions, more than {MAX_RANK}")
        low, high = _reach(block.in_offset, dims, ins)
        out_low, out_high = _reach(block.out_offset, dims, outs)
        if low < 0 or high >= sizes[block.source] or out_low < 0 or out_high >= output_size:
            raise Fallback(f"{op}: a copy reaches outside its tensors (a bug)")
        pad = [0] * (MAX_RANK - len(dims))
        row = c_int32 * MAX_RANK
        params = CopyParams(len(dims), dtype.itemsize, row(*dims, *pad), row(*ins, *pad), row(*outs, *pad))
        copies.append((block.source, block.in_offset * dtype.itemsize, block.out_offset * dtype.itemsize,
                       ctypes.pointer(params)))
    if not copies and fill is None:
        raise Fallback(f"{op}: nothing to copy")
    output = np.empty(tuple(output_shape), dtype)
    out = address(output)
    copy = lib.mi_copy_nd
    copy.argtypes = [POINTER(CopyParams), c_void_p, c_void_p]
    copy.restype = c_int32
    keep = [output, copies]
    fill_call = None
    if fill is not None:
        low, high = fill_pattern(fill, dtype)
        fill_params = ctypes.pointer(FillParams(output_size, dtype.itemsize, low, high))
        filler = lib.mi_fill
        filler.argtypes = [POINTER(FillParams), c_void_p]
        filler.restype = c_int32
        keep.append(fill_params)
        fill_call = (filler, fill_params)

    def invoke(*addresses: int) -> int:
        if fill_call is not None:
            status = fill_call[0](fill_call[1], out)
            if status:
                return status
        for source, in_bytes, out_bytes, params in copies:
            status = copy(params, addresses[source] + in_bytes, out + out_bytes)
            if status:
                return status
        return 0

    dtypes = tuple(np.dtype(node.inputs[p].type.numpy_dtype) for p in positions)
    if any(d != dtype for d in dtypes):
        raise Fallback(f"{op}: inputs and output differ in type")
    return CCall(op, _arity(invoke, len(positions)), dtypes, sizes, output, keep, input_positions=tuple(positions))


def _arity(invoke, count: int):
    """``invoke`` showing ``count`` positional parameters to ``inspect.signature`` (emulate and
    build pass a node's inputs by that count)."""
    def call(*addresses: int) -> int:
        return invoke(*addresses)

    call.__signature__ = inspect.Signature(
        [inspect.Parameter(f"input{i}", inspect.Parameter.POSITIONAL_ONLY) for i in range(count)])
    return call
