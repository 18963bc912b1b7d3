#include "microinfer_nn.h"
#include "mi_requantize.h"
#include "mi_conv_geometry.h"

/* Channels summed together in registers / on the stack (no scratch buffer needed). */
#define MI_DW3X3_BLOCK 32

mi_status mi_depthwise_conv_3x3_s8(const mi_context *ctx, const mi_dw_conv_params *params,
                                   const mi_requant *quant, const mi_dims *input_dims, const int8_t *input,
                                   const mi_dims *filter_dims, const int8_t *filter, const int32_t *bias,
                                   const mi_dims *output_dims, int8_t *output)
{
    const int32_t channels = input_dims->c;
    const int32_t offset = params->input_offset;
    int32_t b;
    (void)ctx;
    if (filter_dims->h != 3 || filter_dims->w != 3 || filter_dims->n != 1 || params->ch_mult != 1 ||
        params->dilation.h != 1 || params->dilation.w != 1 || filter_dims->c != channels ||
        output_dims->c != channels || input_dims->n != output_dims->n) {
        return MI_ARG_ERROR;
    }
    for (b = 0; b < input_dims->n; b++) {
        const int8_t *image = input + (int64_t)b * input_dims->h * input_dims->w * channels;
        int8_t *out_image = output + (int64_t)b * output_dims->h * output_dims->w * channels;
        int32_t oy;
        for (oy = 0; oy < output_dims->h; oy++) {
            const int32_t origin_y = oy * params->stride.h - params->padding.h;
            int32_t ky0, ky1, ox;
            mi_taps_inside(origin_y, 1, 3, input_dims->h, &ky0, &ky1);
            for (ox = 0; ox < output_dims->w; ox++) {
                const int32_t origin_x = ox * params->stride.w - params->padding.w;
                int8_t *out = out_image + ((int64_t)oy * output_dims->w + ox) * channels;
                int32_t kx0, kx1, first;
                mi_taps_inside(origin_x, 1, 3, input_dims->w, &kx0, &kx1);
                for (first = 0; first < channels; first += MI_DW3X3_BLOCK) {
                    const int32_t count = channels - first < MI_DW3X3_BLOCK ? channels - first : MI_DW3X3_BLOCK;
                    int32_t acc[MI_DW3X3_BLOCK];
                    int32_t c, ky;
                    for (c = 0; c < count; c++) {
                        acc[c] = bias != 0 ? bias[first + c] : 0;
                    }
                    for (ky = ky0; ky < ky1; ky++) {
                        const int8_t *in_row = image + ((int64_t)(origin_y + ky) * input_dims->w) * channels + first;
                        int32_t kx;
                        for (kx = kx0; kx < kx1; kx++) {
                            const int8_t *x = in_row + (int64_t)(origin_x + kx) * channels;
                            const int8_t *w = filter + (ky * 3 + kx) * channels + first;
                            for (c = 0; c < count; c++) {
                                /* wraps like the reference's int32 sum only for absurd biases:
                                   the sum of 9 products stays far below 2**31 */
                                acc[c] = mi_wrap_add_s32(acc[c], (x[c] + offset) * w[c]);
                            }
                        }
                    }
                    mi_requantize_block_s8(acc, count, quant, first, params->output_offset, params->activation,
                                           out + first);
                }
            }
        }
    }
    return MI_OK;
}
