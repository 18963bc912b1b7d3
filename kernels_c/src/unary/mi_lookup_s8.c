/* Any element-wise function of an int8 input, as a 256-entry table (see mi_nn_unary.h). */
#include "microinfer_nn.h"

mi_status mi_lookup_s8(const mi_lookup_params *params, const int8_t *input, void *output)
{
    const int32_t count = params->count;
    int32_t i;
    if (params->table == 0 || count < 0) {
        return MI_ARG_ERROR;
    }
    switch (params->element_bytes) {
    case 1: {
        const int8_t *table = (const int8_t *)params->table + 128;
        int8_t *out = (int8_t *)output;
        for (i = 0; i < count; i++) {
            out[i] = table[input[i]];
        }
        return MI_OK;
    }
    case 2: {
        const int16_t *table = (const int16_t *)params->table + 128;
        int16_t *out = (int16_t *)output;
        for (i = 0; i < count; i++) {
            out[i] = table[input[i]];
        }
        return MI_OK;
    }
    case 4: {
        const uint32_t *table = (const uint32_t *)params->table + 128;
        uint32_t *out = (uint32_t *)output;
        for (i = 0; i < count; i++) {
            out[i] = table[input[i]];
        }
        return MI_OK;
    }
    default:
        return MI_ARG_ERROR;
    }
}
