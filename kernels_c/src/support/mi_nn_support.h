/* Inner loops shared by the kernels (CMSIS-NN's NNSupportFunctions). ISA-specific paths
   (ARM_MATH_DSP, ARM_MATH_MVEI) go inside these functions, behind #if, with the portable C99
   path in the #else branch; the signatures stay as they are. */
#ifndef MI_NN_SUPPORT_H
#define MI_NN_SUPPORT_H

#include <stdint.h>

#include "mi_nn_types.h"

/* dst[i] = src[i] + offset for count values: int8 to int16 (im2col). */
void mi_q7_to_q15_with_offset(const int8_t *src, int16_t *dst, int32_t count, int16_t offset);

/* For each rhs row r (rhs_rows rows of rhs_cols int8 values, row-major):
   dst[r] = requantize(bias[r] + sum_k (lhs[k] + lhs_offset) * rhs[r][k]).
   bias may be NULL. Used by FULLY_CONNECTED (one call per batch row) and the 1x1 convolution
   (one call per output pixel). rhs_cols * 255 * 128 must stay below 2**31. */
void mi_nn_vec_mat_mult_t_s8(const int8_t *lhs, const int8_t *rhs, const int32_t *bias, int8_t *dst,
                             int32_t lhs_offset, int32_t dst_offset, const mi_requant *quant, int32_t rhs_cols,
                             int32_t rhs_rows, mi_activation act);

/* The general convolution's matrix multiply on a 2x2 output tile: two im2col columns (col, and
   col + num_col, int16 with the input offset already added) times two filter rows at a time.
   Writes out_ch outputs for each of the two columns at out (column 0) and out + out_ch (column 1);
   returns out + 2 * out_ch. bias may be NULL. */
int8_t *mi_nn_mat_mult_kernel_s8_s16(const int8_t *filter, const int16_t *col, int32_t out_ch,
                                     const mi_requant *quant, int32_t out_offset, mi_activation act,
                                     int32_t num_col, const int32_t *bias, int8_t *out);

/* One im2col column (int16, offset added) times every filter row: out_ch outputs at out. */
void mi_nn_mat_mult_s8_s16_single(const int8_t *filter, const int16_t *col, int32_t out_ch,
                                  const mi_requant *quant, int32_t out_offset, mi_activation act,
                                  int32_t num_col, const int32_t *bias, int8_t *out);

/* Depthwise tap: acc[c * ch_mult + m] += (in[c] + input_offset) * filter[c * ch_mult + m] for
   every input channel c < in_ch and m < ch_mult. */
void mi_nn_depthwise_tap_s8(const int8_t *in, const int8_t *filter, int32_t *acc, int32_t in_ch, int32_t ch_mult,
                            int32_t input_offset);

/* dst[k * rows + r] = filter[r * cols + k]: a (rows x cols) int8 filter transposed to int16, so
   that products can be summed for many output channels at once (the host path of the 1x1
   convolution). */
void mi_nn_transpose_to_q15(const int8_t *filter, int32_t rows, int32_t cols, int16_t *dst);

/* out[r] = requantize(bias[r] + sum_k x[k] * filter_t[k * rows + r]) for r < rows: one pixel
   (int16, offset added) times a transposed filter from mi_nn_transpose_to_q15. bias may be NULL;
   cols * 255 * 128 must stay below 2**31. */
void mi_nn_vec_mat_mult_q15_t(const int16_t *x, const int16_t *filter_t, const int32_t *bias, int32_t cols,
                              int32_t rows, const mi_requant *quant, int32_t out_offset, mi_activation act,
                              int8_t *out);

#endif
