/* int8 ADD with broadcasting. */
#include "mi_elementwise_add_row.h"

mi_status mi_elementwise_add_s8(const mi_add_params *params, const mi_broadcast *shape, const int8_t *input1,
                                const int8_t *input2, int8_t *output)
{
    const mi_add_params p = *params;
#define ADD_ELEMENT(a, b) mi_add_element(&p, (a), (b))
    MI_BROADCAST_WALK(ADD_ELEMENT, int8_t, shape, input1, input2, output);
#undef ADD_ELEMENT
    return MI_OK;
}
