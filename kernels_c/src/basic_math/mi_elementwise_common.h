/* What the element-wise kernels share: walking two broadcast inputs along the output row by row,
   and requantization by a non-negative multiplier. */
#ifndef MI_ELEMENTWISE_COMMON_H
#define MI_ELEMENTWISE_COMMON_H

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

/* One output row: out[i] = ELEMENT(in1[i * step1], in2[i * step2]) for i < length. The common
   steps (1, 1), (1, 0) and (0, 1) get loops of their own, with constant steps the compiler can
   vectorize; a macro rather than a function so each kernel's element arithmetic is inlined. */
#define MI_BROADCAST_ROW(ELEMENT, OUT_TYPE, in1, step1, in2, step2, out, length)      \
    do {                                                                          \
        int32_t i_;                                                               \
        if ((step1) == 1 && (step2) == 1) {                                       \
            for (i_ = 0; i_ < (length); ++i_) {                                   \
                (out)[i_] = (OUT_TYPE)ELEMENT((in1)[i_], (in2)[i_]);              \
            }                                                                     \
        } else if ((step1) == 1 && (step2) == 0) {                                \
            for (i_ = 0; i_ < (length); ++i_) {                                   \
                (out)[i_] = (OUT_TYPE)ELEMENT((in1)[i_], (in2)[0]);               \
            }                                                                     \
        } else if ((step1) == 0 && (step2) == 1) {                                \
            for (i_ = 0; i_ < (length); ++i_) {                                   \
                (out)[i_] = (OUT_TYPE)ELEMENT((in1)[0], (in2)[i_]);               \
            }                                                                     \
        } else {                                                                  \
            for (i_ = 0; i_ < (length); ++i_) {                                   \
                (out)[i_] = (OUT_TYPE)ELEMENT((in1)[i_ * (step1)], (in2)[i_ * (step2)]); \
            }                                                                     \
        }                                                                         \
    } while (0)

/* The whole kernel body: every output row of the broadcast ``shape`` through MI_BROADCAST_ROW. */
#define MI_BROADCAST_WALK(ELEMENT, OUT_TYPE, shape, input1, input2, output)                            \
    do {                                                                                            \
        const int32_t last_ = (shape)->rank - 1;                                                    \
        const int32_t length_ = (shape)->dims[last_];                                               \
        const int32_t rows_ = mi_broadcast_rows(shape);                                             \
        OUT_TYPE *out_ = (output);                                                                  \
        mi_broadcast_cursor cursor_;                                                                \
        int32_t r_;                                                                                 \
        mi_broadcast_start(&cursor_);                                                               \
        for (r_ = 0; r_ < rows_; ++r_) {                                                            \
            MI_BROADCAST_ROW(ELEMENT, OUT_TYPE, (input1) + cursor_.offset1, (shape)->stride1[last_], \
                             (input2) + cursor_.offset2, (shape)->stride2[last_], out_, length_);   \
            out_ += length_;                                                                        \
            mi_broadcast_next_row(shape, &cursor_);                                                 \
        }                                                                                           \
    } while (0)

/* The doubling high multiply for a multiplier that is not INT32_MIN (the Python side checks it is
   >= 0): it cannot saturate, and its nudge followed by truncating division is exactly
   floor((x*m + 2**30) / 2**31). Branch-free, so loops of it vectorize. */
static inline int32_t mi_high_mult_nonnegative(int32_t x, int32_t multiplier)
{
    return (int32_t)(((int64_t)x * multiplier + ((int64_t)1 << 30)) >> 31);
}

/* MultiplyByQuantizedMultiplier, double rounding, for a non-negative multiplier, shift in [-31, 30].
   The same bits as mi_requantize_double, which also takes negative multipliers; this narrower
   form keeps the element-wise row loops vectorizable (ADD runs about twice as fast with it). */
static inline int32_t mi_requantize_nonnegative(int32_t x, mi_scale scale)
{
    const int32_t left = scale.shift > 0 ? scale.shift : 0;
    const int32_t right = scale.shift > 0 ? 0 : -scale.shift;
    const int32_t shifted = (int32_t)((uint32_t)x << left);
    return mi_divide_by_power_of_two(mi_high_mult_nonnegative(shifted, scale.multiplier), right);
}

#endif
