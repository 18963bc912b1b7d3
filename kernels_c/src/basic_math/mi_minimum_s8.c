/* int8_t MINIMUM with broadcasting: the raw values compared (see mi_nn_binary.h). */
#include "mi_elementwise_common.h"

mi_status mi_minimum_s8(const mi_broadcast *shape, const int8_t *input1, const int8_t *input2, int8_t *output)
{
#define PICK(a, b) ((a) < (b) ? (a) : (b))
    MI_BROADCAST_WALK(PICK, int8_t, shape, input1, input2, output);
#undef PICK
    return MI_OK;
}
