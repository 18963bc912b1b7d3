/* Element-wise kernels: int8 and int16 ADD (both references' paths) and MUL, with broadcasting.

   Broadcasting is described by mi_broadcast: the output's dimensions (outermost first) and, for
   each input, how many elements to step per output index along each dimension (0 where the
   input is broadcast). The caller merges dimensions first, so a same-shape or scalar operation is
   rank 1. Kernels walk the output row by row along the innermost dimension. */
#ifndef MI_NN_ELEMENTWISE_H
#define MI_NN_ELEMENTWISE_H

#include "mi_nn_types.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MI_MAX_BROADCAST_RANK 6

typedef struct {
    int32_t rank; /* 1..MI_MAX_BROADCAST_RANK */
    int32_t dims[MI_MAX_BROADCAST_RANK];
    int32_t stride1[MI_MAX_BROADCAST_RANK];
    int32_t stride2[MI_MAX_BROADCAST_RANK];
} mi_broadcast;

/* A scale multiplier * 2**(shift - 31), applied with double rounding. multiplier >= 0 (the kernels
   rely on it: the doubling high multiply then never saturates), shift in [-31, 30]. */
typedef struct {
    int32_t multiplier;
    int32_t shift;
} mi_scale;

/* ADD: each input is offset, shifted left (20 bits for int8, 15 for int16), scaled onto twice
   the larger input scale, added, and scaled onto the output (TFLite's left-shift scheme). All
   three scales are below one (shift <= 0). */
typedef struct {
    int32_t input1_offset; /* minus the zero points */
    int32_t input2_offset;
    int32_t output_offset; /* the output zero point */
    int32_t left_shift;
    mi_scale input1_scale;
    mi_scale input2_scale;
    mi_scale output_scale;
    mi_activation activation;
} mi_add_params;

/* MUL: out = output_offset + requantize((a + input1_offset) * (b + input2_offset)); the product
   must fit in int32 (int16: zero points 0). */
typedef struct {
    int32_t input1_offset;
    int32_t input2_offset;
    int32_t output_offset;
    mi_scale output_scale;
    mi_activation activation;
} mi_mul_params;

/* LiteRT's int16 ADD when pot_scale_int16 is set and all scales are powers of two (zero points
   0): out = clamp(round(a / 2**input1_right_shift) + round(b / 2**input2_right_shift)), shifts in
   0..31, rounding half away from zero. */
typedef struct {
    int32_t input1_right_shift;
    int32_t input2_right_shift;
    mi_activation activation;
} mi_add_pot_params;

mi_status mi_elementwise_add_s8(const mi_add_params *params, const mi_broadcast *shape, const int8_t *input1,
                                const int8_t *input2, int8_t *output);
mi_status mi_elementwise_add_s16(const mi_add_params *params, const mi_broadcast *shape, const int16_t *input1,
                                 const int16_t *input2, int16_t *output);
mi_status mi_elementwise_add_pot_s16(const mi_add_pot_params *params, const mi_broadcast *shape,
                                     const int16_t *input1, const int16_t *input2, int16_t *output);
mi_status mi_elementwise_mul_s8(const mi_mul_params *params, const mi_broadcast *shape, const int8_t *input1,
                                const int8_t *input2, int8_t *output);
mi_status mi_elementwise_mul_s16(const mi_mul_params *params, const mi_broadcast *shape, const int16_t *input1,
                                 const int16_t *input2, int16_t *output);

#ifdef __cplusplus
}
#endif

#endif
