/* int16 ADD with broadcasting (TFLite Micro's general int16 path: the inputs shift left by 15). */
#include "mi_elementwise_add_row.h"

mi_status mi_elementwise_add_s16(const mi_add_params *params, const mi_broadcast *shape, const int16_t *input1,
                                 const int16_t *input2, int16_t *output)
{
    const mi_add_params p = *params;
    const int32_t last = shape->rank - 1;
    const int32_t length = shape->dims[last];
    const int32_t rows = mi_broadcast_rows(shape);
    mi_broadcast_cursor cursor;
    int32_t r;
    mi_broadcast_start(&cursor);
    for (r = 0; r < rows; ++r) {
#define ADD_ELEMENT(a, b) mi_add_element(&p, (a), (b))
        MI_BROADCAST_ROW(ADD_ELEMENT, int16_t, input1 + cursor.offset1, shape->stride1[last], input2 + cursor.offset2,
                         shape->stride2[last], output, length);
#undef ADD_ELEMENT
        output += length;
        mi_broadcast_next_row(shape, &cursor);
    }
    return MI_OK;
}
