/* MEAN and SUM of int8 and int16 over constant axes (both references' QuantizedMeanOrSum).

   For each output element, the int32 sum of its group of input values (wrapping as the references'
   int32 sum does), minus input_zero_point * count, is requantized (multiplier * 2**(shift - 31),
   double rounding; for MEAN the 1/count is folded into multiplier and shift by the caller), wrapped
   to int32, offset by output_zero_point and clamped to [low, high].

   Where the groups are: the output walk has rank outer dimensions (outer_dims, in_stride per
   output index); each group is the walk of rank inner dimensions (inner_dims, inner_stride) from
   there. Strides in elements. */
#ifndef MI_NN_REDUCE_H
#define MI_NN_REDUCE_H

#include "mi_nn_types.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MI_MAX_REDUCE_RANK 6

typedef struct {
    int32_t outer_rank; /* 1..MI_MAX_REDUCE_RANK */
    int32_t outer_dims[MI_MAX_REDUCE_RANK];
    int32_t outer_stride[MI_MAX_REDUCE_RANK];
    int32_t inner_rank; /* 1..MI_MAX_REDUCE_RANK */
    int32_t inner_dims[MI_MAX_REDUCE_RANK];
    int32_t inner_stride[MI_MAX_REDUCE_RANK];
    int32_t count; /* product of inner_dims */
    int32_t input_zero_point;
    int32_t output_zero_point;
    int32_t multiplier;
    int32_t shift; /* [-31, 30] */
    int32_t low;
    int32_t high;
} mi_reduce_params;

mi_status mi_mean_s8(const mi_reduce_params *params, const int8_t *input, int8_t *output);
mi_status mi_mean_s16(const mi_reduce_params *params, const int16_t *input, int16_t *output);

#ifdef __cplusplus
}
#endif

#endif
