#include "microinfer_nn.h"
#include "mi_requantize.h"

mi_status mi_fully_connected_s16(const mi_context *ctx, const mi_fc_params *params, const mi_requant *quant,
                                 const mi_dims *input_dims, const int16_t *input, const mi_dims *filter_dims,
                                 const int8_t *filter, const int64_t *bias64, const int32_t *bias32, int32_t wide,
                                 const mi_dims *output_dims, int16_t *output)
{
    const int32_t batches = input_dims->n;
    const int32_t depth = filter_dims->c;
    const int32_t units = filter_dims->n;
    int32_t b;
    (void)ctx;
    if (input_dims->c != depth || output_dims->c != units || output_dims->n != batches) {
        return MI_ARG_ERROR;
    }
    for (b = 0; b < batches; b++) {
        const int16_t *x = input + (int64_t)b * depth;
        int32_t u;
        for (u = 0; u < units; u++) {
            const int8_t *row = filter + (int64_t)u * depth;
            int64_t sum = 0;
            int32_t k;
            for (k = 0; k < depth; k++) {
                sum += (int64_t)((x[k] + params->input_offset) * row[k]);
            }
            output[(int64_t)b * units + u] = (int16_t)mi_requantize_output_s64(
                quant, u, sum, bias64, bias32, wide, params->output_offset, params->activation);
        }
    }
    return MI_OK;
}
