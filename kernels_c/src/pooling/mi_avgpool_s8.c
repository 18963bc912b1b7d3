/* int8 AVERAGE_POOL_2D, NHWC. */
#include <string.h>

#include "microinfer_nn.h"
#include "mi_requantize.h"

static int32_t max_i32(int32_t a, int32_t b) { return a > b ? a : b; }
static int32_t min_i32(int32_t a, int32_t b) { return a < b ? a : b; }

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
            const int32_t origin_y = out_y * params->stride.h - params->padding.h;
            const int32_t y_begin = max_i32(origin_y, 0);
            const int32_t y_end = min_i32(origin_y + filter_dims->h, in_h);
            for (out_x = 0; out_x < output_dims->w; ++out_x) {
                const int32_t origin_x = out_x * params->stride.w - params->padding.w;
                const int32_t x_begin = max_i32(origin_x, 0);
                const int32_t x_end = min_i32(origin_x + filter_dims->w, in_w);
                const int32_t count = (y_end - y_begin) * (x_end - x_begin);
                int32_t y, x;
                if (count <= 0) {
                    return MI_ARG_ERROR;
                }
                memset(sums, 0, (size_t)channels * sizeof(int32_t));
                for (y = y_begin; y < y_end; ++y) {
                    for (x = x_begin; x < x_end; ++x) {
                        const int8_t *pixel = image + (y * in_w + x) * channels;
                        for (c = 0; c < channels; ++c) {
                            sums[c] += pixel[c];
                        }
                    }
                }
                for (c = 0; c < channels; ++c) {
                    const int32_t average = rounded_average(sums[c], count);
                    *output++ = (int8_t)min_i32(max_i32(average, params->activation.min), params->activation.max);
                }
            }
        }
    }
    return MI_OK;
}
