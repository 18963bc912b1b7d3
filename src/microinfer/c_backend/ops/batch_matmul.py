"""BATCH_MATMUL in C: mi_batch_matmul_s8 / _s16 (float32, and LiteRT's int16 x int8 and int8 ->
int32 products, run in NumPy).

Broadcasting becomes two tables of element offsets, one entry per output batch: where an operand's
batch dimension is 1 its offset repeats. A constant right operand is converted once here.
"""

from __future__ import annotations

import ctypes
from ctypes import POINTER, c_int32, c_void_p

import numpy as np

from ...kernels.batch_matmul import BatchMatMulData
from ...kernels.registry import Node
from ..binding import Input, bound_call
from ..binding import INT32_LIMIT, CCall, CKernel, Fallback, address, contiguous, pointers, register_c, requant, \
    require_sum_bound, scratch
from ..structs import Activation, Context, Requant

OP = "BATCH_MATMUL"
DTYPES = {"int8": np.dtype(np.int8), "int16": np.dtype(np.int16)}


class BmmDims(ctypes.Structure):
    """Mirror of mi_bmm_dims (kernels_c/include/mi_nn_matmul.h)."""

    _fields_ = [("batches", c_int32), ("rows", c_int32), ("depth", c_int32), ("cols", c_int32), ("adj_x", c_int32),
                ("adj_y", c_int32), ("lhs_batch_offsets", c_void_p), ("rhs_batch_offsets", c_void_p)]


class BmmParams(ctypes.Structure):
    """Mirror of mi_bmm_params."""

    _fields_ = [("lhs_offset", c_int32), ("rhs_offset", c_int32), ("output_offset", c_int32),
                ("activation", Activation)]


def batch_offsets(operand_shape: tuple[int, ...], batch_shape: tuple[int, ...]) -> np.ndarray:
    """For each output batch (row-major over ``batch_shape``), the element offset of the matrix
    of an operand of ``operand_shape`` it reads."""
    matrices = operand_shape[:-2]
    matrix_size = operand_shape[-2] * operand_shape[-1]
    padded = (1,) * (len(batch_shape) - len(matrices)) + matrices
    index = np.arange(int(np.prod(matrices, dtype=np.int64)), dtype=np.int64).reshape(padded)
    offsets = np.broadcast_to(index, batch_shape).reshape(-1) * matrix_size
    if offsets.size and offsets.max() >= INT32_LIMIT:
        raise Fallback(f"{OP}: offsets beyond the C kernel's int32 indexing")
    return contiguous(offsets, np.int32)


@register_c(OP)
class BatchMatMulC(CKernel):
    def prepare(self, node: Node, spec: BatchMatMulData) -> CCall:
        if spec.kind not in DTYPES:
            raise Fallback(f"{OP}: {spec.kind} runs in NumPy")
        dtype = DTYPES[spec.kind]
        if node.input(1).type.numpy_dtype != dtype:
            raise Fallback(f"{OP}: a {spec.kind} lhs with a {node.input(1).type.name.lower()} rhs runs in NumPy")
        lhs_shape, rhs_shape = (tuple(int(d) for d in node.input(i).shape) for i in (0, 1))
        out_shape = tuple(int(d) for d in spec.output_shape)
        rows, cols = out_shape[-2:]
        depth = lhs_shape[-2] if spec.adj_x else lhs_shape[-1]
        if max(int(np.prod(s)) for s in (lhs_shape, rhs_shape, out_shape)) >= INT32_LIMIT:
            raise Fallback(f"{OP}: more elements than the C kernel's int32 indexing")
        if spec.kind == "int8":
            largest = (128 + abs(spec.lhs_offset)) * (128 + abs(spec.rhs_offset))
            require_sum_bound(OP, depth, largest)
        batch_shape = out_shape[:-2]
        lhs_offsets, rhs_offsets = batch_offsets(lhs_shape, batch_shape), batch_offsets(rhs_shape, batch_shape)
        shape = BmmDims(lhs_offsets.size, rows, depth, cols, int(spec.adj_x), int(spec.adj_y),
                        address(lhs_offsets), address(rhs_offsets))
        quant, quant_arrays = requant(spec.multiplier, spec.shift, 1, wide=spec.kind == "int16")
        info = np.iinfo(dtype)
        params = BmmParams(spec.lhs_offset, spec.rhs_offset, spec.output_offset, Activation(int(info.min), int(info.max)))
        size_of = getattr(self.lib, f"mi_batch_matmul_{'s8' if dtype == np.int8 else 's16'}_get_buffer_size")
        size_of.argtypes = [POINTER(BmmDims)]
        context, buffer = scratch(size_of(ctypes.byref(shape)))
        output = np.empty(out_shape, dtype)
        fn = getattr(self.lib, f"mi_batch_matmul_{'s8' if dtype == np.int8 else 's16'}")
        fn.argtypes = [POINTER(Context), POINTER(BmmParams), POINTER(Requant), POINTER(BmmDims), c_void_p, c_void_p,
                       c_void_p]
        head = pointers(context, params, quant, shape)
        out = address(output)
        keep = [lhs_offsets, rhs_offsets, quant_arrays, buffer, output, head]
        sizes = (int(np.prod(lhs_shape)), int(np.prod(rhs_shape)))
        rhs = node.input(1)
        if rhs.is_constant:
            constant = contiguous(np.asarray(rhs.data).reshape(rhs_shape), dtype)
            keep.append(constant)
            rhs_address = address(constant)
            return CCall(OP, bound_call(fn, [*head, Input(0), rhs_address, out]), (dtype,), sizes[:1], output, keep)
        return CCall(OP, bound_call(fn, [*head, Input(0), Input(1), out]), (dtype, dtype), sizes, output, keep,
                     input_positions=(0, 1))
