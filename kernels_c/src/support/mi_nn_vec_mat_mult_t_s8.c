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

/* Output rows summed before one requantization pass (a stack block, no scratch). */
#define MI_ROW_BLOCK 64

void mi_nn_vec_mat_mult_t_s8(const int8_t *lhs, const int8_t *rhs, const int32_t *bias, int8_t *dst,
                             int32_t lhs_offset, int32_t dst_offset, const mi_requant *quant, int32_t rhs_cols,
                             int32_t rhs_rows, mi_activation act)
{
    int32_t first;
    for (first = 0; first < rhs_rows; first += MI_ROW_BLOCK) {
        const int32_t count = rhs_rows - first < MI_ROW_BLOCK ? rhs_rows - first : MI_ROW_BLOCK;
        int32_t acc[MI_ROW_BLOCK];
        int32_t r;
        for (r = 0; r < count; r++) {
            const int32_t sum = dot_with_offset(lhs, rhs + (int64_t)(first + r) * rhs_cols, rhs_cols, lhs_offset);
            acc[r] = bias != 0 ? mi_wrap_add_s32(bias[first + r], sum) : sum;
        }
        mi_requantize_block_s8(acc, count, quant, first, dst_offset, act, dst + first);
    }
}
