/* int16 ADD with broadcasting (TFLite Micro's general int16 path: the inputs shift left by 15). */
#include "mi_elementwise_add_row.h"

mi_status mi_elementwise_add_s16(const mi_add_params *params, const mi_broadcast *shape, const int16_t *input1,
                                 const int16_t *input2, int16_t *output)
{
    const mi_add_params p = *params;
#define ADD_ELEMENT(a, b) mi_add_element(&p, (a), (b))
    MI_BROADCAST_WALK(ADD_ELEMENT, int16_t, shape, input1, input2, output);
#undef ADD_ELEMENT
    return MI_OK;
}
