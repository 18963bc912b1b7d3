/* int8 MEAN and SUM (QuantizedMeanOrSum): see mi_nn_reduce.h. */
#include "mi_reduce_sum.h"

mi_status mi_mean_s8(const mi_reduce_params *params, const int8_t *input, int8_t *output)
{
    MI_REDUCE_MEAN(int8_t, params, input, output);
    return MI_OK;
}
