#include "microinfer_nn.h"
#include "support/mi_nn_support.h"

mi_status mi_fully_connected_s8(const mi_context *ctx, const mi_fc_params *params, const mi_requant *quant,
                                const mi_dims *input_dims, const int8_t *input, const mi_dims *filter_dims,
                                const int8_t *filter, const int32_t *bias, const mi_dims *output_dims,
                                int8_t *output)
{
    const int32_t batches = input_dims->n;
    const int32_t depth = filter_dims->c;
    const int32_t units = filter_dims->n;
    int32_t b;
    (void)ctx;
    if (input_dims->c != depth || output_dims->c != units || output_dims->n != batches) {
        return MI_ARG_ERROR;
    }
#if defined(__ARM_ARCH)
    if (params->input_offset == 0) {
        /* the input offset is in the bias (microinfer's prepare folds it): raw int8 products in the
           Cortex-M matrix multiply (the host's vectorized row loop below is faster there) */
        mi_nn_output_stage stage;
        stage.bias = bias;
        stage.quant = quant;
        stage.output_offset = params->output_offset;
        stage.activation = params->activation;
        mi_nn_mat_mult_nt_t_s8(input, batches, depth, filter, units, depth, &stage, output);
        return MI_OK;
    }
#endif
    for (b = 0; b < batches; b++) {
        mi_nn_vec_mat_mult_t_s8(input + (int64_t)b * depth, filter, bias, output + (int64_t)b * units,
                                params->input_offset, params->output_offset, quant, depth, units,
                                params->activation);
    }
    return MI_OK;
}
