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
    # The four corners of every output pixel as flat (row * width + column) input indices,
    # (4, out_height, out_width): top-left, bottom-left, top-right, bottom-right.
    corners: np.ndarray
    # Integer kernel: each corner's row weight times column weight, (4, out_height, out_width, 1),
    # int32 where the int8 sums fit, else int64. Float kernel: unused (None).
    corner_weights: np.ndarray | None


def _corners(rows: AxisTaps, columns: AxisTaps, width: int) -> np.ndarray:
    pairs = ((rows.lower, columns.lower), (rows.upper, columns.lower), (rows.lower, columns.upper),
             (rows.upper, columns.upper))
    return np.stack([r[:, None] * width + c[None, :] for r, c in pairs])


def _corner_weights(rows: AxisTaps, columns: AxisTaps, dtype) -> np.ndarray:
    pairs = ((rows.lower_weight, columns.lower_weight), (rows.upper_weight, columns.lower_weight),
             (rows.lower_weight, columns.upper_weight), (rows.upper_weight, columns.upper_weight))
    return np.stack([wy[:, None] * wx[None, :] for wy, wx in pairs])[..., None].astype(dtype)


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
        integer = x.type in INTEGER_TYPES
        # int8 corners times weights below 2**22 sum within int32 (|sum| <= 128 * 4 * 2**22)
        weight_dtype = np.int32 if x.type is TensorType.INT8 else np.int64
        return ResizeBilinearData(
            integer=integer, rows=rows, columns=columns, dtype=x.type.numpy_dtype,
            fed_size=None if node.input(1).is_constant else _resize.output_size(node),
            corners=_corners(rows, columns, x.shape[2]),
            corner_weights=_corner_weights(rows, columns, weight_dtype) if integer else None,
        )

    def eval(self, data: ResizeBilinearData, inputs):
        x = inputs[0]
        if data.fed_size is not None:
            _resize.check_fed_size("RESIZE_BILINEAR", inputs[1], data.fed_size)
        pixels = x.reshape(x.shape[0], -1, x.shape[3])
        corners = [np.take(pixels, index, axis=1) for index in data.corners]
        if data.integer:
            total = sum(v * w for v, w in zip(corners, data.corner_weights))
            # (total + 2**19 * sign) / 2**20, truncated as in C: total / 2**20 rounded half away
            # from zero (exact in float64, |total| < 2**40)
            scaled = total * 2.0**-20
            return [np.trunc(scaled + np.copysign(0.5, scaled)).astype(data.dtype)]
        r, c = data.rows, data.columns
        wy0, wy1 = r.lower_weight[None, :, None, None], r.upper_weight[None, :, None, None]
        wx0, wx1 = c.lower_weight[None, None, :, None], c.upper_weight[None, None, :, None]
        total = None
        for v, wy, wx in zip(corners, (wy0, wy1, wy0, wy1), (wx0, wx0, wx1, wx1)):
            term = v.astype(np.float32) * wy * wx  # (value * row weight) * column weight, in float32
            total = term if total is None else total + term
        if data.dtype == np.float32:
            return [total]
        return [np.trunc(total + np.float32(0.5)).astype(data.dtype)]
