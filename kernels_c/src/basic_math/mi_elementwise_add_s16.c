/* int16 ADD (TFLite Micro's general int16 path; the inputs shift left by 15) with broadcasting. */
#include "mi_elementwise_add_row.h"

static void add_row(const mi_add_params *params, const int16_t *in1, int32_t step1, const int16_t *in2,
                    int32_t step2, int16_t *out, int32_t length)
{
    int32_t i;
    for (i = 0; i < length; ++i) {
        out[i] = (int16_t)mi_add_element(params, in1[i * step1], in2[i * step2]);
    }
}

mi_status mi_elementwise_add_s16(const mi_add_params *params, const mi_broadcast *shape, const int16_t *input1,
                                const int16_t *input2, int16_t *output)
{
    const int32_t last = shape->rank - 1;
    const int32_t length = shape->dims[last];
    const int32_t rows = mi_broadcast_rows(shape);
    mi_broadcast_cursor cursor;
    int32_t r;
    mi_broadcast_start(&cursor);
    for (r = 0; r < rows; ++r) {
        add_row(params, input1 + cursor.offset1, shape->stride1[last], input2 + cursor.offset2, shape->stride2[last],
                output, length);
        output += length;
        mi_broadcast_next_row(shape, &cursor);
    }
    return MI_OK;
}
