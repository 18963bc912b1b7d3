"""Integer fixed-point arithmetic exactly as TFLite's reference kernels do it, vectorised.

Values are NumPy int64 arrays holding int32 quantities (so intermediate products never overflow);
results are wrapped or saturated the way the C code's types would. Every kernel uses these
functions; rounding mode is a parameter, never a copy of a kernel.

Rounding modes: TFLite Micro builds with *double rounding* (gemmlowp's rounding doubling high
multiply followed by a rounding right shift); LiteRT builds with ``TFLITE_SINGLE_ROUNDING`` (one
64-bit multiply, add half, shift). The two can differ by one in the last place.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

INT32_MIN = -(1 << 31)
INT32_MAX = (1 << 31) - 1
DOUBLE = "double"
SINGLE = "single"


def quantize_multiplier(real_multiplier: float, single_rounding: bool = False) -> tuple[int, int]:
    """A real multiplier as (int32 fixed-point multiplier with 31 fraction bits, shift).

    ``real = multiplier * 2**(shift - 31)``. Rounds half away from zero like ``std::round``.
    """
    if real_multiplier == 0.0:
        return 0, 0
    fraction, shift = math.frexp(real_multiplier)
    q_fixed = int(math.floor(abs(fraction) * (1 << 31) + 0.5))
    if fraction < 0:
        q_fixed = -q_fixed
    if q_fixed == 1 << 31:
        q_fixed //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    if single_rounding and shift > 30:
        return INT32_MAX, 30
    return q_fixed, shift


def quantize_multiplier_smaller_than_one(real_multiplier: float) -> tuple[int, int]:
    """As :func:`quantize_multiplier`, for multipliers in [0, 1) (shift <= 0)."""
    multiplier, shift = quantize_multiplier(real_multiplier)
    return multiplier, shift


def wrap_int32(x):
    """Two's-complement wrap of int64 values to int32 range (what an int32 C expression does)."""
    return ((np.asarray(x, dtype=np.int64) + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


def _trunc_div_pow2(x: np.ndarray, bits: int) -> np.ndarray:
    """C integer division by 2**bits (rounds toward zero)."""
    return np.where(x >= 0, x >> bits, -((-x) >> bits))


def saturating_rounding_doubling_high_mul(a, b):
    """gemmlowp's SaturatingRoundingDoublingHighMul on int32 values."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    product = a * b
    nudge = np.where(product >= 0, 1 << 30, 1 - (1 << 30))
    result = _trunc_div_pow2(product + nudge, 31)
    overflow = (a == INT32_MIN) & (b == INT32_MIN)
    return np.where(overflow, INT32_MAX, result)


def rounding_divide_by_pot(x, exponent):
    """gemmlowp's RoundingDivideByPOT: x / 2**exponent, rounding half away from zero."""
    x = np.asarray(x, dtype=np.int64)
    exponent = np.asarray(exponent, dtype=np.int64)
    mask = (np.int64(1) << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return (x >> exponent) + (remainder > threshold)


@dataclass(frozen=True)
class Rescale:
    """MultiplyByQuantizedMultiplier with its per-channel constants worked out once (prepare)."""

    multiplier: np.ndarray
    shift: np.ndarray
    rounding: str
    left: np.ndarray
    right: np.ndarray
    half: np.ndarray
    negative_fix: np.ndarray
    shifts_left: bool
    general: bool

    @classmethod
    def of(cls, multiplier, shift, rounding: str = DOUBLE) -> "Rescale":
        multiplier = np.asarray(multiplier, dtype=np.int64)
        shift = np.asarray(shift, dtype=np.int64)
        if rounding == SINGLE:
            left = 31 - shift  # total right shift of the single-rounding form
            right = np.int64(1) << (left - 1)  # its rounding constant
            return cls(multiplier, shift, rounding, left, right, right, right, False, False)
        left = np.maximum(shift, 0)
        right = np.maximum(-shift, 0)
        half = (np.int64(1) << right) >> 1
        negative_fix = -(right > 0).astype(np.int64)
        return cls(multiplier, shift, rounding, left, right, half, negative_fix, bool(left.any()),
                   bool((multiplier < 0).any()))

    def __call__(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=np.int64)
        if self.rounding == SINGLE:
            return (x * self.multiplier + self.right) >> self.left
        if self.general:
            return _double_rounding_general(x, self.multiplier, self.shift)
        if self.shifts_left:
            x = wrap_int32(x << self.left)
        # With a non-negative multiplier the doubling high multiply cannot saturate, and its nudge
        # followed by truncating division is exactly floor((x*m + 2**30) / 2**31).
        high = (x * self.multiplier + (1 << 30)) >> 31
        # Rounding divide by 2**right, ties away from zero: add half, minus one for negatives.
        return (high + self.half + ((high >> 63) & self.negative_fix)) >> self.right


def multiply_by_quantized_multiplier(x, multiplier, shift, rounding: str = DOUBLE):
    """TFLite's MultiplyByQuantizedMultiplier for int32 ``x``; multiplier/shift may be arrays."""
    return Rescale.of(multiplier, shift, rounding)(x)


def _double_rounding_general(x, multiplier, shift):
    """The literal gemmlowp composition, for any (also negative) multiplier."""
    left = np.maximum(shift, 0)
    right = np.maximum(-shift, 0)
    return rounding_divide_by_pot(
        saturating_rounding_doubling_high_mul(wrap_int32(x << left), multiplier), right
    )


def multiply_by_quantized_multiplier_int64(x, multiplier, shift):
    """TFLite's MultiplyByQuantizedMultiplier for int64 ``x`` (16x8 kernels' 64-bit sums).

    The same in both rounding modes: the multiplier is reduced to 16 bits, then one rounding
    shift. Results are truncated to int32 as the C code's cast does.
    """
    x = np.asarray(x, dtype=np.int64)
    multiplier = np.asarray(multiplier, dtype=np.int64)
    shift = np.asarray(shift, dtype=np.int64)
    reduced = np.where(multiplier < 0x7FFF0000, (multiplier + (1 << 15)) >> 16, 0x7FFF)
    total_shift = 15 - shift
    return wrap_int32((x * reduced + (np.int64(1) << (total_shift - 1))) >> total_shift)


def multiply_by_quantized_multiplier_greater_than_one(x, multiplier, left_shift):
    """TFLite's MultiplyByQuantizedMultiplierGreaterThanOne (double rounding only)."""
    x = np.asarray(x, dtype=np.int64)
    return saturating_rounding_doubling_high_mul(wrap_int32(x * (np.int64(1) << left_shift)), multiplier)


def multiply_by_quantized_multiplier_smaller_than_one_exp(x, multiplier, left_shift):
    """TFLite's MultiplyByQuantizedMultiplierSmallerThanOneExp (``left_shift`` <= 0)."""
    return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(x, multiplier), -np.asarray(left_shift))


def saturate(x, dtype) -> np.ndarray:
    """Clamp to the range of an integer dtype and cast."""
    info = np.iinfo(dtype)
    return np.clip(x, info.min, info.max).astype(dtype)
