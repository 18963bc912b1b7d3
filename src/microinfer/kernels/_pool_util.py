"""Shared prepare/eval machinery of AVERAGE_POOL_2D and MAX_POOL_2D.

Both references (TFLite Micro and LiteRT) use the same reference pooling loops: the window of each
output pixel is clipped to the input (padding cells are never read), the quantized kernels work on
the raw integers (int8/int16 input and output must share scale and zero point; LiteRT's legacy
uint8 kernels do not check it and pool the raw values whatever the output's quantization), and the
fused activation is applied as a clamp on the output's quantization.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import Padding, TensorType
from . import common
from ._conv_util import patches
from .registry import Node

TYPES = (TensorType.FLOAT32, TensorType.INT8, TensorType.INT16, TensorType.UINT8)


def _out_size(padding: Padding, image: int, filter_size: int, stride: int) -> int:
    if stride <= 0:
        return 0
    if padding == Padding.SAME:
        return (image + stride - 1) // stride
    return (image + stride - filter_size) // stride


def _pad(stride: int, image: int, filter_size: int, out: int) -> int:
    total = max((out - 1) * stride + filter_size - image, 0)
    return total // 2


@dataclass(frozen=True)
class Window:
    """The clipped window of every output position along one spatial axis."""

    start: np.ndarray  # first input index read, per output position
    count: np.ndarray  # number of input cells read, per output position


def _window(image: int, filter_size: int, stride: int, pad: int, out: int) -> Window:
    origin = np.arange(out) * stride - pad
    first = np.maximum(0, -origin)
    last = np.minimum(filter_size, image - origin)
    return Window(origin + first, np.maximum(last - first, 0))


@dataclass(frozen=True)
class PoolGeometry:
    output_shape: tuple[int, ...]
    rows: Window
    cols: Window
    filter_h: int
    filter_w: int
    pad: tuple[int, int]  # padding before the first row and column
    stride: tuple[int, int]


def geometry(node: Node) -> PoolGeometry:
    x = node.inputs[0]
    o = node.options
    _, height, width, channels = x.shape
    out_h = _out_size(o.padding, height, o.filter_height, o.stride_h)
    out_w = _out_size(o.padding, width, o.filter_width, o.stride_w)
    pad_h = _pad(o.stride_h, height, o.filter_height, out_h)
    pad_w = _pad(o.stride_w, width, o.filter_width, out_w)
    rows = _window(height, o.filter_height, o.stride_h, pad_h, out_h)
    cols = _window(width, o.filter_width, o.stride_w, pad_w, out_w)
    return PoolGeometry(
        (x.shape[0], out_h, out_w, channels), rows, cols, o.filter_height, o.filter_width,
        (pad_h, pad_w), (o.stride_h, o.stride_w),
    )


def window_sums(data: np.ndarray, geo: PoolGeometry) -> np.ndarray:
    """Exact int64 sum of every clipped window (padding cells contribute zero)."""
    _, out_h, out_w, _ = geo.output_shape
    windows = patches(
        data.astype(np.int64), geo.pad[0], geo.pad[1], out_h, out_w, geo.filter_h, geo.filter_w,
        geo.stride[0], geo.stride[1], 1, 1,
    )
    return windows.sum(axis=(3, 4))


def window_taps(data, geo: PoolGeometry):
    """Yield (values, valid) for every tap of the window, in the references' loop order.

    ``values`` has the output shape; ``valid`` (broadcastable, shape (1, H, W, 1)) says whether the
    tap lies inside the clipped window.
    """
    _, height, width, _ = data.shape
    for fy in range(max(int(geo.rows.count.max(initial=0)), 0)):
        ys = geo.rows.start + fy
        y_ok = fy < geo.rows.count
        ys = np.where(y_ok, ys, 0)
        for fx in range(max(int(geo.cols.count.max(initial=0)), 0)):
            xs = geo.cols.start + fx
            x_ok = fx < geo.cols.count
            xs = np.where(x_ok, xs, 0)
            values = data[:, ys][:, :, xs]
            valid = (y_ok[:, None] & x_ok[None, :])[None, :, :, None]
            yield values, valid


# -- constraints (docstrings are user-facing) ---------------------------------------------------

def types_supported(node: Node) -> bool:
    """Input and output are both float32, both int8, both int16 or (LiteRT) both uint8"""
    x, y = node.input(0), node.outputs[0]
    return x is not None and x.type in TYPES and y.type == x.type


def one_input_4d(node: Node) -> bool:
    """One 4-D NHWC input and one output"""
    return len(node.inputs) == 1 and len(node.outputs) == 1 and node.inputs[0] is not None and len(
        node.inputs[0].shape) == 4


def positive_window(node: Node) -> bool:
    """Strides and filter sizes are positive"""
    o = node.options
    return min(o.stride_h, o.stride_w, o.filter_height, o.filter_width) > 0


def output_shape_matches(node: Node) -> bool:
    """The output shape is (batch, out_height, out_width, channels) as the padding implies"""
    if not (one_input_4d(node) and positive_window(node)):
        return False
    return tuple(node.outputs[0].shape) == geometry(node).output_shape


def windows_not_empty(node: Node) -> bool:
    """Every output pixel's window overlaps the input"""
    if not (one_input_4d(node) and positive_window(node)):
        return False
    geo = geometry(node)
    return bool(np.all(geo.rows.count > 0) and np.all(geo.cols.count > 0))


def same_quantization(node: Node) -> bool:
    """Quantized input and output share scale (within 1e-6) and zero point"""
    x, y = node.input(0), node.outputs[0]
    if x is None or x.type not in (TensorType.INT8, TensorType.INT16):
        return True
    if x.quantization is None or y.quantization is None:
        return False
    return abs(float(common.scale_of(x)) - float(common.scale_of(y))) <= 1e-6 and common.zero_point_of(
        x) == common.zero_point_of(y)


CONSTRAINTS = (
    types_supported,
    common.tflm_refuses_uint8,
    one_input_4d,
    positive_window,
    output_shape_matches,
    windows_not_empty,
    common.supported_activation,
    common.quantized_tensors_have_parameters,
    same_quantization,
)


def activation_bounds(node: Node):
    x, y = node.inputs[0], node.outputs[0]
    activation = node.options.fused_activation_function
    if x.type is TensorType.FLOAT32:
        lo, hi = common.activation_range_float(activation)
        return np.float32(lo), np.float32(hi)
    return common.activation_range_quantized(activation, y)
