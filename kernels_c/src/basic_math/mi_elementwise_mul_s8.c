/* int8 MUL with broadcasting. */
#include "mi_elementwise_mul_row.h"

mi_status mi_elementwise_mul_s8(const mi_mul_params *params, const mi_broadcast *shape, const int8_t *input1,
                                const int8_t *input2, int8_t *output)
{
    const mi_mul_params p = *params;
#define MUL_ELEMENT(a, b) mi_mul_element(&p, (a), (b))
    MI_BROADCAST_WALK(MUL_ELEMENT, int8_t, shape, input1, input2, output);
#undef MUL_ELEMENT
    return MI_OK;
}
