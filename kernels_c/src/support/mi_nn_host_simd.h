/* x86-64 host paths of the support functions (AVX-512 VNNI: VPDPBUSD, four int8 products a lane
   per instruction), for the C backend's speed on the host; the Cortex-M and RISC-V builds never
   see them. VPDPBUSD multiplies unsigned by signed bytes, so the lhs goes in as l + 128 (its bytes
   XOR 0x80) and 128 * sum(rhs row) comes off again: exact in wrapping int32, so every sum equals
   the portable path's bit for bit. Masked loads cover a tail shorter than 64 bytes (masked-out
   bytes are not read: no fault past the end of a buffer). */
#ifndef MI_NN_HOST_SIMD_H
#define MI_NN_HOST_SIMD_H

#if defined(__x86_64__) && defined(__AVX512VNNI__) && defined(__AVX512BW__) && defined(__AVX512F__)
#define MI_HOST_VNNI 1
#include <immintrin.h>
#include <stdint.h>

#define MI_HOST_INLINE static inline __attribute__((always_inline))

/* Bytes k.. of a row (at most 64; zeros past `left`). */
MI_HOST_INLINE __m512i mi_host_load_s8(const int8_t *at, int32_t left)
{
    const __mmask64 mask = left >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << left) - 1);
    return _mm512_maskz_loadu_epi8(mask, at);
}

/* The four lane-sums of a0..a3, as out[0..3]. */
MI_HOST_INLINE __m128i mi_host_sum_lanes4(__m512i a0, __m512i a1, __m512i a2, __m512i a3)
{
    const __m512i t0 = _mm512_add_epi32(_mm512_unpacklo_epi32(a0, a1), _mm512_unpackhi_epi32(a0, a1));
    const __m512i t1 = _mm512_add_epi32(_mm512_unpacklo_epi32(a2, a3), _mm512_unpackhi_epi32(a2, a3));
    const __m512i u = _mm512_add_epi32(_mm512_unpacklo_epi64(t0, t1), _mm512_unpackhi_epi64(t0, t1));
    const __m256i v = _mm256_add_epi32(_mm512_castsi512_si256(u), _mm512_extracti64x4_epi64(u, 1));
    return _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
}

/* sums[i] = sum over k < cols of row_i[k], for the four rows w0..w3. */
MI_HOST_INLINE void mi_host_row_sums4(const int8_t *w0, const int8_t *w1, const int8_t *w2, const int8_t *w3,
                                      int32_t cols, int32_t sums[4])
{
    const __m512i ones = _mm512_set1_epi8(1);
    __m512i s0 = _mm512_setzero_si512(), s1 = s0, s2 = s0, s3 = s0;
    int32_t k;
    for (k = 0; k < cols; k += 64) {
        s0 = _mm512_dpbusd_epi32(s0, ones, mi_host_load_s8(w0 + k, cols - k));
        s1 = _mm512_dpbusd_epi32(s1, ones, mi_host_load_s8(w1 + k, cols - k));
        s2 = _mm512_dpbusd_epi32(s2, ones, mi_host_load_s8(w2 + k, cols - k));
        s3 = _mm512_dpbusd_epi32(s3, ones, mi_host_load_s8(w3 + k, cols - k));
    }
    _mm_storeu_si128((__m128i *)sums, mi_host_sum_lanes4(s0, s1, s2, s3));
}
#endif

#endif
