/* int16 MUL with broadcasting (zero points 0). */
#include "mi_elementwise_mul_row.h"

mi_status mi_elementwise_mul_s16(const mi_mul_params *params, const mi_broadcast *shape, const int16_t *input1,
                                 const int16_t *input2, int16_t *output)
{
    const mi_mul_params p = *params;
#define MUL_ELEMENT(a, b) mi_mul_element(&p, (a), (b))
    MI_BROADCAST_WALK(MUL_ELEMENT, int16_t, shape, input1, input2, output);
#undef MUL_ELEMENT
    return MI_OK;
}
