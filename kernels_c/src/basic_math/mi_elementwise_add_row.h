/* The quantized ADD of one pair of values (shared by the int8 and int16 kernels): both inputs are
   offset, shifted left, scaled onto a common scale, added, and scaled onto the output. */
#ifndef MI_ELEMENTWISE_ADD_ROW_H
#define MI_ELEMENTWISE_ADD_ROW_H

#include "mi_broadcast.h"

/* MultiplyByQuantizedMultiplierSmallerThanOneExp: double rounding, shift <= 0. */
static inline int32_t mi_scale_smaller_than_one(int32_t x, mi_scale scale)
{
    return mi_divide_by_power_of_two(mi_doubling_high_mult(x, scale.multiplier), -scale.shift);
}

static inline int32_t mi_add_element(const mi_add_params *params, int32_t a, int32_t b)
{
    const int32_t shifted1 = (a + params->input1_offset) * (1 << params->left_shift);
    const int32_t shifted2 = (b + params->input2_offset) * (1 << params->left_shift);
    const int32_t scaled1 = mi_scale_smaller_than_one(shifted1, params->input1_scale);
    const int32_t scaled2 = mi_scale_smaller_than_one(shifted2, params->input2_scale);
    const int32_t sum = mi_wrap_add_s32(scaled1, scaled2);
    return mi_clamp((int64_t)mi_scale_smaller_than_one(sum, params->output_scale) + params->output_offset,
                    params->activation);
}

#endif
