"""Strategies of the quantization conversions: QUANTIZE (float32 -> int8/uint8/int16, per tensor
or, for LiteRT, per channel; requantization between int8, uint8, int16 and int32) and DEQUANTIZE
(int8/uint8/int16 per tensor or per channel, float16).

Dtype labels: a QUANTIZE model is drawn for a label when its input or output has that type
("int16x8" for int16); a DEQUANTIZE model by its input type.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from .._draw import scales, shapes
from ...tflite import ModelBuilder

RANGES = {"int8": (-128, 127), "uint8": (0, 255), "int16": (-32768, 32767), "int32": (-(2**31), 2**31 - 1)}
QUANTIZE_PAIRS = [
    ("float32", "int8"), ("float32", "uint8"), ("float32", "int16"),
    ("int8", "int8"), ("int8", "uint8"), ("int8", "int16"), ("int8", "int32"),
    ("uint8", "int8"), ("uint8", "uint8"), ("uint8", "int16"),
    ("int16", "int8"), ("int16", "int16"), ("int16", "int32"),
    ("int32", "int8"), ("int32", "int16"),
]
# Versions the converter writes: 1 for float32/uint8, 2 for int8, 3 for int16 (QUANTIZE) or
# float16 (DEQUANTIZE); LiteRT's reference resolver takes QUANTIZE up to 6.
VERSION = {"float32": 1, "uint8": 1, "int8": 2, "int16": 3, "int32": 4, "float16": 3}


def zero_points(dtype: str, symmetric: bool = False):
    if symmetric:
        return st.just(0)
    lo, hi = RANGES[dtype]
    if dtype == "int32":
        return st.sampled_from([0, lo, hi]) | st.integers(-1000, 1000)
    return st.sampled_from([0, lo, hi, (lo + hi + 1) // 2]) | st.integers(lo, hi)


@st.composite
def tensor_quantization(draw, dtype: str, shape=(), per_channel: bool = False, symmetric: bool = False) -> dict:
    """ModelBuilder keywords for a tensor of ``dtype``: one scale and zero point, or (per channel)
    one per index of a drawn dimension of ``shape``."""
    if dtype in ("float32", "float16"):
        return {}
    if not per_channel:
        return dict(scale=draw(scales()), zero_point=draw(zero_points(dtype, symmetric)))
    axis = draw(st.integers(0, len(shape) - 1))
    n = shape[axis]
    channel_scales = draw(st.lists(scales(), min_size=n, max_size=n))
    channel_zero_points = draw(st.lists(zero_points(dtype, symmetric), min_size=n, max_size=n))
    return dict(scale=channel_scales, zero_point=channel_zero_points, axis=axis)


@st.composite
def quantize_case(draw, pairs=QUANTIZE_PAIRS):
    """A QUANTIZE (or requantize) model: (model, shape, input dtype, input spread)."""
    din, dout = draw(st.sampled_from(pairs))
    shape = draw(shapes(4))
    per_channel = din == "float32" and draw(st.integers(0, 3)) == 0  # LiteRT quantizes per channel
    qi = draw(tensor_quantization(din, symmetric=din == "int16" and draw(st.booleans())))
    qo = draw(tensor_quantization(dout, shape, per_channel, symmetric=dout == "int16" and draw(st.booleans())))
    if din == "int32":
        # int32 inputs span 2**32 steps: put the output's range somewhere inside that.
        qi["scale"] = float(np.float32(qo["scale"] * draw(st.sampled_from([2.0**-24, 2.0**-16, 1e-5, 0.3]))))
    spread = draw(st.sampled_from([1.0, 100.0, 1e6]))
    return conversion_model("QUANTIZE", shape, din, dout, qi, qo), shape, din, spread


def conversion_model(op: str, shape, din: str, dout: str, qi: dict, qo: dict) -> bytes:
    """A one-operator model converting a ``din`` input to a ``dout`` output of the same shape."""
    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", shape, din, **qi)
    y = g.add_output("y", shape, dout, **qo)
    g.add_operator(op, [x], [y], version=max(VERSION[din], VERSION[dout]))
    return b.build()


DEQUANTIZE_DTYPES = ("int8", "uint8", "int16", "float16")


@st.composite
def dequantize_case(draw, dtypes=DEQUANTIZE_DTYPES):
    """A DEQUANTIZE model: (model, shape, dtype)."""
    dtype = draw(st.sampled_from(dtypes))
    shape = draw(shapes(4))
    per_channel = dtype != "float16" and draw(st.integers(0, 3)) == 0
    q = draw(tensor_quantization(dtype, shape, per_channel, symmetric=dtype == "int16" and draw(st.booleans())))
    return conversion_model("DEQUANTIZE", shape, dtype, "float32", q, {}), shape, dtype


def _quantize_models(act: str):
    return quantize_case([p for p in QUANTIZE_PAIRS if act in p]).map(lambda c: c[0])


def _dequantize_models(act: str):
    return dequantize_case((act,)).map(lambda c: c[0])


GENERATED = {
    "QUANTIZE": (("int8", "int16x8", "float32", "uint8", "int32"), _quantize_models),
    "DEQUANTIZE": (("int8", "int16x8", "uint8", "float16"), _dequantize_models),
}
