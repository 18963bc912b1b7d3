"""Strategies of the unary math operators (ABS, NEG, EXP, LOG, SQRT, RSQRT, SIN, COS, FLOOR,
CEIL, ROUND, SQUARE, ELU) and LOG_SOFTMAX.

float32 models are only a shape. Quantized models draw what the references' arithmetic depends
on: equal and different input/output scales (ABS skips its rescale on equal ones), zero points at
both ends of the int8 range, int16 with zero points 0 (the references require them) and, for
ABS, without quantization. Scales are drawn so that the references' tables stay finite: the
output scale of EXP follows the largest input's exp, and so on, with a margin either way. SQRT
and RSQRT fail on inputs below the zero point (as the references do); their int8 zero points
are often -128 and their shapes small, so that most drawn inputs run. Operator versions are the
converter's (op_version.cc) or, where LiteRT's reference resolver registers fewer, one it takes.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

from ...tflite import ModelBuilder
from .._draw import INT8_ZERO_POINTS, scales

# Activation types (see _draw.ACTIVATION_TYPE) and the labels that select them.
LABELS = {"float32": "float32", "int8": "int8", "int16": "int16x8", "int32": "int32", "int64": "int64"}


def _labels(*types: str) -> tuple[str, ...]:
    return tuple(LABELS[t] for t in types)


def _shapes(max_rank: int = 4, max_dim: int = 5):
    return st.lists(st.integers(1, max_dim), min_size=1, max_size=max_rank).map(tuple)


def _model(op: str, shape, dtype: str, qi: dict, qo: dict, version: int) -> bytes:
    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", shape, dtype, **qi)
    y = g.add_output("y", shape, dtype, **qo)
    g.add_operator(op, [x], [y], version=version)
    return b.build()


def _q(scale: float, zero_point: int) -> dict:
    return dict(scale=float(np.float32(scale)), zero_point=int(zero_point))


@st.composite
def _zero_point(draw, dtype: str, low_often: bool = False) -> int:
    if dtype == "int16":
        return 0
    if low_often and draw(st.booleans()):
        return -128
    return draw(INT8_ZERO_POINTS)


def _largest_real(scale: float, zero_point: int, dtype: str) -> float:
    """The largest real value an int8/int16 tensor of this quantization holds."""
    return float(np.float32(scale)) * (np.iinfo(dtype).max - zero_point)


@st.composite
def _output_scale_near(draw, real_range: float, dtype: str) -> float:
    """An output scale that holds ``real_range`` within a factor of 8 either way, often an exact
    binary fraction (where the references' rounding ties show)."""
    exact = min(max(real_range, 1e-30) / np.iinfo(dtype).max, 1e30)
    nice = [2.0 ** (math.floor(math.log2(exact)) + k) * m for k in (-1, 0, 1) for m in (1.0, 1.25, 1.5, 1.75)]
    return draw(st.sampled_from(nice) | st.floats(exact / 8, exact * 8))


# -- one factory per operator ------------------------------------------------------------------

def float_only(op: str):
    """SIN, COS, FLOOR, CEIL, ROUND, SQUARE: float32 of any shape."""
    return lambda dtype: _shapes().map(lambda shape: _model(op, shape, "float32", {}, {}, 1))


@st.composite
def abs_model(draw, dtype: str) -> bytes:
    """float32; int8 and int16 with equal or different scales; int16 without quantization
    (version 4, TFLite Micro only); int32 (LiteRT, version 3 as its resolver takes)."""
    shape = draw(_shapes())
    if dtype in ("float32", "int32"):
        return _model("ABS", shape, dtype, {}, {}, draw(st.sampled_from([1, 3])) if dtype == "int32" else 1)
    if dtype == "int16" and draw(st.integers(0, 3)) == 0:
        return _model("ABS", shape, dtype, {}, {}, 4)
    qi = _q(draw(scales()), draw(_zero_point(dtype)))
    qo = qi if draw(st.booleans()) else _q(draw(scales()), draw(_zero_point(dtype)))
    return _model("ABS", shape, dtype, qi, qo, 2 if dtype == "int8" else 3)


@st.composite
def neg_model(draw, dtype: str) -> bytes:
    """float32; int8, int16, int32, int64 (LiteRT negates the stored integers)."""
    q = {} if dtype not in ("int8", "int16") or draw(st.booleans()) else _q(draw(scales()), draw(_zero_point(dtype)))
    return _model("NEG", draw(_shapes()), dtype, q, q, 1)


def lut_model(op: str, output_range, largest_input=None):
    """EXP or LOG: float32, or LiteRT's int8/int16 table. ``largest_input``, when given, draws the
    largest real input (the input scale follows from it); ``output_range(largest)`` gives the real
    range the output scale is drawn around."""

    @st.composite
    def draw_model(draw, dtype: str) -> bytes:
        shape = draw(_shapes())
        if dtype == "float32":
            return _model(op, shape, dtype, {}, {}, 1)
        zero_point = draw(_zero_point(dtype))
        if largest_input is None:
            scale = draw(scales())
        else:
            scale = draw(largest_input) / max(np.iinfo(dtype).max - zero_point, 1)
        largest = _largest_real(scale, zero_point, dtype)
        qo = _q(draw(_output_scale_near(output_range(largest), dtype)), draw(_zero_point(dtype)))
        return _model(op, shape, dtype, _q(scale, zero_point), qo, 2)

    return draw_model


def _exp_range(largest: float) -> float:
    return math.exp(largest)


def _log_range(largest: float) -> float:
    return max(abs(math.log(max(largest, 1e-30))), 1.0) * 2


@st.composite
def root_model(draw, dtype: str, op: str) -> bytes:
    """SQRT or RSQRT: float32 (any sign), int8 with low zero points, int16 (zero point 0); small
    shapes, so that many random inputs are all at or above the zero point."""
    shape = draw(st.sampled_from([(1,), (2,), (1, 2), (3,)]) | _shapes(3, 3))
    if dtype == "float32":
        return _model(op, shape, dtype, {}, {}, 1)
    zero_point = draw(_zero_point(dtype, low_often=True))
    scale = draw(scales())
    largest = _largest_real(scale, zero_point, dtype)
    if op == "SQRT":
        real = math.sqrt(max(largest, 0.0))
    else:
        real = 1 / math.sqrt(max(float(np.float32(scale)), 1e-30))
    qo = _q(draw(_output_scale_near(real, dtype)), draw(_zero_point(dtype)))
    version = {"int8": 2, "int16": 3 if op == "RSQRT" else 2}[dtype]
    return _model(op, shape, dtype, _q(scale, zero_point), qo, version)


@st.composite
def elu_model(draw, dtype: str) -> bytes:
    """float32 and int8 (TFLite Micro only)."""
    shape = draw(_shapes())
    if dtype == "float32":
        return _model("ELU", shape, dtype, {}, {}, 1)
    qi = _q(draw(scales()), draw(_zero_point(dtype)))
    largest = _largest_real(qi["scale"], qi["zero_point"], dtype)
    qo = _q(draw(_output_scale_near(max(largest, 1.0), dtype)), draw(_zero_point(dtype)))
    return _model("ELU", shape, dtype, qi, qo, 1)


@st.composite
def log_softmax_model(draw, dtype: str) -> bytes:
    """float32, or int8 with the fixed output quantization (16/256, 127); rows of 1 to 300."""
    shape = (*draw(st.lists(st.integers(1, 4), max_size=2)), draw(st.integers(1, 12) | st.integers(100, 300)))
    if dtype == "float32":
        return _model("LOG_SOFTMAX", shape, dtype, {}, {}, 1)
    scale = draw(st.sampled_from([2.0 ** -20, 1e-6, 1 / 16, 0.1, 1.0, 30.0]) | st.floats(1e-5, 5.0))
    return _model("LOG_SOFTMAX", shape, dtype, _q(scale, draw(_zero_point(dtype))), _q(16 / 256, 127), 2)


GENERATED = {
    "ABS": (_labels("float32", "int8", "int16", "int32"), abs_model),
    "NEG": (_labels("float32", "int8", "int16", "int32", "int64"), neg_model),
    "EXP": (_labels("float32", "int8", "int16"),
            lut_model("EXP", _exp_range, st.sampled_from([0.5, 8.0, 40.0]) | st.floats(0.01, 60.0))),
    "LOG": (_labels("float32", "int8", "int16"), lut_model("LOG", _log_range)),
    "SQRT": (_labels("float32", "int8", "int16"), lambda dtype: root_model(dtype, "SQRT")),
    "RSQRT": (_labels("float32", "int8", "int16"), lambda dtype: root_model(dtype, "RSQRT")),
    "ELU": (_labels("float32", "int8"), elu_model),
    "LOG_SOFTMAX": (_labels("float32", "int8"), log_softmax_model),
    **{op: (_labels("float32"), float_only(op)) for op in ("SIN", "COS", "FLOOR", "CEIL", "ROUND", "SQUARE")},
}
