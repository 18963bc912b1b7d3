/* What the batch matmul kernels share: the argument check, the scratch layout and the packing of
   one operand into int16 rows that are contiguous along depth (offset added, adjoint undone). */
#ifndef MI_BATCH_MATMUL_COMMON_H
#define MI_BATCH_MATMUL_COMMON_H

#include <stddef.h>

#include "mi_nn_matmul.h"
#include "mi_requantize.h"

/* Elements of the int16 scratch: the packed lhs (rows x depth) then the packed rhs (cols x depth). */
static inline int32_t mi_bmm_scratch_elements(const mi_bmm_dims *dims)
{
    return (dims->rows + dims->cols) * dims->depth;
}

static inline int32_t mi_bmm_arguments_ok(const mi_context *ctx, const mi_bmm_dims *dims)
{
    if (dims->batches <= 0 || dims->rows <= 0 || dims->depth <= 0 || dims->cols <= 0) {
        return 0;
    }
    return ctx->buf != NULL && ctx->size >= mi_bmm_scratch_elements(dims) * (int32_t)sizeof(int16_t);
}

/* count rows of depth values each, out[r * depth + k] = in[r * row_step + k * depth_step] + offset.
   A matrix stored with depth contiguous has depth_step 1; an adjoint one has row_step 1. */
#define MI_BMM_PACK(T, in, count, depth, row_step, depth_step, offset, out)                     \
    do {                                                                                     \
        int32_t r_, k_;                                                                      \
        for (r_ = 0; r_ < (count); ++r_) {                                                   \
            const T *src_ = (in) + (int64_t)r_ * (row_step);                                 \
            int16_t *dst_ = (out) + (int64_t)r_ * (depth);                                   \
            for (k_ = 0; k_ < (depth); ++k_) {                                               \
                dst_[k_] = (int16_t)(src_[(int64_t)k_ * (depth_step)] + (offset));           \
            }                                                                                \
        }                                                                                    \
    } while (0)

/* Packs batch b's operands into the scratch unless the previous batch packed the same ones. */
#define MI_BMM_PACK_BATCH(T, dims, params, lhs, rhs, b, packed_lhs, packed_rhs)                               \
    do {                                                                                                   \
        const int32_t lo_ = (dims)->lhs_batch_offsets[b];                                                  \
        const int32_t ro_ = (dims)->rhs_batch_offsets[b];                                                  \
        if ((b) == 0 || lo_ != (dims)->lhs_batch_offsets[(b) - 1]) {                                       \
            if ((dims)->adj_x) {                                                                           \
                MI_BMM_PACK(T, (lhs) + lo_, (dims)->rows, (dims)->depth, 1, (dims)->rows, (params)->lhs_offset, \
                            packed_lhs);                                                                   \
            } else {                                                                                       \
                MI_BMM_PACK(T, (lhs) + lo_, (dims)->rows, (dims)->depth, (dims)->depth, 1, (params)->lhs_offset, \
                            packed_lhs);                                                                   \
            }                                                                                              \
        }                                                                                                  \
        if ((b) == 0 || ro_ != (dims)->rhs_batch_offsets[(b) - 1]) {                                       \
            if ((dims)->adj_y) {                                                                           \
                MI_BMM_PACK(T, (rhs) + ro_, (dims)->cols, (dims)->depth, (dims)->depth, 1, (params)->rhs_offset, \
                            packed_rhs);                                                                   \
            } else {                                                                                       \
                MI_BMM_PACK(T, (rhs) + ro_, (dims)->cols, (dims)->depth, 1, (dims)->cols, (params)->rhs_offset, \
                            packed_rhs);                                                                   \
            }                                                                                              \
        }                                                                                                  \
    } while (0)

/* Defines static void NAME(a0, a1, b0, b1, depth, ACC sums[4]): the four sums of products of
   packed lhs rows a0, a1 with packed rhs rows b0, b1, in ACC (a 2x2 output tile: each value
   loaded once serves two products). The int8 kernel sums in int32 (the caller bounds the sums
   below 2**31), the int16 one in int64. */
#define MI_BMM_DEFINE_DOT_2X2(NAME, ACC)                                                                   \
    static void NAME(const int16_t *a0, const int16_t *a1, const int16_t *b0, const int16_t *b1,           \
                     int32_t depth, ACC sums[4])                                                           \
    {                                                                                                      \
        ACC s00 = 0, s01 = 0, s10 = 0, s11 = 0;                                                            \
        int32_t k;                                                                                         \
        for (k = 0; k < depth; ++k) {                                                                      \
            s00 += (int32_t)a0[k] * b0[k];                                                                 \
            s01 += (int32_t)a0[k] * b1[k];                                                                 \
            s10 += (int32_t)a1[k] * b0[k];                                                                 \
            s11 += (int32_t)a1[k] * b1[k];                                                                 \
        }                                                                                                  \
        sums[0] = s00;                                                                                     \
        sums[1] = s01;                                                                                     \
        sums[2] = s10;                                                                                     \
        sums[3] = s11;                                                                                     \
    }

/* The products of one packed batch in 2x2 output tiles (an odd last row or column repeats its
   operand and drops the duplicate results): DOT(a0, a1, b0, b1, depth, sums) fills four sums of
   type ACC, OUTPUT(acc) gives one output value; out advances past the batch's rows x cols. */
#define MI_BMM_TILES(ACC, DOT, OUTPUT, dims, packed_lhs, packed_rhs, out)                                   \
    do {                                                                                                \
        int32_t i_, j_;                                                                                 \
        for (i_ = 0; i_ < (dims)->rows; i_ += 2) {                                                      \
            const int32_t second_row_ = i_ + 1 < (dims)->rows;                                          \
            const int16_t *a0_ = (packed_lhs) + (int64_t)i_ * (dims)->depth;                            \
            const int16_t *a1_ = second_row_ ? a0_ + (dims)->depth : a0_;                               \
            for (j_ = 0; j_ < (dims)->cols; j_ += 2) {                                                  \
                const int32_t second_col_ = j_ + 1 < (dims)->cols;                                      \
                const int16_t *b0_ = (packed_rhs) + (int64_t)j_ * (dims)->depth;                        \
                ACC sums_[4];                                                                           \
                DOT(a0_, a1_, b0_, second_col_ ? b0_ + (dims)->depth : b0_, (dims)->depth, sums_);      \
                (out)[j_] = OUTPUT(sums_[0]);                                                           \
                if (second_col_) {                                                                      \
                    (out)[j_ + 1] = OUTPUT(sums_[1]);                                                   \
                }                                                                                       \
                if (second_row_) {                                                                      \
                    (out)[(dims)->cols + j_] = OUTPUT(sums_[2]);                                        \
                    if (second_col_) {                                                                  \
                        (out)[(dims)->cols + j_ + 1] = OUTPUT(sums_[3]);                                \
                    }                                                                                   \
                }                                                                                       \
            }                                                                                           \
            (out) += (second_row_ ? 2 : 1) * (int64_t)(dims)->cols;                                     \
        }                                                                                               \
    } while (0)

#endif
