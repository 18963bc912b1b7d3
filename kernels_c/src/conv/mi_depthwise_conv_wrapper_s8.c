#include "microinfer_nn.h"

static int is_3x3_single_multiplier(const mi_dw_conv_params *params, const mi_dims *filter_dims)
{
    return filter_dims->h == 3 && filter_dims->w == 3 && params->ch_mult == 1 && params->dilation.h == 1 &&
           params->dilation.w == 1;
}

int32_t mi_depthwise_conv_wrapper_s8_get_buffer_size(const mi_dw_conv_params *params, const mi_dims *input_dims,
                                                     const mi_dims *filter_dims, const mi_dims *output_dims)
{
    (void)input_dims;
    return is_3x3_single_multiplier(params, filter_dims) ? 0 : mi_depthwise_conv_s8_get_buffer_size(output_dims);
}

mi_status mi_depthwise_conv_wrapper_s8(const mi_context *ctx, const mi_dw_conv_params *params,
                                       const mi_requant *quant, const mi_dims *input_dims, const int8_t *input,
                                       const mi_dims *filter_dims, const int8_t *filter, const int32_t *bias,
                                       const mi_dims *output_dims, int8_t *output)
{
    if (is_3x3_single_multiplier(params, filter_dims)) {
        return mi_depthwise_conv_3x3_s8(ctx, params, quant, input_dims, input, filter_dims, filter, bias,
                                        output_dims, output);
    }
    return mi_depthwise_conv_s8(ctx, params, quant, input_dims, input, filter_dims, filter, bias, output_dims,
                                output);
}
