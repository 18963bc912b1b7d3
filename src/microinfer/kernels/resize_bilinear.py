"""RESIZE_BILINEAR: each output pixel interpolates the four input pixels around its position.

Two arithmetics, as in TFLite's reference kernels:

* integer (int8; LiteRT also int16): positions in 1/1024ths of a pixel. Along an axis of input
  size ``n`` and output size ``m``, ``scale = (1024 * n + m // 2) // m`` (align_corners:
  ``(1024 * (n - 1) + (m - 1) // 2) // (m - 1)``), output index ``i`` sits at ``i * scale``
  (half_pixel_centers: ``i * scale + scale // 2 - 512``); the two source indices are that
  divided by 1024 (truncated, at least 0) and rounded up (at most ``n - 1``), and their weights
  ``1024 - d`` and ``d``. The four products sum exactly in 64 bits and are divided by 2**20,
  rounding half away from zero.
* float (float32; LiteRT also uint8): the same in float32 (``scale = n / m``, position
  ``(i + 0.5) * scale - 0.5`` with half_pixel_centers), the weighted sum evaluated in the C
  code's order; uint8 adds 0.5 and truncates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType
from . import _resize
from .registry import TFLITE, Kernel, Node, register

TFLM_TYPES = (TensorType.INT8, TensorType.FLOAT32)
LITERT_TYPES = (TensorType.INT8, TensorType.INT16, TensorType.FLOAT32, TensorType.UINT8)
INTEGER_TYPES = (TensorType.INT8, TensorType.INT16)
ONE = 1 << 10  # a pixel, in the integer kernel's fixed point


@dataclass(frozen=True)
class AxisTaps:
    """Per output index along one axis: the two source indices and their weights."""

    lower: np.ndarray
    upper: np.ndarray
    lower_weight: np.ndarray  # int64 (integer kernel) or float32 (float kernel)
    upper_weight: np.ndarray


@dataclass(frozen=True)
class ResizeBilinearData:
    integer: bool
    rows: AxisTaps
    columns: AxisTaps
    dtype: np.dtype
    fed_size: tuple[int, int] | None  # the size a size input fed at run time must hold (LiteRT)


def integer_taps(input_size: int, output_size: int, align_corners: bool, half_pixel_centers: bool) -> AxisTaps:
    """ComputeInterpolationValuesInteger for every output index (weights in 1/1024ths)."""
    if align_corners and output_size > 1:
        scale = (ONE * (input_size - 1) + (output_size - 1) // 2) // (output_size - 1)
    else:
        scale = (ONE * input_size + output_size // 2) // output_size
    position = np.arange(output_size, dtype=np.int64) * scale
    if half_pixel_centers:
        position += scale // 2 - ONE // 2
    lower = np.maximum(np.trunc(position / ONE).astype(np.int64), 0)  # C division truncates
    upper = np.minimum((position + ONE - 1) // ONE, input_size - 1)
    fraction = position - ONE * lower
    return AxisTaps(lower, upper, ONE - fraction, fraction)


def float_taps(input_size: int, output_size: int, align_corners: bool, half_pixel_centers: bool) -> AxisTaps:
    """ComputeInterpolationValues in float32 for every output index; the weights are the
    float32 factors ``1 - (position - lower)`` and ``position - lower`` of the C expression."""
    if align_corners and output_size > 1:
        scale = np.float32(input_size - 1) / np.float32(output_size - 1)
    else:
        scale = np.float32(input_size) / np.float32(output_size)
    steps = _resize.float32_steps(output_size)
    if half_pixel_centers:
        position = (steps + np.float32(0.5)) * scale - np.float32(0.5)
    else:
        position = steps * scale
    lower = np.maximum(np.floor(position).astype(np.int64), 0)
    upper = np.minimum(np.ceil(position).astype(np.int64), input_size - 1)
    fraction = position - lower.astype(np.float32)
    return AxisTaps(lower, upper, np.float32(1) - fraction, fraction)


def taps(node: Node) -> tuple[AxisTaps, AxisTaps]:
    """The (rows, columns) taps of the node's arithmetic."""
    _, height, width, _ = node.input(0).shape
    out_height, out_width = _resize.output_size(node)
    o = node.options
    make = integer_taps if node.input(0).type in INTEGER_TYPES else float_taps
    return (make(height, out_height, o.align_corners, o.half_pixel_centers),
            make(width, out_width, o.align_corners, o.half_pixel_centers))


def _reads_inside(node: Node) -> bool:
    """Every output pixel interpolates input pixels that exist (the integer kernel's rounded scale can step past the last row or column when a dimension grows several times, e.g. 10 rows to 161; the references then read outside the input)"""
    if not (_resize.input_4d(node) and _resize.size_in_range(node) and _resize.output_shape(node)):
        return True  # left to the shape constraints
    rows, columns = taps(node)
    _, height, width, _ = node.input(0).shape
    return bool(rows.lower.max() < height and columns.lower.max() < width)


def _not_both_options(node: Node) -> bool:
    """half_pixel_centers and align_corners are not both true (LiteRT takes both only with a size fed at run time)"""
    o = node.options
    both = bool(o.align_corners) and bool(o.half_pixel_centers)
    return not both or (node.reference == TFLITE and not node.input(1).is_constant)


@register("RESIZE_BILINEAR", versions=range(1, 5),
          types=tuple(t.name.lower() for t in LITERT_TYPES), inputs=2, outputs=1)
class ResizeBilinear(Kernel):
    constraints = (
        _resize.types_per_reference(TFLM_TYPES, LITERT_TYPES),
        _resize.input_4d,
        _resize.size_vector(tflm_longer=True),
        _resize.size_constant_or_fed,
        _resize.size_in_range,
        _resize.output_shape,
        _not_both_options,
        _reads_inside,
    )

    def prepare(self, node: Node) -> ResizeBilinearData:
        rows, columns = taps(node)
        x = node.input(0)
        fed_size = None if node.input(1).is_constant else _resize.output_size(node)
        return ResizeBilinearData(x.type in INTEGER_TYPES, rows, columns, x.type.numpy_dtype, fed_size)

    def eval(self, data: ResizeBilinearData, inputs):
        x = inputs[0]
        if data.fed_size is not None:
            _resize.check_fed_size("RESIZE_BILINEAR", inputs[1], data.fed_size)
        r, c = data.rows, data.columns
        top, bottom = x[:, r.lower], x[:, r.upper]
        corners = (top[:, :, c.lower], bottom[:, :, c.lower], top[:, :, c.upper], bottom[:, :, c.upper])
        wy0, wy1 = r.lower_weight[None, :, None, None], r.upper_weight[None, :, None, None]
        wx0, wx1 = c.lower_weight[None, None, :, None], c.upper_weight[None, None, :, None]
        weights = ((wy0, wx0), (wy1, wx0), (wy0, wx1), (wy1, wx1))
        if data.integer:
            total = sum(v.astype(np.int64) * wy * wx for v, (wy, wx) in zip(corners, weights))
            # (total + 2**19 * sign) / 2**20 in C: ties away from zero (0 counts as negative)
            half = np.where(total > 0, 1 << 19, -(1 << 19))
            shifted = total + half
            out = np.where(shifted >= 0, shifted >> 20, -((-shifted) >> 20))
            return [out.astype(data.dtype)]
        total = None
        for v, (wy, wx) in zip(corners, weights):
            term = v.astype(np.float32) * wy * wx
            total = term if total is None else total + term
        if data.dtype == np.float32:
            return [total]
        return [np.trunc(total + np.float32(0.5)).astype(data.dtype)]
