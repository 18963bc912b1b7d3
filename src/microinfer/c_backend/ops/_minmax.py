"""What MAXIMUM and MINIMUM share in C: the raw values of two broadcast inputs compared."""

from __future__ import annotations

import ctypes
from ctypes import POINTER, c_int32, c_void_p

import numpy as np

from ...kernels.registry import Node
from ..binding import Input, bound_call
from ..binding import CCall, Fallback, address
from ._broadcast import Broadcast, broadcast_struct

SUFFIX = {np.dtype(np.int8): "s8", np.dtype(np.int16): "s16"}


def minmax_call(op: str, lib, node: Node) -> CCall:
    y = node.outputs[0]
    dtype = np.dtype(y.type.numpy_dtype) if y.type.numpy_dtype is not None else None
    if dtype not in SUFFIX or any(np.dtype(node.input(i).type.numpy_dtype) != dtype for i in (0, 1)):
        raise Fallback(f"{op}: {y.type.name.lower()} runs in NumPy")
    shape = broadcast_struct(op, node, tuple(y.shape))
    output = np.empty(tuple(y.shape), dtype)
    fn = getattr(lib, f"mi_{op.lower()}_{SUFFIX[dtype]}")
    fn.argtypes = [POINTER(Broadcast), c_void_p, c_void_p, c_void_p]
    fn.restype = c_int32
    head = ctypes.pointer(shape)
    out = address(output)
    sizes = tuple(node.input(i).num_elements for i in (0, 1))
    return CCall(op, bound_call(fn, [head, Input(0), Input(1), out]), (dtype, dtype), sizes, output, [output, head, shape],
                 input_positions=(0, 1))
