#include "mi_nn_support.h"

void mi_nn_depthwise_tap_s8(const int8_t *in, const int8_t *filter, int32_t *acc, int32_t in_ch, int32_t ch_mult,
                            int32_t input_offset)
{
    int32_t c;
    if (ch_mult == 1) {
        for (c = 0; c < in_ch; c++) {
            acc[c] += (in[c] + input_offset) * filter[c];
        }
        return;
    }
    for (c = 0; c < in_ch; c++) {
        const int32_t x = in[c] + input_offset;
        int32_t m;
        for (m = 0; m < ch_mult; m++) {
            acc[c * ch_mult + m] += x * filter[c * ch_mult + m];
        }
    }
}
