/* Output-to-input geometry shared by the convolution kernels. */
#ifndef MI_CONV_GEOMETRY_H
#define MI_CONV_GEOMETRY_H

#include "mi_nn_types.h"

/* The filter taps [first, last) along one axis whose input coordinate
   origin + tap * dilation lies inside [0, size). */
static inline void mi_taps_inside(int32_t origin, int32_t dilation, int32_t taps, int32_t size, int32_t *first,
                                  int32_t *last)
{
    int32_t lo = 0;
    int32_t hi = taps;
    while (lo < taps && origin + lo * dilation < 0) {
        lo++;
    }
    while (hi > lo && origin + (hi - 1) * dilation >= size) {
        hi--;
    }
    *first = lo;
    *last = hi;
}

/* Depthwise shapes agree: out_ch = in_ch * ch_mult, filter (1, h, w, out_ch), same batch. */
static inline int mi_depthwise_dims_consistent(const mi_dw_conv_params *params, const mi_dims *input_dims,
                                               const mi_dims *filter_dims, const mi_dims *output_dims)
{
    return params->ch_mult >= 1 && input_dims->c * params->ch_mult == output_dims->c &&
           filter_dims->c == output_dims->c && filter_dims->n == 1 && input_dims->n == output_dims->n;
}

#endif
