"""16-bit nonlinearities of the integer LSTM, as each reference computes them (vectorised).

* TFLite Micro's LSTM applies the int16 LOGISTIC/TANH reference kernels: a 256-entry table of
  sigmoid(i/24) in unsigned 0.16 format with linear interpolation (tanh via 2*sigmoid(2x) - 1).
* LiteRT's LSTM applies gemmlowp's fixed-point ``logistic``/``tanh`` on int16 raw values
  (``FixedPoint<int16_t, IntegerBits>`` in, ``FixedPoint<int16_t, 0>`` out), whose every step
  (high multiplies, rounding shifts, wrapping adds) is reproduced here on int64 arrays holding
  int16 quantities.
"""

from __future__ import annotations

import numpy as np

# sigmoid(i / 24) in 0.16 fixed point, i = 0..255 (the values of TFLite's sigmoid_table_uint16).
SIGMOID_TABLE = np.array([
    32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841, 39498, 40149, 40794, 41432, 42064, 42688,
    43304, 43912, 44511, 45102, 45683, 46255, 46817, 47369, 47911, 48443, 48964, 49475, 49975, 50464, 50942, 51409,
    51865, 52311, 52745, 53169, 53581, 53983, 54374, 54755, 55125, 55485, 55834, 56174, 56503, 56823, 57133, 57433,
    57724, 58007, 58280, 58544, 58800, 59048, 59288, 59519, 59743, 59959, 60168, 60370, 60565, 60753, 60935, 61110,
    61279, 61441, 61599, 61750, 61896, 62036, 62172, 62302, 62428, 62549, 62666, 62778, 62886, 62990, 63090, 63186,
    63279, 63368, 63454, 63536, 63615, 63691, 63765, 63835, 63903, 63968, 64030, 64090, 64148, 64204, 64257, 64308,
    64357, 64405, 64450, 64494, 64536, 64576, 64614, 64652, 64687, 64721, 64754, 64786, 64816, 64845, 64873, 64900,
    64926, 64950, 64974, 64997, 65019, 65039, 65060, 65079, 65097, 65115, 65132, 65149, 65164, 65179, 65194, 65208,
    65221, 65234, 65246, 65258, 65269, 65280, 65291, 65301, 65310, 65319, 65328, 65337, 65345, 65352, 65360, 65367,
    65374, 65381, 65387, 65393, 65399, 65404, 65410, 65415, 65420, 65425, 65429, 65433, 65438, 65442, 65445, 65449,
    65453, 65456, 65459, 65462, 65465, 65468, 65471, 65474, 65476, 65479, 65481, 65483, 65485, 65488, 65489, 65491,
    65493, 65495, 65497, 65498, 65500, 65501, 65503, 65504, 65505, 65507, 65508, 65509, 65510, 65511, 65512, 65513,
    65514, 65515, 65516, 65517, 65517, 65518, 65519, 65520, 65520, 65521, 65522, 65522, 65523, 65523, 65524, 65524,
    65525, 65525, 65526, 65526, 65526, 65527, 65527, 65528, 65528, 65528, 65529, 65529, 65529, 65529, 65530, 65530,
    65530, 65530, 65531, 65531, 65531, 65531, 65531, 65532, 65532, 65532, 65532, 65532, 65532, 65533, 65533, 65533,
    65533, 65533, 65533, 65533, 65533, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65535,
], dtype=np.int64)


# -- TFLite Micro: table lookup ------------------------------------------------------------------

def _scaled_input(x, multiplier: int, left_shift: int):
    """((x * multiplier) + round) >> left_shift, the int16 kernels' input rescaling."""
    if multiplier == 0:  # power-of-two scale: the factor 3 folded into a left shift
        multiplier, left_shift = 3 << left_shift, 0
    rounding = (1 << (left_shift - 1)) if left_shift > 0 else 0
    return (np.asarray(x, np.int64) * multiplier + rounding) >> left_shift


def lut_logistic_int16(x, multiplier: int = 0, left_shift: int = 0) -> np.ndarray:
    """int16 LOGISTIC of the reference kernels (input Q3.12 when multiplier = shift = 0), Q0.15 out."""
    v = _scaled_input(x, multiplier, left_shift)
    a = np.abs(v)
    high = a >> 9
    inside = high < 255
    h = np.minimum(high, 254)
    lo, hi = SIGMOID_TABLE[h], SIGMOID_TABLE[h + 1]
    frac = a & 0x1FF
    r = np.where(inside, (lo << 9) + frac * (hi - lo), 0x7FFF << 10)
    r = np.where(v >= 0, r + (1 << 9), (1 << 25) - r + (1 << 9) - 1)
    return (r >> 10).astype(np.int64)


def lut_tanh_int16(x, multiplier: int, left_shift: int) -> np.ndarray:
    """int16 TANH of the reference kernels, Q0.15 out."""
    v = _scaled_input(x, multiplier, left_shift)
    a = np.abs(v)
    high = a >> 8
    inside = high < 255
    h = np.minimum(high, 254)
    lo, hi = SIGMOID_TABLE[h], SIGMOID_TABLE[h + 1]
    frac = a & 0xFF
    r = np.where(inside, (lo << 8) + frac * (hi - lo), 0xFFFF << 8)
    r = np.where(v >= 0, r - (1 << 23) + (1 << 7), -r + (1 << 23) + (1 << 7) - 1)
    return r >> 8


def lstm_tanh_tflm(x, cell_state_scale_power: int) -> np.ndarray:
    """TFLite Micro's LSTM tanh of an int16 with scale 2**power (the gate uses power -12)."""
    shift = 15 + cell_state_scale_power - 3
    multiplier = 0
    if shift < 0:
        shift, multiplier = -shift, 3
    return lut_tanh_int16(x, multiplier, shift)


# -- LiteRT: gemmlowp fixed point on int16 -------------------------------------------------------

def _wrap16(x):
    return ((np.asarray(x, np.int64) + (1 << 15)) & 0xFFFF) - (1 << 15)


def _sat16(x):
    return np.clip(x, -(1 << 15), (1 << 15) - 1)


def _mul16(a, b):
    """gemmlowp SaturatingRoundingDoublingHighMul for int16."""
    a = np.asarray(a, np.int64)
    b = np.asarray(b, np.int64)
    ab = a * b
    nudge = np.where(ab >= 0, 1 << 14, 1 - (1 << 14))
    s = ab + nudge
    q = np.where(s >= 0, s >> 15, -((-s) >> 15))  # C division truncates toward zero
    return np.where((a == b) & (a == -(1 << 15)), (1 << 15) - 1, _wrap16(q))


def _rdbpot(x, exponent: int):
    x = np.asarray(x, np.int64)
    mask = (1 << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return (x >> exponent) + (remainder > threshold)


def _sat_mul_pot16(x, exponent: int):
    """gemmlowp SaturatingRoundingMultiplyByPOT on int16."""
    x = np.asarray(x, np.int64)
    if exponent == 0:
        return x
    if exponent < 0:
        return _rdbpot(x, -exponent)
    threshold = (1 << (15 - exponent)) - 1
    shifted = _wrap16(x << exponent)
    return np.where(x > threshold, (1 << 15) - 1, np.where(x < -threshold, -(1 << 15), shifted))


def _const16(raw32: int) -> int:
    """A gemmlowp int32 constant initializer rescaled to int16 (RoundingDivideByPOT by 16)."""
    return int(_rdbpot(np.int64(raw32), 16))


_ONE_Q0 = (1 << 15) - 1  # "One" of a 0-integer-bit int16 fixed point saturates to the max raw


def _exp_on_interval(a):
    """exp(a) for a in [-1/4, 0), Q0.15 in and out."""
    constant_term = _const16(1895147668)
    one_third = _const16(715827883)
    x = _wrap16(a + (1 << 12))
    x2 = _mul16(x, x)
    x3 = _mul16(x2, x)
    x4 = _mul16(x2, x2)
    x4_over_4 = _sat_mul_pot16(x4, -2)
    inner = _sat_mul_pot16(_wrap16(_mul16(_wrap16(x4_over_4 + x3), one_third) + x2), -1)
    return _sat16(constant_term + _mul16(constant_term, _wrap16(x + inner)))


_BARREL = ((-2, 1672461947), (-1, 1302514674), (0, 790015084), (1, 290630308), (2, 39332535), (3, 720401), (4, 242))


def _exp_on_negative_values(a, integer_bits: int):
    """gemmlowp exp_on_negative_values: int16 Q(integer_bits) in (a <= 0), Q0.15 out."""
    frac_bits = 15 - integer_bits
    one_quarter = 1 << (frac_bits - 2)
    mask = one_quarter - 1
    a_mod = _wrap16((a & mask) - one_quarter)
    result = _exp_on_interval(_sat_mul_pot16(a_mod, integer_bits))
    remainder = _wrap16(a_mod - a)
    for exponent, multiplier in _BARREL:
        if integer_bits > exponent:
            bit = 1 << (frac_bits + exponent)
            result = np.where((remainder & bit) != 0, _mul16(result, _const16(multiplier)), result)
    if integer_bits > 5:
        clamp = _const16(-(1 << (36 - integer_bits)))
        result = np.where(a < clamp, 0, result)
    return np.where(a == 0, _ONE_Q0, result)


def _newton_reciprocal(half_denominator):
    """x ~ 1 / half_denominator in Q2.13 by three Newton-Raphson steps."""
    c48_17 = _const16(1515870810)
    cm32_17 = _const16(-1010580540)
    one_q2 = 1 << 13
    x = _wrap16(c48_17 + _mul16(half_denominator, cm32_17))
    for _ in range(3):
        hx = _mul16(half_denominator, x)
        one_minus = _wrap16(one_q2 - hx)
        x = _wrap16(x + _sat_mul_pot16(_mul16(x, one_minus), 2))
    return x


def _rounding_half_sum(a, b):
    s = np.asarray(a, np.int64) + b
    sign = np.where(s >= 0, 1, -1)
    t = s + sign
    return np.where(t >= 0, t >> 1, -((-t) >> 1))


def gemmlowp_logistic_int16(raw, integer_bits: int) -> np.ndarray:
    """gemmlowp::logistic on FixedPoint<int16_t, integer_bits> raw values, Q0.15 out."""
    a = np.asarray(raw, np.int64)
    positive = a > 0
    abs_a = np.where(positive, a, _wrap16(-a))
    e = _exp_on_negative_values(_wrap16(-abs_a), integer_bits)
    x = _newton_reciprocal(_rounding_half_sum(e, _ONE_Q0))
    on_positive = _sat_mul_pot16(x, 1)  # Rescale<0>(ExactMulByPot<-1>(x)): Q1 -> Q0
    on_negative = _wrap16(_ONE_Q0 - on_positive)
    return np.where(a == 0, 1 << 14, np.where(positive, on_positive, on_negative))


def gemmlowp_tanh_int16(raw, integer_bits: int) -> np.ndarray:
    """gemmlowp::tanh on FixedPoint<int16_t, integer_bits> raw values, Q0.15 out."""
    a = np.asarray(raw, np.int64)
    negative = a < 0
    n = np.where(negative, a, _wrap16(-a))
    e = _exp_on_negative_values(n, integer_bits + 1)  # exp(2n): ExactMulByPot<1>
    x = _newton_reciprocal(_rounding_half_sum(e, _ONE_Q0))
    t = _sat_mul_pot16(_wrap16(x - (1 << 13)), 2)  # Rescale<0>(x - 1): Q2 -> Q0
    return np.where(a == 0, 0, np.where(negative, _wrap16(-t), t))
