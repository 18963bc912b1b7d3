/* Host analysis for microinfer's per-layer quantization error (compare --per-layer), not a kernel:
   generated libraries never include it. One pass over a quantized tensor and its float
   counterpart adds the sums the report is built from. */
#include <stdint.h>

#include "mi_nn_program.h"

/* sums: element count, sum of squared errors, sum of absolute errors, sum f^2, sum q^2, sum q*f,
   largest absolute error. The quantized value of code c is real[c] (float32, as the dequantizer
   computes it); codes are the tensor's bytes (code_bytes 1) or halfwords (code_bytes 2) read as
   unsigned. Codes are looked up a block at a time, then the sums run over plain arrays in lanes
   of independent double additions, which compilers vectorize. */
#define MI_LANES 8
#define MI_BLOCK 512

void mi_error_sums(const void *codes, int32_t code_bytes, const float *real, const float *reference, int32_t count,
                   double sums[7])
{
    double sq[MI_LANES] = {0}, ab[MI_LANES] = {0}, ff[MI_LANES] = {0}, qq[MI_LANES] = {0}, qf[MI_LANES] = {0};
    double most[MI_LANES] = {0};
    float looked_up[MI_BLOCK], ref_block[MI_BLOCK];
    const uint8_t *bytes = (const uint8_t *)codes;
    const uint16_t *halves = (const uint16_t *)codes;
    int32_t start, i, lane;
    int nan_seen = 0;
    for (start = 0; start < count; start += MI_BLOCK) {
        const int32_t n = count - start < MI_BLOCK ? count - start : MI_BLOCK;
        const int32_t padded = (n + MI_LANES - 1) / MI_LANES * MI_LANES;
        for (i = 0; i < n; i++) {
            looked_up[i] = real[code_bytes == 1 ? bytes[start + i] : halves[start + i]];
            ref_block[i] = reference[start + i];
        }
        for (i = n; i < padded; i++) {
            looked_up[i] = ref_block[i] = 0.0f; /* padding: q = f = 0 adds nothing */
        }
        for (i = 0; i < padded; i += MI_LANES) {
            for (lane = 0; lane < MI_LANES; lane++) {
                const double q = looked_up[i + lane];
                const double ref = ref_block[i + lane];
                const double error = q - ref;
                const double magnitude = error < 0 ? -error : error;
                sq[lane] += error * error;
                ab[lane] += magnitude;
                ff[lane] += ref * ref;
                qq[lane] += q * q;
                qf[lane] += q * ref;
                most[lane] = magnitude > most[lane] ? magnitude : most[lane];
                nan_seen |= magnitude != magnitude;
            }
        }
    }
    sums[0] += count;
    for (lane = 0; lane < MI_LANES; lane++) {
        sums[1] += sq[lane];
        sums[2] += ab[lane];
        sums[3] += ff[lane];
        sums[4] += qq[lane];
        sums[5] += qf[lane];
        sums[6] = most[lane] > sums[6] ? most[lane] : sums[6];
    }
    if (nan_seen) {
        sums[6] = sums[1];
    }
}
