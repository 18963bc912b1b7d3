#include "mi_nn_support.h"

void mi_nn_transpose_to_q15(const int8_t *filter, int32_t rows, int32_t cols, int16_t *dst)
{
    int32_t r;
    for (r = 0; r < rows; r++) {
        int32_t k;
        for (k = 0; k < cols; k++) {
            dst[(int64_t)k * rows + r] = filter[(int64_t)r * cols + k];
        }
    }
}
