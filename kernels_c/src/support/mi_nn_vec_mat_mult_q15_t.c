#include "mi_nn_support.h"
#include "mi_requantize.h"

/* Output channels summed together (a stack block: no scratch). */
#define MI_CHANNEL_BLOCK 64

void mi_nn_vec_mat_mult_q15_t(const int16_t *x, const int16_t *filter_t, const int32_t *bias, int32_t cols,
                              int32_t rows, const mi_requant *quant, int32_t out_offset, mi_activation act,
                              int8_t *out)
{
    int32_t first;
    for (first = 0; first < rows; first += MI_CHANNEL_BLOCK) {
        const int32_t count = rows - first < MI_CHANNEL_BLOCK ? rows - first : MI_CHANNEL_BLOCK;
        int32_t acc[MI_CHANNEL_BLOCK];
        int32_t r, k;
        for (r = 0; r < count; r++) {
            acc[r] = 0;
        }
        for (k = 0; k < cols; k++) {
            const int16_t xk = x[k];
            const int16_t *w = filter_t + (int64_t)k * rows + first;
            for (r = 0; r < count; r++) {
                acc[r] += xk * w[r];
            }
        }
        if (bias != 0) {
            for (r = 0; r < count; r++) {
                acc[r] = mi_wrap_add_s32(bias[first + r], acc[r]);
            }
        }
        mi_requantize_block_s8(acc, count, quant, first, out_offset, act, out + first);
    }
}
