/* Element-wise functions of one input: lookup tables for int8 inputs (LOGISTIC, TANH, RELU, RELU6,
   LEAKY_RELU, HARD_SWISH, QUANTIZE and DEQUANTIZE of int8), and QUANTIZE of float32.

   An int8 input has 256 values, so any element-wise function of it is a table of 256 entries:
   the caller computes the table once (microinfer's NumPy kernel applied to -128..127, so the
   kernel is bit-exact by construction) and the kernel only looks values up. Output elements of
   1, 2 or 4 bytes (int8, int16, int32 or float32). out[i] depends on in[i] only and is written
   after in[i] is read: with 1-byte outputs input and output may be the same buffer (in place). */
#ifndef MI_NN_UNARY_H
#define MI_NN_UNARY_H

#include "mi_nn_types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    const void *table;     /* 256 entries: table[x + 128] for input x */
    int32_t count;         /* elements */
    int32_t element_bytes; /* of the output (and of a table entry): 1, 2 or 4 */
} mi_lookup_params;

mi_status mi_lookup_s8(const mi_lookup_params *params, const int8_t *input, void *output);

/* QUANTIZE float32 -> int8 / int16, as both references: q = x / scale in float32, rounded half
   away from zero; a quotient outside int32 (or NaN) becomes INT32_MIN, as the C cast does on x86;
   then zero_point is added with int32 wrap-around and the result saturated to the output type. */
typedef struct {
    float scale;
    int32_t zero_point;
    int32_t count;
    int32_t element_bytes; /* of the output: 1 (int8) or 2 (int16) */
} mi_quantize_params;

mi_status mi_quantize_f32(const mi_quantize_params *params, const float *input, void *output);

/* QUANTIZE int16 -> int8 / int16 / int32: out = output_zero_point + requantize(x - input_zero_point)
   (double rounding, shift in [-31, 30]), the sum wrapped to int32, saturated to the output type.
   Element-wise: with 2-byte outputs input and output may be the same buffer. */
typedef struct {
    int32_t multiplier;
    int32_t shift;
    int32_t input_zero_point;
    int32_t output_zero_point;
    int32_t count;
    int32_t element_bytes; /* of the output: 1, 2 or 4 */
} mi_requantize_params;

mi_status mi_requantize_s16(const mi_requantize_params *params, const int16_t *input, void *output);

#ifdef __cplusplus
}
#endif

#endif
