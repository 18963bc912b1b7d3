/* Pooling kernels: int8 and int16 AVERAGE_POOL_2D and MAX_POOL_2D, NHWC.

   Both clip each window to the input (padding cells are never read), work on the raw integers
   (input and output share scale and zero point) and clamp to the activation range. */
#ifndef MI_NN_POOL_H
#define MI_NN_POOL_H

#include "mi_nn_types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    mi_tile stride;
    mi_tile padding; /* before the first row / column */
    mi_activation activation;
} mi_pool_params;

/* The average of each clipped window, rounded half away from zero. filter_dims: h and w.
   Scratch (both pooling kernels): one int32 per channel, mi_<kernel>_get_buffer_size(channels). */
mi_status mi_avgpool_s8(const mi_context *ctx, const mi_pool_params *params, const mi_dims *input_dims,
                        const int8_t *input, const mi_dims *filter_dims, const mi_dims *output_dims,
                        int8_t *output);
int32_t mi_avgpool_s8_get_buffer_size(int32_t channels);

/* int16: the caller makes sure filter area * 32768 (plus half the area) fits in int32. */
mi_status mi_avgpool_s16(const mi_context *ctx, const mi_pool_params *params, const mi_dims *input_dims,
                         const int16_t *input, const mi_dims *filter_dims, const mi_dims *output_dims,
                         int16_t *output);
int32_t mi_avgpool_s16_get_buffer_size(int32_t channels);

/* The maximum of each clipped window. */
mi_status mi_max_pool_s8(const mi_context *ctx, const mi_pool_params *params, const mi_dims *input_dims,
                         const int8_t *input, const mi_dims *filter_dims, const mi_dims *output_dims,
                         int8_t *output);
int32_t mi_max_pool_s8_get_buffer_size(int32_t channels);

mi_status mi_max_pool_s16(const mi_context *ctx, const mi_pool_params *params, const mi_dims *input_dims,
                          const int16_t *input, const mi_dims *filter_dims, const mi_dims *output_dims,
                          int16_t *output);
int32_t mi_max_pool_s16_get_buffer_size(int32_t channels);

#ifdef __cplusplus
}
#endif

#endif
