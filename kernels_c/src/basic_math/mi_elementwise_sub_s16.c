/* int16_t SUB with broadcasting (see mi_nn_binary.h). */
#include "mi_elementwise_sub_row.h"

mi_status mi_elementwise_sub_s16(const mi_add_params *params, const mi_broadcast *shape, const int16_t *input1,
                                const int16_t *input2, int16_t *output)
{
    const mi_add_params p = *params;
#define SUB_ELEMENT(a, b) mi_sub_element(&p, (a), (b))
    MI_BROADCAST_WALK(SUB_ELEMENT, int16_t, shape, input1, input2, output);
#undef SUB_ELEMENT
    return MI_OK;
}
