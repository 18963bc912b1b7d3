"""Strategies of the resize family: RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR.

Drawn: batches and channels, input sizes from 1 pixel, output sizes that shrink, keep and grow
(up to 24 times) each axis, align_corners and half_pixel_centers (bilinear never both: both
references refuse that with a constant size), and any quantization (neither reference reads it).
The size is always a constant, as converters write it and TFLite Micro requires.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from ...tflite import ModelBuilder
from ...tflite import options as O
from .._draw import qparams

# The version the converter writes: 1 float32, 2 int8/uint8, 3 half_pixel_centers, 4 int16.
_BASE_VERSION = {"float32": 1, "int8": 2, "uint8": 2, "int32": 2, "int16": 4}
_OPTIONS = {"RESIZE_NEAREST_NEIGHBOR": O.ResizeNearestNeighborOptions, "RESIZE_BILINEAR": O.ResizeBilinearOptions}


@st.composite
def _quantization(draw, dtype: str) -> dict:
    if dtype == "uint8":
        return dict(scale=draw(st.sampled_from([1 / 255, 0.02, 1.5])), zero_point=draw(st.sampled_from([0, 128, 255])))
    return draw(qparams(dtype))


@st.composite
def resize_model(draw, op: str, dtype: str) -> bytes:
    """One resize of a drawn 4-D ``dtype`` input to a drawn size."""
    batches, channels = draw(st.integers(1, 2)), draw(st.sampled_from([1, 2, 3, 5]))
    height, width = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    out = [draw(st.sampled_from([1, size, 2 * size, 3 * size - 1]) | st.integers(1, 24)) for size in (height, width)]
    align_corners = draw(st.booleans())
    half_pixel_centers = draw(st.booleans()) and not (op == "RESIZE_BILINEAR" and align_corners)
    quantization = draw(_quantization(dtype))
    # mostly the input's quantization, as converters write it; neither reference reads it
    out_quantization = quantization if draw(st.booleans()) else draw(_quantization(dtype))
    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", (batches, height, width, channels), dtype, **quantization)
    size = g.add_constant("size", np.array(out, np.int32))
    y = g.add_output("y", (batches, *out, channels), dtype, **out_quantization)
    version = max(_BASE_VERSION[dtype], 3 if half_pixel_centers else 1)
    g.add_operator(op, [x, size], [y], _OPTIONS[op](align_corners=align_corners, half_pixel_centers=half_pixel_centers),
                   version=version)
    return b.build()


def _factory(op: str):
    return lambda dtype: resize_model(op, dtype)


GENERATED = {
    "RESIZE_NEAREST_NEIGHBOR": (("int8", "int16x8", "float32", "uint8", "int32"), _factory("RESIZE_NEAREST_NEIGHBOR")),
    "RESIZE_BILINEAR": (("int8", "int16x8", "float32", "uint8"), _factory("RESIZE_BILINEAR")),
}
