#include <string.h>

#include "microinfer_nn.h"
#include "mi_requantize.h"
#include "mi_conv_geometry.h"
#include "support/mi_nn_support.h"

int32_t mi_depthwise_conv_s8_get_buffer_size(const mi_dims *output_dims)
{
    return output_dims->c * (int32_t)sizeof(int32_t);
}

mi_status mi_depthwise_conv_s8(const mi_context *ctx, const mi_dw_conv_params *params, const mi_requant *quant,
                               const mi_dims *input_dims, const int8_t *input, const mi_dims *filter_dims,
                               const int8_t *filter, const int32_t *bias, const mi_dims *output_dims,
                               int8_t *output)
{
    const int32_t in_ch = input_dims->c;
    const int32_t out_ch = output_dims->c;
    int32_t *acc = (int32_t *)(ctx != 0 ? ctx->buf : 0);
    int8_t *out = output;
    int32_t b;
    if (!mi_depthwise_dims_consistent(params, input_dims, filter_dims, output_dims)) {
        return MI_ARG_ERROR;
    }
    if (params->ch_mult == 1) { /* no scratch needed */
        mi_nn_depthwise_conv_m1_s8(params, quant, input_dims, input, filter_dims, filter, bias, output_dims, output);
        return MI_OK;
    }
    if (acc == 0 || ctx->size < mi_depthwise_conv_s8_get_buffer_size(output_dims)) {
        return MI_ARG_ERROR;
    }
    for (b = 0; b < input_dims->n; b++) {
        const int8_t *image = input + (int64_t)b * input_dims->h * input_dims->w * in_ch;
        int32_t oy;
        for (oy = 0; oy < output_dims->h; oy++) {
            const int32_t origin_y = oy * params->stride.h - params->padding.h;
            int32_t ky0, ky1, ox;
            mi_taps_inside(origin_y, params->dilation.h, filter_dims->h, input_dims->h, &ky0, &ky1);
            for (ox = 0; ox < output_dims->w; ox++) {
                const int32_t origin_x = ox * params->stride.w - params->padding.w;
                int32_t kx0, kx1, ky, oc;
                mi_taps_inside(origin_x, params->dilation.w, filter_dims->w, input_dims->w, &kx0, &kx1);
                memset(acc, 0, (size_t)out_ch * sizeof(int32_t));
                for (ky = ky0; ky < ky1; ky++) {
                    const int32_t iy = origin_y + ky * params->dilation.h;
                    int32_t kx;
                    for (kx = kx0; kx < kx1; kx++) {
                        const int32_t ix = origin_x + kx * params->dilation.w;
                        mi_nn_depthwise_tap_s8(image + ((int64_t)iy * input_dims->w + ix) * in_ch,
                                               filter + ((int64_t)ky * filter_dims->w + kx) * out_ch, acc, in_ch,
                                               params->ch_mult, params->input_offset);
                    }
                }
                if (bias != 0) {
                    for (oc = 0; oc < out_ch; oc++) {
                        acc[oc] = mi_wrap_add_s32(bias[oc], acc[oc]);
                    }
                }
                mi_requantize_block_s8(acc, out_ch, quant, 0, params->output_offset, params->activation, out);
                out += out_ch;
            }
        }
    }
    return MI_OK;
}
