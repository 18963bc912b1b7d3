/* Short copies and fills of int8 runs (im2col rows, padding), inlined: a call into a C library's
   memcpy costs more than the copy for the 4 to 200 bytes the kernels move at a time. Helium
   copies 16 bytes per step, the DSP cores a word per step at any alignment, Thumb-1 cores a word
   per step when both ends are word-aligned (an unaligned word access faults there). */
#ifndef MI_NN_COPY_H
#define MI_NN_COPY_H

#include <stdint.h>
#include <string.h>

#include "mi_requantize.h"

static inline void mi_copy_s8(int8_t *dst, const int8_t *src, int32_t count)
{
#if defined(ARM_MATH_MVEI)
    if (count > 0) {
        __asm__ volatile(
            "   dlstp.8 lr, %[n]\n"
            "1: vldrb.8 q0, [%[s]], #16\n"
            "   vstrb.8 q0, [%[d]], #16\n"
            "   letp lr, 1b\n"
            : [s] "+r"(src), [d] "+r"(dst)
            : [n] "r"(count)
            : "q0", "lr", "memory");
    }
#elif defined(ARM_MATH_DSP)
    for (; count >= 4; count -= 4) {
        int32_t word;
        __builtin_memcpy(&word, src, 4); /* an unaligned LDR */
        __builtin_memcpy(dst, &word, 4);
        src += 4;
        dst += 4;
    }
    for (; count > 0; count--) {
        *dst++ = *src++;
    }
#elif defined(MI_THUMB1)
    if ((((uintptr_t)dst | (uintptr_t)src) & 3u) == 0) {
        int8_t *to = __builtin_assume_aligned(dst, 4);
        const int8_t *from = __builtin_assume_aligned(src, 4);
        for (; count >= 4; count -= 4) {
            __builtin_memcpy(to, from, 4); /* an aligned LDR and STR */
            to += 4;
            from += 4;
        }
        dst = to;
        src = from;
    }
    for (; count > 0; count--) {
        *dst++ = *src++;
    }
#else
    if (count > 0) {
        memcpy(dst, src, (size_t)count);
    }
#endif
}

static inline void mi_fill_s8(int8_t *dst, int8_t value, int32_t count)
{
#if defined(ARM_MATH_MVEI)
    if (count > 0) {
        const int8x16_t values = vdupq_n_s8(value);
        __asm__ volatile(
            "   dlstp.8 lr, %[n]\n"
            "1: vstrb.8 %q[v], [%[d]], #16\n"
            "   letp lr, 1b\n"
            : [d] "+r"(dst)
            : [n] "r"(count), [v] "w"(values)
            : "lr", "memory");
    }
#elif defined(ARM_MATH_DSP)
    const uint32_t word = (uint32_t)(uint8_t)value * 0x01010101u;
    for (; count >= 4; count -= 4) {
        __builtin_memcpy(dst, &word, 4); /* an unaligned STR */
        dst += 4;
    }
    for (; count > 0; count--) {
        *dst++ = value;
    }
#elif defined(MI_THUMB1)
    if (((uintptr_t)dst & 3u) == 0) {
        const uint32_t word = (uint32_t)(uint8_t)value * 0x01010101u;
        int8_t *to = __builtin_assume_aligned(dst, 4);
        for (; count >= 4; count -= 4) {
            __builtin_memcpy(to, &word, 4);
            to += 4;
        }
        dst = to;
    }
    for (; count > 0; count--) {
        *dst++ = value;
    }
#else
    if (count > 0) {
        memset(dst, (uint8_t)value, (size_t)count);
    }
#endif
}

#endif
