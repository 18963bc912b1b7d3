/* BATCH_MATMUL: int8 and int16 batches of matrix products with broadcast batch dimensions.

   out[b] = lhs[b] x rhs[b] for b < batches, each product (rows x depth) x (depth x cols) ->
   (rows x cols), row-major. The caller resolves broadcasting into per-batch element offsets of
   each operand (a broadcast operand repeats an offset), and says whether each operand is stored
   adjoint: lhs as (depth x rows) with adj_x, rhs as (cols x depth) with adj_y. */
#ifndef MI_NN_MATMUL_H
#define MI_NN_MATMUL_H

#include "mi_nn_types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int32_t batches;
    int32_t rows;
    int32_t depth;
    int32_t cols;
    int32_t adj_x; /* lhs stored (depth x rows) */
    int32_t adj_y; /* rhs stored (cols x depth) */
    const int32_t *lhs_batch_offsets; /* batches entries, in elements */
    const int32_t *rhs_batch_offsets;
} mi_bmm_dims;

/* Offsets added to the operands (minus their zero points; 0 for int16), the output zero point,
   and the output clamp. */
typedef struct {
    int32_t lhs_offset;
    int32_t rhs_offset;
    int32_t output_offset;
    mi_activation activation;
} mi_bmm_params;

/* sum_k (lhs + lhs_offset) * (rhs + rhs_offset) in int32, requantized with quant's channel 0
   (double rounding; quant->rounding is not read), plus output_offset, clamped.
   depth * 255 * 255 must stay below 2**31 (the caller checks). Scratch: both operands of one
   product as int16, offsets added, the lhs as (rows x depth) and the rhs as (cols x depth):
   mi_batch_matmul_s8_get_buffer_size. */
mi_status mi_batch_matmul_s8(const mi_context *ctx, const mi_bmm_params *params, const mi_requant *quant,
                             const mi_bmm_dims *dims, const int8_t *lhs, const int8_t *rhs, int8_t *output);
int32_t mi_batch_matmul_s8_get_buffer_size(const mi_bmm_dims *dims);

/* int16 operands (zero points 0): int64 sums and the int64 requantizer (shift in [-31, 14]),
   clamped. Scratch as for int8: mi_batch_matmul_s16_get_buffer_size. */
mi_status mi_batch_matmul_s16(const mi_context *ctx, const mi_bmm_params *params, const mi_requant *quant,
                              const mi_bmm_dims *dims, const int16_t *lhs, const int16_t *rhs, int16_t *output);
int32_t mi_batch_matmul_s16_get_buffer_size(const mi_bmm_dims *dims);

#ifdef __cplusplus
}
#endif

#endif
