/* int8 MUL with broadcasting: out = zp_out + requantize((a - zp_a) * (b - zp_b)). */
#include "mi_elementwise_common.h"

static inline int32_t mul_element(const mi_mul_params *params, int32_t a, int32_t b)
{
    const int32_t product = (a + params->input1_offset) * (b + params->input2_offset);
    const int32_t scaled = mi_requantize_nonnegative(product, params->output_scale);
    return mi_clamp((int64_t)scaled + params->output_offset, params->activation);
}

mi_status mi_elementwise_mul_s8(const mi_mul_params *params, const mi_broadcast *shape, const int8_t *input1,
                                const int8_t *input2, int8_t *output)
{
    const mi_mul_params p = *params;
#define MUL_ELEMENT(a, b) mul_element(&p, (a), (b))
    MI_BROADCAST_WALK(MUL_ELEMENT, int8_t, shape, input1, input2, output);
#undef MUL_ELEMENT
    return MI_OK;
}
