/* The window of one output position of a pooling kernel, clipped to the input. */
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

#endif
