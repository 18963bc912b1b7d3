/* Fill an output with one repeated element (PAD's border). */
#include <string.h>

#include "microinfer_nn.h"

mi_status mi_fill(const mi_fill_params *params, void *output)
{
    const int32_t bytes = params->element_bytes;
    uint8_t element[8];
    uint8_t *out = (uint8_t *)output;
    int32_t i, b;
    if ((bytes != 1 && bytes != 2 && bytes != 4 && bytes != 8) || params->count < 0) {
        return MI_ARG_ERROR;
    }
    for (b = 0; b < 4; b++) {
        element[b] = (uint8_t)(params->pattern_low >> (8 * b));
        element[b + 4] = (uint8_t)(params->pattern_high >> (8 * b));
    }
    if (bytes == 1) {
        memset(out, element[0], (size_t)params->count);
        return MI_OK;
    }
    for (i = 0; i < params->count; i++) {
        memcpy(out + (int64_t)i * bytes, element, (size_t)bytes);
    }
    return MI_OK;
}
