"""RESIZE_BILINEAR in C: mi_resize_bilinear_s8 / _s16, TFLite's integer kernel (the float path of
float32 and uint8 runs in NumPy)."""

from __future__ import annotations

import ctypes
from ctypes import c_void_p

import numpy as np

from ...kernels.registry import Node
from ...kernels.resize_bilinear import ONE, AxisTaps, ResizeBilinearData
from ..binding import CCall, CKernel, Fallback, address, contiguous, register_c
from ._resize import KERNEL_SUFFIX, index_table, kernel_dtype, resize_call, shapes

OP = "RESIZE_BILINEAR"


class ResizeTaps(ctypes.Structure):
    """Mirror of mi_resize_taps (kernels_c/include/mi_nn_resize.h)."""

    _fields_ = [("lower", c_void_p), ("upper", c_void_p), ("lower_weight", c_void_p), ("upper_weight", c_void_p)]


class ResizeBilinearParams(ctypes.Structure):
    """Mirror of mi_resize_bilinear_params."""

    _fields_ = [("rows", ResizeTaps), ("columns", ResizeTaps)]


def taps_struct(taps: AxisTaps, size: int) -> tuple[ResizeTaps, list[np.ndarray]]:
    """The checked C taps of one axis and the arrays they point into."""
    lower, upper = index_table(OP, taps.lower, size), index_table(OP, taps.upper, size)
    weights = [contiguous(w, np.int32) for w in (taps.lower_weight, taps.upper_weight)]
    if any(w.size and (w.min() <= -ONE or w.max() >= 2 * ONE) for w in weights):
        raise Fallback(f"{OP}: weights outside (-1024, 2048) (a bug)")
    arrays = [lower, upper, *weights]
    return ResizeTaps(*(address(a) for a in arrays)), arrays


@register_c(OP)
class ResizeBilinearC(CKernel):
    def prepare(self, node: Node, spec: ResizeBilinearData) -> CCall:
        dtype = kernel_dtype(OP, node)
        if not spec.integer:
            raise Fallback(f"{OP}: the float path runs in NumPy")
        input_shape, output_shape = shapes(OP, node, (len(spec.rows.lower), len(spec.columns.lower)))
        rows, row_arrays = taps_struct(spec.rows, input_shape[1])
        columns, column_arrays = taps_struct(spec.columns, input_shape[2])
        params = ResizeBilinearParams(rows, columns)
        fn = getattr(self.lib, f"mi_resize_bilinear_{KERNEL_SUFFIX[dtype]}")
        return resize_call(OP, fn, params, dtype, input_shape, output_shape, [row_arrays, column_arrays])
