/* int16_t MAXIMUM with broadcasting: the raw values compared (see mi_nn_binary.h). */
#include "mi_elementwise_common.h"

mi_status mi_maximum_s16(const mi_broadcast *shape, const int16_t *input1, const int16_t *input2, int16_t *output)
{
#define PICK(a, b) ((a) > (b) ? (a) : (b))
    MI_BROADCAST_WALK(PICK, int16_t, shape, input1, input2, output);
#undef PICK
    return MI_OK;
}
