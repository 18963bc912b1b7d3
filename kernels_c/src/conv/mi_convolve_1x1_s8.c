#include "microinfer_nn.h"
#include "support/mi_nn_support.h"

mi_status mi_convolve_1x1_s8(const mi_context *ctx, const mi_conv_params *params, const mi_requant *quant,
                             const mi_dims *input_dims, const int8_t *input, const mi_dims *filter_dims,
                             const int8_t *filter, const int32_t *bias, const mi_dims *output_dims,
                             int8_t *output)
{
    const int32_t in_ch = input_dims->c;
    const int32_t out_ch = output_dims->c;
    int8_t *out = output;
    int32_t b;
    (void)ctx;
    if (filter_dims->h != 1 || filter_dims->w != 1 || filter_dims->c != in_ch || filter_dims->n != out_ch ||
        params->padding.h != 0 || params->padding.w != 0 || input_dims->n != output_dims->n) {
        return MI_ARG_ERROR;
    }
    if ((output_dims->h - 1) * params->stride.h >= input_dims->h ||
        (output_dims->w - 1) * params->stride.w >= input_dims->w) {
        return MI_ARG_ERROR;
    }
    for (b = 0; b < input_dims->n; b++) {
        int32_t oy;
        for (oy = 0; oy < output_dims->h; oy++) {
            const int8_t *row = input + ((int64_t)b * input_dims->h + (int64_t)oy * params->stride.h) *
                                            input_dims->w * in_ch;
            int32_t ox;
            for (ox = 0; ox < output_dims->w; ox++) {
                mi_nn_vec_mat_mult_t_s8(row + (int64_t)ox * params->stride.w * in_ch, filter, bias, out,
                                        params->input_offset, params->output_offset, quant, in_ch, out_ch,
                                        params->activation);
                out += out_ch;
            }
        }
    }
    return MI_OK;
}
