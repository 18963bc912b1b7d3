#include "microinfer_nn.h"
#include "support/mi_nn_support.h"

int32_t mi_convolve_1x1_s8_get_buffer_size(const mi_dims *input_dims, const mi_dims *filter_dims)
{
    (void)input_dims;
    (void)filter_dims;
    return 0;
}

mi_status mi_convolve_1x1_s8(const mi_context *ctx, const mi_conv_params *params, const mi_requant *quant,
                             const mi_dims *input_dims, const int8_t *input, const mi_dims *filter_dims,
                             const int8_t *filter, const int32_t *bias, const mi_dims *output_dims,
                             int8_t *output)
{
    const int32_t in_ch = input_dims->c;
    const int32_t out_ch = output_dims->c;
    mi_nn_output_stage stage;
    int32_t b;
    (void)ctx;
    (void)bias; /* folded into params->folded_bias */
    if (filter_dims->h != 1 || filter_dims->w != 1 || filter_dims->c != in_ch || filter_dims->n != out_ch ||
        params->padding.h != 0 || params->padding.w != 0 || input_dims->n != output_dims->n ||
        params->folded_bias == 0) {
        return MI_ARG_ERROR;
    }
    if ((output_dims->h - 1) * params->stride.h >= input_dims->h ||
        (output_dims->w - 1) * params->stride.w >= input_dims->w) {
        return MI_ARG_ERROR;
    }
    stage.bias = params->folded_bias;
    stage.quant = quant;
    stage.output_offset = params->output_offset;
    stage.activation = params->activation;
    for (b = 0; b < input_dims->n; b++) {
        const int8_t *image = input + (int64_t)b * input_dims->h * input_dims->w * in_ch;
        int8_t *out = output + (int64_t)b * output_dims->h * output_dims->w * out_ch;
        if (params->stride.h == 1 && params->stride.w == 1 && output_dims->w == input_dims->w) {
            /* every pixel, one after the other: one matrix multiply for the image */
            mi_nn_mat_mult_nt_t_s8(image, output_dims->h * output_dims->w, in_ch, filter, out_ch, in_ch, &stage, out);
        } else {
            int32_t oy;
            for (oy = 0; oy < output_dims->h; oy++) {
                const int8_t *row = image + (int64_t)oy * params->stride.h * input_dims->w * in_ch;
                mi_nn_mat_mult_nt_t_s8(row, output_dims->w, params->stride.w * in_ch, filter, out_ch, in_ch, &stage,
                                       out + (int64_t)oy * output_dims->w * out_ch);
            }
        }
    }
    return MI_OK;
}
