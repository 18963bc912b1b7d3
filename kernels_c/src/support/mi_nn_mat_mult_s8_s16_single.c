#include "mi_nn_support.h"
#include "mi_requantize.h"

void mi_nn_mat_mult_s8_s16_single(const int8_t *filter, const int16_t *col, int32_t out_ch,
                                  const mi_requant *quant, int32_t out_offset, mi_activation act,
                                  int32_t num_col, const int32_t *bias, int8_t *out)
{
    int32_t ch;
    for (ch = 0; ch < out_ch; ch++) {
        const int8_t *row = filter + (int64_t)ch * num_col;
        int32_t sum = 0;
        int32_t k;
        for (k = 0; k < num_col; k++) {
            sum += col[k] * row[k];
        }
        if (bias != 0) {
            sum = mi_wrap_add_s32(bias[ch], sum);
        }
        out[ch] = (int8_t)mi_requantize_output(quant, ch, sum, out_offset, act);
    }
}
