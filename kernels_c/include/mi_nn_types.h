/* Shared types of the microinfer C kernels: tensor dims, scratch context, quantization. */
#ifndef MI_NN_TYPES_H
#define MI_NN_TYPES_H

#include <stdint.h>

/* Status returned by every kernel. */
typedef enum {
    MI_OK = 0,
    MI_ARG_ERROR = -1 /* an argument the kernel cannot handle (the Python side never sends one) */
} mi_status;

/* NHWC dimensions. A fully connected input is (n = batches, c = depth); a filter uses
   n = output channels, h/w = kernel size, c = input channels (CONV_2D), or n = 1 and
   c = output channels (DEPTHWISE_CONV_2D), or n = units and c = depth (FULLY_CONNECTED). */
typedef struct {
    int32_t n;
    int32_t h;
    int32_t w;
    int32_t c;
} mi_dims;

/* Caller-owned scratch memory: kernels never allocate. Its size comes from the kernel's
   *_get_buffer_size function; buf may be NULL when that size is 0. */
typedef struct {
    void *buf;
    int32_t size;
} mi_context;

typedef struct {
    int32_t h;
    int32_t w;
} mi_tile;

/* Clamp of the output, fused activation included. */
typedef struct {
    int32_t min;
    int32_t max;
} mi_activation;

/* How an int32 accumulator is scaled to the output:
   MI_ROUND_DOUBLE: TFLite Micro's gemmlowp composition (saturating rounding doubling high
                    multiply, then rounding divide by a power of two);
   MI_ROUND_SINGLE: TFLITE_SINGLE_ROUNDING (one 64-bit multiply, add half, shift). */
typedef enum {
    MI_ROUND_DOUBLE = 0,
    MI_ROUND_SINGLE = 1
} mi_rounding;

/* Per-output-channel requantization: multiplier[i] * 2**(shift[i] - 31). A per-tensor scale is
   passed as arrays holding the same value for every channel. */
typedef struct {
    const int32_t *multiplier;
    const int32_t *shift;
    int32_t rounding;        /* mi_rounding */
    int32_t overflow_to_min; /* LiteRT 2.3.0 FULLY_CONNECTED with single rounding and a shift
                                above 0: a scaled value outside int32 becomes INT32_MIN and the
                                output offset is then added with int32 wrap-around */
} mi_requant;

typedef struct {
    int32_t input_offset;  /* minus the input zero point (0 for int16) */
    int32_t output_offset; /* the output zero point */
    mi_tile stride;
    mi_tile padding; /* before the first row / column */
    mi_tile dilation;
    mi_activation activation;
} mi_conv_params;

typedef struct {
    int32_t input_offset;
    int32_t output_offset;
    int32_t ch_mult; /* depth multiplier */
    mi_tile stride;
    mi_tile padding;
    mi_tile dilation;
    mi_activation activation;
} mi_dw_conv_params;

typedef struct {
    int32_t input_offset;
    int32_t output_offset;
    mi_activation activation;
} mi_fc_params;

#endif
