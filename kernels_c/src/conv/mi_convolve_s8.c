#include <string.h>

#include "microinfer_nn.h"
#include "support/mi_nn_support.h"

int32_t mi_convolve_s8_get_buffer_size(const mi_dims *input_dims, const mi_dims *filter_dims)
{
    (void)input_dims;
    return 2 * filter_dims->h * filter_dims->w * filter_dims->c * (int32_t)sizeof(int16_t);
}

/* One im2col column: the window of output pixel (oy, ox), input offset added, padding as 0. */
static void im2col_column(const mi_conv_params *params, const mi_dims *input_dims, const int8_t *image,
                          const mi_dims *filter_dims, int32_t oy, int32_t ox, int16_t *col)
{
    const int32_t in_ch = input_dims->c;
    int32_t ky;
    for (ky = 0; ky < filter_dims->h; ky++) {
        const int32_t iy = oy * params->stride.h - params->padding.h + ky * params->dilation.h;
        int32_t kx;
        for (kx = 0; kx < filter_dims->w; kx++) {
            const int32_t ix = ox * params->stride.w - params->padding.w + kx * params->dilation.w;
            if (iy < 0 || iy >= input_dims->h || ix < 0 || ix >= input_dims->w) {
                memset(col, 0, (size_t)in_ch * sizeof(int16_t));
            } else {
                mi_q7_to_q15_with_offset(image + ((int64_t)iy * input_dims->w + ix) * in_ch, col, in_ch,
                                         (int16_t)params->input_offset);
            }
            col += in_ch;
        }
    }
}

mi_status mi_convolve_s8(const mi_context *ctx, const mi_conv_params *params, const mi_requant *quant,
                         const mi_dims *input_dims, const int8_t *input, const mi_dims *filter_dims,
                         const int8_t *filter, const int32_t *bias, const mi_dims *output_dims, int8_t *output)
{
    const int32_t num_col = filter_dims->h * filter_dims->w * filter_dims->c;
    const int32_t out_ch = output_dims->c;
    int16_t *cols = (int16_t *)(ctx != 0 ? ctx->buf : 0);
    int32_t pending = 0; /* im2col columns waiting for the 2x2 tile */
    int8_t *out = output;
    int32_t b;
    if (filter_dims->c != input_dims->c || filter_dims->n != out_ch || input_dims->n != output_dims->n) {
        return MI_ARG_ERROR;
    }
    if (cols == 0 || ctx->size < mi_convolve_s8_get_buffer_size(input_dims, filter_dims)) {
        return MI_ARG_ERROR;
    }
    for (b = 0; b < input_dims->n; b++) {
        const int8_t *image = input + (int64_t)b * input_dims->h * input_dims->w * input_dims->c;
        int32_t oy;
        for (oy = 0; oy < output_dims->h; oy++) {
            int32_t ox;
            for (ox = 0; ox < output_dims->w; ox++) {
                im2col_column(params, input_dims, image, filter_dims, oy, ox, cols + pending * num_col);
                pending++;
                if (pending == 2) {
                    out = mi_nn_mat_mult_kernel_s8_s16(filter, cols, out_ch, quant, params->output_offset,
                                                       params->activation, num_col, bias, out);
                    pending = 0;
                }
            }
        }
    }
    if (pending == 1) {
        mi_nn_mat_mult_s8_s16_single(filter, cols, out_ch, quant, params->output_offset, params->activation,
                                     num_col, bias, out);
    }
    return MI_OK;
}
