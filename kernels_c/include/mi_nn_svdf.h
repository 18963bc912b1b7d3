/* SVDF of int8 input with an int16 (or, TFLite Micro, int8) activation state: both references'
   EvalIntegerSvdf.

   Per invoke: the whole state (batch * filters * memory values) moves left by one value; for each
   batch and filter the new feature, sum((x + input_offset) * weights_feature) requantized with
   (multiplier_1, shift_1), clamped to [state_min, state_max], plus state_zero_point, narrowed to the
   state type, goes into the filter's last slot; each unit sums, over its rank filters, the int32
   (wrapping) dot product of the filter's memory with its time weights (state values minus
   state_zero_point), adds the bias and is requantized with (multiplier_2, shift_2), plus
   output_zero_point, clamped to int8. The state is updated in place: it is the op's memory. */
#ifndef MI_NN_SVDF_H
#define MI_NN_SVDF_H

#include "mi_nn_types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int32_t batch;
    int32_t input_size;
    int32_t filters; /* units * rank */
    int32_t memory;
    int32_t rank;
    int32_t input_offset; /* minus the input zero point */
    int32_t state_zero_point;
    int32_t output_zero_point;
    int32_t state_min;
    int32_t state_max;
    int32_t multiplier_1;
    int32_t shift_1;
    int32_t multiplier_2;
    int32_t shift_2;
    int32_t state_bytes; /* 2: int16 state and time weights; 1: int8 state and time weights */
} mi_svdf_params;

/* weights_feature (filters, input_size) int8; weights_time (filters, memory) of the state's type;
   bias (units) int32 or NULL; state (batch, filters * memory). The caller makes sure each feature
   sum fits in int32. */
mi_status mi_svdf_s8(const mi_svdf_params *params, const int8_t *input, const int8_t *weights_feature,
                     const void *weights_time, const int32_t *bias, void *state, int8_t *output);

#ifdef __cplusplus
}
#endif

#endif
