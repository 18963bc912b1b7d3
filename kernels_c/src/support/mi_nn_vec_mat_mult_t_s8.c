#include "mi_nn_support.h"
#include "mi_requantize.h"

/* Sum of (lhs[k] + offset) * row[k]: at most cols * 255 * 128, checked below 2**31 by the caller.
   The operands are int16 (|lhs + offset| <= 255) so compilers use 16-bit multiply-adds. */
static int32_t dot_with_offset(const int8_t *lhs, const int8_t *row, int32_t cols, int32_t offset)
{
    int32_t sum = 0;
    int32_t k;
    for (k = 0; k < cols; k++) {
        const int16_t a = (int16_t)(lhs[k] + offset);
        const int16_t b = row[k];
        sum += a * b;
    }
    return sum;
}

void mi_nn_vec_mat_mult_t_s8(const int8_t *lhs, const int8_t *rhs, const int32_t *bias, int8_t *dst,
                             int32_t lhs_offset, int32_t dst_offset, const mi_requant *quant, int32_t rhs_cols,
                             int32_t rhs_rows, mi_activation act)
{
    int32_t r;
    for (r = 0; r < rhs_rows; r++) {
        const int32_t sum = dot_with_offset(lhs, rhs + (int64_t)r * rhs_cols, rhs_cols, lhs_offset);
        const int32_t acc = bias != 0 ? mi_wrap_add_s32(bias[r], sum) : sum;
        dst[r] = (int8_t)mi_requantize_output(quant, r, acc, dst_offset, act);
    }
}
