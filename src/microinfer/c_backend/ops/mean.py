"""MEAN (and SUM, see sum.py) of int8/int16 in C: mi_mean_s8 / mi_mean_s16, the int32 sum of each
group requantized as both references' QuantizedMeanOrSum; float32 and LiteRT's other integer
paths run in NumPy."""

from __future__ import annotations

import ctypes
from ctypes import POINTER, c_int32, c_void_p

import numpy as np

from ...kernels._reduce import Reduction, SumRescale
from ...kernels.mean import MeanData
from ...kernels.registry import Node
from ..binding import Input, bound_call
from ..binding import INT32_LIMIT, MAX_SHIFT, MIN_SHIFT, CCall, CKernel, Fallback, address, register_c
from ._copy import merged, strides

MAX_RANK = 6
FUNCTIONS = {np.dtype(np.int8): "mi_mean_s8", np.dtype(np.int16): "mi_mean_s16"}


class ReduceParams(ctypes.Structure):
    """Mirror of mi_reduce_params (kernels_c/include/mi_nn_reduce.h)."""

    _c_name_ = "mi_reduce_params"
    _fields_ = [("outer_rank", c_int32), ("outer_dims", c_int32 * MAX_RANK), ("outer_stride", c_int32 * MAX_RANK),
                ("inner_rank", c_int32), ("inner_dims", c_int32 * MAX_RANK), ("inner_stride", c_int32 * MAX_RANK),
                ("count", c_int32), ("input_zero_point", c_int32), ("output_zero_point", c_int32),
                ("multiplier", c_int32), ("shift", c_int32), ("low", c_int32), ("high", c_int32)]


def _walk(shape, axes, in_strides) -> tuple[list[int], list[int]]:
    dims = [int(shape[a]) for a in axes] or [1]
    steps = [int(in_strides[a]) for a in axes] or [0]
    dims, steps, _ = merged(dims, steps, strides(dims))
    return dims, steps


def reduce_call(op: str, lib, node: Node, reduction: Reduction, rescale: SumRescale | None) -> CCall:
    x, y = node.inputs[0], node.outputs[0]
    dtype = np.dtype(x.type.numpy_dtype) if x.type.numpy_dtype is not None else None
    if rescale is None or dtype not in FUNCTIONS or np.dtype(y.type.numpy_dtype) != dtype:
        raise Fallback(f"{op}: {x.type.name.lower()} runs in NumPy")
    if x.num_elements == 0 or x.num_elements >= INT32_LIMIT or not MIN_SHIFT <= rescale.shift <= MAX_SHIFT:
        raise Fallback(f"{op}: empty or too large input, or a shift outside [{MIN_SHIFT}, {MAX_SHIFT}]")
    shape = tuple(int(d) for d in x.shape)
    in_strides = strides(shape)
    kept = [d for d in range(len(shape)) if d not in reduction.axes]
    outer_dims, outer_steps = _walk(shape, kept, in_strides)
    inner_dims, inner_steps = _walk(shape, sorted(reduction.axes), in_strides)
    if len(outer_dims) > MAX_RANK or len(inner_dims) > MAX_RANK:
        raise Fallback(f"{op}: more than {MAX_RANK} dimensions after merging")
    if int(np.prod(inner_dims)) != reduction.count or int(np.prod(outer_dims)) != y.num_elements:
        raise Fallback(f"{op}: groups do not match the output (a bug)")
    row = c_int32 * MAX_RANK

    def padded(values):
        return row(*values, *([0] * (MAX_RANK - len(values))))

    params = ReduceParams(len(outer_dims), padded(outer_dims), padded(outer_steps), len(inner_dims),
                          padded(inner_dims), padded(inner_steps), reduction.count, rescale.input_zero_point,
                          rescale.output_zero_point, rescale.multiplier, rescale.shift, rescale.low, rescale.high)
    output = np.empty(tuple(y.shape), dtype)
    fn = getattr(lib, FUNCTIONS[dtype])
    fn.argtypes = [POINTER(ReduceParams), c_void_p, c_void_p]
    fn.restype = c_int32
    head = ctypes.pointer(params)
    out = address(output)
    return CCall(op, bound_call(fn, [head, Input(0), out]), (dtype,), (x.num_elements,), output, [output, head, params])


@register_c("MEAN")
class MeanC(CKernel):
    def prepare(self, node: Node, spec: MeanData) -> CCall:
        if spec.kind != "quantized":
            raise Fallback(f"MEAN: {spec.kind} runs in NumPy")
        return reduce_call("MEAN", self.lib, node, spec.reduction, spec.rescale)
