/* SOFTMAX over the innermost dimension, as both references compute it.

   int8 input (gemmlowp fixed point): the difference of each value to its row's maximum is scaled by multiplier * 2**left_shift into
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

/* int16 input (zero point 0) -> int16 output (scale 1/32768, zero point 0): the difference to the
   row maximum is scaled by multiplier * 2**(shift - 31) (double rounding) onto the exp table's
   input range; exp and 1/(1+x) come from 513-entry int16 interpolation tables, which the caller
   builds (the references build them differently). Rows of at most 65535 values. No scratch. */
typedef struct {
    int32_t multiplier;
    int32_t shift;
    const int16_t *exp_table;
    const int16_t *one_over_one_plus_x_table;
} mi_softmax_s16_params;

mi_status mi_softmax_s16(const mi_softmax_s16_params *params, int32_t rows, int32_t row_length,
                         const int16_t *input, int16_t *output);

#ifdef __cplusplus
}
#endif

#endif
