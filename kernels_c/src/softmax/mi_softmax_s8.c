/* int8 -> int8 SOFTMAX over the innermost dimension (output scale 1/256, zero point -128). */
#include "mi_softmax_row.h"

mi_status mi_softmax_s8(const mi_softmax_params *params, int32_t rows, int32_t row_length, const int8_t *input,
                        int8_t *output)
{
    return mi_softmax_rows(params, rows, row_length, input, output, 0);
}
