"""Integer fixed-point arithmetic exactly as TFLite's reference kernels do it, vectorised.

Values are NumPy int64 arrays holding int32 quantities (so intermediate products never overflow);
results are wrapped or saturated the way the C code's types would. Every kernel uses these
functions; rounding mode is a parameter, never a copy of a kernel.

Rounding modes: *double rounding* is gemmlowp's rounding doubling high multiply followed by a
rounding right shift; *single rounding* (``TFLITE_SINGLE_ROUNDING``) is one 64-bit multiply, add
half, shift. The two can differ by one in the last place. TFLite Micro and, as measured on ties,
LiteRT 2.3.0's reference kernels requantize with double rounding (LiteRT's FULLY_CONNECTED scales
in double instead, see :mod:`.fully_connected`).

Raw width: gemmlowp's primitives and its ``FixedPoint<tRawType, IntegerBits>`` functions (exp on
negative values, 1/(1+x), logistic, tanh) exist for int32 and int16 raw values. Here they are one
function each with a ``bits`` parameter (32 or 16, the raw type's width); where the C code's
behaviour depends on the type (wrapping, saturation, ``AddSaturatingIf16Bit``, the rescaling of
int32 constant initializers) the function says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._libm import logf, roundf

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


def wrap(x, bits: int = 32):
    """Two's-complement wrap of int64 values to a ``bits``-wide signed range (a C cast/expression)."""
    half = 1 << (bits - 1)
    return ((np.asarray(x, dtype=np.int64) + half) & ((1 << bits) - 1)) - half


def wrap_int32(x):
    """Two's-complement wrap of int64 values to int32 range (what an int32 C expression does)."""
    return ((np.asarray(x, dtype=np.int64) + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


def saturate_raw(x, bits: int):
    """Clamp to the range of a ``bits``-wide signed integer, keeping int64 values."""
    return np.clip(x, -(1 << (bits - 1)), (1 << (bits - 1)) - 1)


def _trunc_div_pow2(x: np.ndarray, bits: int) -> np.ndarray:
    """C integer division by 2**bits (rounds toward zero)."""
    return np.where(x >= 0, x >> bits, -((-x) >> bits))


def saturating_rounding_doubling_high_mul(a, b, bits: int = 32):
    """gemmlowp's SaturatingRoundingDoublingHighMul on int32 (or, ``bits=16``, int16) values."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    product = a * b
    nudge = np.where(product >= 0, 1 << (bits - 2), 1 - (1 << (bits - 2)))
    result = _trunc_div_pow2(product + nudge, bits - 1)
    raw_min = -(1 << (bits - 1))
    overflow = (a == raw_min) & (b == raw_min)
    return np.where(overflow, -raw_min - 1, result)


def rounding_divide_by_pot(x, exponent, bits: int = 32):
    """gemmlowp's RoundingDivideByPOT: x / 2**exponent, rounding half away from zero.

    With ``bits`` below 32 the mask, remainder and threshold are that narrow type too, as in the
    C code: for int16, exponents of 16 or more round every nonzero value to +-1 (and 0 to 1).
    """
    x = np.asarray(x, dtype=np.int64)
    if bits < 32:
        mask = int(wrap((1 << exponent) - 1, bits))
        remainder = wrap(x & mask, bits)
        threshold = wrap((mask >> 1) + (x < 0), bits)
        return wrap((x >> exponent) + (remainder > threshold), bits)
    exponent = np.asarray(exponent, dtype=np.int64)
    mask = (np.int64(1) << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return (x >> exponent) + (remainder > threshold)


def rounding_divide_by_pot_x86(x, exponent):
    """RoundingDivideByPOT of int32 ``x`` as the references' x86-64 builds compute it for any
    exponent >= 0. Past 31 the C code is undefined: its mask ``(1ll << e) - 1`` shifts by ``e mod
    64`` and its ``x >> e`` by ``e mod 32`` (the shift instructions' masking), which the pinned
    builds of both references match (DIV's final rescale reaches such exponents)."""
    x = np.asarray(x, np.int64)
    exponent = np.asarray(exponent, np.int64)
    mask = wrap_int32((np.int64(1) << (exponent & 63)) - 1)
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return wrap_int32((x >> (exponent & 31)) + (remainder > threshold))


def saturating_left_shift(x, amount: int, bits: int = 32):
    """x * 2**amount (amount >= 0), saturated to the ``bits``-wide raw range."""
    return saturate_raw(np.asarray(x, np.int64) * (1 << amount), bits)


def saturating_rounding_mul_by_pot(x, exponent: int, bits: int = 32):
    """gemmlowp's SaturatingRoundingMultiplyByPOT<exponent>: a saturating left shift for positive
    exponents, a rounding right shift for negative ones."""
    x = np.asarray(x, np.int64)
    if exponent == 0:
        return x
    if exponent < 0:
        return rounding_divide_by_pot(x, -exponent, bits)
    return saturating_left_shift(x, exponent, bits)


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
            # One 64-bit product, add half, one right shift by 31 - shift.
            right = 31 - shift
            half = np.int64(1) << (right - 1)
            zero = np.zeros_like(shift)
            return cls(multiplier, shift, rounding, zero, right, half, zero, False, False)
        left = np.maximum(shift, 0)
        right = np.maximum(-shift, 0)
        half = (np.int64(1) << right) >> 1
        negative_fix = -(right > 0).astype(np.int64)
        return cls(multiplier, shift, rounding, left, right, half, negative_fix, bool(left.any()),
                   bool((multiplier < 0).any()))

    def __call__(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=np.int64)
        if self.rounding == SINGLE:
            return (x * self.multiplier + self.half) >> self.right
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


# -- scalar helpers of the kernels' prepare steps ----------------------------------------------

def checked_log2(x: float) -> tuple[bool, int]:
    """TFLite's CheckedLog2 in float (``logf``, ``roundf``): (is a power of two within 1e-3 in
    log2, rounded log2); (False, 0) for non-positive or non-finite ``x``."""
    x = np.float32(x)
    if not (x > 0 and np.isfinite(x)):
        return False, 0
    inv_log2 = np.float32(np.float32(1.0) / logf(np.float32(2.0)))
    x_log2 = np.float32(logf(x) * inv_log2)
    rounded = roundf(x_log2)
    frac = np.float32(x_log2 - rounded)
    return bool(abs(frac) < np.float32(1e-3)), int(rounded)


def calculate_input_radius(integer_bits: int, left_shift: int, total_signed_bits: int = 31) -> int:
    """TFLite's CalculateInputRadius (floating-point version)."""
    value = 1.0 * ((1 << integer_bits) - 1) * (1 << (total_signed_bits - integer_bits)) / (1 << left_shift)
    return int(math.floor(value))


def count_leading_zeros_u32(x) -> np.ndarray:
    """CountLeadingZeros of uint32 values (32 for zero)."""
    x = np.asarray(x, np.int64) & 0xFFFFFFFF
    bits = np.zeros(x.shape, np.int64)
    nonzero = x > 0
    bits[nonzero] = np.floor(np.log2(x[nonzero].astype(np.float64))).astype(np.int64)
    # log2 in float64 is exact enough below 2**32 except right at powers of two: fix up.
    bits = np.where(nonzero & ((np.int64(1) << bits) > x), bits - 1, bits)
    bits = np.where(nonzero & ((np.int64(1) << (bits + 1)) <= x), bits + 1, bits)
    return np.where(nonzero, 31 - bits, 32)


def count_leading_sign_bits_i32(x) -> np.ndarray:
    """CountLeadingSignBits of int32 values: the redundant copies of the sign bit (31 for 0 and -1)."""
    x = np.asarray(x, np.int64)
    return count_leading_zeros_u32(np.where(x < 0, ~x, x)) - 1


def get_reciprocal(x, integer_digits: int = 31):
    """TFLite's GetReciprocal of positive int32 ``x`` read with ``integer_digits`` integer bits:
    (Q0.31 raw reciprocal of x's mantissa, bits of x above one)."""
    x = np.asarray(x, np.int64)
    headroom_plus_one = count_leading_zeros_u32(x)
    bits_over_unit = integer_digits - headroom_plus_one
    shifted_minus_one = wrap_int32(((x << headroom_plus_one) & 0xFFFFFFFF) - (1 << 31))
    return one_over_one_plus_x_for_x_in_0_1(shifted_minus_one), bits_over_unit


# -- gemmlowp's FixedPoint<int32/int16, IntegerBits> functions ---------------------------------
#
# ``a`` holds raw values of a ``bits``-wide type; every product is a saturating rounding doubling
# high multiply, every sum wraps like the C type's addition (except AddSaturatingIf16Bit).

def rescale(x, src_integer_bits: int, dst_integer_bits: int, bits: int = 32):
    """gemmlowp's Rescale<dst>(FixedPoint<raw, src>)."""
    return saturating_rounding_mul_by_pot(x, src_integer_bits - dst_integer_bits, bits)


def fixed_point_constant(raw32: int, bits: int = 32) -> int:
    """A gemmlowp constant given as its int32 raw value, for a ``bits``-wide raw type
    (RescaleConstantInitializer: RoundingDivideByPOT of the int32 value by 32 - bits)."""
    if bits == 32:
        return raw32
    return int(rounding_divide_by_pot(np.int64(raw32), 32 - bits))


def _one(bits: int) -> int:
    """``One()`` of a 0-integer-bit fixed point: saturates to the largest raw value."""
    return (1 << (bits - 1)) - 1


def _add(a, b, bits: int):
    return wrap(np.asarray(a, np.int64) + b, bits)


def _mul(a, b, bits: int):
    return saturating_rounding_doubling_high_mul(a, b, bits)


def _add_saturating_if_16bit(a, b, bits: int):
    """gemmlowp's AddSaturatingIf16Bit: saturating for int16, a plain (wrapping) add for int32."""
    total = np.asarray(a, np.int64) + b
    return saturate_raw(total, bits) if bits == 16 else wrap(total, bits)


def _exp_on_interval_minus_quarter_to_zero(a, bits: int):
    """exp(a) for a in [-1/4, 0), Q0 in and out (Taylor expansion around -1/8)."""
    constant_term = fixed_point_constant(1895147668, bits)  # exp(-1/8)
    one_third = fixed_point_constant(715827883, bits)
    x = _add(a, 1 << (bits - 4), bits)  # a + 1/8
    x2 = _mul(x, x, bits)
    x3 = _mul(x2, x, bits)
    x4 = _mul(x2, x2, bits)
    x4_over_4 = saturating_rounding_mul_by_pot(x4, -2, bits)
    poly = saturating_rounding_mul_by_pot(
        _add(_mul(_add(x4_over_4, x3, bits), one_third, bits), x2, bits), -1, bits
    )
    return _add_saturating_if_16bit(constant_term, _mul(constant_term, _add(x, poly, bits), bits), bits)


# exp(-2**exponent) as Q0.31 raw values, for the bits of the input beyond the first quarter.
_EXP_BARREL = ((-2, 1672461947), (-1, 1302514674), (0, 790015084), (1, 290630308), (2, 39332535),
               (3, 720401), (4, 242))


def exp_on_negative_values(a, integer_bits: int, bits: int = 32):
    """gemmlowp's exp_on_negative_values: Q(integer_bits) input <= 0, Q0 output."""
    a = np.asarray(a, np.int64)
    fractional_bits = bits - 1 - integer_bits
    one_quarter = 1 << (fractional_bits - 2)
    a_mod_quarter_minus_quarter = _add(a & (one_quarter - 1), -one_quarter, bits)
    result = _exp_on_interval_minus_quarter_to_zero(
        rescale(a_mod_quarter_minus_quarter, integer_bits, 0, bits), bits
    )
    remainder = _add(a_mod_quarter_minus_quarter, -a, bits)
    for exponent, multiplier in _EXP_BARREL:
        if integer_bits > exponent:
            bit = 1 << (fractional_bits + exponent)
            factor = fixed_point_constant(multiplier, bits)
            result = np.where((remainder & bit) != 0, _mul(result, factor, bits), result)
    if integer_bits > 5:
        clamp = fixed_point_constant(-(1 << (36 - integer_bits)), bits)
        result = np.where(a < clamp, 0, result)
    return np.where(a == 0, _one(bits), result)


def _rounding_half_sum(a, b):
    """gemmlowp's RoundingHalfSum: (a + b) / 2 rounded half away from zero, in a wider type."""
    total = np.asarray(a, np.int64) + b
    numerator = total + np.where(total >= 0, 1, -1)
    return np.where(numerator >= 0, numerator >> 1, -((-numerator) >> 1))


def _newton_reciprocal(a, bits: int):
    """The Newton-Raphson loop shared by 1/(1+x) and (1-x)/(1+x): Q2 raw value of 1/(1+a)."""
    half_denominator = _rounding_half_sum(a, _one(bits))
    constant_48_over_17 = fixed_point_constant(1515870810, bits)
    constant_neg_32_over_17 = fixed_point_constant(-1010580540, bits)
    x = _add(constant_48_over_17, _mul(half_denominator, constant_neg_32_over_17, bits), bits)
    one_q2 = 1 << (bits - 3)
    for _ in range(3):
        one_minus = _add(one_q2, -_mul(half_denominator, x, bits), bits)
        x = _add(x, rescale(_mul(x, one_minus, bits), 4, 2, bits), bits)
    return x


def one_over_one_plus_x_for_x_in_0_1(a, bits: int = 32):
    """gemmlowp's one_over_one_plus_x_for_x_in_0_1 (Q0 in and out)."""
    return rescale(_newton_reciprocal(a, bits), 1, 0, bits)


def one_minus_x_over_one_plus_x_for_x_in_0_1(a, bits: int = 32):
    """gemmlowp's one_minus_x_over_one_plus_x_for_x_in_0_1 (Q0 in and out)."""
    return rescale(_add(_newton_reciprocal(a, bits), -(1 << (bits - 3)), bits), 2, 0, bits)


def logistic_fixed(a, integer_bits: int, bits: int = 32):
    """gemmlowp's logistic(FixedPoint<raw, integer_bits>) -> Q0."""
    a = np.asarray(a, np.int64)
    positive = a > 0
    abs_input = np.where(positive, a, wrap(-a, bits))
    result_if_positive = one_over_one_plus_x_for_x_in_0_1(
        exp_on_negative_values(wrap(-abs_input, bits), integer_bits, bits), bits
    )
    result_if_negative = _add(_one(bits), -result_if_positive, bits)
    return np.where(a == 0, 1 << (bits - 2), np.where(positive, result_if_positive, result_if_negative))


def tanh_fixed(a, integer_bits: int, bits: int = 32):
    """gemmlowp's tanh(FixedPoint<raw, integer_bits>) -> Q0."""
    a = np.asarray(a, np.int64)
    negative = a < 0
    non_positive = np.where(negative, a, wrap(-a, bits))
    exp_of_twice = exp_on_negative_values(non_positive, integer_bits + 1, bits)  # ExactMulByPot<1>
    t = one_minus_x_over_one_plus_x_for_x_in_0_1(exp_of_twice, bits)
    return np.where(a == 0, 0, np.where(negative, wrap(-t, bits), t))


def saturating_add(a, b):
    """TFLite's SaturatingAddNonGemmlowp on int32: the sum clamped to the int32 range."""
    return saturate_raw(np.asarray(a, np.int64) + b, 32)


def saturating_sub(a, b):
    """TFLite's SaturatingSub on int32: the difference clamped to the int32 range."""
    return saturate_raw(np.asarray(a, np.int64) - b, 32)


def saturating_rounding_mul_by_pot_param(x, exponent):
    """TFLite's SaturatingRoundingMultiplyByPOTParam: x * 2**exponent saturated to int32 for an
    exponent (an array or a number) of 0 or more."""
    x = np.asarray(x, np.int64)
    return saturate_raw(x << np.asarray(exponent, np.int64), 32)


# Constants of log_x_for_x_greater_than_or_equal_to_1, Q0.31 raw values.
_LOG_2 = 1488522236  # log(2)
_SQRT_SQRT_HALF = 1805811301  # 0.5 ** 0.25
_SQRT_HALF = 1518500250  # sqrt(0.5)
_ONE_QUARTER = 536870912
_LOG_ALPHA_N = 117049297  # 11/240 * 2**0.25
_LOG_ALPHA_D = 127690142  # 1/20 * 2**0.25
_LOG_ALPHA_I = 1057819769  # 2 / 2**0.25 - 2**0.25
_LOG_ALPHA_F = 638450708  # 1/4 * 2**0.25


def log_x_for_x_greater_than_or_equal_to_1(x, output_integer_bits: int, input_integer_bits: int):
    """TFLite's log_x_for_x_greater_than_or_equal_to_1<output, input> (common.h): the natural log
    of positive Q(input_integer_bits) raw values, as Q(output_integer_bits) raw values.

    The input is renormalised twice (as is, and times sqrt(1/2)), the better of the two mantissas
    goes through a rational approximation, and the exponent times log(2) is added back, all in a
    Q(output_integer_bits + 1) accumulator."""
    accum_bits = output_integer_bits + 1
    mul = saturating_rounding_doubling_high_mul
    z_a = np.asarray(x, np.int64)
    shifted_quarter = rescale(_ONE_QUARTER, 0, accum_bits)
    z_a_headroom_plus_1 = count_leading_zeros_u32(z_a)
    r_a_tmp = saturating_rounding_mul_by_pot_param(z_a, z_a_headroom_plus_1 - 1)
    r_a = saturating_rounding_mul_by_pot_param(mul(r_a_tmp, _SQRT_HALF), 1)
    z_a_pow_2_adj = saturating_add(
        saturating_rounding_mul_by_pot_param(input_integer_bits - z_a_headroom_plus_1, 31 - accum_bits),
        shifted_quarter)
    z_b = mul(z_a, _SQRT_HALF)
    z_b_headroom = count_leading_zeros_u32(z_b) - 1
    r_b = saturating_rounding_mul_by_pot_param(z_a, z_b_headroom)
    z_b_pow_2_adj = saturating_sub(
        saturating_rounding_mul_by_pot_param(input_integer_bits - z_b_headroom, 31 - accum_bits),
        shifted_quarter)
    r = np.minimum(r_a, r_b)
    z_pow_2_adj = np.maximum(z_a_pow_2_adj, z_b_pow_2_adj)
    p = _rounding_half_sum(r, _SQRT_SQRT_HALF)
    q = wrap_int32(r - _SQRT_SQRT_HALF)
    q = wrap_int32(q + q)
    common_sq = mul(q, q)
    num = wrap_int32(mul(q, r) + mul(mul(q, common_sq), _LOG_ALPHA_N))
    denominator_factor = wrap_int32(wrap_int32(_LOG_ALPHA_I + q) + mul(_LOG_ALPHA_D, common_sq))
    denom_minus_one = wrap_int32(mul(p, denominator_factor) + mul(_LOG_ALPHA_F, q))
    recip_denom = one_over_one_plus_x_for_x_in_0_1(denom_minus_one)
    num_scaled = rescale(num, 0, accum_bits)
    total = wrap_int32(mul(z_pow_2_adj, _LOG_2) + mul(num_scaled, recip_denom))
    return rescale(total, accum_bits, output_integer_bits)


def inv_sqrt_quantized_multiplier_exp(x, reverse_shift: int = -1) -> tuple[np.ndarray, np.ndarray]:
    """TFLite's GetInvSqrtQuantizedMultiplierExp for int32 ``x >= 0``: (multiplier, shift) with
    ``1/sqrt(x)`` = multiplier * 2**(shift-31) once ``shift`` is multiplied back by
    ``reverse_shift``. Five Newton-Raphson steps in gemmlowp's FixedPoint<int32, 3>; 0 and 1 give
    (INT32_MAX, 0)."""
    x = np.asarray(x, dtype=np.int64)
    shift = np.full(x.shape, 11, np.int64)
    for _ in range(2):  # an int32 needs at most two divisions by 4 to drop below 2**29
        big = x >= (1 << 29)
        x = np.where(big, x // 4, x)
        shift = shift + big
    safe = np.maximum(x, 2)
    pairs = (count_leading_zeros_u32(safe) - 1) // 2 - 1
    shift = shift - pairs
    raw = wrap_int32(safe << (2 * pairs)) >> 1  # FixedPoint<int32, 3>
    half_input = rounding_divide_by_pot(raw, 1)
    half_three = (1 << 28) + (1 << 27)
    estimate = np.full(x.shape, 1 << 28, np.int64)  # One() with 3 integer bits
    for _ in range(5):
        cube = rescale(_mul(_mul(estimate, estimate, 32), estimate, 32), 9, 3)
        estimate = rescale(wrap(_mul(half_three, estimate, 32) - _mul(half_input, cube, 32)), 6, 3)
    multiplier = _mul(estimate, 1518500250, 32)  # times sqrt(2)/2 in Q0.31
    left = np.where(shift < 0, -shift, 0)
    multiplier = wrap_int32(multiplier << left)
    shift = np.where(shift < 0, 0, shift) * reverse_shift
    small = x <= 1
    return np.where(small, INT32_MAX, multiplier), np.where(small, 0, shift)
