/* int8 MAX_POOL_2D, NHWC. */
#include "mi_pool_window.h"

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

static void clamp_s8(int8_t *values, int32_t count, mi_activation activation)
{
    int32_t i;
    for (i = 0; i < count; ++i) {
        values[i] = (int8_t)mi_clamp(values[i], activation);
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
            const mi_span rows = mi_pool_span(out_y, params->stride.h, params->padding.h, filter_dims->h, in_h);
            for (out_x = 0; out_x < output_dims->w; ++out_x) {
                const mi_span cols = mi_pool_span(out_x, params->stride.w, params->padding.w, filter_dims->w, in_w);
                int32_t y, x;
                if (rows.begin >= rows.end || cols.begin >= cols.end) {
                    return MI_ARG_ERROR;
                }
                memcpy(output, image + (rows.begin * in_w + cols.begin) * channels, (size_t)channels);
                for (y = rows.begin; y < rows.end; ++y) {
                    for (x = cols.begin; x < cols.end; ++x) {
                        raise_to(output, image + (y * in_w + x) * channels, channels);
                    }
                }
                clamp_s8(output, channels, params->activation);
                output += channels;
            }
        }
    }
    return MI_OK;
}
