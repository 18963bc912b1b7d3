"""Strategies of the binary element-wise family: MAXIMUM, MINIMUM, DIV, SQUARED_DIFFERENCE, POW,
FLOOR_DIV, FLOOR_MOD, the comparisons, the logical operators and ADD_N.

Each draws a one-operator model of one type with broadcasting shapes (up to 6 dimensions), scales
from tiny to large including powers of two, zero points at both ends of their range and every
fused activation where the operator has one. Models stay inside what the references define: the
comparisons' int8 scales are below 1, POW's int32 exponents are constant and small, and DIV's
quantized rescale factor stays where the references' shifts are defined.
"""

from __future__ import annotations

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

from ...tflite import ModelBuilder
from ...tflite import options as O
from .._draw import ACTIVATIONS, NICE_SCALES, RANGES, SEEDS, broadcast_pair, qparams, shapes, unary_model

COMPARISONS = ("EQUAL", "NOT_EQUAL", "GREATER", "GREATER_EQUAL", "LESS", "LESS_EQUAL")
VERSION = {"DIV": 1, "SQUARED_DIFFERENCE": 1, "POW": 1, "FLOOR_DIV": 1, "FLOOR_MOD": 1, "MAXIMUM": 2,
           "MINIMUM": 2, "EQUAL": 2, "NOT_EQUAL": 2, "GREATER": 2, "GREATER_EQUAL": 2, "LESS": 2,
           "LESS_EQUAL": 2, "LOGICAL_AND": 1, "LOGICAL_OR": 1, "ADD_N": 1}
OPTIONS = {"DIV": O.DivOptions}


def scales_below_one():
    return (st.sampled_from([s for s in NICE_SCALES if s < 1])
            | st.floats(1e-6, 0.999).map(lambda s: float(np.float32(s))))


@st.composite
def _qparams(draw, dtype: str, below_one: bool = False, symmetric: bool = False) -> dict:
    if dtype not in RANGES:
        return {}
    q = draw(qparams(dtype, symmetric))
    if below_one:
        q["scale"] = draw(scales_below_one())
    return q


@st.composite
def binary_case(draw, op: str, dtype: str, out_dtype: str | None = None, below_one: bool = False,
                symmetric: bool = False, second=None, activation: bool = False, max_rank: int = 6):
    """A model of ``op`` on two ``dtype`` inputs that broadcast; ``second``: a function of (shape,
    rng) giving a constant second input (None: a model input)."""
    s1, s2 = draw(broadcast_pair(max_rank=draw(st.sampled_from([3, 4, max_rank]))))
    q1, q2, qo = (draw(_qparams(dtype, below_one, symmetric)) for _ in range(3))
    if out_dtype == "bool":
        qo = {}
    options = None
    if activation:
        options = OPTIONS[op](fused_activation_function=draw(st.sampled_from(ACTIVATIONS)))
    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", s1, dtype, **q1)
    if second is None:
        y = g.add_input("y", s2, dtype, **q2)
    else:
        y = g.add_constant("y", second(s2, np.random.default_rng(draw(SEEDS))), dtype, **q2)
    z = g.add_output("z", np.broadcast_shapes(s1, s2), out_dtype or dtype, **qo)
    g.add_operator(op, [x, y], [z], options, version=VERSION[op])
    return b.build()


def _div_case(dtype: str):
    @st.composite
    def draw_div(draw):
        if dtype not in RANGES:
            return draw(binary_case("DIV", dtype, activation=True))
        # small divisors keep a divisor equal to its zero point (an error in both references) rare
        s1 = draw(shapes(4))
        s2 = tuple(1 for _ in s1[len(s1) - draw(st.integers(1, len(s1))):])
        q1, q2, qo = (draw(qparams(dtype, symmetric=False)) for _ in range(3))
        assume(q1["scale"] / (q2["scale"] * qo["scale"]) < 2.0**14)
        b = ModelBuilder()
        g = b.main
        x = g.add_input("x", s1, dtype, **q1)
        y = g.add_input("y", s2, dtype, **q2)
        z = g.add_output("z", s1, dtype, **qo)
        options = O.DivOptions(fused_activation_function=draw(st.sampled_from(ACTIVATIONS)))
        g.add_operator("DIV", [x, y], [z], options, version=1)
        return b.build()

    return draw_div()


def _squared_difference_case(dtype: str):
    @st.composite
    def draw_case(draw):
        q1, q2, qo = (draw(qparams(dtype, symmetric=dtype == "int16")) for _ in range(3))
        if dtype in RANGES:
            twice_max = 2 * max(q1["scale"], q2["scale"])
            left_shift = 7 if dtype == "int8" else 0
            assume(twice_max**2 / (2 ** (2 * left_shift) * qo["scale"]) < 2.0**29)
        s1, s2 = draw(broadcast_pair(max_rank=draw(st.sampled_from([3, 4, 6]))))
        b = ModelBuilder()
        g = b.main
        x = g.add_input("x", s1, dtype, **q1)
        y = g.add_input("y", s2, dtype, **q2)
        z = g.add_output("z", np.broadcast_shapes(s1, s2), dtype, **qo)
        g.add_operator("SQUARED_DIFFERENCE", [x, y], [z], version=1)
        return b.build()

    return draw_case()


def _small_exponents(shape, rng):
    return rng.integers(0, 12, size=shape).astype(np.int32)


def _add_n_case(dtype: str):
    @st.composite
    def draw_case(draw):
        shape = draw(shapes(4))
        count = draw(st.integers(2, 5))
        q = draw(qparams(dtype))
        qo = draw(qparams(dtype))
        if dtype == "int8":
            assume(2 * q["scale"] / (2**20 * qo["scale"]) < 0.99)
        b = ModelBuilder()
        g = b.main
        inputs = [g.add_input(f"x{i}", shape, dtype, **q) for i in range(count)]
        z = g.add_output("z", shape, dtype, **qo)
        g.add_operator("ADD_N", inputs, [z], version=1)
        return b.build()

    return draw_case()


def _case(op: str, **kwargs):
    return lambda dtype: binary_case(op, dtype, **kwargs)


def _comparison(op: str):
    return lambda dtype: binary_case(op, dtype, out_dtype="bool", below_one=True)


NUMERIC = ("int8", "int16x8", "float32", "int32", "int64")

GENERATED = {
    "MAXIMUM": (NUMERIC, _case("MAXIMUM")),
    "MINIMUM": (NUMERIC, _case("MINIMUM")),
    "DIV": (("int8", "int16x8", "float32", "int32"), _div_case),
    "SQUARED_DIFFERENCE": (("int8", "int16x8", "float32", "int32"), _squared_difference_case),
    "POW": (("float32", "int32"),
            lambda dtype: binary_case("POW", dtype, second=_small_exponents if dtype == "int32" else None)),
    "FLOOR_DIV": (("int8", "int16x8", "float32", "int32"), _case("FLOOR_DIV")),
    "FLOOR_MOD": (NUMERIC, _case("FLOOR_MOD")),
    **{op: (NUMERIC + (("bool",) if op in ("EQUAL", "NOT_EQUAL") else ()), _comparison(op)) for op in COMPARISONS},
    "LOGICAL_AND": (("bool",), _case("LOGICAL_AND")),
    "LOGICAL_OR": (("bool",), _case("LOGICAL_OR")),
    "LOGICAL_NOT": (("bool",), lambda dtype: shapes(6).map(
        lambda shape: unary_model("LOGICAL_NOT", shape, "bool", "bool", {}, {}))),
    "ADD_N": (("int8", "float32", "int32"), _add_n_case),
}
