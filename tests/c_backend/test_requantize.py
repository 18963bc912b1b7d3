"""The C requantizers against microinfer.kernels.fixedpoint (the spec) on arbitrary int32
accumulators, multipliers (negative and INT32_MIN included) and shifts, through
mi_nn_vec_mat_mult_t_s8 with a 1x1 identity filter: output[r] = requantize(bias[r] + 1)."""

from __future__ import annotations

import ctypes

import numpy as np
import pytest

from microinfer.c_backend import load_library
from microinfer.c_backend.structs import ROUND_DOUBLE, ROUND_SINGLE, Activation, Requant
from microinfer.kernels.fixedpoint import DOUBLE, SINGLE, multiply_by_quantized_multiplier, wrap_int32

from .c_check import requires_c

pytestmark = requires_c


def c_requantize(acc, multiplier, shift, rounding, overflow_to_min, offset, lo, hi) -> np.ndarray:
    lib = load_library()
    fn = lib.mi_nn_vec_mat_mult_t_s8
    fn.restype = None
    rows = len(acc)
    bias = np.ascontiguousarray(np.asarray(acc, np.int64) - 1, np.int32)  # + 1 * 1 from the filter
    m = np.ascontiguousarray(multiplier, np.int32)
    s = np.ascontiguousarray(shift, np.int32)
    lhs = np.ones(1, np.int8)
    rhs = np.ones(rows, np.int8)
    out = np.zeros(rows, np.int8)
    quant = Requant(m.ctypes.data, s.ctypes.data, rounding, int(overflow_to_min))
    fn.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int32,
                   ctypes.c_int32, ctypes.POINTER(Requant), ctypes.c_int32, ctypes.c_int32, Activation]
    fn(lhs.ctypes.data, rhs.ctypes.data, bias.ctypes.data, out.ctypes.data, 0, offset, ctypes.byref(quant), 1,
       rows, Activation(lo, hi))
    return out


def spec_requantize(acc, multiplier, shift, rounding, overflow_to_min, offset, lo, hi) -> np.ndarray:
    scaled = multiply_by_quantized_multiplier(np.asarray(acc, np.int64), np.asarray(multiplier, np.int64),
                                              np.asarray(shift, np.int64), rounding)
    if overflow_to_min:
        in_range = (scaled >= -(1 << 31)) & (scaled < (1 << 31))
        total = wrap_int32(np.where(in_range, scaled, -(1 << 31)) + offset)
    else:
        total = scaled + offset
    return np.clip(total, lo, hi).astype(np.int8)


def cases(rng, n, shift_lo, shift_hi, negative_multipliers):
    """Accumulators and multipliers spread over magnitudes, so results land inside int8 too."""
    magnitude = rng.integers(0, 32, n)
    acc = (rng.integers(-(1 << 31), 1 << 31, n) >> magnitude).astype(np.int64)
    multiplier = rng.integers(1 << 30, 1 << 31, n)
    if negative_multipliers:
        multiplier = np.where(rng.random(n) < 0.3, rng.integers(-(1 << 31), 0, n), multiplier)
        multiplier[:4] = -(1 << 31)
        acc[:2] = -(1 << 31)
    shift = rng.integers(shift_lo, shift_hi + 1, n)
    return acc, multiplier, shift


@pytest.mark.parametrize("rows", [1, 7, 8, 63, 64, 65, 200])
def test_double_rounding_matches_spec(rows):
    rng = np.random.default_rng(rows)
    for offset, lo, hi in [(0, -128, 127), (-128, -128, 127), (127, -128, 127), (5, -3, 90)]:
        acc, multiplier, shift = cases(rng, rows, -31, 30, negative_multipliers=True)
        got = c_requantize(acc, multiplier, shift, ROUND_DOUBLE, False, offset, lo, hi)
        expected = spec_requantize(acc, multiplier, shift, DOUBLE, False, offset, lo, hi)
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("overflow_to_min", [False, True])
def test_single_rounding_matches_spec(overflow_to_min):
    rng = np.random.default_rng(7)
    for offset in (-128, -3, 0, 9, 127):
        # multipliers are non-negative in single rounding (quantize_multiplier of a positive scale)
        acc, multiplier, shift = cases(rng, 300, -31, 30 if overflow_to_min else 0, negative_multipliers=False)
        got = c_requantize(acc, multiplier, shift, ROUND_SINGLE, overflow_to_min, offset, -128, 127)
        expected = spec_requantize(acc, multiplier, shift, SINGLE, overflow_to_min, offset, -128, 127)
        np.testing.assert_array_equal(got, expected)
