/* int8 SVDF with an int16 or int8 state (see mi_nn_svdf.h). */
#include "microinfer_nn.h"
#include "mi_requantize.h"

static int32_t state_at(const void *state, int32_t bytes, int64_t i)
{
    return bytes == 2 ? (int32_t)((const int16_t *)state)[i] : (int32_t)((const int8_t *)state)[i];
}

mi_status mi_svdf_s8(const mi_svdf_params *params, const int8_t *input, const int8_t *weights_feature,
                     const void *weights_time, const int32_t *bias, void *state, int8_t *output)
{
    const mi_svdf_params p = *params;
    const int32_t bytes = p.state_bytes;
    const int32_t units = p.rank > 0 ? p.filters / p.rank : 0;
    const int64_t values = (int64_t)p.batch * p.filters * p.memory;
    int32_t b, f, u, m, i;
    if ((bytes != 1 && bytes != 2) || p.rank < 1 || p.filters % p.rank != 0 || p.memory < 1 || p.batch < 1 ||
        p.input_size < 1 || p.shift_1 < -31 || p.shift_1 > 30 || p.shift_2 < -31 || p.shift_2 > 30) {
        return MI_ARG_ERROR;
    }
    /* the whole state moves left by one value (forward: each value is read before it is overwritten) */
    if (bytes == 2) {
        int16_t *s = (int16_t *)state;
        int64_t k;
        for (k = 0; k + 1 < values; k++) {
            s[k] = s[k + 1];
        }
    } else {
        int8_t *s = (int8_t *)state;
        int64_t k;
        for (k = 0; k + 1 < values; k++) {
            s[k] = s[k + 1];
        }
    }
    for (b = 0; b < p.batch; b++) {
        const int8_t *x = input + (int64_t)b * p.input_size;
        for (f = 0; f < p.filters; f++) {
            const int8_t *w = weights_feature + (int64_t)f * p.input_size;
            const int64_t slot = ((int64_t)b * p.filters + f) * p.memory + p.memory - 1;
            int32_t acc = 0, feature;
            for (i = 0; i < p.input_size; i++) {
                acc += ((int32_t)x[i] + p.input_offset) * (int32_t)w[i];
            }
            feature = mi_requantize_double(acc, p.multiplier_1, p.shift_1);
            feature = feature < p.state_min ? p.state_min : (feature > p.state_max ? p.state_max : feature);
            feature += p.state_zero_point;
            if (bytes == 2) {
                ((int16_t *)state)[slot] = (int16_t)feature;
            } else {
                ((int8_t *)state)[slot] = (int8_t)feature;
            }
        }
        for (u = 0; u < units; u++) {
            uint32_t sum = bias != 0 ? (uint32_t)bias[u] : 0u;
            int32_t scaled;
            int64_t value;
            for (f = u * p.rank; f < (u + 1) * p.rank; f++) {
                const int64_t row = ((int64_t)b * p.filters + f) * p.memory;
                uint32_t dot = 0u;
                for (m = 0; m < p.memory; m++) {
                    const int64_t s = (int64_t)state_at(state, bytes, row + m) - p.state_zero_point;
                    const int64_t t = (int64_t)state_at(weights_time, bytes, (int64_t)f * p.memory + m);
                    dot += (uint32_t)(s * t);
                }
                sum += dot;
            }
            scaled = mi_requantize_double((int32_t)sum, p.multiplier_2, p.shift_2);
            value = (int64_t)scaled + p.output_zero_point;
            output[(int64_t)b * units + u] = (int8_t)(value < -128 ? -128 : (value > 127 ? 127 : value));
        }
    }
    return MI_OK;
}
