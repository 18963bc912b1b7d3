/* The N-dimensional strided copy of mi_nn_data.h. */
#include <string.h>

#include "microinfer_nn.h"

static void copy_row(const uint8_t *in, int32_t in_step, uint8_t *out, int32_t out_step, int32_t count,
                     int32_t bytes)
{
    int32_t i;
    if (in_step == 1 && out_step == 1) {
        memcpy(out, in, (size_t)count * (size_t)bytes);
        return;
    }
    for (i = 0; i < count; i++) {
        memcpy(out + (int64_t)i * out_step * bytes, in + (int64_t)i * in_step * bytes, (size_t)bytes);
    }
}

mi_status mi_copy_nd(const mi_copy_params *params, const void *input, void *output)
{
    const int32_t rank = params->rank;
    const int32_t bytes = params->element_bytes;
    const int32_t last = rank - 1;
    int32_t index[MI_MAX_COPY_RANK];
    int64_t in_at = 0, out_at = 0;
    int32_t d;
    if (rank < 1 || rank > MI_MAX_COPY_RANK || (bytes != 1 && bytes != 2 && bytes != 4 && bytes != 8)) {
        return MI_ARG_ERROR;
    }
    for (d = 0; d < rank; d++) {
        if (params->dims[d] <= 0) {
            return MI_OK; /* nothing to copy */
        }
        index[d] = 0;
    }
    for (;;) {
        copy_row((const uint8_t *)input + in_at * bytes, params->in_stride[last], (uint8_t *)output + out_at * bytes,
                 params->out_stride[last], params->dims[last], bytes);
        /* odometer over every dimension but the innermost */
        for (d = last - 1; d >= 0; d--) {
            in_at += params->in_stride[d];
            out_at += params->out_stride[d];
            if (++index[d] < params->dims[d]) {
                break;
            }
            in_at -= (int64_t)params->in_stride[d] * params->dims[d];
            out_at -= (int64_t)params->out_stride[d] * params->dims[d];
            index[d] = 0;
        }
        if (d < 0) {
            return MI_OK;
        }
    }
}
