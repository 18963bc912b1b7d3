"""ctypes mirrors of kernels_c/include/mi_nn_types.h (same field order and types)."""

from __future__ import annotations

import ctypes
from ctypes import POINTER, c_int32, c_void_p

MI_OK = 0
ROUND_DOUBLE = 0
ROUND_REAL = 1


class Dims(ctypes.Structure):
    _fields_ = [("n", c_int32), ("h", c_int32), ("w", c_int32), ("c", c_int32)]


class Context(ctypes.Structure):
    _fields_ = [("buf", c_void_p), ("size", c_int32)]


class Tile(ctypes.Structure):
    _fields_ = [("h", c_int32), ("w", c_int32)]


class Activation(ctypes.Structure):
    _fields_ = [("min", c_int32), ("max", c_int32)]


class Requant(ctypes.Structure):
    _fields_ = [("multiplier", c_void_p), ("shift", c_void_p), ("real_scale", c_void_p), ("rounding", c_int32),
                ("fast", c_int32)]


class ConvParams(ctypes.Structure):
    _fields_ = [("input_offset", c_int32), ("output_offset", c_int32), ("stride", Tile), ("padding", Tile),
                ("dilation", Tile), ("activation", Activation), ("folded_bias", c_void_p)]


class DwConvParams(ctypes.Structure):
    _fields_ = [("input_offset", c_int32), ("output_offset", c_int32), ("ch_mult", c_int32), ("stride", Tile),
                ("padding", Tile), ("dilation", Tile), ("activation", Activation), ("folded_bias", c_void_p)]


class FcParams(ctypes.Structure):
    _fields_ = [("input_offset", c_int32), ("output_offset", c_int32), ("activation", Activation)]


def kernel_argtypes(params: type[ctypes.Structure]) -> list:
    """(ctx, params, quant, input_dims, input, filter_dims, filter, bias, output_dims, output): the
    argument list of every int8 conv-family kernel."""
    dims = POINTER(Dims)
    return [POINTER(Context), POINTER(params), POINTER(Requant), dims, c_void_p, dims, c_void_p, c_void_p, dims,
            c_void_p]


def kernel_argtypes_s16(params: type[ctypes.Structure]) -> list:
    """(ctx, params, quant, input_dims, input, filter_dims, filter, bias64, bias32, wide, output_dims,
    output): the argument list of every int16x8 conv-family kernel."""
    dims = POINTER(Dims)
    return [POINTER(Context), POINTER(params), POINTER(Requant), dims, c_void_p, dims, c_void_p, c_void_p, c_void_p,
            c_int32, dims, c_void_p]
