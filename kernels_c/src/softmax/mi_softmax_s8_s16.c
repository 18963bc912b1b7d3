/* int8 -> int16 SOFTMAX over the innermost dimension (output scale 1/65536, zero point -32768). */
#include "mi_softmax_row.h"

mi_status mi_softmax_s8_s16(const mi_softmax_params *params, int32_t rows, int32_t row_length,
                            const int8_t *input, int16_t *output)
{
    return mi_softmax_rows(params, rows, row_length, input, 0, output);
}
