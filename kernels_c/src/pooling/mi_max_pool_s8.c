/* int8 MAX_POOL_2D, NHWC. */
#include <string.h>

#include "microinfer_nn.h"
#include "mi_requantize.h"

static int32_t max_i32(int32_t a, int32_t b) { return a > b ? a : b; }
static int32_t min_i32(int32_t a, int32_t b) { return a < b ? a : b; }

/* Each output pixel starts as the first pixel of its window; later pixels raise it channel-wise. */
static void raise_to(int8_t *best, const int8_t *pixel, int32_t channels)
{
    int32_t c;
    for (c = 0; c < channels; ++c) {
        if (pixel[c] > best[c]) {
            best[c] = pixel[c];
        }
    }
}

static void clamp_s8(int8_t *values, int32_t count, int32_t lo, int32_t hi)
{
    int32_t i;
    for (i = 0; i < count; ++i) {
        values[i] = (int8_t)min_i32(max_i32(values[i], lo), hi);
    }
}

mi_status mi_max_pool_s8(const mi_context *ctx, const mi_pool_params *params, const mi_dims *input_dims,
                         const int8_t *input, const mi_dims *filter_dims, const mi_dims *output_dims,
                         int8_t *output)
{
    const int32_t in_h = input_dims->h, in_w = input_dims->w, channels = input_dims->c;
    int32_t batch, out_y, out_x;
    (void)ctx;
    for (batch = 0; batch < input_dims->n; ++batch) {
        const int8_t *image = input + batch * in_h * in_w * channels;
        for (out_y = 0; out_y < output_dims->h; ++out_y) {
            const int32_t origin_y = out_y * params->stride.h - params->padding.h;
            const int32_t y_begin = max_i32(origin_y, 0);
            const int32_t y_end = min_i32(origin_y + filter_dims->h, in_h);
            for (out_x = 0; out_x < output_dims->w; ++out_x) {
                const int32_t origin_x = out_x * params->stride.w - params->padding.w;
                const int32_t x_begin = max_i32(origin_x, 0);
                const int32_t x_end = min_i32(origin_x + filter_dims->w, in_w);
                int32_t y, x;
                if (y_begin >= y_end || x_begin >= x_end) {
                    return MI_ARG_ERROR;
                }
                memcpy(output, image + (y_begin * in_w + x_begin) * channels, (size_t)channels);
                for (y = y_begin; y < y_end; ++y) {
                    for (x = x_begin; x < x_end; ++x) {
                        raise_to(output, image + (y * in_w + x) * channels, channels);
                    }
                }
                clamp_s8(output, channels, params->activation.min, params->activation.max);
                output += channels;
            }
        }
    }
    return MI_OK;
}
