/* microinfer C kernels: portable C99, bit-exact with microinfer's NumPy kernels (which are bit-exact
   with TFLite Micro's and LiteRT's reference kernels).

   Conventions (as CMSIS-NN): one function per file, named by op and type; parameters grouped in
   the structs of mi_nn_types.h; no allocation: a kernel needing scratch memory takes it in
   mi_context, sized by its *_get_buffer_size function. int8 biases are int32; int16x8 biases are
   int64 ("wide": 64-bit accumulation and requantization) or int32 (32-bit, TFLite Micro only);
   a NULL bias means zero. Every kernel returns MI_OK or MI_ARG_ERROR. */
#ifndef MICROINFER_NN_H
#define MICROINFER_NN_H

#include "mi_nn_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Version of this interface; the Python loader checks it. */
#define MI_NN_ABI_VERSION 2
int32_t mi_nn_abi_version(void);

/* -- CONV_2D --------------------------------------------------------------------------------- */

/* Dispatches on shape: 1x1 filter without padding -> mi_convolve_1x1_s8, else mi_convolve_s8. */
mi_status mi_convolve_wrapper_s8(const mi_context *ctx, const mi_conv_params *params, const mi_requant *quant,
                                 const mi_dims *input_dims, const int8_t *input, const mi_dims *filter_dims,
                                 const int8_t *filter, const int32_t *bias, const mi_dims *output_dims,
                                 int8_t *output);
int32_t mi_convolve_wrapper_s8_get_buffer_size(const mi_conv_params *params, const mi_dims *input_dims,
                                               const mi_dims *filter_dims, const mi_dims *output_dims);

/* General convolution: im2col of two output pixels into int16 (input offset added, padding 0),
   then a 2x2 output-tile matrix multiply. Scratch: mi_convolve_s8_get_buffer_size. */
mi_status mi_convolve_s8(const mi_context *ctx, const mi_conv_params *params, const mi_requant *quant,
                         const mi_dims *input_dims, const int8_t *input, const mi_dims *filter_dims,
                         const int8_t *filter, const int32_t *bias, const mi_dims *output_dims, int8_t *output);
int32_t mi_convolve_s8_get_buffer_size(const mi_dims *input_dims, const mi_dims *filter_dims);

/* 1x1 filter, no padding, any stride: each output pixel is a vector-matrix product of one input
   pixel, no im2col. Scratch: the filter transposed to int16 plus one pixel
   (mi_convolve_1x1_s8_get_buffer_size). */
mi_status mi_convolve_1x1_s8(const mi_context *ctx, const mi_conv_params *params, const mi_requant *quant,
                             const mi_dims *input_dims, const int8_t *input, const mi_dims *filter_dims,
                             const int8_t *filter, const int32_t *bias, const mi_dims *output_dims,
                             int8_t *output);

int32_t mi_convolve_1x1_s8_get_buffer_size(const mi_dims *input_dims, const mi_dims *filter_dims);

/* int16 activations, int8 filter; bias64 (wide) or bias32 (may both be NULL: zero bias; wide
   decides the accumulator and requantizer). No scratch. */
mi_status mi_convolve_s16(const mi_context *ctx, const mi_conv_params *params, const mi_requant *quant,
                          const mi_dims *input_dims, const int16_t *input, const mi_dims *filter_dims,
                          const int8_t *filter, const int64_t *bias64, const int32_t *bias32, int32_t wide,
                          const mi_dims *output_dims, int16_t *output);

/* -- DEPTHWISE_CONV_2D ------------------------------------------------------------------------ */

/* Dispatches on shape: 3x3 filter, depth multiplier 1, no dilation -> mi_depthwise_conv_3x3_s8,
   else mi_depthwise_conv_s8. */
mi_status mi_depthwise_conv_wrapper_s8(const mi_context *ctx, const mi_dw_conv_params *params,
                                       const mi_requant *quant, const mi_dims *input_dims, const int8_t *input,
                                       const mi_dims *filter_dims, const int8_t *filter, const int32_t *bias,
                                       const mi_dims *output_dims, int8_t *output);
int32_t mi_depthwise_conv_wrapper_s8_get_buffer_size(const mi_dw_conv_params *params, const mi_dims *input_dims,
                                                     const mi_dims *filter_dims, const mi_dims *output_dims);

/* Any shape. Scratch: one int32 accumulator per output channel (mi_depthwise_conv_s8_get_buffer_size). */
mi_status mi_depthwise_conv_s8(const mi_context *ctx, const mi_dw_conv_params *params, const mi_requant *quant,
                               const mi_dims *input_dims, const int8_t *input, const mi_dims *filter_dims,
                               const int8_t *filter, const int32_t *bias, const mi_dims *output_dims,
                               int8_t *output);
int32_t mi_depthwise_conv_s8_get_buffer_size(const mi_dims *output_dims);

/* 3x3 filter, depth multiplier 1, dilation 1, any stride and padding. No scratch. */
mi_status mi_depthwise_conv_3x3_s8(const mi_context *ctx, const mi_dw_conv_params *params,
                                   const mi_requant *quant, const mi_dims *input_dims, const int8_t *input,
                                   const mi_dims *filter_dims, const int8_t *filter, const int32_t *bias,
                                   const mi_dims *output_dims, int8_t *output);

/* int16 activations. Scratch: one int64 accumulator per output channel. */
mi_status mi_depthwise_conv_s16(const mi_context *ctx, const mi_dw_conv_params *params, const mi_requant *quant,
                                const mi_dims *input_dims, const int16_t *input, const mi_dims *filter_dims,
                                const int8_t *filter, const int64_t *bias64, const int32_t *bias32, int32_t wide,
                                const mi_dims *output_dims, int16_t *output);
int32_t mi_depthwise_conv_s16_get_buffer_size(const mi_dims *output_dims);

/* -- FULLY_CONNECTED ------------------------------------------------------------------------- */

/* input (n = batches, c = depth), filter (n = units, c = depth) row-major, output (n, c = units).
   quant->rounding may be MI_ROUND_REAL (LiteRT). No scratch. */
mi_status mi_fully_connected_s8(const mi_context *ctx, const mi_fc_params *params, const mi_requant *quant,
                                const mi_dims *input_dims, const int8_t *input, const mi_dims *filter_dims,
                                const int8_t *filter, const int32_t *bias, const mi_dims *output_dims,
                                int8_t *output);

mi_status mi_fully_connected_s16(const mi_context *ctx, const mi_fc_params *params, const mi_requant *quant,
                                 const mi_dims *input_dims, const int16_t *input, const mi_dims *filter_dims,
                                 const int8_t *filter, const int64_t *bias64, const int32_t *bias32, int32_t wide,
                                 const mi_dims *output_dims, int16_t *output);

#ifdef __cplusplus
}
#endif

/* Other op families (each file owned by its kernels' author). */
#include "mi_nn_pool.h"
#include "mi_nn_elementwise.h"
#include "mi_nn_softmax.h"
#include "mi_nn_resize.h"
#include "mi_nn_matmul.h"
#include "mi_nn_data.h"
#include "mi_nn_unary.h"
#include "mi_nn_reduce.h"
#include "mi_nn_svdf.h"
#include "mi_nn_binary.h"

#endif
