/* int16 ADD, LiteRT's power-of-two path (pot_scale_int16 with power-of-two scales, zero points 0):
   each input is rounded onto the output scale by a right shift, then the two are added. */
#include "mi_elementwise_common.h"

static inline int32_t add_pot_element(const mi_add_pot_params *params, int32_t a, int32_t b)
{
    const int32_t sum = mi_divide_by_power_of_two(a, params->input1_right_shift)
                        + mi_divide_by_power_of_two(b, params->input2_right_shift);
    return mi_clamp(sum, params->activation);
}

mi_status mi_elementwise_add_pot_s16(const mi_add_pot_params *params, const mi_broadcast *shape,
                                     const int16_t *input1, const int16_t *input2, int16_t *output)
{
    const mi_add_pot_params p = *params;
#define ADD_POT_ELEMENT(a, b) add_pot_element(&p, (a), (b))
    MI_BROADCAST_WALK(ADD_POT_ELEMENT, int16_t, shape, input1, input2, output);
#undef ADD_POT_ELEMENT
    return MI_OK;
}
