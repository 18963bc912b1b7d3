#include "microinfer_nn.h"

static int is_1x1_unpadded(const mi_conv_params *params, const mi_dims *filter_dims)
{
    return filter_dims->h == 1 && filter_dims->w == 1 && params->padding.h == 0 && params->padding.w == 0;
}

int32_t mi_convolve_wrapper_s8_get_buffer_size(const mi_conv_params *params, const mi_dims *input_dims,
                                               const mi_dims *filter_dims, const mi_dims *output_dims)
{
    (void)output_dims;
    if (is_1x1_unpadded(params, filter_dims)) {
        return mi_convolve_1x1_s8_get_buffer_size(input_dims, filter_dims);
    }
    return mi_convolve_s8_get_buffer_size(input_dims, filter_dims);
}

mi_status mi_convolve_wrapper_s8(const mi_context *ctx, const mi_conv_params *params, const mi_requant *quant,
                                 const mi_dims *input_dims, const int8_t *input, const mi_dims *filter_dims,
                                 const int8_t *filter, const int32_t *bias, const mi_dims *output_dims,
                                 int8_t *output)
{
    if (is_1x1_unpadded(params, filter_dims)) {
        return mi_convolve_1x1_s8(ctx, params, quant, input_dims, input, filter_dims, filter, bias, output_dims,
                                  output);
    }
    return mi_convolve_s8(ctx, params, quant, input_dims, input, filter_dims, filter, bias, output_dims, output);
}
