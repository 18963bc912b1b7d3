/* QUANTIZE float32 -> int8 / int16 (see mi_nn_unary.h). No libm: the rounding is done on the
   float itself, exactly. */
#include "microinfer_nn.h"

/* round(q) half away from zero as int32; INT32_MIN when q is NaN or the result leaves int32. */
static int32_t round_to_int32(float q)
{
    int32_t t;
    float rest;
    if (!(q > -8388608.0f && q < 8388608.0f)) { /* |q| >= 2**23 (or NaN): q is an integer already */
        if (q >= -2147483648.0f && q < 2147483648.0f) {
            return (int32_t)q;
        }
        return INT32_MIN;
    }
    t = (int32_t)q;         /* toward zero, exact */
    rest = q - (float)t;    /* exact: both lie within 2**23 of each other */
    if (rest >= 0.5f) {
        t += 1;
    } else if (rest <= -0.5f) {
        t -= 1;
    }
    return t;
}

mi_status mi_quantize_f32(const mi_quantize_params *params, const float *input, void *output)
{
    const int32_t count = params->count;
    const float scale = params->scale;
    const int32_t low = params->element_bytes == 1 ? -128 : -32768;
    const int32_t high = params->element_bytes == 1 ? 127 : 32767;
    int32_t i;
    if ((params->element_bytes != 1 && params->element_bytes != 2) || count < 0) {
        return MI_ARG_ERROR;
    }
    for (i = 0; i < count; i++) {
        const float q = input[i] / scale;
        const int32_t v = (int32_t)((uint32_t)round_to_int32(q) + (uint32_t)params->zero_point);
        const int32_t clamped = v < low ? low : (v > high ? high : v);
        if (params->element_bytes == 1) {
            ((int8_t *)output)[i] = (int8_t)clamped;
        } else {
            ((int16_t *)output)[i] = (int16_t)clamped;
        }
    }
    return MI_OK;
}
