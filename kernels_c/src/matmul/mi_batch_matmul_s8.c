/* int8 BATCH_MATMUL. */
#include "mi_batch_matmul_common.h"

int32_t mi_batch_matmul_s8_get_buffer_size(const mi_bmm_dims *dims)
{
    return mi_bmm_scratch_elements(dims) * (int32_t)sizeof(int16_t);
}

/* The four sums of products of packed lhs rows a0, a1 with packed rhs rows b0, b1 (a 2x2 output
   tile: each value loaded once serves two products); the caller bounds each below 2**31. */
static void dot_2x2(const int16_t *a0, const int16_t *a1, const int16_t *b0, const int16_t *b1, int32_t depth,
                    int32_t sums[4])
{
    int32_t s00 = 0, s01 = 0, s10 = 0, s11 = 0, k;
    for (k = 0; k < depth; ++k) {
        s00 += (int32_t)a0[k] * b0[k];
        s01 += (int32_t)a0[k] * b1[k];
        s10 += (int32_t)a1[k] * b0[k];
        s11 += (int32_t)a1[k] * b1[k];
    }
    sums[0] = s00;
    sums[1] = s01;
    sums[2] = s10;
    sums[3] = s11;
}

static int8_t output_value(const mi_bmm_params *params, const mi_requant *quant, int32_t acc)
{
    const int32_t scaled = mi_requantize_double(acc, quant->multiplier[0], quant->shift[0]);
    return (int8_t)mi_clamp((int64_t)scaled + params->output_offset, params->activation);
}

mi_status mi_batch_matmul_s8(const mi_context *ctx, const mi_bmm_params *params, const mi_requant *quant,
                             const mi_bmm_dims *dims, const int8_t *lhs, const int8_t *rhs, int8_t *output)
{
    int16_t *packed_lhs, *packed_rhs;
    int32_t b;
    if (!mi_bmm_arguments_ok(ctx, dims)) {
        return MI_ARG_ERROR;
    }
    packed_lhs = (int16_t *)ctx->buf;
    packed_rhs = packed_lhs + (int64_t)dims->rows * dims->depth;
    for (b = 0; b < dims->batches; ++b) {
        MI_BMM_PACK_BATCH(int8_t, dims, params, lhs, rhs, b, packed_lhs, packed_rhs);
#define OUTPUT(acc) output_value(params, quant, (acc))
        MI_BMM_TILES(int32_t, dot_2x2, OUTPUT, dims, packed_lhs, packed_rhs, output);
#undef OUTPUT
    }
    return MI_OK;
}
