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
    const int32_t last = shape->rank - 1;
    const int32_t length = shape->dims[last];
    const int32_t rows = mi_broadcast_rows(shape);
    mi_broadcast_cursor cursor;
    int32_t r;
    mi_broadcast_start(&cursor);
    for (r = 0; r < rows; ++r) {
#define ADD_POT_ELEMENT(a, b) add_pot_element(&p, (a), (b))
        MI_BROADCAST_ROW(ADD_POT_ELEMENT, int16_t, input1 + cursor.offset1, shape->stride1[last],
                         input2 + cursor.offset2, shape->stride2[last], output, length);
#undef ADD_POT_ELEMENT
        output += length;
        mi_broadcast_next_row(shape, &cursor);
    }
    return MI_OK;
}
