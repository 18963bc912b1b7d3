#include "mi_nn_support.h"
#include "mi_requantize.h"
#include "mi_nn_isa.h"

#if defined(ARM_MATH_MVEI)
/* One column times one filter row, eight int16 products per VMLADAVA, in a tail-predicated
   low-overhead loop (DLSTP/LETP); the accumulator is pinned to an even register. */
static int32_t column_dot_isa(const int8_t *row, const int16_t *col, int32_t num_col)
{
    register int32_t sum __asm__("r4") = 0;
    if (num_col > 0) {
        __asm__ volatile(
            "   dlstp.16 lr, %[n]\n"
            "1: vldrh.16 q0, [%[c]], #16\n"
            "   vldrb.s16 q1, [%[f]], #8\n"
            "   vmladava.s16 %[s], q0, q1\n"
            "   letp lr, 1b\n"
            : [s] "+r"(sum), [c] "+r"(col), [f] "+r"(row)
            : [n] "r"(num_col)
            : "q0", "q1", "lr", "memory");
    }
    return sum;
}
#elif defined(ARM_MATH_DSP)
/* One column times one filter row, two int16 products per SMLAD. */
static int32_t column_dot_isa(const int8_t *row, const int16_t *col, int32_t num_col)
{
    int32_t sum = 0;
    int32_t k = 0;
    for (; k + 4 <= num_col; k += 4) {
        int32_t f01;
        int32_t f23;
        mi_widen_s8x4_in_order(mi_read_word(row + k), &f01, &f23);
        sum = mi_dual_mac(mi_read_word(col + k), f01, sum);
        sum = mi_dual_mac(mi_read_word(col + k + 2), f23, sum);
    }
    for (; k < num_col; k++) {
        sum += col[k] * row[k];
    }
    return sum;
}
#endif


void mi_nn_mat_mult_s8_s16_single(const int8_t *filter, const int16_t *col, int32_t out_ch,
                                  const mi_requant *quant, int32_t out_offset, mi_activation act,
                                  int32_t num_col, const int32_t *bias, int8_t *out)
{
    int32_t ch;
    for (ch = 0; ch < out_ch; ch++) {
        const int8_t *row = filter + (int64_t)ch * num_col;
#if defined(ARM_MATH_MVEI) || defined(ARM_MATH_DSP)
        int32_t sum = column_dot_isa(row, col, num_col);
#else
        int32_t sum = 0;
        int32_t k;
        for (k = 0; k < num_col; k++) {
            sum += col[k] * row[k];
        }
#endif
        if (bias != 0) {
            sum = mi_wrap_add_s32(bias[ch], sum);
        }
        out[ch] = (int8_t)mi_requantize_output(quant, ch, sum, out_offset, act);
    }
}
