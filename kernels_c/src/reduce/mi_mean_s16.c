/* int16 MEAN and SUM (QuantizedMeanOrSum): see mi_nn_reduce.h. */
#include "mi_reduce_sum.h"

mi_status mi_mean_s16(const mi_reduce_params *params, const int16_t *input, int16_t *output)
{
    MI_REDUCE_MEAN(int16_t, params, input, output);
    return MI_OK;
}
