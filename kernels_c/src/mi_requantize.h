/* Requantization shared by every kernel: TFLite's MultiplyByQuantizedMultiplier (double rounding)
   and its 64-bit variant for int16x8 kernels, LiteRT's scaling in double of FULLY_CONNECTED, and
   the output stage (offset, clamp).

   Wrap-around that the reference kernels rely on (int32 sums, int32 offset addition) is done on
   unsigned types, so that it is defined behaviour in C. Right shifts of negative values are
   arithmetic, as on every compiler the references build with. */
#ifndef MI_REQUANTIZE_H
#define MI_REQUANTIZE_H

#include <stdint.h>

#include "mi_nn_types.h"

#if defined(__AVX2__)
#include <immintrin.h>
#endif
#if defined(ARM_MATH_MVEI)
#include <arm_mve.h>
#endif

/* Two's-complement int32 addition (the reference's int32 arithmetic wraps; C's would be UB). */
static inline int32_t mi_wrap_add_s32(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

/* The low 32 bits of an int64, as a C cast to int32 gives them. */
static inline int32_t mi_wrap_s64_to_s32(int64_t v)
{
    return (int32_t)(uint32_t)(uint64_t)v;
}

static inline int64_t mi_wrap_add_s64(int64_t a, int64_t b)
{
    return (int64_t)((uint64_t)a + (uint64_t)b);
}

/* gemmlowp's SaturatingRoundingDoublingHighMul. Its nudge-then-truncate is
   floor((a * b + 2**30) / 2**31), which needs no sign test; it saturates only for
   INT32_MIN * INT32_MIN. */
static inline int32_t mi_doubling_high_mult(int32_t a, int32_t b)
{
    const int64_t high = ((int64_t)a * (int64_t)b + ((int64_t)1 << 30)) >> 31;
    return (a == INT32_MIN && b == INT32_MIN) ? INT32_MAX : (int32_t)high;
}

/* gemmlowp's RoundingDivideByPOT: x / 2**exponent, ties away from zero (0 <= exponent <= 31). */
static inline int32_t mi_divide_by_power_of_two(int32_t x, int32_t exponent)
{
    const int32_t mask = (int32_t)((UINT32_C(1) << exponent) - 1u); /* exponent <= 31 */
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* Double rounding (TFLite Micro): shift in [-31, 30]. Branch-free form of
   RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(x << left, m), right), same bits:
   the doubling high multiply's nudge-then-truncate is floor((x * m + 2**30) / 2**31) (it
   saturates only for INT32_MIN * INT32_MIN), and the rounding divide is
   floor((high + 2**(right-1) - (high < 0)) / 2**right) for right > 0. */
static inline int32_t mi_requantize_double(int32_t acc, int32_t multiplier, int32_t shift)
{
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t right = shift > 0 ? 0 : -shift;
    const int32_t shifted = (int32_t)((uint32_t)acc << left);
#if defined(__ARM_ARCH)
    {
        /* Cortex-M path, same bits: high (the saturating doubling high multiply) always fits
           int32, so only the multiply-accumulate is 64-bit (SMLAL on v7-M and later) and the
           rounding divide is done in 32 bits: no 64-bit variable shift, which Cortex-M has no
           instruction for. */
        const int32_t high = (shifted == INT32_MIN && multiplier == INT32_MIN)
                                 ? INT32_MAX
                                 : (int32_t)(((int64_t)shifted * multiplier + ((int64_t)1 << 30)) >> 31);
        return mi_divide_by_power_of_two(high, right);
    }
#else
    const int64_t floor_high = ((int64_t)shifted * multiplier + ((int64_t)1 << 30)) >> 31;
    const int64_t high = (shifted == INT32_MIN && multiplier == INT32_MIN) ? INT32_MAX : floor_high;
    const int64_t half = right > 0 ? ((int64_t)1 << (right - 1)) - (high < 0 ? 1 : 0) : 0;
    return (int32_t)((high + half) >> right);
#endif
}

/* Cores with the Thumb-1 instruction set only (ARMv6-M: Cortex-M0/M0+): no 32x32 -> 64-bit
   multiply, no DSP extension. */
#if defined(__ARM_ARCH_ISA_THUMB) && __ARM_ARCH_ISA_THUMB == 1
#define MI_THUMB1 1
#endif

/* mi_requantize_double for the common case the caller marks with mi_requant.fast: multiplier >= 0,
   shift in [-31, -1] (a right shift by e = -shift >= 1), |acc| < 2**30. Same bits, shorter:
   - the doubling high multiply never saturates (multiplier >= 0) and is
     h = floor((2 acc m + 2**31) / 2**32), one SMMLAR of 2 acc (no overflow: |acc| < 2**30);
   - RoundingDivideByPOT(h, e) = floor((h + 2**(e-1) - [h < 0]) / 2**e), and [h < 0] may be
     replaced by [acc < 0]: for acc < 0 (and m >= 0) h <= 0, and where h = 0 both give 0.
   SMMLAR adds the rounding term (times 2**32) before taking the high word, so the whole
   requantization is SMMLAR and one shift. On Thumb-1 cores the 64-bit product is built from
   16-bit halves (four MULS), still far shorter than a 64-bit multiply and shift. */
static inline int32_t mi_requantize_fast(int32_t acc, int32_t multiplier, int32_t shift)
{
    const int32_t e = -shift;
    const int32_t round = (int32_t)(UINT32_C(1) << (e - 1)) + (acc >> 31);
#if defined(ARM_MATH_DSP)
    int32_t high;
    __asm__("smmlar %0, %1, %2, %3" : "=r"(high) : "r"(acc * 2), "r"(multiplier), "r"(round));
    return high >> e;
#elif defined(MI_THUMB1)
    /* acc * m = hi * 2**32 + lo from the halves of acc (al unsigned, ah signed, |ah| < 2**14) and
       of m (both unsigned, mh < 2**15): every partial product fits 32 bits. */
    const uint32_t al = (uint32_t)acc & 0xFFFFu;
    const int32_t ah = acc >> 16;
    const uint32_t ml = (uint32_t)multiplier & 0xFFFFu;
    const uint32_t mh = (uint32_t)multiplier >> 16;
    const int32_t cross_a = ah * (int32_t)ml;
    const uint32_t cross_m = al * mh;
    uint32_t lo = al * ml;
    uint32_t part = (uint32_t)cross_a << 16;
    int32_t hi = ah * (int32_t)mh + (cross_a >> 16) + (int32_t)(cross_m >> 16);
    lo += part;
    hi += lo < part ? 1 : 0;
    part = cross_m << 16;
    lo += part;
    hi += lo < part ? 1 : 0;
    {
        /* h = floor((acc * m + 2**30) / 2**31) = 2 hi + floor((lo / 2 + 2**29) / 2**30) */
        const int32_t high = (int32_t)((uint32_t)hi * 2u) + (int32_t)(((lo >> 1) + (UINT32_C(1) << 29)) >> 30);
        return (high + round) >> e;
    }
#else
    const int32_t high = (int32_t)(((int64_t)acc * multiplier + ((int64_t)1 << 30)) >> 31);
    return (high + round) >> e;
#endif
}

/* mi_requantize_double for shift 0, multiplier >= 0 and |acc| < 2**30: the doubling high multiply
   alone (SMMULR of 2 acc where there is a DSP extension). */
static inline int32_t mi_requantize_fast_unshifted(int32_t acc, int32_t multiplier)
{
#if defined(ARM_MATH_DSP)
    int32_t high;
    __asm__("smmulr %0, %1, %2" : "=r"(high) : "r"(acc * 2), "r"(multiplier));
    return high;
#elif defined(MI_THUMB1)
    /* mi_requantize_fast's high part with a right shift of 1 undone: (h + 1 - [acc < 0]) >> 1 is
       not invertible, so build h directly as there */
    const uint32_t al = (uint32_t)acc & 0xFFFFu;
    const int32_t ah = acc >> 16;
    const uint32_t ml = (uint32_t)multiplier & 0xFFFFu;
    const uint32_t mh = (uint32_t)multiplier >> 16;
    const int32_t cross_a = ah * (int32_t)ml;
    const uint32_t cross_m = al * mh;
    uint32_t lo = al * ml;
    uint32_t part = (uint32_t)cross_a << 16;
    int32_t hi = ah * (int32_t)mh + (cross_a >> 16) + (int32_t)(cross_m >> 16);
    lo += part;
    hi += lo < part ? 1 : 0;
    part = cross_m << 16;
    lo += part;
    hi += lo < part ? 1 : 0;
    return (int32_t)((uint32_t)hi * 2u) + (int32_t)(((lo >> 1) + (UINT32_C(1) << 29)) >> 30);
#else
    return (int32_t)(((int64_t)acc * multiplier + ((int64_t)1 << 30)) >> 31);
#endif
}

/* Values of mi_requant.fast: every multiplier >= 0 and every shift a right shift, and either every
   accumulator proven within (-2**30, 2**30) (BOUNDED) or not (CHECKED: the kernels compare each
   accumulator with the bound and requantize the rare one outside it with mi_requantize_double;
   Helium's VQRDMULH needs no bound). */
#define MI_FAST_BOUNDED 1
#define MI_FAST_CHECKED 2

/* mi_requantize_fast for any accumulator (mi_requantize_double outside the bound). */
static inline int32_t mi_requantize_fast_checked(int32_t acc, int32_t multiplier, int32_t shift)
{
    if ((uint32_t)acc + (UINT32_C(1) << 30) < (UINT32_C(1) << 31)) {
        return mi_requantize_fast(acc, multiplier, shift);
    }
    return mi_requantize_double(acc, multiplier, shift);
}

/* The requantizer for mi_requant.fast == `fast` (a constant where the caller specializes). */
static inline int32_t mi_requantize_fast_mode(int32_t acc, int32_t multiplier, int32_t shift, int32_t fast)
{
    return fast == MI_FAST_CHECKED ? mi_requantize_fast_checked(acc, multiplier, shift)
                                   : mi_requantize_fast(acc, multiplier, shift);
}

/* mi_requantize_fast_mode, the output offset added and clamped to the activation range. */
static inline int32_t mi_requantize_fast_output(int32_t acc, int32_t multiplier, int32_t shift, int32_t fast,
                                                int32_t offset, mi_activation act)
{
    int32_t value = mi_requantize_fast_mode(acc, multiplier, shift, fast) + offset;
    value = value < act.min ? act.min : value;
    return value > act.max ? act.max : value;
}

/* LiteRT's static_cast<int32_t>(round(static_cast<double>(acc) * scale)): ties away from zero,
   INT32_MIN for a result outside int32 (x86's conversion; in C that cast would be undefined). */
static inline int32_t mi_scale_real(int64_t acc, double scale)
{
    const double scaled = (double)acc * scale;
    const double magnitude = scaled < 0 ? -scaled : scaled;
    double rounded = magnitude; /* from 2**52 on every double is a whole number */
    if (magnitude < 4503599627370496.0) {
        const double whole = (double)(int64_t)magnitude;
        rounded = whole + (magnitude - whole >= 0.5 ? 1.0 : 0.0);
    }
    if (scaled < 0) {
        rounded = -rounded;
    }
    if (!(rounded >= -2147483648.0 && rounded < 2147483648.0)) {
        return INT32_MIN;
    }
    return (int32_t)rounded;
}

/* MultiplyByQuantizedMultiplier for int64 sums (int16x8 kernels), the same in both rounding
   modes: the multiplier reduced to 16 bits, one rounding shift, truncated to int32.
   shift in [-31, 14]. */
static inline int32_t mi_requantize_s64(int64_t acc, int32_t multiplier, int32_t shift)
{
    const int64_t reduced = multiplier < 0x7FFF0000 ? (((int64_t)multiplier + (1 << 15)) >> 16) : 0x7FFF;
    const int32_t total_shift = 15 - shift;
    const int64_t product = (int64_t)((uint64_t)acc * (uint64_t)reduced);
    const int64_t rounded = mi_wrap_add_s64(product, (int64_t)1 << (total_shift - 1));
    return mi_wrap_s64_to_s32(rounded >> total_shift);
}

static inline int32_t mi_clamp(int64_t value, mi_activation act)
{
    if (value < act.min) {
        return act.min;
    }
    if (value > act.max) {
        return act.max;
    }
    return (int32_t)value;
}

/* MI_ROUND_REAL output of channel ch: scale, add the offset with int32 wrap-around, clamp. */
static inline int32_t mi_requantize_output_real(const mi_requant *quant, int32_t ch, int64_t acc, int32_t offset,
                                                mi_activation act)
{
    return mi_clamp(mi_wrap_add_s32(mi_scale_real(acc, quant->real_scale[ch]), offset), act);
}

/* Output of channel ch for the int32 accumulator acc (bias included): scale, add the output
   offset, clamp. */
static inline int32_t mi_requantize_output(const mi_requant *quant, int32_t ch, int32_t acc, int32_t offset,
                                           mi_activation act)
{
    if (quant->rounding == MI_ROUND_REAL) {
        return mi_requantize_output_real(quant, ch, acc, offset, act);
    }
    return mi_clamp((int64_t)mi_requantize_double(acc, quant->multiplier[ch], quant->shift[ch]) + offset, act);
}

#if defined(__AVX2__)
/* Host SIMD (x86 AVX2), 8 channels at a time, the same bits as mi_requantize_double: 64-bit
   products of even and odd lanes, whose bits 31..62 after adding 2**30 are the doubling high
   multiply; then RoundingDivideByPOT literally (mask, remainder, threshold) in 32-bit lanes.
   Returns how many channels it did (a multiple of 8). */
static inline int32_t mi_requantize_block_double_avx2(const int32_t *acc, int32_t count, const int32_t *multiplier,
                                                      const int32_t *shift, int32_t offset, mi_activation act,
                                                      int8_t *out)
{
    const __m256i zero = _mm256_setzero_si256();
    const __m256i one = _mm256_set1_epi32(1);
    const __m256i nudge = _mm256_set1_epi64x((int64_t)1 << 30);
    const __m256i int32_min = _mm256_set1_epi32(INT32_MIN);
    const __m256i low_lanes = _mm256_set1_epi64x(0xFFFFFFFF);
    const __m256i lo = _mm256_set1_epi32(act.min);
    const __m256i hi = _mm256_set1_epi32(act.max);
    const __m256i out_offset = _mm256_set1_epi32(offset);
    const __m256i pos_limit = _mm256_set1_epi32(1 << 30);
    const __m256i neg_limit = _mm256_set1_epi32(-(1 << 30));
    int32_t i = 0;
    if (offset < -65536 || offset > 65536 || act.min < -65536 || act.max > 65536) {
        return 0; /* the scalar path handles such ranges */
    }
    for (; i + 8 <= count; i += 8) {
        int32_t lanes[8];
        int32_t j;
        const __m256i x = _mm256_loadu_si256((const __m256i *)(acc + i));
        const __m256i m = _mm256_loadu_si256((const __m256i *)(multiplier + i));
        const __m256i s = _mm256_loadu_si256((const __m256i *)(shift + i));
        const __m256i left = _mm256_max_epi32(s, zero);
        const __m256i right = _mm256_max_epi32(_mm256_sub_epi32(zero, s), zero);
        const __m256i shifted = _mm256_sllv_epi32(x, left);
        const __m256i even = _mm256_srli_epi64(_mm256_add_epi64(_mm256_mul_epi32(shifted, m), nudge), 31);
        const __m256i odd = _mm256_srli_epi64(
            _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(shifted, 32), _mm256_srli_epi64(m, 32)), nudge), 31);
        const __m256i high_raw = _mm256_or_si256(_mm256_and_si256(even, low_lanes), _mm256_slli_epi64(odd, 32));
        const __m256i saturates = _mm256_and_si256(_mm256_cmpeq_epi32(shifted, int32_min),
                                                   _mm256_cmpeq_epi32(m, int32_min));
        const __m256i high = _mm256_blendv_epi8(high_raw, _mm256_set1_epi32(INT32_MAX), saturates);
        const __m256i mask = _mm256_sub_epi32(_mm256_sllv_epi32(one, right), one);
        const __m256i remainder = _mm256_and_si256(high, mask);
        /* threshold = (mask >> 1) + (high < 0): cmpgt gives -1 where true, so subtract */
        const __m256i threshold = _mm256_sub_epi32(_mm256_srai_epi32(mask, 1), _mm256_cmpgt_epi32(zero, high));
        const __m256i rounded = _mm256_sub_epi32(_mm256_srav_epi32(high, right),
                                                 _mm256_cmpgt_epi32(remainder, threshold));
        /* Limiting to +-2**30 first changes nothing after the clamp (offset and range are
           small, checked above) and keeps the offset addition inside int32. */
        const __m256i limited = _mm256_min_epi32(_mm256_max_epi32(rounded, neg_limit), pos_limit);
        const __m256i result = _mm256_min_epi32(_mm256_max_epi32(_mm256_add_epi32(limited, out_offset), lo), hi);
        _mm256_storeu_si256((__m256i *)lanes, result);
        for (j = 0; j < 8; j++) {
            out[i + j] = (int8_t)lanes[j];
        }
    }
    return i;
}
#endif

#if defined(__AVX512F__) && defined(__AVX512BW__)
/* The same on AVX-512 hosts, 16 channels a vector. The per-channel parts (the multiplier, the
   shifts and the divide's mask) are loaded once per block of channels and reused for every pixel
   or row the caller has. */
typedef struct {
    __m512i multiplier, left, right, mask, half_mask;
} mi_requant16;

/* Whether the vector form covers these output parameters (the scalar path handles the rest). */
static inline int mi_requant16_covers(int32_t offset, mi_activation act)
{
    return offset >= -65536 && offset <= 65536 && act.min >= -65536 && act.max <= 65536;
}

static inline mi_requant16 mi_requant16_load(const int32_t *multiplier, const int32_t *shift, __mmask16 lanes)
{
    const __m512i zero = _mm512_setzero_si512();
    const __m512i s = _mm512_maskz_loadu_epi32(lanes, shift);
    mi_requant16 q;
    q.multiplier = _mm512_maskz_loadu_epi32(lanes, multiplier);
    q.left = _mm512_max_epi32(s, zero);
    q.right = _mm512_max_epi32(_mm512_sub_epi32(zero, s), zero);
    q.mask = _mm512_sub_epi32(_mm512_sllv_epi32(_mm512_set1_epi32(1), q.right), _mm512_set1_epi32(1));
    q.half_mask = _mm512_srai_epi32(q.mask, 1);
    return q;
}

/* 16 sums requantized, offset added and clamped to [lo, hi] (int32 lanes). */
static inline __m512i mi_requantize16(__m512i x, const mi_requant16 *q, __m512i out_offset, __m512i lo, __m512i hi)
{
    const __m512i zero = _mm512_setzero_si512();
    const __m512i one = _mm512_set1_epi32(1);
    const __m512i nudge = _mm512_set1_epi64((int64_t)1 << 30);
    const __m512i int32_min = _mm512_set1_epi32(INT32_MIN);
    const __m512i shifted = _mm512_sllv_epi32(x, q->left);
    const __m512i even = _mm512_srli_epi64(_mm512_add_epi64(_mm512_mul_epi32(shifted, q->multiplier), nudge), 31);
    const __m512i odd = _mm512_srli_epi64(
        _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(shifted, 32), _mm512_srli_epi64(q->multiplier, 32)), nudge),
        31);
    /* the doubling high multiply: bits 31..62 of each product, odd lanes moved up into place */
    const __m512i high_raw = _mm512_mask_blend_epi32((__mmask16)0xAAAA, even, _mm512_slli_epi64(odd, 32));
    const __mmask16 saturates =
        _mm512_cmpeq_epi32_mask(shifted, int32_min) & _mm512_cmpeq_epi32_mask(q->multiplier, int32_min);
    const __m512i high = _mm512_mask_mov_epi32(high_raw, saturates, _mm512_set1_epi32(INT32_MAX));
    const __m512i remainder = _mm512_and_si512(high, q->mask);
    /* RoundingDivideByPOT: threshold (mask >> 1) + (high < 0) */
    const __mmask16 negative = _mm512_cmplt_epi32_mask(high, zero);
    const __m512i threshold = _mm512_mask_add_epi32(q->half_mask, negative, q->half_mask, one);
    const __m512i quotient = _mm512_srav_epi32(high, q->right);
    const __mmask16 round_up = _mm512_cmpgt_epi32_mask(remainder, threshold);
    const __m512i rounded = _mm512_mask_add_epi32(quotient, round_up, quotient, one);
    /* Limiting to +-2**30 first changes nothing after the clamp (offset and range are small,
       mi_requant16_covers) and keeps the offset addition inside int32. */
    const __m512i limited =
        _mm512_min_epi32(_mm512_max_epi32(rounded, _mm512_set1_epi32(-(1 << 30))), _mm512_set1_epi32(1 << 30));
    return _mm512_min_epi32(_mm512_max_epi32(_mm512_add_epi32(limited, out_offset), lo), hi);
}

/* A block of sums requantized to bytes, 16 channels a step (the last 1-15 masked). Returns how
   many channels it did: all, or none for parameters mi_requant16_covers leaves out. */
static inline int32_t mi_requantize_block_double_avx512(const int32_t *acc, int32_t count, const int32_t *multiplier,
                                                        const int32_t *shift, int32_t offset, mi_activation act,
                                                        int8_t *out)
{
    const __m512i out_offset = _mm512_set1_epi32(offset);
    const __m512i lo = _mm512_set1_epi32(act.min);
    const __m512i hi = _mm512_set1_epi32(act.max);
    int32_t i;
    if (!mi_requant16_covers(offset, act)) {
        return 0;
    }
    for (i = 0; i < count; i += 16) {
        const __mmask16 lanes = count - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (count - i)) - 1);
        const mi_requant16 q = mi_requant16_load(multiplier + i, shift + i, lanes);
        const __m512i x = _mm512_maskz_loadu_epi32(lanes, acc + i);
        _mm512_mask_cvtepi32_storeu_epi8(out + i, lanes, mi_requantize16(x, &q, out_offset, lo, hi));
    }
    return count;
}
#endif

#if defined(ARM_MATH_MVEI)
/* Helium: four channels per step, double rounding, bit-exact with mi_requantize_double:
   VQRDMULH is the saturating rounding doubling high multiply (floor((x * m + 2**30) / 2**31),
   INT32_MIN * INT32_MIN saturating); the rounding divide by 2**right is gemmlowp's vector form
   (minus one for negative values, then VRSHL's round-half-up shift: ties away from zero); the
   offset is added saturating, which the clamp to the int8 range makes exact. Returns how many
   channels it did (a multiple of 4). */
static inline int32_t mi_requantize_block_double_mve(const int32_t *acc, int32_t count, const int32_t *multiplier,
                                                     const int32_t *shift, int32_t offset, mi_activation act,
                                                     int8_t *out)
{
    const int32x4_t zero = vdupq_n_s32(0);
    int32_t i = 0;
    for (; i + 4 <= count; i += 4) {
        const int32x4_t shifts = vldrwq_s32(shift + i);
        const int32x4_t right = vminq_s32(shifts, zero); /* minus the right shift */
        const int32x4_t x = vshlq_s32(vldrwq_s32(acc + i), vmaxq_s32(shifts, zero));
        const int32x4_t high = vqrdmulhq_s32(x, vldrwq_s32(multiplier + i));
        const int32x4_t fixup = vshrq_n_s32(vandq_s32(high, right), 31);
        int32x4_t result = vrshlq_s32(vqaddq_s32(high, fixup), right);
        result = vqaddq_s32(result, vdupq_n_s32(offset));
        result = vminq_s32(vmaxq_s32(result, vdupq_n_s32(act.min)), vdupq_n_s32(act.max));
        vstrbq_s32(out + i, result);
    }
    return i;
}

/* The same for mi_requant.fast (every shift a right shift): the rounding fix-up is the sign of
   the high product (e >= 1), no left shift. Returns how many channels it did (a multiple of 4). */
static inline int32_t mi_requantize_block_fast_mve(const int32_t *acc, int32_t count, const int32_t *multiplier,
                                                   const int32_t *shift, int32_t offset, mi_activation act,
                                                   int8_t *out)
{
    int32_t i = 0;
    for (; i + 4 <= count; i += 4) {
        const int32x4_t high = vqrdmulhq_s32(vldrwq_s32(acc + i), vldrwq_s32(multiplier + i));
        int32x4_t result = vrshlq_s32(vqaddq_s32(high, vshrq_n_s32(high, 31)), vldrwq_s32(shift + i));
        result = vaddq_s32(result, vdupq_n_s32(offset));
        result = vminq_s32(vmaxq_s32(result, vdupq_n_s32(act.min)), vdupq_n_s32(act.max));
        vstrbq_s32(out + i, result);
    }
    return i;
}
#endif

/* Outputs of channels first .. first + count - 1 from their int32 accumulators (bias included),
   with the rounding mode decided once for the block so the loop vectorizes. */
static inline void mi_requantize_block_s8(const int32_t *acc, int32_t count, const mi_requant *quant, int32_t first,
                                          int32_t offset, mi_activation act, int8_t *out)
{
    int32_t i;
    if (quant->rounding == MI_ROUND_DOUBLE) {
        const int32_t *multiplier = quant->multiplier + first;
        const int32_t *shift = quant->shift + first;
#if defined(__AVX512F__) && defined(__AVX512BW__)
        i = mi_requantize_block_double_avx512(acc, count, multiplier, shift, offset, act, out);
#elif defined(__AVX2__)
        i = mi_requantize_block_double_avx2(acc, count, multiplier, shift, offset, act, out);
#elif defined(ARM_MATH_MVEI)
        i = quant->fast ? mi_requantize_block_fast_mve(acc, count, multiplier, shift, offset, act, out)
                        : mi_requantize_block_double_mve(acc, count, multiplier, shift, offset, act, out);
#else
        i = 0;
#endif
        if (quant->fast) {
            const int32_t fast = quant->fast;
            for (; i < count; i++) {
                out[i] = (int8_t)mi_requantize_fast_output(acc[i], multiplier[i], shift[i], fast, offset, act);
            }
            return;
        }
        for (; i < count; i++) {
            out[i] = (int8_t)mi_clamp((int64_t)mi_requantize_double(acc[i], multiplier[i], shift[i]) + offset, act);
        }
        return;
    }
    for (i = 0; i < count; i++) {
        out[i] = (int8_t)mi_requantize_output(quant, first + i, acc[i], offset, act);
    }
}

/* Output of an int16x8 kernel's exact int64 sum of products: with a 64-bit bias (wide) the sum
   and the requantizer are 64-bit; otherwise the sum wraps to int32 as the reference's int32
   accumulator does, and the int32 requantizer applies. */
static inline int32_t mi_requantize_output_s64(const mi_requant *quant, int32_t ch, int64_t sum,
                                               const int64_t *bias64, const int32_t *bias32, int32_t wide,
                                               int32_t offset, mi_activation act)
{
    if (wide) {
        const int64_t acc = bias64 != 0 ? mi_wrap_add_s64(sum, bias64[ch]) : sum;
        if (quant->rounding == MI_ROUND_REAL) {
            return mi_requantize_output_real(quant, ch, acc, offset, act);
        }
        return mi_clamp((int64_t)mi_requantize_s64(acc, quant->multiplier[ch], quant->shift[ch]) + offset, act);
    }
    {
        const int32_t acc = mi_wrap_add_s32(mi_wrap_s64_to_s32(sum), bias32 != 0 ? bias32[ch] : 0);
        return mi_requantize_output(quant, ch, acc, offset, act);
    }
}

#endif
