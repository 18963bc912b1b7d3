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

/* How an accumulator is scaled to the output:
   MI_ROUND_DOUBLE: TFLite Micro's gemmlowp composition (saturating rounding doubling high
                    multiply, then rounding divide by a power of two);
   MI_ROUND_REAL:   LiteRT 2.3.0's reference FULLY_CONNECTED: the accumulator times
                    real_scale[ch] in double, rounded half away from zero; a result outside
                    int32 becomes INT32_MIN (what x86's conversion gives) and the output offset
                    is then added with int32 wrap-around. */
typedef enum {
    MI_ROUND_DOUBLE = 0,
    MI_ROUND_REAL = 1
} mi_rounding;

/* Per-output-channel requantization: multiplier[i] * 2**(shift[i] - 31), or real_scale[i] with
   MI_ROUND_REAL. A per-tensor scale is passed as arrays holding the same value for every
   channel. */
typedef struct {
    const int32_t *multiplier;
    const int32_t *shift;
    const double *real_scale; /* MI_ROUND_REAL only (may be NULL otherwise) */
    int32_t rounding;         /* mi_rounding */
    int32_t fast;             /* MI_ROUND_DOUBLE only, set by the caller when every multiplier is >= 0,
                                 every shift is in [-31, -1] and every accumulator the kernel
                                 requantizes lies in (-2**30, 2**30): the kernels may then use
                                 mi_requantize_fast (same bits, fewer instructions). 0 is always safe. */
} mi_requant;

/* folded_bias (int8 kernels): per output channel c, bias[c] + input_offset * (the sum of output
   channel c's filter weights), wrapped to int32; computed once, at prepare time (CMSIS-NN's kernel
   sums). With it the kernels sum raw int8 products and pad with the input zero point (whose
   offset input is 0). Required by mi_convolve_s8/_1x1_s8 and the int8 depthwise kernels; the
   int16 kernels ignore it. */
typedef struct {
    int32_t input_offset;  /* minus the input zero point (0 for int16) */
    int32_t output_offset; /* the output zero point */
    mi_tile stride;
    mi_tile padding; /* before the first row / column */
    mi_tile dilation;
    mi_activation activation;
    const int32_t *folded_bias;
} mi_conv_params;

typedef struct {
    int32_t input_offset;
    int32_t output_offset;
    int32_t ch_mult; /* depth multiplier */
    mi_tile stride;
    mi_tile padding;
    mi_tile dilation;
    mi_activation activation;
    const int32_t *folded_bias;
} mi_dw_conv_params;

typedef struct {
    int32_t input_offset;
    int32_t output_offset;
    mi_activation activation;
} mi_fc_params;

#endif
