/* int8 MUL with broadcasting: out = zp_out + requantize((a - zp_a) * (b - zp_b)). */
#include "mi_broadcast.h"

static int8_t mul_element(const mi_mul_params *params, int32_t a, int32_t b)
{
    const int32_t product = (a + params->input1_offset) * (b + params->input2_offset);
    const int32_t scaled = mi_requantize_double(product, params->output_scale.multiplier, params->output_scale.shift);
    return (int8_t)mi_clamp((int64_t)scaled + params->output_offset, params->activation);
}

static void mul_row(const mi_mul_params *params, const int8_t *in1, int32_t step1, const int8_t *in2,
                    int32_t step2, int8_t *out, int32_t length)
{
    int32_t i;
    for (i = 0; i < length; ++i) {
        out[i] = mul_element(params, in1[i * step1], in2[i * step2]);
    }
}

mi_status mi_elementwise_mul_s8(const mi_mul_params *params, const mi_broadcast *shape, const int8_t *input1,
                                const int8_t *input2, int8_t *output)
{
    const int32_t last = shape->rank - 1;
    const int32_t length = shape->dims[last];
    const int32_t rows = mi_broadcast_rows(shape);
    mi_broadcast_cursor cursor;
    int32_t r;
    mi_broadcast_start(&cursor);
    for (r = 0; r < rows; ++r) {
        mul_row(params, input1 + cursor.offset1, shape->stride1[last], input2 + cursor.offset2, shape->stride2[last],
                output, length);
        output += length;
        mi_broadcast_next_row(shape, &cursor);
    }
    return MI_OK;
}
