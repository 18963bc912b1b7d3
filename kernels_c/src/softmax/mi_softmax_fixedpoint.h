/* gemmlowp's fixed-point exp and reciprocal on int32 raw values, as the int8 SOFTMAX uses them,
   and the count of leading zeros both SOFTMAX kernels normalize their sums with. */
#ifndef MI_SOFTMAX_FIXEDPOINT_H
#define MI_SOFTMAX_FIXEDPOINT_H

#include "microinfer_nn.h"
#include "mi_requantize.h"

#define MI_SOFTMAX_DIFF_INTEGER_BITS 5
#define MI_SOFTMAX_ACCUMULATION_INTEGER_BITS 12

/* Differences wrap like gemmlowp's int32 arithmetic (without C's signed overflow). */
static inline int32_t mi_wrap_sub_s32(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a - (uint32_t)b);
}

/* x * 2**amount saturated to int32, 0 <= amount <= 30. */
static inline int32_t mi_saturating_left_shift(int32_t x, int32_t amount)
{
    const int32_t limit = INT32_MAX >> amount;
    if (x > limit) {
        return INT32_MAX;
    }
    return x < -limit - 1 ? INT32_MIN : (int32_t)((uint32_t)x << amount);
}

static inline int32_t mi_count_leading_zeros_u32(uint32_t x)
{
#if (defined(__GNUC__) || defined(__clang__)) && \
    (defined(__ARM_FEATURE_CLZ) || defined(__x86_64__) || defined(__aarch64__))
    return x == 0 ? 32 : __builtin_clz(x); /* one instruction here; elsewhere a library call */
#else
    int32_t zeros = 0;
    if (x == 0) {
        return 32;
    }
    while ((x & 0x80000000u) == 0) {
        x <<= 1;
        ++zeros;
    }
    return zeros;
#endif
}

/* exp(a) for a in [-1/4, 0), Q0.31 in and out. */
static inline int32_t mi_exp_on_interval_minus_quarter_to_zero(int32_t a)
{
    const int32_t exp_minus_one_eighth = 1895147668;
    const int32_t one_third = 715827883;
    const int32_t x = mi_wrap_add_s32(a, 1 << 28);
    const int32_t x2 = mi_doubling_high_mult(x, x);
    const int32_t x3 = mi_doubling_high_mult(x2, x);
    const int32_t x4_over_4 = mi_divide_by_power_of_two(mi_doubling_high_mult(x2, x2), 2);
    const int32_t poly = mi_divide_by_power_of_two(
        mi_wrap_add_s32(mi_doubling_high_mult(mi_wrap_add_s32(x4_over_4, x3), one_third), x2), 1);
    return mi_wrap_add_s32(exp_minus_one_eighth, mi_doubling_high_mult(exp_minus_one_eighth, mi_wrap_add_s32(x, poly)));
}

/* exp(a) for a <= 0 given in Q5.26, Q0.31 out. Every factor is multiplied whatever the bits of a
   (the bits only select which products are kept), so the cost does not depend on the data: what
   `microinfer fit` prices for a SOFTMAX holds for any input, and is its worst case too. */
static inline int32_t mi_exp_on_negative_values(int32_t a)
{
    /* exp(-2**k) in Q0.31 for the bits of -a above the first quarter, k = -2..4. */
    static const int32_t exp_of_minus_power_of_two[7] = {
        1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242,
    };
    const int32_t fractional_bits = 31 - MI_SOFTMAX_DIFF_INTEGER_BITS;
    const int32_t one_quarter = 1 << (fractional_bits - 2);
    const int32_t mod_quarter_minus_quarter = mi_wrap_sub_s32(a & (one_quarter - 1), one_quarter);
    const uint32_t remainder = (uint32_t)mi_wrap_sub_s32(mod_quarter_minus_quarter, a);
    int32_t result = mi_exp_on_interval_minus_quarter_to_zero(
        mi_saturating_left_shift(mod_quarter_minus_quarter, MI_SOFTMAX_DIFF_INTEGER_BITS));
    int32_t k;
    for (k = 0; k < 7; ++k) {
        const uint32_t keep = 0u - ((remainder >> (fractional_bits - 2 + k)) & 1u);
        const int32_t product = mi_doubling_high_mult(result, exp_of_minus_power_of_two[k]);
        result = (int32_t)(((uint32_t)product & keep) | ((uint32_t)result & ~keep));
    }
    {
        const uint32_t is_zero = 0u - (uint32_t)(a == 0);
        return (int32_t)(((uint32_t)INT32_MAX & is_zero) | ((uint32_t)result & ~is_zero));
    }
}

/* (a + b) / 2 rounded half away from zero, without overflow. */
static inline int32_t mi_rounding_half_sum(int32_t a, int32_t b)
{
    const int64_t sum = (int64_t)a + b;
    return (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
}

/* 1 / (1 + a) for a in [0, 1), Q0.31 in and out: three Newton-Raphson steps. */
static inline int32_t mi_one_over_one_plus_x_for_x_in_0_1(int32_t a)
{
    const int32_t half_denominator = mi_rounding_half_sum(a, INT32_MAX);
    const int32_t one_q2 = 1 << 29;
    int32_t x = mi_wrap_add_s32(1515870810, mi_doubling_high_mult(half_denominator, -1010580540)); /* 48/17 - 32/17 d */
    int32_t i;
    for (i = 0; i < 3; ++i) {
        const int32_t one_minus_dx = mi_wrap_sub_s32(one_q2, mi_doubling_high_mult(half_denominator, x));
        x = mi_wrap_add_s32(x, mi_saturating_left_shift(mi_doubling_high_mult(x, one_minus_dx), 2));
    }
    return mi_saturating_left_shift(x, 1);
}

#endif
