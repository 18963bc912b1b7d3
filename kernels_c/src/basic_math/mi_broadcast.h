/* Walking two broadcast inputs along the output, row by row (shared by ADD and MUL). */
#ifndef MI_BROADCAST_H
#define MI_BROADCAST_H

#include <string.h>

#include "microinfer_nn.h"
#include "mi_requantize.h"

/* Offsets of both inputs for the current output row, and the row's multi-index. */
typedef struct {
    int32_t index[MI_MAX_BROADCAST_RANK];
    int32_t offset1;
    int32_t offset2;
} mi_broadcast_cursor;

static inline int32_t mi_broadcast_rows(const mi_broadcast *shape)
{
    int32_t rows = 1, d;
    for (d = 0; d + 1 < shape->rank; ++d) {
        rows *= shape->dims[d];
    }
    return rows;
}

static inline void mi_broadcast_start(mi_broadcast_cursor *cursor)
{
    memset(cursor, 0, sizeof(*cursor));
}

/* Moves to the next row: an odometer over every dimension but the innermost. */
static inline void mi_broadcast_next_row(const mi_broadcast *shape, mi_broadcast_cursor *cursor)
{
    int32_t d;
    for (d = shape->rank - 2; d >= 0; --d) {
        cursor->offset1 += shape->stride1[d];
        cursor->offset2 += shape->stride2[d];
        if (++cursor->index[d] < shape->dims[d]) {
            return;
        }
        cursor->offset1 -= shape->stride1[d] * shape->dims[d];
        cursor->offset2 -= shape->stride2[d] * shape->dims[d];
        cursor->index[d] = 0;
    }
}

#endif
