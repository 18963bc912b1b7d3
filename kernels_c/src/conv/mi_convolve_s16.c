#include "microinfer_nn.h"
#include "mi_requantize.h"
#include "mi_conv_geometry.h"

/* Exact sum of products of output channel oc's filter over the window at (origin_y, origin_x). */
static int64_t window_sum(const mi_conv_params *params, const mi_dims *input_dims, const int16_t *image,
                          const int8_t *row, const mi_dims *filter_dims, int32_t origin_y, int32_t origin_x)
{
    const int32_t in_ch = input_dims->c;
    int32_t ky0, ky1, kx0, kx1, ky;
    int64_t sum = 0;
    mi_taps_inside(origin_y, params->dilation.h, filter_dims->h, input_dims->h, &ky0, &ky1);
    mi_taps_inside(origin_x, params->dilation.w, filter_dims->w, input_dims->w, &kx0, &kx1);
    for (ky = ky0; ky < ky1; ky++) {
        const int32_t iy = origin_y + ky * params->dilation.h;
        int32_t kx;
        for (kx = kx0; kx < kx1; kx++) {
            const int32_t ix = origin_x + kx * params->dilation.w;
            const int16_t *x = image + ((int64_t)iy * input_dims->w + ix) * in_ch;
            const int8_t *w = row + ((int64_t)ky * filter_dims->w + kx) * in_ch;
            int32_t part = 0; /* in_ch * 2**22 stays below 2**31: checked by the caller */
            int32_t c;
            for (c = 0; c < in_ch; c++) {
                part += x[c] * w[c];
            }
            sum += part;
        }
    }
    return sum;
}

mi_status mi_convolve_s16(const mi_context *ctx, const mi_conv_params *params, const mi_requant *quant,
                          const mi_dims *input_dims, const int16_t *input, const mi_dims *filter_dims,
                          const int8_t *filter, const int64_t *bias64, const int32_t *bias32, int32_t wide,
                          const mi_dims *output_dims, int16_t *output)
{
    const int32_t out_ch = output_dims->c;
    const int32_t filter_size = filter_dims->h * filter_dims->w * filter_dims->c;
    int16_t *out = output;
    int32_t b;
    (void)ctx;
    if (filter_dims->c != input_dims->c || filter_dims->n != out_ch || input_dims->n != output_dims->n) {
        return MI_ARG_ERROR;
    }
    for (b = 0; b < input_dims->n; b++) {
        const int16_t *image = input + (int64_t)b * input_dims->h * input_dims->w * input_dims->c;
        int32_t oy;
        for (oy = 0; oy < output_dims->h; oy++) {
            const int32_t origin_y = oy * params->stride.h - params->padding.h;
            int32_t ox;
            for (ox = 0; ox < output_dims->w; ox++) {
                const int32_t origin_x = ox * params->stride.w - params->padding.w;
                int32_t oc;
                for (oc = 0; oc < out_ch; oc++) {
                    const int64_t sum = window_sum(params, input_dims, image, filter + (int64_t)oc * filter_size,
                                                   filter_dims, origin_y, origin_x);
                    *out++ = (int16_t)mi_requantize_output_s64(quant, oc, sum, bias64, bias32, wide,
                                                               params->output_offset, params->activation);
                }
            }
        }
    }
    return MI_OK;
}
