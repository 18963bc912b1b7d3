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

/* Four rows at once: each lhs value is loaded once for four products. */
static void dot4_with_offset(const int8_t *lhs, const int8_t *rows, int32_t cols, int32_t offset, int32_t *sums)
{
    const int8_t *row0 = rows;
    const int8_t *row1 = rows + cols;
    const int8_t *row2 = row1 + cols;
    const int8_t *row3 = row2 + cols;
    int32_t s0 = 0;
    int32_t s1 = 0;
    int32_t s2 = 0;
    int32_t s3 = 0;
    int32_t k;
    for (k = 0; k < cols; k++) {
        const int16_t a = (int16_t)(lhs[k] + offset);
        s0 += a * (int16_t)row0[k];
        s1 += a * (int16_t)row1[k];
        s2 += a * (int16_t)row2[k];
        s3 += a * (int16_t)row3[k];
    }
    sums[0] = s0;
    sums[1] = s1;
    sums[2] = s2;
    sums[3] = s3;
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
        int32_t r = 0;
        for (; r + 4 <= count; r += 4) {
            dot4_with_offset(lhs, rhs + (int64_t)(first + r) * rhs_cols, rhs_cols, lhs_offset, acc + r);
        }
        for (; r < count; r++) {
            acc[r] = dot_with_offset(lhs, rhs + (int64_t)(first + r) * rhs_cols, rhs_cols, lhs_offset);
        }
        if (bias != 0) {
            for (r = 0; r < count; r++) {
                acc[r] = mi_wrap_add_s32(bias[first + r], acc[r]);
            }
        }
        mi_requantize_block_s8(acc, count, quant, first, dst_offset, act, dst + first);
    }
}
