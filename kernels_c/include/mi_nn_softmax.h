/* SOFTMAX of int8 input over the innermost dimension (gemmlowp fixed point, as both references).

   The difference of each value to its row's maximum is scaled by multiplier * 2**left_shift into
   Q5.26; differences below diff_min contribute nothing; exp in Q0.31, the sum in Q12.19, one
   reciprocal per row. Returns MI_ARG_ERROR on a row whose sum of exponentials is out of the range
   the reference kernels check (they abort there). */
#ifndef MI_NN_SOFTMAX_H
#define MI_NN_SOFTMAX_H

#include "mi_nn_types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int32_t multiplier;
    int32_t left_shift;
    int32_t diff_min;
} mi_softmax_params;

/* int8 output (scale 1/256, zero point -128). No scratch. */
mi_status mi_softmax_s8(const mi_softmax_params *params, int32_t rows, int32_t row_length, const int8_t *input,
                        int8_t *output);

/* int16 output (scale 1/65536, zero point -32768). No scratch. */
mi_status mi_softmax_s8_s16(const mi_softmax_params *params, int32_t rows, int32_t row_length,
                            const int8_t *input, int16_t *output);

#ifdef __cplusplus
}
#endif

#endif
