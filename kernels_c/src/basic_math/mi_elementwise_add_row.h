/* The quantized ADD of one pair of values (shared by the int8 and int16 kernels): both inputs are
   offset, shifted left, scaled onto a common scale, added, and scaled onto the output. */
#ifndef MI_ELEMENTWISE_ADD_ROW_H
#define MI_ELEMENTWISE_ADD_ROW_H

#include "mi_elementwise_common.h"

static inline int32_t mi_add_element(const mi_add_params *params, int32_t a, int32_t b)
{
    /* The scales are below one (shift <= 0): MultiplyByQuantizedMultiplierSmallerThanOneExp. */
    const int32_t shifted1 = (a + params->input1_offset) * (1 << params->left_shift);
    const int32_t shifted2 = (b + params->input2_offset) * (1 << params->left_shift);
    const int32_t scaled1 = mi_requantize_nonnegative(shifted1, params->input1_scale);
    const int32_t scaled2 = mi_requantize_nonnegative(shifted2, params->input2_scale);
    const int32_t sum = mi_wrap_add_s32(scaled1, scaled2);
    return mi_clamp((int64_t)mi_requantize_nonnegative(sum, params->output_scale) + params->output_offset,
                    params->activation);
}

#endif
