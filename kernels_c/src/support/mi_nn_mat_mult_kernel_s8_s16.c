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
