/* Inner loops shared by the kernels (CMSIS-NN's NNSupportFunctions). ISA-specific paths
   (ARM_MATH_DSP, ARM_MATH_MVEI) go inside these functions, behind #if, with the portable C99
   path in the #else branch; the signatures stay as they are. */
#ifndef MI_NN_SUPPORT_H
#define MI_NN_SUPPORT_H

#include <stdint.h>

#include "mi_nn_types.h"
#include "mi_nn_pool.h"

/* What becomes of a sum of products: the bias (with the input offset folded in: bias[c] +
   input_offset * sum of rhs row c, computed once at prepare time), the requantization of its
   channel, the output offset and the clamp. */
typedef struct {
    const int32_t *bias; /* per output channel (NULL: zero) */
    const mi_requant *quant;
    int32_t output_offset;
    mi_activation activation;
} mi_nn_output_stage;

/* dst[r * rhs_rows + c] = output of channel c for bias[c] + sum_k lhs[r * lhs_stride + k] *
   rhs[c * cols + k], for r < lhs_rows and c < rhs_rows: raw int8 products (the input offset is in
   the bias). The convolutions (im2col rows or 1x1 pixels) and FULLY_CONNECTED use it.
   cols * 2**14 must stay below 2**31. */
void mi_nn_mat_mult_nt_t_s8(const int8_t *lhs, int32_t lhs_rows, int32_t lhs_stride, const int8_t *rhs,
                            int32_t rhs_rows, int32_t cols, const mi_nn_output_stage *stage, int8_t *dst);

/* For each rhs row r (rhs_rows rows of rhs_cols int8 values, row-major):
   dst[r] = requantize(bias[r] + sum_k (lhs[k] + lhs_offset) * rhs[r][k]).
   bias may be NULL. FULLY_CONNECTED's path for a nonzero input offset (microinfer folds it into
   the bias and uses mi_nn_mat_mult_nt_t_s8). rhs_cols * 255 * 128 must stay below 2**31. */
void mi_nn_vec_mat_mult_t_s8(const int8_t *lhs, const int8_t *rhs, const int32_t *bias, int8_t *dst,
                             int32_t lhs_offset, int32_t dst_offset, const mi_requant *quant, int32_t rhs_cols,
                             int32_t rhs_rows, mi_activation act);

/* DEPTHWISE_CONV_2D with depth multiplier 1 (any filter, stride, dilation, padding; the caller
   checked the shapes): only taps inside the image are summed. params->folded_bias may be NULL
   (the Helium path then adds the input offset to every input). */
void mi_nn_depthwise_conv_m1_s8(const mi_dw_conv_params *params, const mi_requant *quant, const mi_dims *input_dims,
                                const int8_t *input, const mi_dims *filter_dims, const int8_t *filter,
                                const int32_t *bias, const mi_dims *output_dims, int8_t *output);

/* int8 AVERAGE_POOL_2D (average nonzero) or MAX_POOL_2D, NHWC, each window clipped to the input.
   Scratch: one int32 per channel. */
mi_status mi_nn_pool_s8(int average, const mi_context *ctx, const mi_pool_params *params, const mi_dims *input_dims,
                        const int8_t *input, const mi_dims *filter_dims, const mi_dims *output_dims, int8_t *output);

/* Depthwise tap: acc[c * ch_mult + m] += (in[c] + input_offset) * filter[c * ch_mult + m] for
   every input channel c < in_ch and m < ch_mult. */
void mi_nn_depthwise_tap_s8(const int8_t *in, const int8_t *filter, int32_t *acc, int32_t in_ch, int32_t ch_mult,
                            int32_t input_offset);

#endif
