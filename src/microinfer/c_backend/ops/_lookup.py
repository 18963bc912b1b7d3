"""What the int8 element-wise ops share in C: a 256-entry table (mi_lookup_s8).

An int8 input takes 256 values, so an element-wise function of it is a table: prepare applies the
op's own NumPy kernel (the spec, with the node's prepared data) to -128..127 and the C kernel
only looks values up. Bit-exact by construction, whatever the op's arithmetic (fixed-point
sigmoid, tanh, hard swish, requantization, dequantization to float32 ...), and one load per
element on every core.
"""

from __future__ import annotations

import ctypes
from ctypes import POINTER, c_int32, c_void_p

import numpy as np

from ...kernels import REGISTRY
from ...kernels.registry import Node
from ...tflite.types import TensorType
from ..binding import Input, bound_call
from ..binding import INT32_LIMIT, CCall, CKernel, Fallback, address

TABLE_ENTRIES = 256
ELEMENT_BYTES = (1, 2, 4)


class LookupParams(ctypes.Structure):
    """Mirror of mi_lookup_params (kernels_c/include/mi_nn_unary.h)."""

    _c_name_ = "mi_lookup_params"
    _fields_ = [("table", c_void_p), ("count", c_int32), ("element_bytes", c_int32)]


def lookup_table(node: Node, spec) -> np.ndarray:
    """The node's output for each int8 input value -128..127, computed by its NumPy kernel."""
    x = node.inputs[0]
    count = x.num_elements
    kernel = REGISTRY[node.op.op]()
    values = np.arange(-128, 128, dtype=np.int8)
    pieces = []
    for start in range(0, TABLE_ENTRIES, count):
        chunk = values[start:start + count]
        probe = np.resize(chunk, count).reshape(x.shape)  # the chunk, repeated to the input's size
        out = np.asarray(kernel.eval(spec, [probe])[0]).reshape(-1)
        pieces.append(out[:chunk.size])
    return np.ascontiguousarray(np.concatenate(pieces))


class LookupS8C(CKernel):
    """An element-wise op of one int8 input, by table. Subclasses register an op."""

    def prepare(self, node: Node, spec) -> CCall:
        return lookup_call(self.op, self.lib, node, spec)


def lookup_call(op: str, lib, node: Node, spec) -> CCall:
    x, y = node.inputs[0], node.outputs[0]
    if x is None or x.type is not TensorType.INT8:
        raise Fallback(f"{op}: {x.type.name.lower() if x is not None else 'no'} input runs in NumPy (tables take int8)")
    if len([t for t in node.inputs if t is not None]) != 1:
        raise Fallback(f"{op}: more than one input")
    if tuple(x.shape) != tuple(y.shape) or x.num_elements == 0 or x.num_elements >= INT32_LIMIT:
        raise Fallback(f"{op}: output shape {tuple(y.shape)} is not the input's {tuple(x.shape)}, or empty")
    table = lookup_table(node, spec)
    dtype = y.type.numpy_dtype
    if table.size != TABLE_ENTRIES or dtype is None or table.dtype != dtype or dtype.itemsize not in ELEMENT_BYTES:
        raise Fallback(f"{op}: {np.dtype(dtype).name if dtype is not None else y.type.name} outputs run in NumPy")
    output = np.empty(tuple(y.shape), dtype)
    params = LookupParams(address(table), x.num_elements, dtype.itemsize)
    fn = lib.mi_lookup_s8
    fn.argtypes = [POINTER(LookupParams), c_void_p, c_void_p]
    fn.restype = c_int32
    head = ctypes.pointer(params)
    out = address(output)
    return CCall(op, bound_call(fn, [head, Input(0), out]), (np.dtype(np.int8),), (x.num_elements,), output,
                 [table, output, head, params])
