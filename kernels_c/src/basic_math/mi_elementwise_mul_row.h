/* The quantized MUL of one pair of values (shared by the int8 and int16 kernels):
   out = zp_out + requantize((a - zp_a) * (b - zp_b)). The caller makes sure the product fits in
   int32 (int8 inputs, or int16 inputs with zero point 0). */
#ifndef MI_ELEMENTWISE_MUL_ROW_H
#define MI_ELEMENTWISE_MUL_ROW_H

#include "mi_elementwise_common.h"

static inline int32_t mi_mul_element(const mi_mul_params *params, int32_t a, int32_t b)
{
    const int32_t product = (a + params->input1_offset) * (b + params->input2_offset);
    const int32_t scaled = mi_requantize_nonnegative(product, params->output_scale);
    return mi_clamp((int64_t)scaled + params->output_offset, params->activation);
}

#endif
