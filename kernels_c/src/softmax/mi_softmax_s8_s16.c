/* int8 -> int16 SOFTMAX over the innermost dimension (output scale 1/65536, zero point -32768). */
#include "mi_softmax_row.h"

mi_status mi_softmax_s8_s16(const mi_softmax_params *params, int32_t rows, int32_t row_length,
                            const int8_t *input, int16_t *output)
{
    int32_t r, i;
    for (r = 0; r < rows; ++r) {
        const int32_t row_max = mi_softmax_row_max(input, row_length);
        const mi_softmax_row_scale scale = mi_softmax_row_scale_of(params, input, row_length, row_max, 16);
        if (scale.exponent < 0 || scale.exponent > 31) {
            return MI_ARG_ERROR;
        }
        for (i = 0; i < row_length; ++i) {
            output[i] = (int16_t)mi_softmax_output(params, scale, input[i] - row_max, INT16_MIN, INT16_MAX);
        }
        input += row_length;
        output += row_length;
    }
    return MI_OK;
}
