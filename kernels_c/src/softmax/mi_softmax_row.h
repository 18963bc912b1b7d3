/* One row of the int8-input SOFTMAX, shared by the int8 and int16 output kernels. */
#ifndef MI_SOFTMAX_ROW_H
#define MI_SOFTMAX_ROW_H

#include "mi_softmax_fixedpoint.h"

/* The exponentials of a row's first elements are kept (on the stack) for the output pass, which
   computes those of the others again: a classifier's whole row for 128 bytes. */
#define MI_SOFTMAX_KEPT_EXPONENTIALS 32

/* What every element of a row is multiplied by: 1 / (sum of exponentials), and the final shift. */
typedef struct {
    int32_t reciprocal;
    int32_t exponent;
} mi_softmax_row_scale;

/* MultiplyByQuantizedMultiplierGreaterThanOne of a (non-positive) difference to the row maximum. */
static inline int32_t mi_softmax_exp_of_diff(const mi_softmax_params *params, int32_t diff)
{
    const int32_t scaled = mi_doubling_high_mult((int32_t)((uint32_t)diff << params->left_shift), params->multiplier);
    return mi_exp_on_negative_values(scaled);
}

static inline int32_t mi_softmax_row_max(const int8_t *row, int32_t length)
{
    int32_t best = row[0], i;
    for (i = 1; i < length; ++i) {
        if (row[i] > best) {
            best = row[i];
        }
    }
    return best;
}

/* The sum of exponentials in Q12.19 and its reciprocal; the exponent is out of 0..31 exactly when
   the reference kernel would abort on the row (the caller reports it). The exponentials of the
   first MI_SOFTMAX_KEPT_EXPONENTIALS elements go to ``kept``. */
static inline mi_softmax_row_scale mi_softmax_row_scale_of(const mi_softmax_params *params, const int8_t *row,
                                                         int32_t length, int32_t row_max, int32_t output_bits,
                                                         int32_t *kept)
{
    const int32_t to_accumulation = MI_SOFTMAX_ACCUMULATION_INTEGER_BITS;
    uint32_t sum = 0;
    int32_t i, headroom;
    int32_t shifted_sum_minus_one;
    mi_softmax_row_scale scale;
    for (i = 0; i < length; ++i) {
        /* the exponential of every element, kept for those within diff_min (a data-independent cost) */
        const int32_t diff = row[i] - row_max;
        const uint32_t keep = 0u - (uint32_t)(diff >= params->diff_min);
        const int32_t exponential = mi_softmax_exp_of_diff(params, diff);
        if (i < MI_SOFTMAX_KEPT_EXPONENTIALS) {
            kept[i] = exponential;
        }
        sum += (uint32_t)mi_divide_by_power_of_two(exponential, to_accumulation) & keep;
    }
    headroom = mi_count_leading_zeros_u32(sum);
    shifted_sum_minus_one = (int32_t)((headroom < 32 ? sum << headroom : 0u) - 0x80000000u);
    scale.reciprocal = mi_one_over_one_plus_x_for_x_in_0_1(shifted_sum_minus_one);
    scale.exponent = (MI_SOFTMAX_ACCUMULATION_INTEGER_BITS - headroom) + 31 - output_bits;
    return scale;
}

/* One output value, before the cast to the output type, from the element's exponential. */
static inline int32_t mi_softmax_output(const mi_softmax_params *params, mi_softmax_row_scale scale, int32_t diff,
                                        int32_t exponential, int32_t output_min, int32_t output_max)
{
    /* computed for every element and dropped below diff_min, as the sum's terms are */
    const uint32_t keep = 0u - (uint32_t)(diff >= params->diff_min);
    int32_t unsaturated = mi_divide_by_power_of_two(mi_doubling_high_mult(scale.reciprocal, exponential), scale.exponent);
    unsaturated += output_min;
    unsaturated = unsaturated > output_max ? output_max : (unsaturated < output_min ? output_min : unsaturated);
    return (int32_t)(((uint32_t)unsaturated & keep) | ((uint32_t)output_min & ~keep));
}

/* Every row, into exactly one of output8 (int8 output) and output16 (int16 output). */
static inline mi_status mi_softmax_rows(const mi_softmax_params *params, int32_t rows, int32_t row_length,
                                        const int8_t *input, int8_t *output8, int16_t *output16)
{
    const int32_t output_bits = output8 != 0 ? 8 : 16;
    const int32_t output_min = output8 != 0 ? INT8_MIN : INT16_MIN;
    const int32_t output_max = output8 != 0 ? INT8_MAX : INT16_MAX;
    int32_t kept[MI_SOFTMAX_KEPT_EXPONENTIALS];
    int32_t r, i;
    for (r = 0; r < rows; ++r) {
        const int32_t row_max = mi_softmax_row_max(input, row_length);
        const mi_softmax_row_scale scale =
            mi_softmax_row_scale_of(params, input, row_length, row_max, output_bits, kept);
        if (scale.exponent < 0 || scale.exponent > 31) {
            return MI_ARG_ERROR;
        }
        for (i = 0; i < row_length; ++i) {
            const int32_t diff = input[i] - row_max;
            const int32_t exponential =
                i < MI_SOFTMAX_KEPT_EXPONENTIALS ? kept[i] : mi_softmax_exp_of_diff(params, diff);
            const int32_t value = mi_softmax_output(params, scale, diff, exponential, output_min, output_max);
            if (output8 != 0) {
                output8[i] = (int8_t)value;
            } else {
                output16[i] = (int16_t)value;
            }
        }
        input += row_length;
        if (output8 != 0) {
            output8 += row_length;
        } else {
            output16 += row_length;
        }
    }
    return MI_OK;
}

#endif
