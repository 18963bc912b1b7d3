#include "mi_nn_support.h"
#include "mi_requantize.h"
#include "mi_nn_isa.h"

static int32_t bias_of(const int32_t *bias, int32_t ch)
{
    return bias != 0 ? bias[ch] : 0;
}

/* Both columns times one filter row (the odd last output channel). */
static void one_row(const int8_t *row, const int16_t *col0, const int16_t *col1, int32_t num_col,
                    int32_t *sum0, int32_t *sum1)
{
    int32_t a = 0;
    int32_t b = 0;
    int32_t k;
    for (k = 0; k < num_col; k++) {
        a += col0[k] * row[k];
        b += col1[k] * row[k];
    }
    *sum0 = a;
    *sum1 = b;
}

#if defined(ARM_MATH_MVEI)
/* Sums of the 2x2 tile, eight columns per step: int8 filter values widened to int16 by the load,
   four VMLADAVA (eight products each) in a tail-predicated low-overhead loop (DLSTP/LETP). The
   accumulators are pinned to even registers, as VMLADAVA requires. */
static void tile_sums_isa(const int8_t *row0, const int8_t *row1, const int16_t *col0, const int16_t *col1,
                          int32_t num_col, int32_t sums[4])
{
    register int32_t s00 __asm__("r4") = 0;
    register int32_t s01 __asm__("r6") = 0;
    register int32_t s10 __asm__("r8") = 0;
    register int32_t s11 __asm__("r10") = 0;
    if (num_col > 0) {
        __asm__ volatile(
            "   dlstp.16 lr, %[n]\n"
            "1: vldrh.16 q0, [%[a]], #16\n"
            "   vldrh.16 q1, [%[b]], #16\n"
            "   vldrb.s16 q2, [%[f0]], #8\n"
            "   vldrb.s16 q3, [%[f1]], #8\n"
            "   vmladava.s16 %[s00], q0, q2\n"
            "   vmladava.s16 %[s01], q1, q2\n"
            "   vmladava.s16 %[s10], q0, q3\n"
            "   vmladava.s16 %[s11], q1, q3\n"
            "   letp lr, 1b\n"
            : [s00] "+r"(s00), [s01] "+r"(s01), [s10] "+r"(s10), [s11] "+r"(s11), [a] "+r"(col0), [b] "+r"(col1),
              [f0] "+r"(row0), [f1] "+r"(row1)
            : [n] "r"(num_col)
            : "q0", "q1", "q2", "q3", "lr", "memory");
    }
    sums[0] = s00;
    sums[1] = s01;
    sums[2] = s10;
    sums[3] = s11;
}
#elif defined(ARM_MATH_DSP)
/* Sums of the 2x2 tile, four columns per step: the filter bytes widened in memory order
   (SXTB16 + PKHBT/PKHTB) meet the int16 columns in SMLAD, two products per instruction. */
static void tile_sums_isa(const int8_t *row0, const int8_t *row1, const int16_t *col0, const int16_t *col1,
                          int32_t num_col, int32_t sums[4])
{
    int32_t s00 = 0, s01 = 0, s10 = 0, s11 = 0;
    int32_t k = 0;
    for (; k + 4 <= num_col; k += 4) {
        const int32_t a01 = mi_read_word(col0 + k);
        const int32_t a23 = mi_read_word(col0 + k + 2);
        const int32_t b01 = mi_read_word(col1 + k);
        const int32_t b23 = mi_read_word(col1 + k + 2);
        int32_t f01;
        int32_t f23;
        mi_widen_s8x4_in_order(mi_read_word(row0 + k), &f01, &f23);
        s00 = mi_dual_mac(a01, f01, s00);
        s00 = mi_dual_mac(a23, f23, s00);
        s01 = mi_dual_mac(b01, f01, s01);
        s01 = mi_dual_mac(b23, f23, s01);
        mi_widen_s8x4_in_order(mi_read_word(row1 + k), &f01, &f23);
        s10 = mi_dual_mac(a01, f01, s10);
        s10 = mi_dual_mac(a23, f23, s10);
        s11 = mi_dual_mac(b01, f01, s11);
        s11 = mi_dual_mac(b23, f23, s11);
    }
    for (; k < num_col; k++) {
        s00 += col0[k] * row0[k];
        s01 += col1[k] * row0[k];
        s10 += col0[k] * row1[k];
        s11 += col1[k] * row1[k];
    }
    sums[0] = s00;
    sums[1] = s01;
    sums[2] = s10;
    sums[3] = s11;
}
#endif

/* Output channels summed before one requantization pass (even, a stack block, no scratch). */
#define MI_TILE_BLOCK 64

int8_t *mi_nn_mat_mult_kernel_s8_s16(const int8_t *filter, const int16_t *col, int32_t out_ch,
                                     const mi_requant *quant, int32_t out_offset, mi_activation act,
                                     int32_t num_col, const int32_t *bias, int8_t *out)
{
    const int16_t *col0 = col;
    const int16_t *col1 = col + num_col;
    int32_t first;
    for (first = 0; first < out_ch; first += MI_TILE_BLOCK) {
        const int32_t count = out_ch - first < MI_TILE_BLOCK ? out_ch - first : MI_TILE_BLOCK;
        int32_t acc0[MI_TILE_BLOCK]; /* column 0 */
        int32_t acc1[MI_TILE_BLOCK];
        int32_t i = 0;
        for (; i + 1 < count; i += 2) {
            const int8_t *row0 = filter + (int64_t)(first + i) * num_col;
            const int8_t *row1 = row0 + num_col;
#if defined(ARM_MATH_MVEI) || defined(ARM_MATH_DSP)
            int32_t sums[4];
            tile_sums_isa(row0, row1, col0, col1, num_col, sums);
            acc0[i] = sums[0];
            acc1[i] = sums[1];
            acc0[i + 1] = sums[2];
            acc1[i + 1] = sums[3];
#else
            int32_t s00 = 0; /* row 0, column 0 */
            int32_t s01 = 0;
            int32_t s10 = 0;
            int32_t s11 = 0;
            int32_t k;
            for (k = 0; k < num_col; k++) {
                const int16_t a = col0[k];
                const int16_t b = col1[k];
                const int16_t w0 = row0[k];
                const int16_t w1 = row1[k];
                s00 += a * w0;
                s01 += b * w0;
                s10 += a * w1;
                s11 += b * w1;
            }
            acc0[i] = s00;
            acc1[i] = s01;
            acc0[i + 1] = s10;
            acc1[i + 1] = s11;
#endif
        }
        if (i < count) {
            one_row(filter + (int64_t)(first + i) * num_col, col0, col1, num_col, &acc0[i], &acc1[i]);
        }
        for (i = 0; i < count; i++) {
            acc0[i] = mi_wrap_add_s32(bias_of(bias, first + i), acc0[i]);
            acc1[i] = mi_wrap_add_s32(bias_of(bias, first + i), acc1[i]);
        }
        mi_requantize_block_s8(acc0, count, quant, first, out_offset, act, out + first);
        mi_requantize_block_s8(acc1, count, quant, first, out_offset, act, out + out_ch + first);
    }
    return out + 2 * out_ch;
}
