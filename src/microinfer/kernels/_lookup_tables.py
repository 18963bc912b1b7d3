"""Lookup tables of SOFTMAX, LOGISTIC, TANH and the LSTM: their builders and the int16 sigmoid table.

The table generators reproduce the references' LUT builders in the floating-point type they use
(float32 or float64), calling the C library's ``expf``/``tanhf`` (:mod:`._libm`) so the tables
agree bit for bit with the C++ ones. The gemmlowp fixed-point functions live in
:mod:`.fixedpoint`.
"""

from __future__ import annotations

import math

import numpy as np

from ._libm import roundf
from .fixedpoint import checked_log2, wrap, wrap_int32


def _round_double(x: float) -> float:
    return math.copysign(math.floor(abs(x) + 0.5), x)


class UndefinedTableEntry(ValueError):
    """A lookup-table entry the reference converts to an integer from a NaN or from a value
    outside int32: undefined behaviour in C++, so the model is refused."""


def _int32_of_float(value) -> int:
    """static_cast<int32_t> of a float or double, refusing what C++ leaves undefined."""
    if not (np.isfinite(value) and -(2.0**31) <= float(value) < 2.0**31):
        raise UndefinedTableEntry(f"{float(value)} does not convert to int32")
    return int(value)


# -- lookup tables ----------------------------------------------------------------------------

@np.errstate(all="ignore")  # overflow to inf and NaN are the C float arithmetic's too
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
    rnd = roundf if f is np.float32 else (lambda v: np.float64(_round_double(float(v))))
    table = np.zeros(steps + 1, np.int64)
    for i in range(steps):
        val = func(f(input_min + f(f(i) * step)))
        val_mid = func(f(f(input_min + f(f(i) * step)) + half_step))
        val_next = func(f(input_min + f(f(i + 1) * step)))
        sample = rnd(f(val * scaling_inv))
        interp = rnd(f(f(f(val_next * scaling_inv) + rnd(f(val * scaling_inv))) / f(2)))
        mid = rnd(f(val_mid * scaling_inv))
        bias = rnd(f(f(interp - mid) / f(2)))
        table[i] = _clamped_int16(f(sample - bias))
    table[steps] = _clamped_int16(rnd(f(func(input_max) * scaling_inv)))
    return table


def _clamped_int16(value) -> int:
    """static_cast<int16_t>(std::min(std::max(value, -32768), 32767)); NaN stays NaN there."""
    if np.isnan(value):
        raise UndefinedTableEntry("a NaN table entry")
    return int(min(max(value, -32768.0), 32767.0))


@np.errstate(all="ignore")
def lut_int16_quantized(func, input_scale, input_zero_point: int, output_scale, output_zero_point: int):
    """LiteRT's LUTPopulate<int16_t> (float32 arithmetic): the 513-entry table of ``func`` over the
    input tensor's real range, onto the output tensor's range."""
    f = np.float32
    scale_in, scale_out = f(input_scale), f(output_scale)
    return lut_int16(func, f(scale_in * f(-32768 - input_zero_point)), f(scale_in * f(32767 - input_zero_point)),
                     f(scale_out * f(-32768 - output_zero_point)), f(scale_out * f(32767 - output_zero_point)), f)


def lut_lookup_int16(value, lut: np.ndarray):
    """LUTLookup for int16 values: 9-bit index, 7-bit linear interpolation."""
    value = np.asarray(value, np.int64)
    index = 256 + (value >> 7)
    offset = value & 0x7F
    base = lut[index]
    slope = wrap(lut[index + 1] - base, 16)  # an int16_t in the C code: a jump of more than 32767 wraps
    delta = (slope * offset + 64) >> 7
    return wrap(base + delta, 16)


@np.errstate(all="ignore")
def lut_int8(input_scale, input_zero_point: int, output_scale, output_zero_point: int, func,
             dtype=np.int8) -> np.ndarray:
    """LiteRT's LUTPopulate<int8_t> (or <uint8_t>, ``dtype``) in float32; the table is indexed
    by value minus the type's lowest value."""
    info = np.iinfo(dtype)
    inverse_scale = np.float32(np.float32(1) / np.float32(output_scale))
    values = np.arange(info.min, info.max + 1)
    table = np.zeros(values.size, np.int64)
    for i, v in enumerate(values):
        dequantized = np.float32(np.float32(input_scale) * np.float32(v - input_zero_point))
        transformed = func(dequantized)
        rescaled = roundf(np.float32(transformed * inverse_scale))
        quantized = _int32_of_float(np.float32(rescaled + np.float32(output_zero_point)))  # truncating
        table[i] = min(max(quantized, info.min), info.max)
    return table


# sigmoid(i / 24) in 0.16 fixed point, i = 0..255: TFLite's sigmoid_table_uint16, which the int16
# LOGISTIC/TANH kernels interpolate.
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


# -- int16 LOGISTIC / TANH (identical in both references; TFLite Micro's LSTM uses them too) ----

def int16_sigmoid_params(input_scale: float, pot_shifts: tuple[int, ...]) -> tuple[int, int]:
    """Prepare of the int16 LOGISTIC (pot_shifts=(0,)) and TANH (pot_shifts=(0, 1)) kernels.

    Returns (input_multiplier, input_left_shift); multiplier 0 marks the power-of-two case.
    """
    is_pot, log2 = checked_log2(input_scale)
    left_shift = 12 + log2
    if is_pot and left_shift in pot_shifts:
        return 0, left_shift
    multiplier, left_shift = _int16_sigmoid_real_multiplier(input_scale)
    return int(multiplier), left_shift


def _int16_sigmoid_real_multiplier(input_scale: float) -> tuple[float, int]:
    """input_scale * 3 * 4096 doubled until above 32767 / 2 (at most 31 times), and the doublings."""
    multiplier = float(np.float32(input_scale)) * 4096.0 * 3.0
    left_shift = 0
    while multiplier <= 32767.0 / 2.0 and left_shift <= 30:
        left_shift += 1
        multiplier *= 2.0
    return multiplier, left_shift


def int16_sigmoid_multiplier_fits(input_scale: float) -> bool:
    """Whether the int16 LOGISTIC/TANH input multiplier converts to int32 (the references'
    static_cast of the double is undefined from 2**31 on, an input scale of about 174763)."""
    return _int16_sigmoid_real_multiplier(input_scale)[0] < 2.0**31


def _int16_rescaled_input(x, multiplier: int, left_shift: int):
    """((x * multiplier) + round) >> left_shift, the int16 kernels' input rescaling, in int32.

    With input scales above 65537 / 12288 (about 5.33) the multiplier exceeds 65536 and the int32
    product overflows for the largest inputs; both references' x86 builds wrap it (measured on
    every int16 input for scales up to 174762), and so does this."""
    if multiplier == 0:  # power-of-two scale: the factor 3 folded into a left shift
        multiplier, left_shift = 3 << left_shift, 0
    round_ = (1 << (left_shift - 1)) if left_shift > 0 else 0
    return wrap_int32(np.asarray(x, np.int64) * multiplier + round_) >> left_shift


def logistic_int16(x, multiplier: int, left_shift: int) -> np.ndarray:
    """int16 LOGISTIC (input Q3.12 when multiplier = shift = 0), Q0.15 out: table interpolation."""
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
    return wrap(result, 16)


def tanh_int16(x, multiplier: int, left_shift: int) -> np.ndarray:
    """int16 TANH, Q0.15 out: the sigmoid table at twice the resolution, 2*sigmoid(2x) - 1."""
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
    return wrap(result, 16)
