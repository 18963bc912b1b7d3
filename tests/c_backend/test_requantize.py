"""The C requantizers against the spec (microinfer.kernels.fixedpoint, and LiteRT's scaling in
double of FULLY_CONNECTED) on arbitrary int32 accumulators, multipliers (negative and INT32_MIN
included), shifts and real scales, through mi_nn_vec_mat_mult_t_s8 with a 1x1 identity filter:
output[r] = requantize(bias[r] + 1)."""

from __future__ import annotations

import ctypes

import numpy as np
import pytest

from microinfer.c_backend import load_library
from microinfer.c_backend.structs import ROUND_DOUBLE, ROUND_REAL, Activation, Requant
from microinfer.kernels.fixedpoint import DOUBLE, multiply_by_quantized_multiplier, wrap_int32
from microinfer.kernels.fully_connected import _scale_in_double

from .c_check import requires_c

pytestmark = requires_c


def c_requantize(acc, multiplier, shift, rounding, offset, lo, hi, real_scale=None) -> np.ndarray:
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
    scale = None if real_scale is None else np.ascontiguousarray(real_scale, np.float64)
    quant = Requant(m.ctypes.data, s.ctypes.data, None if scale is None else scale.ctypes.data, rounding)
    fn.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int32,
                   ctypes.c_int32, ctypes.POINTER(Requant), ctypes.c_int32, ctypes.c_int32, Activation]
    fn(lhs.ctypes.data, rhs.ctypes.data, bias.ctypes.data, out.ctypes.data, 0, offset, ctypes.byref(quant), 1,
       rows, Activation(lo, hi))
    return out


def spec_requantize(acc, multiplier, shift, offset, lo, hi) -> np.ndarray:
    scaled = multiply_by_quantized_multiplier(np.asarray(acc, np.int64), np.asarray(multiplier, np.int64),
                                              np.asarray(shift, np.int64), DOUBLE)
    return np.clip(scaled + offset, lo, hi).astype(np.int8)


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
        got = c_requantize(acc, multiplier, shift, ROUND_DOUBLE, offset, lo, hi)
        expected = spec_requantize(acc, multiplier, shift, offset, lo, hi)
        np.testing.assert_array_equal(got, expected)


def test_real_scale_matches_spec():
    """LiteRT's round(acc * scale) in double: scales from 2**-40 to 2**20 (results beyond int32
    become INT32_MIN, then the offset wraps), exact ties of both signs, every offset sign."""
    rng = np.random.default_rng(7)
    acc, _, _ = cases(rng, 300, 0, 0, negative_multipliers=False)
    scale = 2.0 ** rng.uniform(-40, 20, 300)
    acc[:40], scale[:40] = rng.integers(-120, 120, 40) * 2 + 1, 0.5  # ties
    acc[40:44], scale[40:44] = [-(1 << 31), (1 << 31) - 1, 3, -3], [1.0, 1.0, 0.25, 0.25]
    nothing = np.zeros(300, np.int64)
    for offset in (-128, -3, 0, 9, 127):
        got = c_requantize(acc, nothing, nothing, ROUND_REAL, offset, -128, 127, real_scale=scale)
        expected = np.clip(wrap_int32(_scale_in_double(acc, scale) + offset), -128, 127)
        np.testing.assert_array_equal(got, expected)
