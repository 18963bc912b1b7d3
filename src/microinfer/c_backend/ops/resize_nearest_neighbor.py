"""RESIZE_NEAREST_NEIGHBOR in C: mi_resize_nearest_neighbor_s8 / _s16; uint8 (LiteRT) is copied by
the int8 kernel; float32 and int32 run in NumPy."""

from __future__ import annotations

import ctypes
from ctypes import c_void_p

from ...kernels.registry import Node
from ...kernels.resize_nearest_neighbor import ResizeNearestNeighborData
from ..binding import CCall, CKernel, address, register_c
from ._resize import COPY_SUFFIX, index_table, kernel_dtype, resize_call, shapes

OP = "RESIZE_NEAREST_NEIGHBOR"


class ResizeNearestParams(ctypes.Structure):
    """Mirror of mi_resize_nearest_params (kernels_c/include/mi_nn_resize.h)."""

    _fields_ = [("rows", c_void_p), ("columns", c_void_p)]


@register_c(OP)
class ResizeNearestNeighborC(CKernel):
    def prepare(self, node: Node, spec: ResizeNearestNeighborData) -> CCall:
        dtype = kernel_dtype(OP, node, COPY_SUFFIX)
        input_shape, output_shape = shapes(OP, node, (len(spec.rows), len(spec.columns)))
        rows = index_table(OP, spec.rows, input_shape[1])
        columns = index_table(OP, spec.columns, input_shape[2])
        params = ResizeNearestParams(address(rows), address(columns))
        fn = getattr(self.lib, f"mi_resize_nearest_neighbor_{COPY_SUFFIX[dtype]}")
        return resize_call(OP, fn, params, dtype, input_shape, output_shape, [rows, columns])
