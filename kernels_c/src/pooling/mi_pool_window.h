/* What the pooling kernels share: the window of each output pixel clipped to the input, and the
   walk over output pixels that reduces each window channel-wise into an int32 row (a sum or a
   maximum), for int8 and int16 tensors alike. */
#ifndef MI_POOL_WINDOW_H
#define MI_POOL_WINDOW_H

#include <string.h>

#include "microinfer_nn.h"
#include "mi_requantize.h"

/* Input rows (or columns) begin .. end - 1. */
typedef struct {
    int32_t begin;
    int32_t end;
} mi_span;

typedef enum {
    MI_POOL_AVERAGE,
    MI_POOL_MAX
} mi_pool_kind;

/* An int8 or an int16 tensor: exactly one of the two pointers is set. */
typedef struct {
    const int8_t *s8;
    const int16_t *s16;
} mi_pool_input;

typedef struct {
    int8_t *s8;
    int16_t *s16;
} mi_pool_output;

/* The filter placed for output position ``out`` (stride, padding before the first position),
   clipped to an input of ``size``: padding cells are never read. */
static inline mi_span mi_pool_span(int32_t out, int32_t stride, int32_t padding, int32_t filter, int32_t size)
{
    const int32_t origin = out * stride - padding;
    mi_span span;
    span.begin = origin > 0 ? origin : 0;
    span.end = origin + filter < size ? origin + filter : size;
    return span;
}

/* Rounded to nearest, ties away from zero, with C's truncating division (as the references do). */
static inline int32_t mi_rounded_average(int32_t sum, int32_t count)
{
    const int32_t half = count / 2;
    return sum > 0 ? (sum + half) / count : (sum - half) / count;
}

/* Scratch of both pooling kernels: the int32 reduction of one output pixel's channels. */
static inline int32_t mi_pool_buffer_size(int32_t channels)
{
    return channels * (int32_t)sizeof(int32_t);
}

/* Folds the pixel at element offset ``at`` into the reduction row. */
static inline void mi_pool_reduce(mi_pool_kind kind, int32_t *row, mi_pool_input input, int32_t at, int32_t channels)
{
    int32_t c;
    if (input.s8 != 0) {
        const int8_t *pixel = input.s8 + at;
        if (kind == MI_POOL_MAX) {
            for (c = 0; c < channels; ++c) {
                row[c] = pixel[c] > row[c] ? pixel[c] : row[c];
            }
        } else {
            for (c = 0; c < channels; ++c) {
                row[c] += pixel[c];
            }
        }
    } else {
        const int16_t *pixel = input.s16 + at;
        if (kind == MI_POOL_MAX) {
            for (c = 0; c < channels; ++c) {
                row[c] = pixel[c] > row[c] ? pixel[c] : row[c];
            }
        } else {
            for (c = 0; c < channels; ++c) {
                row[c] += pixel[c];
            }
        }
    }
}

/* Writes one output pixel (the average or the maximum, clamped) at element offset ``at``. */
static inline void mi_pool_store(mi_pool_kind kind, const int32_t *row, int32_t count, mi_activation activation,
                                 mi_pool_output output, int32_t at, int32_t channels)
{
    int32_t c;
    for (c = 0; c < channels; ++c) {
        const int32_t value = mi_clamp(kind == MI_POOL_AVERAGE ? mi_rounded_average(row[c], count) : row[c],
                                       activation);
        if (output.s8 != 0) {
            output.s8[at + c] = (int8_t)value;
        } else {
            output.s16[at + c] = (int16_t)value;
        }
    }
}

/* The whole pooling kernel, NHWC. */
static inline mi_status mi_pool(mi_pool_kind kind, const mi_context *ctx, const mi_pool_params *params,
                                const mi_dims *input_dims, mi_pool_input input, const mi_dims *filter_dims,
                                const mi_dims *output_dims, mi_pool_output output)
{
    const int32_t in_h = input_dims->h, in_w = input_dims->w, channels = input_dims->c;
    int32_t *row = (int32_t *)ctx->buf;
    int32_t at = 0, batch, out_y, out_x, y, x, c;
    if (ctx->buf == 0 || ctx->size < mi_pool_buffer_size(channels)) {
        return MI_ARG_ERROR;
    }
    for (batch = 0; batch < input_dims->n; ++batch) {
        const int32_t image = batch * in_h * in_w * channels;
        for (out_y = 0; out_y < output_dims->h; ++out_y) {
            const mi_span rows = mi_pool_span(out_y, params->stride.h, params->padding.h, filter_dims->h, in_h);
            for (out_x = 0; out_x < output_dims->w; ++out_x) {
                const mi_span cols = mi_pool_span(out_x, params->stride.w, params->padding.w, filter_dims->w, in_w);
                if (rows.begin >= rows.end || cols.begin >= cols.end) {
                    return MI_ARG_ERROR;
                }
                for (c = 0; c < channels; ++c) {
                    row[c] = kind == MI_POOL_MAX ? INT32_MIN : 0;
                }
                for (y = rows.begin; y < rows.end; ++y) {
                    for (x = cols.begin; x < cols.end; ++x) {
                        mi_pool_reduce(kind, row, input, image + (y * in_w + x) * channels, channels);
                    }
                }
                mi_pool_store(kind, row, (rows.end - rows.begin) * (cols.end - cols.begin), params->activation,
                              output, at, channels);
                at += channels;
            }
        }
    }
    return MI_OK;
}

#endif
