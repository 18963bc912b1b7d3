"""Helpers of the C backend tests: the truth is the NumPy backend (the spec), bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from microinfer import Interpreter
from microinfer.c_backend import unavailable_reason
from microinfer.tflite import ModelBuilder
from microinfer.tflite.types import ActivationFunction

C_REASON = unavailable_reason()
requires_c = pytest.mark.skipif(C_REASON is not None, reason=f"C kernel library unavailable: {C_REASON}")

ACTIVATIONS = (ActivationFunction.NONE, ActivationFunction.RELU, ActivationFunction.RELU6,
               ActivationFunction.RELU_N1_TO_1)


def unaligned(x: np.ndarray) -> np.ndarray:
    """A copy of ``x`` starting one element past a 16-byte boundary (so never 4-byte aligned
    for int8, never 4-byte aligned for int16)."""
    raw = np.zeros(x.nbytes + 32, np.uint8)
    start = (-raw.ctypes.data) % 16 + x.itemsize
    view = raw[start:start + x.nbytes].view(x.dtype).reshape(x.shape)
    view[...] = x
    return view


def random_activations(rng: np.random.Generator, shape, dtype) -> np.ndarray:
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, size=shape, endpoint=True).astype(dtype)


def assert_c_matches_numpy(model: bytes, inputs: list[np.ndarray], reference: str, op_count: int = 1) -> None:
    """The C backend runs every operator in C and gives the NumPy backend's bits."""
    spec = Interpreter(model, reference=reference)
    fast = Interpreter(model, backend="c", reference=reference)
    assert fast.op_backends == ["c"] * op_count, fast.op_backends
    expected = spec.run(inputs)
    got = fast.run(inputs)
    for i, (g, e) in enumerate(zip(got, expected)):
        assert g.dtype == e.dtype and g.shape == e.shape
        diff = np.flatnonzero(g.reshape(-1) != e.reshape(-1))
        assert diff.size == 0, (f"output {i}: {diff.size} of {e.size} differ, first at {diff[0]}: "
                                f"C {g.reshape(-1)[diff[0]]} vs NumPy {e.reshape(-1)[diff[0]]}")


def quantized_weights(rng: np.random.Generator, shape, axis: int | None, spread: float) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric int8 weights over their full range, with per-channel (axis) or one scale."""
    q = rng.integers(-127, 128, size=shape).astype(np.int8)
    channels = shape[axis] if axis is not None else 1
    scales = (spread * rng.uniform(0.2, 1.0, channels) / 127).astype(np.float32)
    return q, scales


def new_builder() -> tuple[ModelBuilder, object]:
    builder = ModelBuilder(description="microinfer tests/c_backend")
    return builder, builder.main
