#include <string.h>

#include "microinfer_nn.h"
#include "mi_requantize.h"
#include "mi_conv_geometry.h"

int32_t mi_depthwise_conv_s16_get_buffer_size(const mi_dims *output_dims)
{
    return output_dims->c * (int32_t)sizeof(int64_t);
}

/* acc[c * ch_mult + m] += in[c] * filter[c * ch_mult + m] */
static void tap_s16(const int16_t *in, const int8_t *filter, int64_t *acc, int32_t in_ch, int32_t ch_mult)
{
    int32_t c;
    for (c = 0; c < in_ch; c++) {
        int32_t m;
        for (m = 0; m < ch_mult; m++) {
            acc[c * ch_mult + m] += (int64_t)(in[c] * filter[c * ch_mult + m]);
        }
    }
}

mi_status mi_depthwise_conv_s16(const mi_context *ctx, const mi_dw_conv_params *params, const mi_requant *quant,
                                const mi_dims *input_dims, const int16_t *input, const mi_dims *filter_dims,
                                const int8_t *filter, const int64_t *bias64, const int32_t *bias32, int32_t wide,
                                const mi_dims *output_dims, int16_t *output)
{
    const int32_t in_ch = input_dims->c;
    const int32_t out_ch = output_dims->c;
    int64_t *acc = (int64_t *)(ctx != 0 ? ctx->buf : 0);
    int16_t *out = output;
    int32_t b;
    if (!mi_depthwise_dims_consistent(params, input_dims, filter_dims, output_dims)) {
        return MI_ARG_ERROR;
    }
    if (acc == 0 || ctx->size < mi_depthwise_conv_s16_get_buffer_size(output_dims)) {
        return MI_ARG_ERROR;
    }
    for (b = 0; b < input_dims->n; b++) {
        const int16_t *image = input + (int64_t)b * input_dims->h * input_dims->w * in_ch;
        int32_t oy;
        for (oy = 0; oy < output_dims->h; oy++) {
            const int32_t origin_y = oy * params->stride.h - params->padding.h;
            int32_t ky0, ky1, ox;
            mi_taps_inside(origin_y, params->dilation.h, filter_dims->h, input_dims->h, &ky0, &ky1);
            for (ox = 0; ox < output_dims->w; ox++) {
                const int32_t origin_x = ox * params->stride.w - params->padding.w;
                int32_t kx0, kx1, ky, oc;
                mi_taps_inside(origin_x, params->dilation.w, filter_dims->w, input_dims->w, &kx0, &kx1);
                memset(acc, 0, (size_t)out_ch * sizeof(int64_t));
                for (ky = ky0; ky < ky1; ky++) {
                    const int32_t iy = origin_y + ky * params->dilation.h;
                    int32_t kx;
                    for (kx = kx0; kx < kx1; kx++) {
                        const int32_t ix = origin_x + kx * params->dilation.w;
                        tap_s16(image + ((int64_t)iy * input_dims->w + ix) * in_ch,
                                filter + ((int64_t)ky * filter_dims->w + kx) * out_ch, acc, in_ch, params->ch_mult);
                    }
                }
                for (oc = 0; oc < out_ch; oc++) {
                    *out++ = (int16_t)mi_requantize_output_s64(quant, oc, acc[oc], bias64, bias32, wide,
                                                               params->output_offset, params->activation);
                }
            }
        }
    }
    return MI_OK;
}
