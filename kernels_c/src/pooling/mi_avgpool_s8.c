/* int8 AVERAGE_POOL_2D, NHWC. */
#include "mi_pool_window.h"

/* Rounded to nearest, ties away from zero, with C's truncating division (as the references do). */
static int32_t rounded_average(int32_t sum, int32_t count)
{
    const int32_t half = count / 2;
    return sum > 0 ? (sum + half) / count : (sum - half) / count;
}

int32_t mi_avgpool_s8_get_buffer_size(int32_t channels)
{
    return channels * (int32_t)sizeof(int32_t);
}

mi_status mi_avgpool_s8(const mi_context *ctx, const mi_pool_params *params, const mi_dims *input_dims,
                        const int8_t *input, const mi_dims *filter_dims, const mi_dims *output_dims,
                        int8_t *output)
{
    const int32_t in_h = input_dims->h, in_w = input_dims->w, channels = input_dims->c;
    int32_t *sums = (int32_t *)ctx->buf;
    int32_t batch, out_y, out_x, c;
    if (ctx->size < mi_avgpool_s8_get_buffer_size(channels)) {
        return MI_ARG_ERROR;
    }
    for (batch = 0; batch < input_dims->n; ++batch) {
        const int8_t *image = input + batch * in_h * in_w * channels;
        for (out_y = 0; out_y < output_dims->h; ++out_y) {
            const mi_span rows = mi_pool_span(out_y, params->stride.h, params->padding.h, filter_dims->h, in_h);
            for (out_x = 0; out_x < output_dims->w; ++out_x) {
                const mi_span cols = mi_pool_span(out_x, params->stride.w, params->padding.w, filter_dims->w, in_w);
                const int32_t count = (rows.end - rows.begin) * (cols.end - cols.begin);
                int32_t y, x;
                if (rows.begin >= rows.end || cols.begin >= cols.end) {
                    return MI_ARG_ERROR;
                }
                memset(sums, 0, (size_t)channels * sizeof(int32_t));
                for (y = rows.begin; y < rows.end; ++y) {
                    for (x = cols.begin; x < cols.end; ++x) {
                        const int8_t *pixel = image + (y * in_w + x) * channels;
                        for (c = 0; c < channels; ++c) {
                            sums[c] += pixel[c];
                        }
                    }
                }
                for (c = 0; c < channels; ++c) {
                    *output++ = (int8_t)mi_clamp(rounded_average(sums[c], count), params->activation);
                }
            }
        }
    }
    return MI_OK;
}
