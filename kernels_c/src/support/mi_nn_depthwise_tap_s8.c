#include "mi_nn_support.h"
#include "mi_nn_isa.h"

#if defined(ARM_MATH_MVEI)
/* Depth multiplier 1: four channels per step in int32 lanes (the loads widen int8), in a
   tail-predicated low-overhead loop (DLSTP/LETP). MVE has no vector-by-vector multiply-accumulate
   into a vector, hence VMUL then VADD. */
static void tap_channels_isa(const int8_t *in, const int8_t *filter, int32_t *acc, int32_t in_ch,
                             int32_t input_offset)
{
    if (in_ch > 0) {
        __asm__ volatile(
            "   dlstp.32 lr, %[n]\n"
            "1: vldrb.s32 q0, [%[x]], #4\n"
            "   vldrb.s32 q1, [%[f]], #4\n"
            "   vldrw.32 q2, [%[a]]\n"
            "   vadd.i32 q0, q0, %[o]\n"
            "   vmul.i32 q0, q0, q1\n"
            "   vadd.i32 q2, q2, q0\n"
            "   vstrw.32 q2, [%[a]], #16\n"
            "   letp lr, 1b\n"
            : [x] "+l"(in), [f] "+l"(filter), [a] "+r"(acc)
            : [n] "r"(in_ch), [o] "r"(input_offset)
            : "q0", "q1", "q2", "lr", "memory");
    }
}
#elif defined(ARM_MATH_DSP)
/* Depth multiplier 1: four channels per step, the input widened with its offset (SXTAB16), each
   channel's product added by SMLABB / SMLATT. */
static void tap_channels_isa(const int8_t *in, const int8_t *filter, int32_t *acc, int32_t in_ch,
                             int32_t input_offset)
{
    const int32_t offsets = (int32_t)(((uint32_t)input_offset & 0xFFFFu) * 0x10001u);
    int32_t c = 0;
    for (; c + 4 <= in_ch; c += 4) {
        const int32_t x = mi_read_word(in + c);
        const int32_t f = mi_read_word(filter + c);
        const int32_t x_even = mi_sxtab16_even(offsets, x);
        const int32_t x_odd = mi_sxtab16_odd(offsets, x);
        const int32_t f_even = mi_sxtb16_even(f);
        const int32_t f_odd = mi_sxtb16_odd(f);
        acc[c] = __smlabb(x_even, f_even, acc[c]);
        acc[c + 1] = __smlabb(x_odd, f_odd, acc[c + 1]);
        acc[c + 2] = __smlatt(x_even, f_even, acc[c + 2]);
        acc[c + 3] = __smlatt(x_odd, f_odd, acc[c + 3]);
    }
    for (; c < in_ch; c++) {
        acc[c] += (in[c] + input_offset) * filter[c];
    }
}
#endif


void mi_nn_depthwise_tap_s8(const int8_t *in, const int8_t *filter, int32_t *acc, int32_t in_ch, int32_t ch_mult,
                            int32_t input_offset)
{
    int32_t c;
    if (ch_mult == 1) {
#if defined(ARM_MATH_MVEI) || defined(ARM_MATH_DSP)
        tap_channels_isa(in, filter, acc, in_ch, input_offset);
#else
        for (c = 0; c < in_ch; c++) {
            acc[c] += (in[c] + input_offset) * filter[c];
        }
#endif
        return;
    }
    for (c = 0; c < in_ch; c++) {
        const int32_t x = in[c] + input_offset;
        int32_t m;
        for (m = 0; m < ch_mult; m++) {
            acc[c * ch_mult + m] += x * filter[c * ch_mult + m];
        }
    }
}
