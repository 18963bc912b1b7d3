#include "mi_nn_support.h"
#include "mi_requantize.h"
#include "mi_nn_isa.h"
#include "mi_nn_host_simd.h"

#if !defined(ARM_MATH_MVEI)
/* Sum of (lhs[k] + offset) * row[k]: at most cols * 255 * 128, checked below 2**31 by the caller.
   The operands are int16 (|lhs + offset| <= 255) so compilers use 16-bit multiply-adds. */
static int32_t dot_with_offset(const int8_t *lhs, const int8_t *row, int32_t cols, int32_t offset)
{
    int32_t sum = 0;
    int32_t k;
    for (k = 0; k < cols; k++) {
        const int16_t a = (int16_t)(lhs[k] + offset);
        const int16_t b = row[k];
        sum += a * b;
    }
    return sum;
}

#endif

#if !defined(ARM_MATH_MVEI) && !defined(ARM_MATH_DSP) && !defined(MI_HOST_VNNI)
/* Four rows at once: each lhs value is loaded once for four products. */
static void dot4_with_offset(const int8_t *lhs, const int8_t *rows, int32_t cols, int32_t offset, int32_t *sums)
{
    const int8_t *row0 = rows;
    const int8_t *row1 = rows + cols;
    const int8_t *row2 = row1 + cols;
    const int8_t *row3 = row2 + cols;
    int32_t s0 = 0;
    int32_t s1 = 0;
    int32_t s2 = 0;
    int32_t s3 = 0;
    int32_t k;
    for (k = 0; k < cols; k++) {
        const int16_t a = (int16_t)(lhs[k] + offset);
        s0 += a * (int16_t)row0[k];
        s1 += a * (int16_t)row1[k];
        s2 += a * (int16_t)row2[k];
        s3 += a * (int16_t)row3[k];
    }
    sums[0] = s0;
    sums[1] = s1;
    sums[2] = s2;
    sums[3] = s3;
}

#endif

#if defined(ARM_MATH_MVEI)
/* Sum of lhs[k] * row[k] and of row[k], 16 int8 lanes per step in a tail-predicated low-overhead
   loop (DLSTP/LETP; GCC 12 does not emit these from intrinsics). The offset enters once per row:
   sum (l + o) * r = sum l * r + o * sum r, exact in wrapping int32. VMLADAVA and VADDVA need even
   accumulator registers, hence the pinned r4/r6. */
static int32_t dot_with_offset_mve(const int8_t *lhs, const int8_t *row, int32_t cols, int32_t offset)
{
    register int32_t products __asm__("r4") = 0;
    register int32_t row_sum __asm__("r6") = 0;
    if (cols > 0) {
        __asm__ volatile(
            "   dlstp.8 lr, %[n]\n"
            "1: vldrb.8 q0, [%[l]], #16\n"
            "   vldrb.8 q1, [%[r]], #16\n"
            "   vmladava.s8 %[p], q0, q1\n"
            "   vaddva.s8 %[s], q1\n"
            "   letp lr, 1b\n"
            : [p] "+r"(products), [s] "+r"(row_sum), [l] "+r"(lhs), [r] "+r"(row)
            : [n] "r"(cols)
            : "q0", "q1", "lr", "memory");
    }
    return (int32_t)((uint32_t)products + (uint32_t)offset * (uint32_t)row_sum);
}
#elif defined(ARM_MATH_DSP)
/* Two rows at a time, four columns per step: the input is widened once (SXTAB16 adds the offset)
   and multiplied with both rows by SMLAD, two products per instruction. */
static void dot_two_rows_dsp(const int8_t *lhs, const int8_t *row0, const int8_t *row1, int32_t cols,
                             int32_t offset, int32_t *sum0, int32_t *sum1)
{
    const int32_t offsets = (int32_t)(((uint32_t)offset & 0xFFFFu) * 0x10001u);
    int32_t a = 0;
    int32_t b = 0;
    int32_t k = 0;
    for (; k + 4 <= cols; k += 4) {
        const int32_t l = mi_read_word(lhs + k);
        const int32_t l_even = mi_sxtab16_even(offsets, l);
        const int32_t l_odd = mi_sxtab16_odd(offsets, l);
        const int32_t r0 = mi_read_word(row0 + k);
        const int32_t r1 = mi_read_word(row1 + k);
        a = mi_dual_mac(l_even, mi_sxtb16_even(r0), a);
        a = mi_dual_mac(l_odd, mi_sxtb16_odd(r0), a);
        b = mi_dual_mac(l_even, mi_sxtb16_even(r1), b);
        b = mi_dual_mac(l_odd, mi_sxtb16_odd(r1), b);
    }
    for (; k < cols; k++) {
        const int32_t x = lhs[k] + offset;
        a += x * row0[k];
        b += x * row1[k];
    }
    *sum0 = a;
    *sum1 = b;
}
#endif

#if defined(MI_HOST_VNNI) && !defined(ARM_MATH_MVEI) && !defined(ARM_MATH_DSP)
/* sums[i] = sum of (lhs[k] + offset) * row_i[k] for four rhs rows: VPDPBUSD of (lhs + 128) with
   each row and of ones with each row (its sum) from the same loads, then
   sum (l + o) * r = sum (l + 128) * r + (o - 128) * sum r, exact in wrapping int32. */
static void dot4_with_offset(const int8_t *lhs, const int8_t *rows, int32_t cols, int32_t offset, int32_t *sums)
{
    const __m512i flip = _mm512_set1_epi8((char)0x80);
    const __m512i ones = _mm512_set1_epi8(1);
    const int8_t *row[4];
    __m512i products[4], row_sums[4];
    int32_t i, k;
    for (i = 0; i < 4; i++) {
        row[i] = rows + (int64_t)i * cols;
        products[i] = row_sums[i] = _mm512_setzero_si512();
    }
    for (k = 0; k < cols; k += 64) {
        const __m512i x = _mm512_xor_si512(mi_host_load_s8(lhs + k, cols - k), flip);
        for (i = 0; i < 4; i++) {
            const __m512i w = mi_host_load_s8(row[i] + k, cols - k);
            products[i] = _mm512_dpbusd_epi32(products[i], x, w);
            row_sums[i] = _mm512_dpbusd_epi32(row_sums[i], ones, w);
        }
    }
    {
        const __m128i product_sums = mi_host_sum_lanes4(products[0], products[1], products[2], products[3]);
        const __m128i weight_sums = mi_host_sum_lanes4(row_sums[0], row_sums[1], row_sums[2], row_sums[3]);
        _mm_storeu_si128((__m128i *)sums,
                         _mm_add_epi32(product_sums, _mm_mullo_epi32(weight_sums, _mm_set1_epi32(offset - 128))));
    }
}
#endif

/* Output rows summed before one requantization pass (a stack block, no scratch). */
#define MI_ROW_BLOCK 64

void mi_nn_vec_mat_mult_t_s8(const int8_t *lhs, const int8_t *rhs, const int32_t *bias, int8_t *dst,
                             int32_t lhs_offset, int32_t dst_offset, const mi_requant *quant, int32_t rhs_cols,
                             int32_t rhs_rows, mi_activation act)
{
    int32_t first;
    for (first = 0; first < rhs_rows; first += MI_ROW_BLOCK) {
        const int32_t count = rhs_rows - first < MI_ROW_BLOCK ? rhs_rows - first : MI_ROW_BLOCK;
        int32_t acc[MI_ROW_BLOCK];
        int32_t r = 0;
#if defined(ARM_MATH_MVEI)
        for (; r < count; r++) {
            acc[r] = dot_with_offset_mve(lhs, rhs + (int64_t)(first + r) * rhs_cols, rhs_cols, lhs_offset);
        }
#elif defined(ARM_MATH_DSP)
        for (; r + 2 <= count; r += 2) {
            const int8_t *row0 = rhs + (int64_t)(first + r) * rhs_cols;
            dot_two_rows_dsp(lhs, row0, row0 + rhs_cols, rhs_cols, lhs_offset, &acc[r], &acc[r + 1]);
        }
#else
        for (; r + 4 <= count; r += 4) {
            dot4_with_offset(lhs, rhs + (int64_t)(first + r) * rhs_cols, rhs_cols, lhs_offset, acc + r);
        }
#endif
#if !defined(ARM_MATH_MVEI)
        for (; r < count; r++) {
            acc[r] = dot_with_offset(lhs, rhs + (int64_t)(first + r) * rhs_cols, rhs_cols, lhs_offset);
        }
#endif
        if (bias != 0) {
            for (r = 0; r < count; r++) {
                acc[r] = mi_wrap_add_s32(bias[first + r], acc[r]);
            }
        }
        mi_requantize_block_s8(acc, count, quant, first, dst_offset, act, dst + first);
    }
}
