#include "microinfer_nn.h"
#include "support/mi_nn_support.h"

mi_status mi_depthwise_conv_3x3_s8(const mi_context *ctx, const mi_dw_conv_params *params,
                                   const mi_requant *quant, const mi_dims *input_dims, const int8_t *input,
                                   const mi_dims *filter_dims, const int8_t *filter, const int32_t *bias,
                                   const mi_dims *output_dims, int8_t *output)
{
    const int32_t channels = input_dims->c;
    (void)ctx;
    if (filter_dims->h != 3 || filter_dims->w != 3 || filter_dims->n != 1 || params->ch_mult != 1 ||
        params->dilation.h != 1 || params->dilation.w != 1 || filter_dims->c != channels ||
        output_dims->c != channels || input_dims->n != output_dims->n) {
        return MI_ARG_ERROR;
    }
    mi_nn_depthwise_conv_m1_s8(params, quant, input_dims, input, filter_dims, filter, bias, output_dims, output);
    return MI_OK;
}
