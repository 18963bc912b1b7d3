/* The walk of mi_reduce_params shared by the int8 and int16 MEAN kernels: a macro so each
   kernel's element type is inlined. */
#ifndef MI_REDUCE_SUM_H
#define MI_REDUCE_SUM_H

#include "microinfer_nn.h"
#include "mi_requantize.h"

static inline int mi_reduce_params_valid(const mi_reduce_params *p)
{
    int32_t d;
    if (p->outer_rank < 1 || p->outer_rank > MI_MAX_REDUCE_RANK || p->inner_rank < 1 ||
        p->inner_rank > MI_MAX_REDUCE_RANK || p->shift < -31 || p->shift > 30 || p->count < 1) {
        return 0;
    }
    for (d = 0; d < p->outer_rank; d++) {
        if (p->outer_dims[d] < 1) {
            return 0;
        }
    }
    for (d = 0; d < p->inner_rank; d++) {
        if (p->inner_dims[d] < 1) {
            return 0;
        }
    }
    return 1;
}

/* One requantized output value from the int32 (wrapped) sum of its group. */
static inline int32_t mi_reduce_output(const mi_reduce_params *p, int32_t sum)
{
    const int32_t shifted = mi_wrap_add_s32(sum, mi_wrap_s64_to_s32(-(int64_t)p->input_zero_point * p->count));
    const int64_t value = (int64_t)mi_requantize_double(shifted, p->multiplier, p->shift) + p->output_zero_point;
    return (int32_t)(value < p->low ? p->low : (value > p->high ? p->high : value));
}

/* Advances a multi-index (an odometer) over rank dims; returns 0 after the last index. */
static inline int mi_reduce_next(int32_t rank, const int32_t *dims, const int32_t *stride, int32_t *index,
                                 int64_t *at)
{
    int32_t d;
    for (d = rank - 1; d >= 0; d--) {
        *at += stride[d];
        if (++index[d] < dims[d]) {
            return 1;
        }
        *at -= (int64_t)stride[d] * dims[d];
        index[d] = 0;
    }
    return 0;
}

#define MI_REDUCE_MEAN(TYPE, params, input, output)                                                       \
    do {                                                                                                  \
        const mi_reduce_params *p_ = (params);                                                            \
        int32_t outer_[MI_MAX_REDUCE_RANK] = {0};                                                         \
        int64_t base_ = 0;                                                                                \
        TYPE *out_ = (output);                                                                            \
        if (!mi_reduce_params_valid(p_)) {                                                                \
            return MI_ARG_ERROR;                                                                          \
        }                                                                                                 \
        do {                                                                                              \
            int32_t inner_[MI_MAX_REDUCE_RANK] = {0};                                                     \
            int64_t at_ = 0;                                                                              \
            int32_t sum_ = 0;                                                                             \
            do {                                                                                          \
                sum_ = mi_wrap_add_s32(sum_, (int32_t)(input)[base_ + at_]);                              \
            } while (mi_reduce_next(p_->inner_rank, p_->inner_dims, p_->inner_stride, inner_, &at_));     \
            *out_++ = (TYPE)mi_reduce_output(p_, sum_);                                                   \
        } while (mi_reduce_next(p_->outer_rank, p_->outer_dims, p_->outer_stride, outer_, &base_));       \
    } while (0)

#endif
