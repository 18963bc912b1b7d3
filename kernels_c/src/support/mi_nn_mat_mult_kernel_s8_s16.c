#include "mi_nn_support.h"
#include "mi_requantize.h"

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

int8_t *mi_nn_mat_mult_kernel_s8_s16(const int8_t *filter, const int16_t *col, int32_t out_ch,
                                     const mi_requant *quant, int32_t out_offset, mi_activation act,
                                     int32_t num_col, const int32_t *bias, int8_t *out)
{
    const int16_t *col0 = col;
    const int16_t *col1 = col + num_col;
    int8_t *out0 = out;
    int8_t *out1 = out + out_ch;
    int32_t ch = 0;
    for (; ch + 1 < out_ch; ch += 2) {
        const int8_t *row0 = filter + (int64_t)ch * num_col;
        const int8_t *row1 = row0 + num_col;
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
        out0[ch] = (int8_t)mi_requantize_output(quant, ch, mi_wrap_add_s32(bias_of(bias, ch), s00), out_offset, act);
        out1[ch] = (int8_t)mi_requantize_output(quant, ch, mi_wrap_add_s32(bias_of(bias, ch), s01), out_offset, act);
        out0[ch + 1] = (int8_t)mi_requantize_output(quant, ch + 1, mi_wrap_add_s32(bias_of(bias, ch + 1), s10),
                                                    out_offset, act);
        out1[ch + 1] = (int8_t)mi_requantize_output(quant, ch + 1, mi_wrap_add_s32(bias_of(bias, ch + 1), s11),
                                                    out_offset, act);
    }
    if (ch < out_ch) {
        int32_t s0;
        int32_t s1;
        one_row(filter + (int64_t)ch * num_col, col0, col1, num_col, &s0, &s1);
        out0[ch] = (int8_t)mi_requantize_output(quant, ch, mi_wrap_add_s32(bias_of(bias, ch), s0), out_offset, act);
        out1[ch] = (int8_t)mi_requantize_output(quant, ch, mi_wrap_add_s32(bias_of(bias, ch), s1), out_offset, act);
    }
    return out + 2 * out_ch;
}
