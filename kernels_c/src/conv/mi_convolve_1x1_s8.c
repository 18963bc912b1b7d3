#include "microinfer_nn.h"
#include "support/mi_nn_support.h"

int32_t mi_convolve_1x1_s8_get_buffer_size(const mi_dims *input_dims, const mi_dims *filter_dims)
{
    /* the transposed filter, then one input pixel, both int16 */
    return (filter_dims->n * filter_dims->c + input_dims->c) * (int32_t)sizeof(int16_t);
}

mi_status mi_convolve_1x1_s8(const mi_context *ctx, const mi_conv_params *params, const mi_requant *quant,
                             const mi_dims *input_dims, const int8_t *input, const mi_dims *filter_dims,
                             const int8_t *filter, const int32_t *bias, const mi_dims *output_dims,
                             int8_t *output)
{
    const int32_t in_ch = input_dims->c;
    const int32_t out_ch = output_dims->c;
    int16_t *filter_t = (int16_t *)(ctx != 0 ? ctx->buf : 0);
    int16_t *pixel = filter_t + (int64_t)out_ch * in_ch;
    int8_t *out = output;
    int32_t b;
    if (filter_dims->h != 1 || filter_dims->w != 1 || filter_dims->c != in_ch || filter_dims->n != out_ch ||
        params->padding.h != 0 || params->padding.w != 0 || input_dims->n != output_dims->n) {
        return MI_ARG_ERROR;
    }
    if ((output_dims->h - 1) * params->stride.h >= input_dims->h ||
        (output_dims->w - 1) * params->stride.w >= input_dims->w) {
        return MI_ARG_ERROR;
    }
    if (filter_t == 0 || ctx->size < mi_convolve_1x1_s8_get_buffer_size(input_dims, filter_dims)) {
        return MI_ARG_ERROR;
    }
    mi_nn_transpose_to_q15(filter, out_ch, in_ch, filter_t);
    for (b = 0; b < input_dims->n; b++) {
        int32_t oy;
        for (oy = 0; oy < output_dims->h; oy++) {
            const int8_t *row = input + ((int64_t)b * input_dims->h + (int64_t)oy * params->stride.h) *
                                            input_dims->w * in_ch;
            int32_t ox;
            for (ox = 0; ox < output_dims->w; ox++) {
                mi_q7_to_q15_with_offset(row + (int64_t)ox * params->stride.w * in_ch, pixel, in_ch,
                                         (int16_t)params->input_offset);
                mi_nn_vec_mat_mult_q15_t(pixel, filter_t, bias, in_ch, out_ch, quant, params->output_offset,
                                         params->activation, out);
                out += out_ch;
            }
        }
    }
    return MI_OK;
}
