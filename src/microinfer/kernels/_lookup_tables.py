"""Shared arithmetic of SOFTMAX, LOGISTIC and TANH: gemmlowp fixed-point functions, LUTs.

Everything here is vectorised over NumPy int64 arrays holding int32 quantities, like
:mod:`.fixedpoint`. The fixed-point functions (exp on negative values, 1/(1+x), logistic, tanh)
follow gemmlowp's ``FixedPoint<int32_t, IntegerBits>`` arithmetic step by step: every product is a
saturating rounding doubling high multiply, every sum wraps like an int32 addition.

The table generators reproduce the references' LUT builders in the floating-point type they use
(float32 or float64), calling the C library's ``expf``/``tanhf`` so the tables agree bit for bit
with the C++ ones.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import math

import numpy as np

from .fixedpoint import (
    INT32_MAX,
    INT32_MIN,
    rounding_divide_by_pot,
    saturating_rounding_doubling_high_mul as _mul,
    wrap_int32,
)

# -- the C library's single-precision functions (what std::exp(float) calls) ------------------

_libm = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
for _name in ("expf", "tanhf", "logf", "roundf"):
    getattr(_libm, _name).restype = ctypes.c_float
    getattr(_libm, _name).argtypes = [ctypes.c_float]


def expf(x) -> np.float32:
    return np.float32(_libm.expf(float(x)))


def tanhf(x) -> np.float32:
    return np.float32(_libm.tanhf(float(x)))


def logf(x) -> np.float32:
    return np.float32(_libm.logf(float(x)))


def _roundf(x: np.float32) -> np.float32:
    return np.float32(_libm.roundf(float(x)))


def _round_double(x: float) -> float:
    return math.copysign(math.floor(abs(x) + 0.5), x)


def checked_log2(x: float) -> tuple[bool, int]:
    """TFLite's CheckedLog2 in float: (is a power of two within 1e-3 in log2, rounded log2)."""
    x = np.float32(x)
    if x <= 0:
        return False, 0
    inv_log2 = np.float32(np.float32(1.0) / logf(np.float32(2.0)))
    x_log2 = np.float32(logf(x) * inv_log2)
    rounded = _roundf(x_log2)
    frac = np.float32(x_log2 - rounded)
    return bool(abs(frac) < np.float32(1e-3)), int(rounded)


def calculate_input_radius(integer_bits: int, left_shift: int, total_signed_bits: int = 31) -> int:
    """TFLite's CalculateInputRadius (floating-point version)."""
    value = 1.0 * ((1 << integer_bits) - 1) * (1 << (total_signed_bits - integer_bits)) / (1 << left_shift)
    return int(math.floor(value))


# -- gemmlowp fixed-point primitives ---------------------------------------------------------

def _add(a, b):
    return wrap_int32(np.asarray(a, np.int64) + b)


def _sub(a, b):
    return wrap_int32(np.asarray(a, np.int64) - b)


def saturating_rounding_mul_by_pot(x, exponent: int):
    """gemmlowp's SaturatingRoundingMultiplyByPOT<exponent> on int32 values."""
    x = np.asarray(x, np.int64)
    if exponent == 0:
        return x
    if exponent < 0:
        return rounding_divide_by_pot(x, -exponent)
    threshold = (1 << (31 - exponent)) - 1
    return np.where(x > threshold, INT32_MAX, np.where(x < -threshold, INT32_MIN, x << exponent))


def rescale(x, src_integer_bits: int, dst_integer_bits: int):
    """gemmlowp's Rescale<dst>(FixedPoint<int32, src>)."""
    return saturating_rounding_mul_by_pot(x, src_integer_bits - dst_integer_bits)


def _exp_on_interval_minus_quarter_to_zero(a):
    """exp(a) for a in [-1/4, 0), Q0.31 in and out (Taylor expansion around -1/8)."""
    constant_term = 1895147668  # exp(-1/8)
    one_third = 715827883
    x = _add(a, 1 << 28)
    x2 = _mul(x, x)
    x3 = _mul(x2, x)
    x4 = _mul(x2, x2)
    x4_over_4 = rounding_divide_by_pot(x4, 2)
    poly = rounding_divide_by_pot(_add(_mul(_add(x4_over_4, x3), one_third), x2), 1)
    return _add(constant_term, _mul(constant_term, _add(x, poly)))


_EXP_BARREL = ((-2, 1672461947), (-1, 1302514674), (0, 790015084), (1, 290630308), (2, 39332535),
               (3, 720401), (4, 242))


def exp_on_negative_values(a, integer_bits: int):
    """gemmlowp's exp_on_negative_values: Q(integer_bits) input <= 0, Q0.31 output."""
    a = np.asarray(a, np.int64)
    fractional_bits = 31 - integer_bits
    one_quarter = 1 << (fractional_bits - 2)
    a_mod_quarter_minus_quarter = _sub(a & (one_quarter - 1), one_quarter)
    result = _exp_on_interval_minus_quarter_to_zero(rescale(a_mod_quarter_minus_quarter, integer_bits, 0))
    remainder = _sub(a_mod_quarter_minus_quarter, a)
    for exponent, multiplier in _EXP_BARREL:
        if integer_bits > exponent:
            bit = 1 << (fractional_bits + exponent)
            result = np.where((remainder & bit) != 0, _mul(result, multiplier), result)
    if integer_bits > 5:
        result = np.where(a < -(1 << (36 - integer_bits)), 0, result)
    return np.where(a == 0, INT32_MAX, result)


def _rounding_half_sum(a, b):
    total = np.asarray(a, np.int64) + b
    sign = np.where(total >= 0, 1, -1)
    numerator = total + sign
    return np.where(numerator >= 0, numerator // 2, -((-numerator) // 2))


def _newton_reciprocal(a):
    """The Newton-Raphson loop shared by 1/(1+x) and (1-x)/(1+x): returns Q2.29 of 1/(1+a)."""
    half_denominator = _rounding_half_sum(a, INT32_MAX)
    x = _add(1515870810, _mul(half_denominator, -1010580540))
    one_q2 = 1 << 29
    for _ in range(3):
        one_minus = _sub(one_q2, _mul(half_denominator, x))
        x = _add(x, rescale(_mul(x, one_minus), 4, 2))
    return x


def one_over_one_plus_x_for_x_in_0_1(a):
    """gemmlowp's one_over_one_plus_x_for_x_in_0_1 (Q0.31 in and out)."""
    return rescale(_newton_reciprocal(a), 1, 0)


def one_minus_x_over_one_plus_x_for_x_in_0_1(a):
    return rescale(_sub(_newton_reciprocal(a), 1 << 29), 2, 0)


def _neg(a):
    return wrap_int32(-np.asarray(a, np.int64))


def logistic_fixed(a, integer_bits: int):
    """gemmlowp's logistic(FixedPoint<int32, integer_bits>) -> Q0.31."""
    a = np.asarray(a, np.int64)
    positive = a > 0
    abs_input = np.where(positive, a, _neg(a))
    result_if_positive = one_over_one_plus_x_for_x_in_0_1(exp_on_negative_values(_neg(abs_input), integer_bits))
    result_if_negative = _sub(INT32_MAX, result_if_positive)
    return np.where(a == 0, 1 << 30, np.where(positive, result_if_positive, result_if_negative))


def tanh_fixed(a, integer_bits: int):
    """gemmlowp's tanh(FixedPoint<int32, integer_bits>) -> Q0.31."""
    a = np.asarray(a, np.int64)
    negative = a < 0
    n = np.where(negative, a, _neg(a))
    t = one_minus_x_over_one_plus_x_for_x_in_0_1(exp_on_negative_values(n, integer_bits + 1))
    return np.where(a == 0, 0, np.where(negative, _neg(t), t))


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


# -- lookup tables ----------------------------------------------------------------------------

def lut_int16(func, input_min, input_max, output_min, output_max, dtype) -> np.ndarray:
    """The 513-entry int16->int16 interpolation table builder (gen_lut / LUTPopulateInt16).

    ``dtype`` is the C++ FloatT (np.float32 or np.float64); ``func`` maps a value of that type to
    a value of that type.
    """
    f = dtype
    input_min, input_max = f(input_min), f(input_max)
    output_min, output_max = f(output_min), f(output_max)
    steps = 512
    step = f((input_max - input_min) / f(steps))
    half_step = f(step / f(2))
    scaling_inv = f(f(65536) / f(output_max - output_min))
    rnd = _roundf if f is np.float32 else (lambda v: np.float64(_round_double(float(v))))
    table = np.zeros(steps + 1, np.int64)
    for i in range(steps):
        val = func(f(input_min + f(f(i) * step)))
        val_mid = func(f(f(input_min + f(f(i) * step)) + half_step))
        val_next = func(f(input_min + f(f(i + 1) * step)))
        sample = rnd(f(val * scaling_inv))
        interp = rnd(f(f(f(val_next * scaling_inv) + rnd(f(val * scaling_inv))) / f(2)))
        mid = rnd(f(val_mid * scaling_inv))
        bias = rnd(f(f(interp - mid) / f(2)))
        table[i] = int(min(max(f(sample - bias), f(-32768)), f(32767)))
    table[steps] = int(min(max(rnd(f(func(input_max) * scaling_inv)), f(-32768)), f(32767)))
    return table


def lut_lookup_int16(value, lut: np.ndarray):
    """LUTLookup for int16 values: 9-bit index, 7-bit linear interpolation."""
    value = np.asarray(value, np.int64)
    index = 256 + (value >> 7)
    offset = value & 0x7F
    base = lut[index]
    slope = lut[index + 1] - base
    delta = (slope * offset + 64) >> 7
    return ((base + delta + 32768) & 0xFFFF) - 32768


def lut_int8(input_scale, input_zero_point: int, output_scale, output_zero_point: int, func) -> np.ndarray:
    """LiteRT's LUTPopulate<int8_t> in float32; the table is indexed by value + 128."""
    inverse_scale = np.float32(np.float32(1) / np.float32(output_scale))
    values = np.arange(-128, 128)
    table = np.zeros(256, np.int64)
    for i, v in enumerate(values):
        dequantized = np.float32(np.float32(input_scale) * np.float32(v - input_zero_point))
        transformed = func(dequantized)
        rescaled = _roundf(np.float32(transformed * inverse_scale))
        quantized = int(np.float32(rescaled + np.float32(output_zero_point)))  # truncating cast
        table[i] = min(max(quantized, -128), 127)
    return table


# Sigmoid of i/24 in 0.16 format: the table the int16 LOGISTIC/TANH kernels interpolate.
SIGMOID_TABLE_UINT16 = np.array([
    32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841, 39498,
    40149, 40794, 41432, 42064, 42688, 43304, 43912, 44511, 45102, 45683, 46255,
    46817, 47369, 47911, 48443, 48964, 49475, 49975, 50464, 50942, 51409, 51865,
    52311, 52745, 53169, 53581, 53983, 54374, 54755, 55125, 55485, 55834, 56174,
    56503, 56823, 57133, 57433, 57724, 58007, 58280, 58544, 58800, 59048, 59288,
    59519, 59743, 59959, 60168, 60370, 60565, 60753, 60935, 61110, 61279, 61441,
    61599, 61750, 61896, 62036, 62172, 62302, 62428, 62549, 62666, 62778, 62886,
    62990, 63090, 63186, 63279, 63368, 63454, 63536, 63615, 63691, 63765, 63835,
    63903, 63968, 64030, 64090, 64148, 64204, 64257, 64308, 64357, 64405, 64450,
    64494, 64536, 64576, 64614, 64652, 64687, 64721, 64754, 64786, 64816, 64845,
    64873, 64900, 64926, 64950, 64974, 64997, 65019, 65039, 65060, 65079, 65097,
    65115, 65132, 65149, 65164, 65179, 65194, 65208, 65221, 65234, 65246, 65258,
    65269, 65280, 65291, 65301, 65310, 65319, 65328, 65337, 65345, 65352, 65360,
    65367, 65374, 65381, 65387, 65393, 65399, 65404, 65410, 65415, 65420, 65425,
    65429, 65433, 65438, 65442, 65445, 65449, 65453, 65456, 65459, 65462, 65465,
    65468, 65471, 65474, 65476, 65479, 65481, 65483, 65485, 65488, 65489, 65491,
    65493, 65495, 65497, 65498, 65500, 65501, 65503, 65504, 65505, 65507, 65508,
    65509, 65510, 65511, 65512, 65513, 65514, 65515, 65516, 65517, 65517, 65518,
    65519, 65520, 65520, 65521, 65522, 65522, 65523, 65523, 65524, 65524, 65525,
    65525, 65526, 65526, 65526, 65527, 65527, 65528, 65528, 65528, 65529, 65529,
    65529, 65529, 65530, 65530, 65530, 65530, 65531, 65531, 65531, 65531, 65531,
    65532, 65532, 65532, 65532, 65532, 65532, 65533, 65533, 65533, 65533, 65533,
    65533, 65533, 65533, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534,
    65534, 65534, 65535], dtype=np.int64)


# -- int16 LOGISTIC / TANH (identical in both references) --------------------------------------

def int16_sigmoid_params(input_scale: float, pot_shifts: tuple[int, ...]) -> tuple[int, int]:
    """Prepare of the int16 LOGISTIC (pot_shifts=(0,)) and TANH (pot_shifts=(0, 1)) kernels.

    Returns (input_multiplier, input_left_shift); multiplier 0 marks the power-of-two case.
    """
    is_pot, log2 = checked_log2(input_scale)
    left_shift = 12 + log2
    if is_pot and left_shift in pot_shifts:
        return 0, left_shift
    multiplier = float(np.float32(input_scale)) * 4096.0 * 3.0
    left_shift = 0
    while multiplier <= 32767.0 / 2.0 and left_shift <= 30:
        left_shift += 1
        multiplier *= 2.0
    return int(multiplier), left_shift


def _int16_rescaled_input(x, multiplier: int, left_shift: int):
    if multiplier == 0:
        multiplier, left_shift = 3 << left_shift, 0
    round_ = (1 << (left_shift - 1)) if left_shift > 0 else 0
    return (np.asarray(x, np.int64) * multiplier + round_) >> left_shift


def logistic_int16(x, multiplier: int, left_shift: int) -> np.ndarray:
    data = _int16_rescaled_input(x, multiplier, left_shift)
    absolute = np.abs(data)
    uh = absolute >> 9
    idx = np.minimum(uh, 254)
    ua = SIGMOID_TABLE_UINT16[idx]
    ub = SIGMOID_TABLE_UINT16[idx + 1]
    ut = absolute & 0x1FF
    result = np.where(uh >= 255, 0x7FFF << 10, (ua << 9) + ut * (ub - ua))
    result = np.where(data >= 0, result + (1 << 9), (1 << 25) - result + (1 << 9) - 1)
    result = (result & 0xFFFFFFFF) >> 10
    return ((result + 32768) & 0xFFFF) - 32768


def tanh_int16(x, multiplier: int, left_shift: int) -> np.ndarray:
    data = _int16_rescaled_input(x, multiplier, left_shift)
    absolute = np.abs(data)
    uh = absolute >> 8
    idx = np.minimum(uh, 254)
    ua = SIGMOID_TABLE_UINT16[idx]
    ub = SIGMOID_TABLE_UINT16[idx + 1]
    ut = absolute & 0xFF
    result = np.where(uh >= 255, 0xFFFF << 8, wrap_int32((ua << 8) + ut * (ub - ua)))
    result = np.where(data >= 0, result - (1 << 23) + (1 << 7), -result + (1 << 23) + (1 << 7) - 1)
    result = wrap_int32(result) >> 8
    return ((result + 32768) & 0xFFFF) - 32768
