/* The quantized SUB of one pair of values (int8 and int16): ADD's left-shift scheme with the
   second scaled input subtracted (both references; LiteRT's negated multiplier gives the same bits
   under double rounding). */
#ifndef MI_ELEMENTWISE_SUB_ROW_H
#define MI_ELEMENTWISE_SUB_ROW_H

#include "mi_elementwise_common.h"

static inline int32_t mi_sub_element(const mi_add_params *params, int32_t a, int32_t b)
{
    const int32_t shifted1 = (a + params->input1_offset) * (1 << params->left_shift);
    const int32_t shifted2 = (b + params->input2_offset) * (1 << params->left_shift);
    const int32_t scaled1 = mi_requantize_nonnegative(shifted1, params->input1_scale);
    const int32_t scaled2 = mi_requantize_nonnegative(shifted2, params->input2_scale);
    const int32_t difference = (int32_t)((uint32_t)scaled1 - (uint32_t)scaled2);
    return mi_clamp((int64_t)mi_requantize_nonnegative(difference, params->output_scale) + params->output_offset,
                    params->activation);
}

#endif
