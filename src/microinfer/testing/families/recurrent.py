"""Strategies of float32 and hybrid UNIDIRECTIONAL_SEQUENCE_LSTM models, with LiteRT's variants.

TFLite Micro runs the standard float32 LSTM (tanh, no CIFG, peephole, projection or layer norm);
LiteRT runs every variant and the hybrid ones (int8 weights, float32 everything else). The
delicate parameters: CIFG, peephole, projection with and without bias, layer norm, cell and
projection clips, time-major sequences, the cell activations LiteRT applies, and (hybrid)
symmetric and asymmetric run-time quantization, -128 weights and rows of 16 columns or more.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from ...tflite.types import ActivationFunction
from .._draw import SEEDS
from ..op_models import lstm_model
from .hybrid import HYBRID

LITERT_ACTIVATIONS = [ActivationFunction.TANH, ActivationFunction.TANH, ActivationFunction.RELU,
                      ActivationFunction.RELU6, ActivationFunction.RELU_N1_TO_1, ActivationFunction.SIGN_BIT]


@st.composite
def lstm_params(draw, hybrid: bool) -> dict:
    """Shapes and variants of :func:`lstm_model`; float32 models are the standard LSTM (which both
    references run) half of the time."""
    standard = not hybrid and draw(st.booleans())
    variant = (lambda: False) if standard else (lambda: draw(st.booleans()))
    projection = variant()
    return dict(
        batch=draw(st.integers(1, 3)), steps=draw(st.integers(1, 4)),
        n_input=draw(st.sampled_from([1, 3, 8, 16, 20])), n_cell=draw(st.sampled_from([1, 2, 5, 17])),
        n_output=draw(st.sampled_from([1, 3, 17])), hybrid=hybrid,
        cifg=variant(), peephole=variant(), projection=projection, projection_bias=variant(),
        layer_norm=variant(), time_major=draw(st.booleans()),
        cell_clip=0.0 if standard else draw(st.sampled_from([0.0, 0.0, 0.3, 2.0])),
        proj_clip=draw(st.sampled_from([0.0, 0.0, 0.2])) if projection else 0.0,
        activation=ActivationFunction.TANH if standard else draw(st.sampled_from(LITERT_ACTIVATIONS)),
        asymmetric=hybrid and draw(st.booleans()), minus_128=hybrid and draw(st.booleans()),
    )


def _lstm(activation: str):
    if activation not in ("float32", HYBRID):
        raise ValueError(f"the LSTM strategies draw float32 and {HYBRID!r} models, not {activation!r}")
    params = lstm_params(hybrid=activation == HYBRID)
    return st.tuples(SEEDS, params).map(lambda p: lstm_model(np.random.default_rng(p[0]), **p[1]))


GENERATED = {"UNIDIRECTIONAL_SEQUENCE_LSTM": (("float32", HYBRID), _lstm)}
