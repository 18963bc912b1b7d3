#include "microinfer_nn.h"
#include "support/mi_nn_support.h"

/* Up to this many input channels, summing across output channels over a transposed filter beats
   dot products along the input channels (the 2x2 tile): such short dot products cost more in
   their final reductions than in their multiply-adds. Above it the tile wins, and needs no
   transposed copy of the filter (measured on the MLPerf Tiny models, x86-64 AVX2). */
#define MI_1X1_FEW_IN_CH 8

static int sums_across_out_ch(const mi_dims *filter_dims)
{
    return filter_dims->c <= MI_1X1_FEW_IN_CH;
}

int32_t mi_convolve_1x1_s8_get_buffer_size(const mi_dims *input_dims, const mi_dims *filter_dims)
{
    if (sums_across_out_ch(filter_dims)) {
        /* the transposed filter, then one input pixel, both int16 */
        return (filter_dims->n * filter_dims->c + input_dims->c) * (int32_t)sizeof(int16_t);
    }
    return 2 * input_dims->c * (int32_t)sizeof(int16_t); /* two input pixels as int16 */
}

/* The input pixel under output pixel (b, oy, ox). */
static const int8_t *pixel_at(const mi_conv_params *params, const mi_dims *input_dims, const int8_t *input,
                              int32_t b, int32_t oy, int32_t ox)
{
    const int64_t y = (int64_t)oy * params->stride.h;
    const int64_t x = (int64_t)ox * params->stride.w;
    return input + (((int64_t)b * input_dims->h + y) * input_dims->w + x) * input_dims->c;
}

mi_status mi_convolve_1x1_s8(const mi_context *ctx, const mi_conv_params *params, const mi_requant *quant,
                             const mi_dims *input_dims, const int8_t *input, const mi_dims *filter_dims,
                             const int8_t *filter, const int32_t *bias, const mi_dims *output_dims,
                             int8_t *output)
{
    const int32_t in_ch = input_dims->c;
    const int32_t out_ch = output_dims->c;
    const int across = sums_across_out_ch(filter_dims);
    int16_t *buffer = (int16_t *)(ctx != 0 ? ctx->buf : 0);
    int16_t *pixels = across ? buffer + (int64_t)out_ch * in_ch : buffer; /* int16 input pixel(s) */
    int32_t pending = 0; /* pixels waiting for the 2x2 tile */
    int8_t *out = output;
    int32_t b, oy, ox;
    if (filter_dims->h != 1 || filter_dims->w != 1 || filter_dims->c != in_ch || filter_dims->n != out_ch ||
        params->padding.h != 0 || params->padding.w != 0 || input_dims->n != output_dims->n) {
        return MI_ARG_ERROR;
    }
    if ((output_dims->h - 1) * params->stride.h >= input_dims->h ||
        (output_dims->w - 1) * params->stride.w >= input_dims->w) {
        return MI_ARG_ERROR;
    }
    if (buffer == 0 || ctx->size < mi_convolve_1x1_s8_get_buffer_size(input_dims, filter_dims)) {
        return MI_ARG_ERROR;
    }
    if (across) {
        mi_nn_transpose_to_q15(filter, out_ch, in_ch, buffer);
    }
    for (b = 0; b < input_dims->n; b++) {
        for (oy = 0; oy < output_dims->h; oy++) {
            for (ox = 0; ox < output_dims->w; ox++) {
                mi_q7_to_q15_with_offset(pixel_at(params, input_dims, input, b, oy, ox), pixels + pending * in_ch,
                                         in_ch, (int16_t)params->input_offset);
                if (across) {
                    mi_nn_vec_mat_mult_q15_t(pixels, buffer, bias, in_ch, out_ch, quant, params->output_offset,
                                             params->activation, out);
                    out += out_ch;
                } else if (++pending == 2) {
                    out = mi_nn_mat_mult_kernel_s8_s16(filter, pixels, out_ch, quant, params->output_offset,
                                                       params->activation, in_ch, bias, out);
                    pending = 0;
                }
            }
        }
    }
    if (pending == 1) {
        mi_nn_mat_mult_s8_s16_single(filter, pixels, out_ch, quant, params->output_offset, params->activation, in_ch,
                                     bias, out);
    }
    return MI_OK;
}
