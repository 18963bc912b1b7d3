/* Helpers for the Cortex-M ISA paths of the support functions: ARM_MATH_DSP (SXTB16/SMLAD on
   Cortex-M4/M7/M33) and ARM_MATH_MVEI (Helium on Cortex-M55/M85). Only the ISA paths include
   this header; the portable C99 paths never do. */
#ifndef MI_NN_ISA_H
#define MI_NN_ISA_H

#include <stdint.h>

#if defined(ARM_MATH_DSP) || defined(ARM_MATH_MVEI)
#include <arm_acle.h>

/* A helper whose constant arguments (tail or not, filter width 3 or any...) must specialize it at
   each call: GCC does not inline large functions by itself. */
#define MI_SPECIALIZED static inline __attribute__((always_inline))

/* Four int8 (or two int16) values as one word; Cortex-M4 and later load unaligned words. */
static inline int32_t mi_read_word(const void *at)
{
    int32_t word;
    __builtin_memcpy(&word, at, sizeof word);
    return word;
}

/* Bytes 1 and 3 of word, sign-extended to two halfwords (SXTB16 with ROR #8). */
static inline int32_t mi_sxtb16_odd(int32_t word)
{
    int32_t halves;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(halves) : "r"(word));
    return halves;
}

/* Bytes 0 and 2 of word, sign-extended to two halfwords. */
static inline int32_t mi_sxtb16_even(int32_t word)
{
    int32_t halves;
    __asm__("sxtb16 %0, %1" : "=r"(halves) : "r"(word));
    return halves;
}

/* Bytes 1 and 3 of word, sign-extended and added to the halfwords of offsets (SXTAB16, ROR #8). */
static inline int32_t mi_sxtab16_odd(int32_t offsets, int32_t word)
{
    int32_t halves;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(halves) : "r"(offsets), "r"(word));
    return halves;
}

static inline int32_t mi_sxtab16_even(int32_t offsets, int32_t word)
{
    int32_t halves;
    __asm__("sxtab16 %0, %1, %2" : "=r"(halves) : "r"(offsets), "r"(word));
    return halves;
}

/* Low halfword of low, high halfword of high << 16 (PKHBT ... LSL #16). */
static inline int32_t mi_pack_low_halves(int32_t low, int32_t high)
{
    int32_t packed;
    __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(packed) : "r"(low), "r"(high));
    return packed;
}

/* High halfword of high, low halfword of low >> 16 (PKHTB ... ASR #16). */
static inline int32_t mi_pack_high_halves(int32_t low, int32_t high)
{
    int32_t packed;
    __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(packed) : "r"(high), "r"(low));
    return packed;
}

/* Two int16 halfwords (l0 | l1 << 16) times two (r0 | r1 << 16), plus acc: SMLAD. The 32-bit sum
   wraps as the portable path's does. */
static inline int32_t mi_dual_mac(int32_t lhs, int32_t rhs, int32_t acc)
{
    return __smlad(lhs, rhs, acc);
}

/* Four int8 filter values as two pairs in memory order: (f0 | f1 << 16) and (f2 | f3 << 16). */
static inline void mi_widen_s8x4_in_order(int32_t word, int32_t *first, int32_t *second)
{
    const int32_t even = mi_sxtb16_even(word); /* f0, f2 */
    const int32_t odd = mi_sxtb16_odd(word);   /* f1, f3 */
    *first = mi_pack_low_halves(even, odd);
    *second = mi_pack_high_halves(even, odd);
}
#endif

#if defined(ARM_MATH_MVEI)
#include <arm_mve.h>
#endif

#endif
