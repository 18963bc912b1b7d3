/* int16 -> int16 SOFTMAX over the innermost dimension (input zero point 0; output scale 1/32768,
   zero point 0): table lookups with linear interpolation, exp on [-10, 0] and 1/(1+x) on [0, 1]. */
#include "mi_softmax_fixedpoint.h"

/* The table's value at an int16 input: 9-bit index into 513 entries, 7-bit interpolation, the
   result wrapped to int16 as the reference's int16 arithmetic does. */
static int32_t lookup(const int16_t *table, int32_t value)
{
    const int32_t index = 256 + (value >> 7);
    const int32_t offset = value & 0x7F;
    const int32_t base = table[index];
    const int32_t delta = ((table[index + 1] - base) * offset + 64) >> 7;
    return (int16_t)(uint16_t)(uint32_t)(base + delta);
}

static int32_t clamp_s16(int64_t value)
{
    return value < INT16_MIN ? INT16_MIN : (value > INT16_MAX ? INT16_MAX : (int32_t)value);
}

/* exp(x - row max) for one element, as an int16 table value. */
static int32_t exp_of(const mi_softmax_s16_params *params, int32_t diff)
{
    const int32_t scaled = mi_requantize_double(diff, params->multiplier, params->shift);
    return lookup(params->exp_table, clamp_s16((int64_t)scaled + 32767));
}

static mi_status softmax_row(const mi_softmax_s16_params *params, const int16_t *input, int32_t length,
                             int16_t *output)
{
    int32_t row_max = input[0], i, headroom_plus_one, right_shift, reciprocal;
    uint32_t sum = 0;
    int64_t shifted_sum;
    for (i = 1; i < length; ++i) {
        row_max = input[i] > row_max ? input[i] : row_max;
    }
    for (i = 0; i < length; ++i) {
        sum += (uint32_t)exp_of(params, input[i] - row_max);
    }
    headroom_plus_one = mi_count_leading_zeros_u32(sum);
    right_shift = 31 - headroom_plus_one;
    if (headroom_plus_one == 0 || right_shift < 1) {
        return MI_ARG_ERROR; /* a negative or tiny sum, which the caller's row length rules out */
    }
    shifted_sum = (((int64_t)sum << (headroom_plus_one - 1)) + (1 << 13)) >> 14;
    reciprocal = lookup(params->one_over_one_plus_x_table, clamp_s16(shifted_sum - ((1 << 15) + (1 << 16))));
    for (i = 0; i < length; ++i) {
        const int64_t product = (int64_t)exp_of(params, input[i] - row_max) * reciprocal;
        const int32_t result = mi_wrap_s64_to_s32((product + ((int64_t)1 << (right_shift - 1))) >> right_shift);
        output[i] = (int16_t)(result < 0 ? 0 : (result > INT16_MAX ? INT16_MAX : result));
    }
    return MI_OK;
}

mi_status mi_softmax_s16(const mi_softmax_s16_params *params, int32_t rows, int32_t row_length, const int16_t *input,
                         int16_t *output)
{
    int32_t r;
    for (r = 0; r < rows; ++r) {
        const mi_status status = softmax_row(params, input, row_length, output);
        if (status != MI_OK) {
            return status;
        }
        input += row_length;
        output += row_length;
    }
    return MI_OK;
}
