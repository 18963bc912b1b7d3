/* Resizes: RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR, int8 and int16, NHWC.

   The caller works out, once, which input rows and columns every output row and column reads
   (and, for bilinear, their weights): that is where the references' arithmetic lives (float32
   positions for nearest neighbour, 1/1024-pixel positions for the integer bilinear kernel), in
   microinfer's NumPy prepare. The kernels only gather and weigh; every index must lie inside
   the input (the caller checks). Batches and channels stay: input and output share n and c. */
#ifndef MI_NN_RESIZE_H
#define MI_NN_RESIZE_H

#include "mi_nn_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Nearest neighbour: output (b, y, x, :) = input (b, rows[y], columns[x], :). */
typedef struct {
    const int32_t *rows;    /* output_dims->h entries in [0, input_dims->h) */
    const int32_t *columns; /* output_dims->w entries in [0, input_dims->w) */
} mi_resize_nearest_params;

/* Bilinear taps along one axis, per output index: the two source indices and their weights in
   1/1024ths of a pixel (summing to 1024; one may be negative where both indices coincide). */
typedef struct {
    const int32_t *lower;
    const int32_t *upper;
    const int32_t *lower_weight;
    const int32_t *upper_weight;
} mi_resize_taps;

/* Bilinear (TFLite's integer kernel): the four corners times the products of their row and
   column weights, summed in 64 bits, divided by 2**20 rounding half away from zero. Weights lie
   in (-1024, 2048), so any int16 input's sum fits easily. */
typedef struct {
    mi_resize_taps rows;    /* output_dims->h entries */
    mi_resize_taps columns; /* output_dims->w entries */
} mi_resize_bilinear_params;

mi_status mi_resize_nearest_neighbor_s8(const mi_resize_nearest_params *params, const mi_dims *input_dims,
                                        const int8_t *input, const mi_dims *output_dims, int8_t *output);
mi_status mi_resize_nearest_neighbor_s16(const mi_resize_nearest_params *params, const mi_dims *input_dims,
                                         const int16_t *input, const mi_dims *output_dims, int16_t *output);
mi_status mi_resize_bilinear_s8(const mi_resize_bilinear_params *params, const mi_dims *input_dims,
                                const int8_t *input, const mi_dims *output_dims, int8_t *output);
mi_status mi_resize_bilinear_s16(const mi_resize_bilinear_params *params, const mi_dims *input_dims,
                                 const int16_t *input, const mi_dims *output_dims, int16_t *output);

#ifdef __cplusplus
}
#endif

#endif
