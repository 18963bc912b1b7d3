"""Building blocks of the hypothesis strategies: scales, zero points, shapes, values, and one-op
model builders. :mod:`microinfer.testing.strategies` and the per-family strategy modules under
:mod:`microinfer.testing.families` draw from these."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from hypothesis import strategies as st

from ..tflite import ModelBuilder
from ..tflite.types import ActivationFunction
from .op_models import ALL_DTYPES  # noqa: F401

ACTIVATIONS = [ActivationFunction.NONE, ActivationFunction.RELU, ActivationFunction.RELU6,
               ActivationFunction.RELU_N1_TO_1]
RANGES = {"int8": (-128, 127), "int16": (-32768, 32767), "uint8": (0, 255)}
VERSION = {"float32": 1, "int8": 2, "int16": 3, "uint8": 1}
# "nice" scales make exact rounding ties (where the references' rounding rules show), the others
# are arbitrary, tiny or large.
NICE_SCALES = [2.0**-k * m for k in (1, 4, 8, 12) for m in (1.0, 1.25, 1.5, 1.75)]
INT8_ZERO_POINTS = st.one_of(st.sampled_from([-128, 127, 0]), st.integers(-128, 127))
UINT8_ZERO_POINTS = st.one_of(st.sampled_from([0, 128, 255]), st.integers(0, 255))
SEEDS = st.integers(0, 2**32 - 1)
# The dtypes a user names ("int16x8": int16 activations, int8 weights) and the activation type
# the strategies below take.
DTYPES = ("int8", "int16x8", "float32")
ACTIVATION_TYPE = {"int8": "int8", "int16x8": "int16", "float32": "float32", "uint8": "uint8",
                   "int32": "int32", "int64": "int64", "bool": "bool", "uint32": "uint32", "uint64": "uint64",
                   "float16": "float16", "hybrid": "hybrid"}  # hybrid: float32 activations, int8 weights


@dataclass
class OpExample:
    """A drawn model and one set of inputs for it."""

    op: str  # the operator ("CONV_2D"), or "GRAPH" for a multi-op graph
    dtype: str  # one of ALL_DTYPES
    model: bytes
    inputs: list[np.ndarray] = field(repr=False)

    @property
    def size(self) -> int:
        """Bytes of the model plus its inputs: what shrinking makes small."""
        return len(self.model) + sum(x.nbytes for x in self.inputs)


# -- building blocks -------------------------------------------------------------------------------
def scales():
    """Tensor scales: exact binary fractions, arbitrary float32 values, tiny and large ones."""
    return (st.sampled_from(NICE_SCALES)
            | st.floats(1e-5, 20.0).map(lambda s: float(np.float32(s)))
            | st.sampled_from([1e-7, 3e-6, 0.0078125, 0.1, 1.0, 100.0]))


@st.composite
def qparams(draw, dtype: str, symmetric: bool = False) -> dict:
    """``scale``/``zero_point`` keywords for a tensor of ``dtype`` ({} for float32)."""
    if dtype not in RANGES:
        return {}
    lo, hi = RANGES[dtype]
    zp = 0 if symmetric else draw(st.sampled_from([0, lo, hi]) | st.integers(lo, hi))
    return dict(scale=draw(scales()), zero_point=zp)


def shapes(max_rank=4, max_dim=4):
    return st.lists(st.integers(1, max_dim), min_size=1, max_size=max_rank).map(tuple)


@st.composite
def broadcast_pair(draw, max_rank=4):
    """Two shapes that broadcast: a base shape, and a suffix of it with some dimensions set to 1."""
    base = draw(shapes(max_rank))
    other = tuple(1 if draw(st.booleans()) else d for d in base[len(base) - draw(st.integers(1, len(base))):])
    return (base, other) if draw(st.booleans()) else (other, base)


def values(shape, dtype, rng: np.random.Generator, spread: float = 4.0) -> np.ndarray:
    """Integers over the full range of ``dtype``, floats uniform in [-spread, spread]."""
    if dtype in RANGES:
        lo, hi = RANGES[dtype]
        return rng.integers(lo, hi, size=shape, endpoint=True).astype(dtype)
    return (rng.uniform(-spread, spread, size=shape)).astype(np.float32)


def qkw(dtype, scale, zero_point) -> dict:
    return {} if dtype == "float32" else {"scale": scale, "zero_point": zero_point}


def binary_model(op, s1, s2, dtype, q1, q2, qo, options, out_dtype=None) -> bytes:
    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", s1, dtype, **q1)
    y = g.add_input("y", s2, dtype, **q2)
    z = g.add_output("z", np.broadcast_shapes(s1, s2), out_dtype or dtype, **qo)
    g.add_operator(op, [x, y], [z], options)
    return b.build()


def unary_model(op, shape, in_dtype, out_dtype, qi, qo, options=None) -> bytes:
    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", shape, in_dtype, **qi)
    z = g.add_output("z", shape, out_dtype, **qo)
    g.add_operator(op, [x], [z], options)
    return b.build()
