"""What AVERAGE_POOL_2D and MAX_POOL_2D share in C: the parameter struct, the argument checks and
the call (all four kernels, int8 and int16, take the same arguments and scratch)."""

from __future__ import annotations

import ctypes
from ctypes import POINTER, c_int32, c_void_p

import numpy as np

from ...kernels._pool_util import PoolGeometry
from ...kernels.registry import Node
from ..binding import Input, bound_call
from ..binding import INT32_LIMIT, CCall, Fallback, address, dims, pointers, scratch
from ..structs import Activation, Context, Dims, Tile


class PoolParams(ctypes.Structure):
    """Mirror of mi_pool_params (kernels_c/include/mi_nn_pool.h)."""

    _fields_ = [("stride", Tile), ("padding", Tile), ("activation", Activation)]


# (ctx, params, input_dims, input, filter_dims, output_dims, output) of every pooling kernel.
ARGTYPES = [POINTER(Context), POINTER(PoolParams), POINTER(Dims), c_void_p, POINTER(Dims), POINTER(Dims), c_void_p]


def check_geometry(op: str, input_shape: tuple[int, ...], geometry: PoolGeometry) -> None:
    """Every index the kernel computes stays inside the input and output, in int32."""
    output_shape = tuple(int(s) for s in geometry.output_shape)
    if len(input_shape) != 4 or input_shape[0] != output_shape[0] or input_shape[3] != output_shape[3]:
        raise Fallback(f"{op}: input {input_shape} and output {output_shape} are not NHWC of one batch and depth")
    if min(*input_shape, *output_shape) <= 0:
        raise Fallback(f"{op}: empty tensor")
    if min(*geometry.stride, *geometry.pad) < 0 or min(geometry.filter_h, geometry.filter_w) <= 0:
        raise Fallback(f"{op}: negative stride or padding, or an empty filter")
    if not (np.all(geometry.rows.count > 0) and np.all(geometry.cols.count > 0)):
        raise Fallback(f"{op}: a window lies outside the input")
    reach = max((output_shape[1] - 1) * geometry.stride[0] + geometry.filter_h,
                (output_shape[2] - 1) * geometry.stride[1] + geometry.filter_w)
    area = geometry.filter_h * geometry.filter_w
    largest_sum = area * 32768 + area // 2  # an int16 window sum, rounded (int8 is smaller)
    if max(int(np.prod(input_shape)), int(np.prod(output_shape)), reach, largest_sum) >= INT32_LIMIT:
        raise Fallback(f"{op}: sizes beyond the C kernel's int32 arithmetic")


def pool_call(op: str, lib, name: str, node: Node, kind: str, geometry: PoolGeometry, activation) -> CCall:
    """The prepared call of pooling kernel ``mi_<name>_s8`` or ``_s16`` on ``node``."""
    if kind not in ("int8", "int16"):
        raise Fallback(f"{op}: {kind} runs in NumPy")
    dtype = np.dtype(np.int8 if kind == "int8" else np.int16)
    suffix = "s8" if kind == "int8" else "s16"
    input_shape = tuple(int(s) for s in node.inputs[0].shape)
    check_geometry(op, input_shape, geometry)
    size_of = getattr(lib, f"mi_{name}_{suffix}_get_buffer_size")
    size_of.argtypes = [c_int32]
    context, buffer = scratch(size_of(input_shape[3]))
    params = PoolParams(Tile(*geometry.stride), Tile(*geometry.pad), Activation(*(int(a) for a in activation)))
    output = np.empty(geometry.output_shape, dtype)
    fn = getattr(lib, f"mi_{name}_{suffix}")
    fn.argtypes = ARGTYPES
    head = pointers(context, params, dims(input_shape))
    tail = (*pointers(Dims(1, geometry.filter_h, geometry.filter_w, 1), dims(geometry.output_shape)), address(output))
    return CCall(op, bound_call(fn, [*head, Input(0), *tail]), (dtype,), (int(np.prod(input_shape)),), output,
                 [buffer, output, head, tail])
