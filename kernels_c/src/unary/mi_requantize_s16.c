/* QUANTIZE int16 -> int8 / int16 / int32 (see mi_nn_unary.h). */
#include "microinfer_nn.h"
#include "mi_requantize.h"

mi_status mi_requantize_s16(const mi_requantize_params *params, const int16_t *input, void *output)
{
    const int32_t count = params->count;
    const int32_t bytes = params->element_bytes;
    const int32_t low = bytes == 1 ? -128 : (bytes == 2 ? -32768 : INT32_MIN);
    const int32_t high = bytes == 1 ? 127 : (bytes == 2 ? 32767 : INT32_MAX);
    int32_t i;
    if ((bytes != 1 && bytes != 2 && bytes != 4) || count < 0 || params->shift < -31 || params->shift > 30) {
        return MI_ARG_ERROR;
    }
    for (i = 0; i < count; i++) {
        const int32_t scaled = mi_requantize_double((int32_t)input[i] - params->input_zero_point, params->multiplier,
                                                    params->shift);
        const int32_t v = mi_wrap_add_s32(scaled, params->output_zero_point);
        const int32_t clamped = v < low ? low : (v > high ? high : v);
        if (bytes == 1) {
            ((int8_t *)output)[i] = (int8_t)clamped;
        } else if (bytes == 2) {
            ((int16_t *)output)[i] = (int16_t)clamped;
        } else {
            ((int32_t *)output)[i] = clamped;
        }
    }
    return MI_OK;
}
