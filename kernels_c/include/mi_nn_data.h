/* Data movement: the kernels behind PAD, PADV2, CONCATENATION, PACK, STRIDED_SLICE, SLICE and
   TRANSPOSE (and the copies of a generated library).

   The caller describes a copy as an N-dimensional walk: for every index (i0, ..., i{rank-1}) below
   dims, the element at input + sum(i_d * in_stride[d]) goes to output + sum(i_d * out_stride[d])
   (strides in elements; input strides may be negative, the caller passes the first element read).
   It merges dimensions first, so that a contiguous block is one dimension and the innermost run
   is copied with memcpy. Every offset the walk reaches lies inside both tensors (the caller
   checks). Element sizes of 1, 2, 4 and 8 bytes; the kernels never look at the values. */
#ifndef MI_NN_DATA_H
#define MI_NN_DATA_H

#include "mi_nn_types.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MI_MAX_COPY_RANK 6

typedef struct {
    int32_t rank; /* 1..MI_MAX_COPY_RANK */
    int32_t element_bytes; /* 1, 2, 4 or 8 */
    int32_t dims[MI_MAX_COPY_RANK];
    int32_t in_stride[MI_MAX_COPY_RANK];
    int32_t out_stride[MI_MAX_COPY_RANK];
} mi_copy_params;

/* The walk described above. Input and output must not overlap. */
mi_status mi_copy_nd(const mi_copy_params *params, const void *input, void *output);

/* count elements of element_bytes bytes, each set to the low element_bytes bytes of pattern
   (little-endian order, as the element lies in memory). */
typedef struct {
    int32_t count;
    int32_t element_bytes; /* 1, 2, 4 or 8 */
    uint32_t pattern_low;  /* bytes 0..3 of the element */
    uint32_t pattern_high; /* bytes 4..7 (8-byte elements) */
} mi_fill_params;

mi_status mi_fill(const mi_fill_params *params, void *output);

#ifdef __cplusplus
}
#endif

#endif
