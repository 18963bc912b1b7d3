/* Host analysis for microinfer's per-layer quantization error (compare --per-layer), not a kernel:
   generated libraries never include it. One pass over a quantized tensor and its float
   counterpart adds the sums the report is built from. */
#include <stdint.h>

#include "mi_nn_program.h"

/* sums: element count, sum of squared errors, sum of absolute errors, sum f^2, sum q^2, sum q*f,
   largest absolute error. The quantized value of code c is real[c] (float32, as the dequantizer
   computes it); codes are the tensor's bytes (code_bytes 1) or halfwords (code_bytes 2) read as
   unsigned. Sums are double; AVX-512 hosts take 16 elements a step. */

#if defined(__x86_64__) && defined(__AVX512F__) && defined(__AVX512BW__)
#include <immintrin.h>

/* Eight elements of the AVX-512 loop: q and f widened to double, the sums in vector lanes. */
static inline void add8(__m512d q, __m512d f, __m512d *sq, __m512d *ab, __m512d *ff, __m512d *qq, __m512d *qf,
                        __m512d *most)
{
    const __m512d error = _mm512_sub_pd(q, f);
    const __m512d magnitude = _mm512_abs_pd(error);
    *sq = _mm512_fmadd_pd(error, error, *sq);
    *ab = _mm512_add_pd(*ab, magnitude);
    *ff = _mm512_fmadd_pd(f, f, *ff);
    *qq = _mm512_fmadd_pd(q, q, *qq);
    *qf = _mm512_fmadd_pd(q, f, *qf);
    *most = _mm512_max_pd(*most, magnitude); /* a NaN shows in sq */
}

/* The elements below a multiple of 16, 16 a step (codes gathered from the table); returns how
   many it did. */
static int32_t sums_avx512(const void *codes, int32_t code_bytes, const float *real, const float *reference,
                           int32_t count, double lanes[6][8])
{
    __m512d sq = _mm512_setzero_pd(), ab = sq, ff = sq, qq = sq, qf = sq, most = sq;
    int32_t i;
    for (i = 0; i + 16 <= count; i += 16) {
        const __m512i index = code_bytes == 1
            ? _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)((const uint8_t *)codes + i)))
            : _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)((const uint16_t *)codes + i)));
        const __m512 q = _mm512_i32gather_ps(index, real, 4);
        const __m512 f = _mm512_loadu_ps(reference + i);
        add8(_mm512_cvtps_pd(_mm512_castps512_ps256(q)), _mm512_cvtps_pd(_mm512_castps512_ps256(f)), &sq, &ab, &ff,
             &qq, &qf, &most);
        add8(_mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(q), 1))),
             _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(f), 1))), &sq, &ab, &ff, &qq,
             &qf, &most);
    }
    _mm512_storeu_pd(lanes[0], sq);
    _mm512_storeu_pd(lanes[1], ab);
    _mm512_storeu_pd(lanes[2], ff);
    _mm512_storeu_pd(lanes[3], qq);
    _mm512_storeu_pd(lanes[4], qf);
    _mm512_storeu_pd(lanes[5], most);
    return i;
}
#endif

void mi_error_sums(const void *codes, int32_t code_bytes, const float *real, const float *reference, int32_t count,
                   double sums[7])
{
    const uint8_t *bytes = (const uint8_t *)codes;
    const uint16_t *halves = (const uint16_t *)codes;
    double lanes[6][8] = {{0}};
    double worst = sums[6];
    int nan_seen = 0;
    int32_t i = 0, lane;
#if defined(__x86_64__) && defined(__AVX512F__) && defined(__AVX512BW__)
    i = sums_avx512(codes, code_bytes, real, reference, count, lanes);
#endif
    for (; i < count; i++) {
        const double q = real[code_bytes == 1 ? bytes[i] : halves[i]];
        const double f = reference[i];
        const double error = q - f;
        const double magnitude = error < 0 ? -error : error;
        lanes[0][0] += error * error;
        lanes[1][0] += magnitude;
        lanes[2][0] += f * f;
        lanes[3][0] += q * q;
        lanes[4][0] += q * f;
        lanes[5][0] = magnitude > lanes[5][0] ? magnitude : lanes[5][0];
        nan_seen |= magnitude != magnitude;
    }
    sums[0] += count;
    for (lane = 0; lane < 8; lane++) {
        sums[1] += lanes[0][lane];
        sums[2] += lanes[1][lane];
        sums[3] += lanes[2][lane];
        sums[4] += lanes[3][lane];
        sums[5] += lanes[4][lane];
        worst = lanes[5][lane] > worst ? lanes[5][lane] : worst;
    }
    sums[6] = nan_seen || sums[1] != sums[1] ? sums[1] : worst;
}
