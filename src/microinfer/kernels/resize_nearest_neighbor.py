"""RESIZE_NEAREST_NEIGHBOR: each output pixel copies the input pixel its position maps to.

For output index ``i`` along an axis of input size ``n`` and output size ``m`` both references
compute, in float32, ``scale = n / m`` (``(n - 1) / (m - 1)`` with align_corners and ``m > 1``)
and ``source = (i + 0.5 if half_pixel_centers else i) * scale``, then take ``round(source)``
(half away from zero) with align_corners or ``floor(source)`` without, capped at ``n - 1`` (and
raised to 0 with half_pixel_centers).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType
from . import _resize
from .registry import Kernel, Node, register

TFLM_TYPES = (TensorType.INT8, TensorType.INT16, TensorType.FLOAT32)
LITERT_TYPES = (*TFLM_TYPES, TensorType.UINT8, TensorType.INT32)


@dataclass(frozen=True)
class ResizeNearestNeighborData:
    rows: np.ndarray  # the input row each output row copies
    columns: np.ndarray  # the input column each output column copies
    fed_size: tuple[int, int] | None  # the size a size input fed at run time must hold (LiteRT)


def source_indices(input_size: int, output_size: int, align_corners: bool, half_pixel_centers: bool) -> np.ndarray:
    """The input index each output index along one axis copies (GetNearestNeighbor)."""
    if align_corners and output_size > 1:
        scale = np.float32(input_size - 1) / np.float32(output_size - 1)
    else:
        scale = np.float32(input_size) / np.float32(output_size)
    offset = np.float32(0.5 if half_pixel_centers else 0.0)
    source = ((_resize.float32_steps(output_size) + offset) * scale).astype(np.float64)
    if align_corners:
        index = np.floor(np.abs(source) + 0.5) * np.sign(source)  # std::round on a float
    else:
        index = np.floor(source)
    index = np.minimum(index.astype(np.int64), input_size - 1)
    if half_pixel_centers:
        index = np.maximum(index, 0)
    return index


@register("RESIZE_NEAREST_NEIGHBOR", versions=range(1, 5),
          types=tuple(t.name.lower() for t in LITERT_TYPES), inputs=2, outputs=1)
class ResizeNearestNeighbor(Kernel):
    constraints = (
        _resize.types_per_reference(TFLM_TYPES, LITERT_TYPES),
        _resize.input_4d,
        _resize.size_vector(tflm_longer=False),
        _resize.size_constant_or_fed,
        _resize.size_in_range,
        _resize.output_shape,
    )

    def prepare(self, node: Node) -> ResizeNearestNeighborData:
        _, height, width, _ = node.input(0).shape
        out_height, out_width = _resize.output_size(node)
        o = node.options
        return ResizeNearestNeighborData(
            rows=source_indices(height, out_height, o.align_corners, o.half_pixel_centers),
            columns=source_indices(width, out_width, o.align_corners, o.half_pixel_centers),
            fed_size=None if node.input(1).is_constant else (out_height, out_width),
        )

    def eval(self, data: ResizeNearestNeighborData, inputs):
        x = inputs[0]
        if data.fed_size is not None:
            _resize.check_fed_size("RESIZE_NEAREST_NEIGHBOR", inputs[1], data.fed_size)
        return [np.ascontiguousarray(x[:, data.rows][:, :, data.columns])]
