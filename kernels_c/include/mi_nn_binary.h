/* More element-wise kernels of two broadcast inputs (mi_broadcast, see mi_nn_elementwise.h): SUB
   with the left-shift scheme of ADD (mi_add_params: out = requantize(scaled1 - scaled2)), and
   MAXIMUM / MINIMUM of raw values (inputs and output share their quantization). */
#ifndef MI_NN_BINARY_H
#define MI_NN_BINARY_H

#include "mi_nn_elementwise.h"

#ifdef __cplusplus
extern "C" {
#endif

mi_status mi_elementwise_sub_s8(const mi_add_params *params, const mi_broadcast *shape, const int8_t *input1,
                                const int8_t *input2, int8_t *output);
mi_status mi_elementwise_sub_s16(const mi_add_params *params, const mi_broadcast *shape, const int16_t *input1,
                                 const int16_t *input2, int16_t *output);

mi_status mi_maximum_s8(const mi_broadcast *shape, const int8_t *input1, const int8_t *input2, int8_t *output);
mi_status mi_maximum_s16(const mi_broadcast *shape, const int16_t *input1, const int16_t *input2, int16_t *output);
mi_status mi_minimum_s8(const mi_broadcast *shape, const int8_t *input1, const int8_t *input2, int8_t *output);
mi_status mi_minimum_s16(const mi_broadcast *shape, const int16_t *input1, const int16_t *input2, int16_t *output);

#ifdef __cplusplus
}
#endif

#endif
