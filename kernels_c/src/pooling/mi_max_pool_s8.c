/* int8 MAX_POOL_2D, NHWC. */
#include "mi_pool_window.h"
#include "support/mi_nn_support.h"

int32_t mi_max_pool_s8_get_buffer_size(int32_t channels)
{
    return mi_pool_buffer_size(channels);
}

mi_status mi_max_pool_s8(const mi_context *ctx, const mi_pool_params *params, const mi_dims *input_dims,
                         const int8_t *input, const mi_dims *filter_dims, const mi_dims *output_dims,
                         int8_t *output)
{
    return mi_nn_pool_s8(0, ctx, params, input_dims, input, filter_dims, output_dims, output);
}
