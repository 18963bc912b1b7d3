/* int8 BATCH_MATMUL. */
#include "mi_batch_matmul_common.h"

int32_t mi_batch_matmul_s8_get_buffer_size(const mi_bmm_dims *dims)
{
    return mi_bmm_scratch_elements(dims) * (int32_t)sizeof(int16_t);
}

MI_BMM_DEFINE_DOT_2X2(dot_2x2, int32_t)

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
