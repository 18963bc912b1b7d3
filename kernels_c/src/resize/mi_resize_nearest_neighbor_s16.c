/* int16 RESIZE_NEAREST_NEIGHBOR, NHWC. */
#include "mi_resize_common.h"

mi_status mi_resize_nearest_neighbor_s16(const mi_resize_nearest_params *params, const mi_dims *input_dims,
                                         const int16_t *input, const mi_dims *output_dims, int16_t *output)
{
    if (!mi_resize_shapes_agree(input_dims, output_dims)) {
        return MI_ARG_ERROR;
    }
    MI_RESIZE_NEAREST(int16_t, params, input_dims, input, output_dims, output);
    return MI_OK;
}
