/* int16 BATCH_MATMUL (zero points 0). */
#include "mi_batch_matmul_common.h"

int32_t mi_batch_matmul_s16_get_buffer_size(const mi_bmm_dims *dims)
{
    return mi_bmm_scratch_elements(dims) * (int32_t)sizeof(int16_t);
}

MI_BMM_DEFINE_DOT_2X2(dot_2x2_wide, int64_t)

static int16_t output_value(const mi_bmm_params *params, const mi_requant *quant, int64_t acc)
{
    const int64_t scaled = mi_requantize_s64(acc, quant->multiplier[0], quant->shift[0]);
    return (int16_t)mi_clamp(scaled + params->output_offset, params->activation);
}

mi_status mi_batch_matmul_s16(const mi_context *ctx, const mi_bmm_params *params, const mi_requant *quant,
                              const mi_bmm_dims *dims, const int16_t *lhs, const int16_t *rhs, int16_t *output)
{
    int16_t *packed_lhs, *packed_rhs;
    int32_t b;
    if (!mi_bmm_arguments_ok(ctx, dims) || params->lhs_offset != 0 || params->rhs_offset != 0) {
        return MI_ARG_ERROR;
    }
    packed_lhs = (int16_t *)ctx->buf;
    packed_rhs = packed_lhs + (int64_t)dims->rows * dims->depth;
    for (b = 0; b < dims->batches; ++b) {
        MI_BMM_PACK_BATCH(int16_t, dims, params, lhs, rhs, b, packed_lhs, packed_rhs);
#define OUTPUT(acc) output_value(params, quant, (acc))
        MI_BMM_TILES(int64_t, dot_2x2_wide, OUTPUT, dims, packed_lhs, packed_rhs, output);
#undef OUTPUT
    }
    return MI_OK;
}
