#include "mi_nn_support.h"
#include "mi_nn_isa.h"

#if defined(ARM_MATH_MVEI)
/* Eight values per step: VLDRB.S16 widens, VADD adds the offset, VSTRH stores; a tail-predicated
   low-overhead loop (DLSTP/LETP). */
static void widen_isa(const int8_t *src, int16_t *dst, int32_t count, int16_t offset)
{
    const int32_t offset32 = offset;
    if (count > 0) {
        __asm__ volatile(
            "   dlstp.16 lr, %[n]\n"
            "1: vldrb.s16 q0, [%[s]], #8\n"
            "   vadd.i16 q0, q0, %[o]\n"
            "   vstrh.16 q0, [%[d]], #16\n"
            "   letp lr, 1b\n"
            : [s] "+r"(src), [d] "+r"(dst)
            : [n] "r"(count), [o] "r"(offset32)
            : "q0", "lr", "memory");
    }
}
#elif defined(ARM_MATH_DSP)
/* Four values per step: SXTAB16 widens and adds the offset to two bytes at a time, PKHBT/PKHTB
   restore memory order, two word stores. */
static void widen_isa(const int8_t *src, int16_t *dst, int32_t count, int16_t offset)
{
    const int32_t offsets = (int32_t)(((uint32_t)(uint16_t)offset) * 0x10001u);
    int32_t i = 0;
    for (; i + 4 <= count; i += 4) {
        const int32_t word = mi_read_word(src + i);
        const int32_t even = mi_sxtab16_even(offsets, word); /* values 0 and 2 */
        const int32_t odd = mi_sxtab16_odd(offsets, word);   /* values 1 and 3 */
        const int32_t first = mi_pack_low_halves(even, odd);
        const int32_t second = mi_pack_high_halves(even, odd);
        __builtin_memcpy(dst + i, &first, sizeof first);
        __builtin_memcpy(dst + i + 2, &second, sizeof second);
    }
    for (; i < count; i++) {
        dst[i] = (int16_t)(src[i] + offset);
    }
}
#endif

void mi_q7_to_q15_with_offset(const int8_t *src, int16_t *dst, int32_t count, int16_t offset)
{
#if defined(ARM_MATH_MVEI) || defined(ARM_MATH_DSP)
    widen_isa(src, dst, count, offset);
#else
    int32_t i;
    for (i = 0; i < count; i++) {
        dst[i] = (int16_t)(src[i] + offset);
    }
#endif
}
