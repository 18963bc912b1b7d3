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

#endif
