#include "mi_nn_support.h"

void mi_q7_to_q15_with_offset(const int8_t *src, int16_t *dst, int32_t count, int16_t offset)
{
    int32_t i;
    for (i = 0; i < count; i++) {
        dst[i] = (int16_t)(src[i] + offset);
    }
}
