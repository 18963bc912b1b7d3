#include "mi_nn_support.h"
#include "mi_requantize.h"
#include "mi_nn_isa.h"
#include "mi_nn_host_simd.h"
#include "conv/mi_conv_geometry.h"

/* DEPTHWISE_CONV_2D with depth multiplier 1, any filter size, stride, dilation and padding. No
   padding is read: each output pixel sums the taps inside the image. The Cortex-M paths keep a
   pixel's sums of four channels in registers across all its taps (Helium: four pixels at once),
   the portable path a block of channels on the stack (compilers vectorize across channels). */

/* What every pixel of one call needs. */
typedef struct {
    const int8_t *filter;
    const int32_t *bias;        /* may be NULL */
    const int32_t *folded_bias; /* may be NULL: then every sum adds the input offset */
    const mi_requant *quant;
    int32_t channels;
    int32_t kh, kw;
    int32_t input_offset;
    int32_t output_offset;
    mi_activation act;
    int32_t tap_step;   /* bytes between horizontal taps: dilation.w * channels */
    int32_t row_step;   /* bytes between filter rows in the input: dilation.h * input width * channels */
    int32_t pixel_step; /* bytes between horizontally adjacent output pixels' windows */
} dw_call;

#if defined(ARM_MATH_MVEI)
MI_SPECIALIZED int32x4_t load_s8x4(const int8_t *at, int tail, mve_pred16_t active)
{
    return tail ? vldrbq_z_s32(at, active) : vldrbq_s32(at);
}

MI_SPECIALIZED int32x4_t load_s32x4(const int32_t *at, int tail, mve_pred16_t active)
{
    return tail ? vldrwq_z_s32(at, active) : vldrwq_s32(at);
}

/* Requantized, offset and clamped: four channels (mi_requant.fast or not). */
MI_SPECIALIZED int32x4_t output4_mve(const dw_call *k, int32x4_t acc, int32x4_t multiplier, int32x4_t shift, int fast)
{
    int32x4_t result;
    if (fast) {
        const int32x4_t high = vqrdmulhq_s32(acc, multiplier);
        result = vrshlq_s32(vqaddq_s32(high, vshrq_n_s32(high, 31)), shift);
    } else {
        const int32x4_t zero = vdupq_n_s32(0);
        const int32x4_t right = vminq_s32(shift, zero);
        const int32x4_t high = vqrdmulhq_s32(vshlq_s32(acc, vmaxq_s32(shift, zero)), multiplier);
        result = vrshlq_s32(vqaddq_s32(high, vshrq_n_s32(vandq_s32(high, right), 31)), right);
    }
    result = vqaddq_n_s32(result, k->output_offset);
    return vminq_s32(vmaxq_s32(result, vdupq_n_s32(k->act.min)), vdupq_n_s32(k->act.max));
}

/* Taps (ky, 0..2) of a 3-wide filter for three output pixels at stride 1 (dilation 1): the five
   input columns x, x + C, ... x + 4C each loaded once and multiplied with every weight it meets
   (a sliding window); all eight Helium registers are in use. */
#define MI_DW_SLIDE3(x_in, w_in, step_in, s0_, s1_, s2_)                                                               \
    do {                                                                                              \
        int32x4_t w0_, w1_, w2_, in_, t_;                                                             \
        const int8_t *at_;                                                                            \
        __asm__ volatile("   vldrb.s32 %q[w0], [%[w]]\n"                                              \
                         "   add %[at], %[w], %[c]\n"                                                 \
                         "   vldrb.s32 %q[w1], [%[at]]\n"                                             \
                         "   add %[at], %[at], %[c]\n"                                                \
                         "   vldrb.s32 %q[w2], [%[at]]\n"                                             \
                         "   vldrb.s32 %q[in], [%[x]]\n"                                              \
                         "   vmul.i32 %q[t], %q[in], %q[w0]\n"                                        \
                         "   vadd.i32 %q[a0], %q[a0], %q[t]\n"                                        \
                         "   add %[at], %[x], %[c]\n"                                                 \
                         "   vldrb.s32 %q[in], [%[at]]\n"                                             \
                         "   vmul.i32 %q[t], %q[in], %q[w1]\n"                                        \
                         "   vadd.i32 %q[a0], %q[a0], %q[t]\n"                                        \
                         "   vmul.i32 %q[in], %q[in], %q[w0]\n"                                       \
                         "   vadd.i32 %q[a1], %q[a1], %q[in]\n"                                       \
                         "   add %[at], %[at], %[c]\n"                                                \
                         "   vldrb.s32 %q[in], [%[at]]\n"                                             \
                         "   vmul.i32 %q[t], %q[in], %q[w2]\n"                                        \
                         "   vadd.i32 %q[a0], %q[a0], %q[t]\n"                                        \
                         "   vmul.i32 %q[t], %q[in], %q[w1]\n"                                        \
                         "   vadd.i32 %q[a1], %q[a1], %q[t]\n"                                        \
                         "   vmul.i32 %q[in], %q[in], %q[w0]\n"                                       \
                         "   vadd.i32 %q[a2], %q[a2], %q[in]\n"                                       \
                         "   add %[at], %[at], %[c]\n"                                                \
                         "   vldrb.s32 %q[in], [%[at]]\n"                                             \
                         "   vmul.i32 %q[t], %q[in], %q[w2]\n"                                        \
                         "   vadd.i32 %q[a1], %q[a1], %q[t]\n"                                        \
                         "   vmul.i32 %q[in], %q[in], %q[w1]\n"                                       \
                         "   vadd.i32 %q[a2], %q[a2], %q[in]\n"                                       \
                         "   add %[at], %[at], %[c]\n"                                                \
                         "   vldrb.s32 %q[in], [%[at]]\n"                                             \
                         "   vmul.i32 %q[in], %q[in], %q[w2]\n"                                       \
                         "   vadd.i32 %q[a2], %q[a2], %q[in]\n"                                       \
                         : [a0] "+w"(s0_), [a1] "+w"(s1_), [a2] "+w"(s2_), [w0] "=&w"(w0_), [w1] "=&w"(w1_), \
                           [w2] "=&w"(w2_), [in] "=&w"(in_), [t] "=&w"(t_), [at] "=&l"(at_)            \
                         : [x] "l"(x_in), [w] "l"(w_in), [c] "r"(step_in)                                      \
                         : "memory");                                                                 \
    } while (0)

/* Tap (ky, kx) for four output pixels: one weight load and, per pixel, a load, VMUL and VADD. */
#define MI_DW_TAP4(x_in, w_in, d1_in, d2_in, d3_in, s0_, s1_, s2_, s3_)                                                        \
    do {                                                                                              \
        int32x4_t wt_, in_;                                                                           \
        const int8_t *at_;                                                                            \
        __asm__ volatile("   vldrb.s32 %q[wt], [%[w]]\n"                                              \
                         "   vldrb.s32 %q[in], [%[x]]\n"                                              \
                         "   add %[at], %[x], %[d1]\n"                                                \
                         "   vmul.i32 %q[in], %q[in], %q[wt]\n"                                       \
                         "   vadd.i32 %q[a0], %q[a0], %q[in]\n"                                       \
                         "   vldrb.s32 %q[in], [%[at]]\n"                                             \
                         "   add %[at], %[x], %[d2]\n"                                                \
                         "   vmul.i32 %q[in], %q[in], %q[wt]\n"                                       \
                         "   vadd.i32 %q[a1], %q[a1], %q[in]\n"                                       \
                         "   vldrb.s32 %q[in], [%[at]]\n"                                             \
                         "   add %[at], %[x], %[d3]\n"                                                \
                         "   vmul.i32 %q[in], %q[in], %q[wt]\n"                                       \
                         "   vadd.i32 %q[a2], %q[a2], %q[in]\n"                                       \
                         "   vldrb.s32 %q[in], [%[at]]\n"                                             \
                         "   vmul.i32 %q[in], %q[in], %q[wt]\n"                                       \
                         "   vadd.i32 %q[a3], %q[a3], %q[in]\n"                                       \
                         : [a0] "+w"(s0_), [a1] "+w"(s1_), [a2] "+w"(s2_), [a3] "+w"(s3_), [wt] "=&w"(wt_),    \
                           [in] "=&w"(in_), [at] "=&l"(at_)                                           \
                         : [x] "l"(x_in), [w] "l"(w_in), [d1] "r"(d1_in), [d2] "r"(d2_in), [d3] "r"(d3_in)            \
                         : "memory");                                                                 \
    } while (0)

/* The first sums of channels c..c+3 for filter rows ky0..ky1-1 inside the image: the folded biases
   less input_offset times the weights of the filter rows outside it. */
MI_SPECIALIZED int32x4_t start4_mve(const dw_call *k, int32_t ky0, int32_t ky1, int32_t c, int tail,
                                   mve_pred16_t active)
{
    int32x4_t start = load_s32x4(k->folded_bias + c, tail, active);
    if (ky0 > 0 || ky1 < k->kh) {
        const int32_t filter_row = k->kw * k->channels;
        int32x4_t missing = vdupq_n_s32(0);
        const int8_t *w = k->filter + c;
        int32_t ky, kx;
        for (ky = 0; ky < k->kh; ky++) {
            if (ky < ky0 || ky >= ky1) {
                for (kx = 0; kx < k->kw; kx++) {
                    missing = vaddq_s32(missing, load_s8x4(w + kx * k->channels, tail, active));
                }
            }
            w += filter_row;
        }
        start = vmlaq_n_s32(start, missing, -k->input_offset);
    }
    return start;
}

/* Channels c..c+3 of up to four output pixels (npx of them real; `slide3`: three at stride 1 with a
   3-wide filter; otherwise the missing ones repeat the last and are not stored) whose taps all lie
   inside the image horizontally, filter rows ky0..ky1-1 inside it vertically. `origin`: the input
   under tap (ky0, 0) of the first pixel, channel 0. The sums of raw products start at start4_mve.
   `tail`: the last 1-3 channels (predicated loads and stores, C loops). */
MI_SPECIALIZED void pixels4_mve(const dw_call *k, const int8_t *origin, int32_t ky0, int32_t ky1, int32_t npx,
                                int8_t *out, int32_t c, int tail, int fast, int width3, int slide3)
{
    const int32_t channels = k->channels;
    const mve_pred16_t active = vctp32q((uint32_t)(channels - c));
    const int32_t d1 = (npx > 1 ? 1 : npx - 1) * k->pixel_step;
    const int32_t d2 = (npx > 2 ? 2 : npx - 1) * k->pixel_step;
    const int32_t d3 = (npx > 3 ? 3 : npx - 1) * k->pixel_step;
    const int32_t kw = width3 ? 3 : k->kw;
    const int32_t filter_row = kw * channels;
    const int8_t *x_row = origin + c;
    const int8_t *w_row = k->filter + ky0 * filter_row + c;
    int32x4_t acc0 = start4_mve(k, ky0, ky1, c, tail, active);
    int32x4_t acc1 = acc0, acc2 = acc0, acc3 = acc0;
    int32_t ky, kx;
    for (ky = ky0; ky < ky1; ky++) {
        if (slide3) {
            MI_DW_SLIDE3(x_row, w_row, channels, acc0, acc1, acc2);
        } else if (width3 && !tail) {
            MI_DW_TAP4(x_row, w_row, d1, d2, d3, acc0, acc1, acc2, acc3);
            MI_DW_TAP4(x_row + k->tap_step, w_row + channels, d1, d2, d3, acc0, acc1, acc2, acc3);
            MI_DW_TAP4(x_row + 2 * k->tap_step, w_row + 2 * channels, d1, d2, d3, acc0, acc1, acc2, acc3);
        } else {
            const int8_t *x = x_row;
            const int8_t *w = w_row;
            for (kx = 0; kx < kw; kx++) {
                const int32x4_t weights = load_s8x4(w, tail, active);
                acc0 = vaddq_s32(acc0, vmulq_s32(load_s8x4(x, tail, active), weights));
                acc1 = vaddq_s32(acc1, vmulq_s32(load_s8x4(x + d1, tail, active), weights));
                acc2 = vaddq_s32(acc2, vmulq_s32(load_s8x4(x + d2, tail, active), weights));
                acc3 = vaddq_s32(acc3, vmulq_s32(load_s8x4(x + d3, tail, active), weights));
                x += k->tap_step;
                w += channels;
            }
        }
        x_row += k->row_step;
        w_row += filter_row;
    }
    {
        const int32x4_t multiplier = load_s32x4(k->quant->multiplier + c, tail, active);
        const int32x4_t shift = load_s32x4(k->quant->shift + c, tail, active);
        out += c;
        if (tail) {
            vstrbq_p_s32(out, output4_mve(k, acc0, multiplier, shift, fast), active);
            if (npx > 1) {
                vstrbq_p_s32(out + channels, output4_mve(k, acc1, multiplier, shift, fast), active);
            }
            if (npx > 2) {
                vstrbq_p_s32(out + 2 * channels, output4_mve(k, acc2, multiplier, shift, fast), active);
            }
            if (npx > 3) {
                vstrbq_p_s32(out + 3 * channels, output4_mve(k, acc3, multiplier, shift, fast), active);
            }
        } else {
            vstrbq_s32(out, output4_mve(k, acc0, multiplier, shift, fast));
            if (npx > 1) {
                vstrbq_s32(out + channels, output4_mve(k, acc1, multiplier, shift, fast));
            }
            if (npx > 2) {
                vstrbq_s32(out + 2 * channels, output4_mve(k, acc2, multiplier, shift, fast));
            }
            if (!slide3 && npx > 3) {
                vstrbq_s32(out + 3 * channels, output4_mve(k, acc3, multiplier, shift, fast));
            }
        }
    }
}

/* Every channel of a block of pixels (see pixels4_mve). */
static void block4_mve(const dw_call *k, const int8_t *origin, int32_t ky0, int32_t ky1, int32_t npx, int slide3,
                       int8_t *out)
{
    const int32_t full = k->channels & ~3;
    int32_t c = 0;
    if (slide3) {
        if (k->quant->fast) {
            for (; c < full; c += 4) {
                pixels4_mve(k, origin, ky0, ky1, 3, out, c, 0, 1, 1, 1);
            }
        } else {
            for (; c < full; c += 4) {
                pixels4_mve(k, origin, ky0, ky1, 3, out, c, 0, 0, 1, 1);
            }
        }
    } else if (k->quant->fast && k->kw == 3) {
        for (; c < full; c += 4) {
            pixels4_mve(k, origin, ky0, ky1, npx, out, c, 0, 1, 1, 0);
        }
    } else {
        for (; c < full; c += 4) {
            pixels4_mve(k, origin, ky0, ky1, npx, out, c, 0, k->quant->fast, 0, 0);
        }
    }
    if (c < k->channels) {
        pixels4_mve(k, origin, ky0, ky1, npx, out, c, 1, k->quant->fast, 0, 0);
    }
}

/* Channels c..c+3 of one output pixel, taps [ky0, ky1) x [kx0, kx1) inside the image (`first`:
   the input under tap (ky0, kx0)), the input offset added to every input (the bias is the plain
   one). `cols3`: a 3-wide filter whose taps kx0..kx1-1 (known here) are written out. */
MI_SPECIALIZED void pixel4ch_mve(const dw_call *k, const int8_t *first, int32_t ky0, int32_t ky1, int32_t kx0,
                                 int32_t kx1, int8_t *out, int32_t c, int tail, int fast, int cols3, int folded)
{
    const int32_t channels = k->channels;
    const int32_t filter_row = k->kw * channels;
    const mve_pred16_t active = vctp32q((uint32_t)(channels - c));
    const int32_t offset = k->input_offset;
    const int8_t *x_row = first + c;
    const int8_t *w_row = k->filter + (ky0 * k->kw + kx0) * channels + c;
    int32x4_t acc = folded ? load_s32x4(k->folded_bias + c, tail, active)
                           : (k->bias != 0 ? load_s32x4(k->bias + c, tail, active) : vdupq_n_s32(0));
    int32_t ky, kx;
    for (ky = ky0; ky < ky1; ky++) {
        if (cols3) {
            const int8_t *x = x_row;
            const int8_t *w = w_row;
#define MI_DW_INPUT(at) (folded ? load_s8x4((at), tail, active) : vaddq_n_s32(load_s8x4((at), tail, active), offset))
            acc = vaddq_s32(acc, vmulq_s32(MI_DW_INPUT(x), load_s8x4(w, tail, active)));
            if (kx1 - kx0 > 1) {
                x += k->tap_step;
                w += channels;
                acc = vaddq_s32(acc, vmulq_s32(MI_DW_INPUT(x), load_s8x4(w, tail, active)));
            }
            if (kx1 - kx0 > 2) {
                x += k->tap_step;
                w += channels;
                acc = vaddq_s32(acc, vmulq_s32(MI_DW_INPUT(x), load_s8x4(w, tail, active)));
            }
#undef MI_DW_INPUT
        } else {
            const int8_t *x = x_row;
            const int8_t *w = w_row;
            for (kx = kx0; kx < kx1; kx++) {
                const int32x4_t input = vaddq_n_s32(load_s8x4(x, tail, active), offset);
                acc = vaddq_s32(acc, vmulq_s32(input, load_s8x4(w, tail, active)));
                x += k->tap_step;
                w += channels;
            }
        }
        x_row += k->row_step;
        w_row += filter_row;
    }
    acc = output4_mve(k, acc, load_s32x4(k->quant->multiplier + c, tail, active),
                      load_s32x4(k->quant->shift + c, tail, active), fast);
    if (tail) {
        vstrbq_p_s32(out + c, acc, active);
    } else {
        vstrbq_s32(out + c, acc);
    }
}

/* Every channel of one output pixel (see pixel4ch_mve): full groups of four specialized by the
   number of taps per filter row (3-wide filters), then the last 1-3 channels. */
static void pixel_mve(const dw_call *k, const int8_t *first, int32_t ky0, int32_t ky1, int32_t kx0, int32_t kx1,
                      int8_t *out)
{
    const int32_t full = k->channels & ~3;
    const int32_t taps = kx1 - kx0;
    /* every tap inside: the folded biases, no input offset to add */
    const int whole = taps == 3 && ky0 == 0 && ky1 == k->kh && k->folded_bias != 0;
    int32_t c = 0;
    if (k->quant->fast && k->kw == 3 && whole) {
        for (; c < full; c += 4) {
            pixel4ch_mve(k, first, ky0, ky1, kx0, kx0 + 3, out, c, 0, 1, 1, 1);
        }
    } else if (k->quant->fast && k->kw == 3 && taps == 2) {
        for (; c < full; c += 4) {
            pixel4ch_mve(k, first, ky0, ky1, kx0, kx0 + 2, out, c, 0, 1, 1, 0);
        }
    } else if (k->quant->fast && k->kw == 3 && taps == 3) {
        for (; c < full; c += 4) {
            pixel4ch_mve(k, first, ky0, ky1, kx0, kx0 + 3, out, c, 0, 1, 1, 0);
        }
    } else {
        for (; c < full; c += 4) {
            pixel4ch_mve(k, first, ky0, ky1, kx0, kx1, out, c, 0, k->quant->fast, 0, 0);
        }
    }
    if (c < k->channels) {
        pixel4ch_mve(k, first, ky0, ky1, kx0, kx1, out, c, 1, k->quant->fast, 0, 0);
    }
}
#elif defined(ARM_MATH_DSP)
/* Taps of one filter row on four channels: the input widened with the offset added (SXTAB16),
   the weights widened (SXTB16), each channel accumulated by SMLABB/SMLATT. */
#define MI_DW_TAP_DSP(in_word, w_word)                                          \
    do {                                                                        \
        const int32_t in_ = (in_word);                                          \
        const int32_t w_ = (w_word);                                            \
        const int32_t in_even_ = mi_sxtab16_even(offsets, in_);                 \
        const int32_t in_odd_ = mi_sxtab16_odd(offsets, in_);                   \
        const int32_t w_even_ = mi_sxtb16_even(w_);                             \
        const int32_t w_odd_ = mi_sxtb16_odd(w_);                               \
        s0 = __smlabb(in_even_, w_even_, s0);                                   \
        s1 = __smlabb(in_odd_, w_odd_, s1);                                     \
        s2 = __smlatt(in_even_, w_even_, s2);                                   \
        s3 = __smlatt(in_odd_, w_odd_, s3);                                     \
    } while (0)

/* Four channels (c..c+3) of one output pixel in registers, taps [ky0, ky1) x [kx0, kx1) inside the
   image (`first`: the input under tap (ky0, kx0)). `row3`: all three taps of a 3-wide filter at
   dilation 1, loaded at register offsets from one pointer. `fast` (mi_requant.fast), `full_range`:
   the requantizer's short form, and a clamp that is one SSAT. */
MI_SPECIALIZED void pixel4ch_dsp(const dw_call *k, const int8_t *first, int32_t ky0, int32_t ky1, int32_t kx0,
                                 int32_t kx1, int8_t *out, int32_t c, int row3, int fast, int full_range)
{
    const int32_t channels = k->channels;
    const int32_t filter_row = k->kw * channels;
    const int32_t offsets = (int32_t)(((uint32_t)k->input_offset & 0xFFFFu) * 0x10001u);
    const int8_t *x = first + c;
    const int8_t *w = k->filter + (ky0 * k->kw + kx0) * channels + c;
    int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int32_t ky;
    if (k->bias != 0) {
        s0 = k->bias[c];
        s1 = k->bias[c + 1];
        s2 = k->bias[c + 2];
        s3 = k->bias[c + 3];
    }
    if (row3) {
        const int32_t two = 2 * channels;
        for (ky = ky1 - ky0; ky > 0; ky--) {
            MI_DW_TAP_DSP(mi_read_word(x), mi_read_word(w));
            MI_DW_TAP_DSP(mi_read_word(x + channels), mi_read_word(w + channels));
            MI_DW_TAP_DSP(mi_read_word(x + two), mi_read_word(w + two));
            x += k->row_step;
            w += filter_row;
        }
    } else {
        const int32_t taps = kx1 - kx0;
        for (ky = ky0; ky < ky1; ky++) {
            const int8_t *xt = x;
            const int8_t *wt = w;
            int32_t n;
            for (n = taps; n > 0; n--) {
                MI_DW_TAP_DSP(mi_read_word(xt), mi_read_word(wt));
                xt += k->tap_step;
                wt += channels;
            }
            x += k->row_step;
            w += filter_row;
        }
    }
    {
        const mi_requant *quant = k->quant;
        const int32_t offset = k->output_offset;
        out += c;
        if (!fast) {
            out[0] = (int8_t)mi_requantize_output(quant, c, s0, offset, k->act);
            out[1] = (int8_t)mi_requantize_output(quant, c + 1, s1, offset, k->act);
            out[2] = (int8_t)mi_requantize_output(quant, c + 2, s2, offset, k->act);
            out[3] = (int8_t)mi_requantize_output(quant, c + 3, s3, offset, k->act);
        } else {
            const int32_t *m = quant->multiplier + c;
            const int32_t *sh = quant->shift + c;
            if (full_range) {
                out[0] = (int8_t)__ssat(mi_requantize_fast_mode(s0, m[0], sh[0], fast) + offset, 8);
                out[1] = (int8_t)__ssat(mi_requantize_fast_mode(s1, m[1], sh[1], fast) + offset, 8);
                out[2] = (int8_t)__ssat(mi_requantize_fast_mode(s2, m[2], sh[2], fast) + offset, 8);
                out[3] = (int8_t)__ssat(mi_requantize_fast_mode(s3, m[3], sh[3], fast) + offset, 8);
            } else {
                out[0] = (int8_t)mi_requantize_fast_output(s0, m[0], sh[0], fast, offset, k->act);
                out[1] = (int8_t)mi_requantize_fast_output(s1, m[1], sh[1], fast, offset, k->act);
                out[2] = (int8_t)mi_requantize_fast_output(s2, m[2], sh[2], fast, offset, k->act);
                out[3] = (int8_t)mi_requantize_fast_output(s3, m[3], sh[3], fast, offset, k->act);
            }
        }
    }
}
#undef MI_DW_TAP_DSP

/* Every channel of one output pixel (see pixel4ch_dsp); the last 1-3 channels one at a time. */
static void pixel_dsp(const dw_call *k, const int8_t *first, int32_t ky0, int32_t ky1, int32_t kx0, int32_t kx1,
                      int8_t *out)
{
    const int32_t channels = k->channels;
    const int32_t full = channels & ~3;
    const int row3 = kx0 == 0 && kx1 == 3 && k->kw == 3 && k->tap_step == channels;
    const int fast = k->quant->fast;
    const int full_range = k->act.min == -128 && k->act.max == 127;
    int32_t c = 0;
    if (row3 && fast == MI_FAST_BOUNDED && full_range) {
        for (; c < full; c += 4) {
            pixel4ch_dsp(k, first, ky0, ky1, kx0, kx1, out, c, 1, MI_FAST_BOUNDED, 1);
        }
    } else if (row3 && fast == MI_FAST_CHECKED && full_range) {
        for (; c < full; c += 4) {
            pixel4ch_dsp(k, first, ky0, ky1, kx0, kx1, out, c, 1, MI_FAST_CHECKED, 1);
        }
    } else if (fast && full_range) {
        for (; c < full; c += 4) {
            pixel4ch_dsp(k, first, ky0, ky1, kx0, kx1, out, c, 0, fast, 1);
        }
    } else {
        for (; c < full; c += 4) {
            pixel4ch_dsp(k, first, ky0, ky1, kx0, kx1, out, c, 0, fast, 0);
        }
    }
    for (; c < channels; c++) { /* the last 1-3 channels */
        int32_t sum = k->bias != 0 ? k->bias[c] : 0;
        int32_t ky, kx;
        for (ky = ky0; ky < ky1; ky++) {
            for (kx = kx0; kx < kx1; kx++) {
                sum += (first[(int64_t)(ky - ky0) * k->row_step + (kx - kx0) * k->tap_step + c] + k->input_offset) *
                       k->filter[(ky * k->kw + kx) * channels + c];
            }
        }
        out[c] = (int8_t)mi_requantize_output(k->quant, c, sum, k->output_offset, k->act);
    }
}
#elif defined(MI_HOST_VNNI)
/* Channels of `pixels` (1 or 2) horizontally adjacent output pixels with the same taps, in
   `vectors` (1-4) AVX-512 registers of 16 int32 sums per pixel, kept in registers across all
   taps (each weight vector loaded once for both pixels): (x + offset) * w widened from bytes,
   wrapping as the reference's int32 sum. Lanes past `count` are masked out of every load. */
MI_HOST_INLINE void block_avx512(const dw_call *k, const int8_t *first, int32_t ky0, int32_t ky1, int32_t kx0,
                                 int32_t kx1, int32_t block, int32_t count, const int vectors, const int pixels,
                                 int8_t *out)
{
    const __m512i offset = _mm512_set1_epi32(k->input_offset);
    __mmask16 mask[4];
    __m512i acc[2][4];
    int32_t v, p, ky, kx;
    for (v = 0; v < vectors; v++) {
        const int32_t left = count - 16 * v;
        mask[v] = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
        acc[0][v] = k->bias != 0 ? _mm512_maskz_loadu_epi32(mask[v], k->bias + block + 16 * v) : _mm512_setzero_si512();
        acc[1][v] = acc[0][v];
    }
    for (ky = ky0; ky < ky1; ky++) {
        for (kx = kx0; kx < kx1; kx++) {
            const int8_t *x = first + (int64_t)(ky - ky0) * k->row_step + (kx - kx0) * k->tap_step + block;
            const int8_t *w = k->filter + (ky * k->kw + kx) * k->channels + block;
            for (v = 0; v < vectors; v++) {
                const __m512i wv = _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(mask[v], w + 16 * v));
                for (p = 0; p < pixels; p++) {
                    const int8_t *at = x + p * k->pixel_step + 16 * v;
                    const __m512i xv = _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(mask[v], at));
                    acc[p][v] = _mm512_add_epi32(acc[p][v], _mm512_mullo_epi32(_mm512_add_epi32(xv, offset), wv));
                }
            }
        }
    }
    if (k->quant->rounding == MI_ROUND_DOUBLE && mi_requant16_covers(k->output_offset, k->act)) {
        const __m512i out_offset = _mm512_set1_epi32(k->output_offset);
        const __m512i lo = _mm512_set1_epi32(k->act.min), hi = _mm512_set1_epi32(k->act.max);
        for (v = 0; v < vectors; v++) {
            const int32_t channel = block + 16 * v;
            const mi_requant16 q =
                mi_requant16_load(k->quant->multiplier + channel, k->quant->shift + channel, mask[v]);
            for (p = 0; p < pixels; p++) {
                _mm512_mask_cvtepi32_storeu_epi8(out + p * k->channels + channel, mask[v],
                                                 mi_requantize16(acc[p][v], &q, out_offset, lo, hi));
            }
        }
        return;
    }
    for (p = 0; p < pixels; p++) {
        int32_t sums[64];
        for (v = 0; v < vectors; v++) {
            _mm512_storeu_si512(sums + 16 * v, acc[p][v]);
        }
        mi_requantize_block_s8(sums, count, k->quant, block, k->output_offset, k->act, out + p * k->channels + block);
    }
}

MI_HOST_INLINE void blocks_avx512(const dw_call *k, const int8_t *first, int32_t ky0, int32_t ky1, int32_t kx0,
                                  int32_t kx1, const int pixels, int8_t *out)
{
    int32_t block;
    for (block = 0; block < k->channels; block += 64) {
        const int32_t count = k->channels - block < 64 ? k->channels - block : 64;
        switch ((count + 15) / 16) {
        case 1: block_avx512(k, first, ky0, ky1, kx0, kx1, block, count, 1, pixels, out); break;
        case 2: block_avx512(k, first, ky0, ky1, kx0, kx1, block, count, 2, pixels, out); break;
        case 3: block_avx512(k, first, ky0, ky1, kx0, kx1, block, count, 3, pixels, out); break;
        default: block_avx512(k, first, ky0, ky1, kx0, kx1, block, count, 4, pixels, out); break;
        }
    }
}

/* One output pixel, or two (`pair`) with the same taps, taps [ky0, ky1) x [kx0, kx1) inside the
   image, 64 channels at a time. */
static void pixels_avx512(const dw_call *k, const int8_t *first, int32_t ky0, int32_t ky1, int32_t kx0, int32_t kx1,
                          int pair, int8_t *out)
{
    if (pair) {
        blocks_avx512(k, first, ky0, ky1, kx0, kx1, 2, out);
    } else {
        blocks_avx512(k, first, ky0, ky1, kx0, kx1, 1, out);
    }
}
#else
/* Channels summed together on the stack (no scratch buffer needed). */
#define MI_DW_BLOCK 32

#if defined(MI_THUMB1)
/* acc[c] += (x[c] + offset) * w[c] for c < count (count >= 1), indexed by one counter running up
   to 0: 9 instructions a channel; inlined into the pixel loop, GCC reloads its pointers from the
   stack each pass (14). */
static void tap_thumb1(int32_t *acc, const int8_t *x, const int8_t *w, int32_t count, int32_t offset)
{
    int32_t i = -count;
    int32_t value, weight;
    x += count;
    w += count;
    __asm__ volatile(
        ".syntax unified\n"
        "1: ldrsb %[v], [%[x], %[i]]\n"
        "   ldrsb %[w], [%[wp], %[i]]\n"
        "   adds %[v], %[o]\n"
        "   muls %[w], %[v]\n"
        "   ldr %[v], [%[a]]\n"
        "   adds %[v], %[w]\n"
        "   stmia %[a]!, {%[v]}\n"
        "   adds %[i], #1\n"
        "   bne 1b\n"
        : [a] "+l"(acc), [i] "+l"(i), [v] "=&l"(value), [w] "=&l"(weight)
        : [x] "l"(x), [wp] "l"(w), [o] "l"(offset)
        : "cc", "memory");
}
#endif

/* One output pixel, taps [ky0, ky1) x [kx0, kx1) inside the image (`first`: the input under tap
   (ky0, kx0)), a block of channels at a time. */
static void pixel_portable(const dw_call *k, const int8_t *first, int32_t ky0, int32_t ky1, int32_t kx0,
                           int32_t kx1, int8_t *out)
{
    const int32_t channels = k->channels;
    int32_t block;
    for (block = 0; block < channels; block += MI_DW_BLOCK) {
        const int32_t count = channels - block < MI_DW_BLOCK ? channels - block : MI_DW_BLOCK;
        const int32_t offset = k->input_offset;
        int32_t acc[MI_DW_BLOCK];
        int32_t c, ky;
        for (c = 0; c < count; c++) {
            acc[c] = k->bias != 0 ? k->bias[block + c] : 0;
        }
        for (ky = ky0; ky < ky1; ky++) {
            int32_t kx;
            for (kx = kx0; kx < kx1; kx++) {
                const int8_t *x = first + (int64_t)(ky - ky0) * k->row_step + (kx - kx0) * k->tap_step + block;
                const int8_t *w = k->filter + (ky * k->kw + kx) * channels + block;
#if defined(MI_THUMB1)
                tap_thumb1(acc, x, w, count, offset); /* wraps as the reference's int32 sum */
#else
                for (c = 0; c < count; c++) {
                    /* wraps like the reference's int32 sum only for absurd biases */
                    acc[c] = mi_wrap_add_s32(acc[c], (x[c] + offset) * w[c]);
                }
#endif
            }
        }
        mi_requantize_block_s8(acc, count, k->quant, block, k->output_offset, k->act, out + block);
    }
}
#endif

void mi_nn_depthwise_conv_m1_s8(const mi_dw_conv_params *params, const mi_requant *quant, const mi_dims *input_dims,
                                const int8_t *input, const mi_dims *filter_dims, const int8_t *filter,
                                const int32_t *bias, const mi_dims *output_dims, int8_t *output)
{
    const int32_t channels = input_dims->c;
    const int32_t in_w = input_dims->w;
    dw_call k;
    int32_t b;
    k.filter = filter;
    k.bias = bias;
    k.folded_bias = params->folded_bias;
    k.quant = quant;
    k.channels = channels;
    k.kh = filter_dims->h;
    k.kw = filter_dims->w;
    k.input_offset = params->input_offset;
    k.output_offset = params->output_offset;
    k.act = params->activation;
    k.tap_step = params->dilation.w * channels;
    k.row_step = params->dilation.h * in_w * channels;
    k.pixel_step = params->stride.w * channels;
#if defined(ARM_MATH_MVEI)
    const int slide3 = k.kw == 3 && params->stride.w == 1 && params->dilation.w == 1;
#endif
    for (b = 0; b < input_dims->n; b++) {
        const int8_t *image = input + (int64_t)b * input_dims->h * in_w * channels;
        int8_t *out = output + (int64_t)b * output_dims->h * output_dims->w * channels;
        int32_t oy;
        for (oy = 0; oy < output_dims->h; oy++) {
            const int32_t origin_y = oy * params->stride.h - params->padding.h;
            int32_t ky0, ky1, ox = 0;
            mi_taps_inside(origin_y, params->dilation.h, k.kh, input_dims->h, &ky0, &ky1);
            while (ox < output_dims->w) {
                const int32_t origin_x = ox * params->stride.w - params->padding.w;
                const int8_t *first = image; /* the input under the first tap inside the image */
                int32_t kx0, kx1;
                mi_taps_inside(origin_x, params->dilation.w, k.kw, in_w, &kx0, &kx1);
                if (ky0 < ky1 && kx0 < kx1) {
                    first += ((int64_t)(origin_y + ky0 * params->dilation.h) * in_w + origin_x +
                              kx0 * params->dilation.w) * channels;
                }
#if defined(ARM_MATH_MVEI)
                if (kx0 == 0 && kx1 == k.kw && k.folded_bias != 0) {
                    /* up to four pixels whose taps are all inside horizontally (three, sliding,
                       for a 3-wide filter at stride 1) */
                    int32_t npx = 1;
                    while (npx < 4 && ox + npx < output_dims->w) {
                        const int32_t next_x = (ox + npx) * params->stride.w - params->padding.w;
                        if (next_x + (k.kw - 1) * params->dilation.w >= in_w) {
                            break;
                        }
                        npx++;
                    }
                    /* sliding threes, except a run of four (one four-pixel block); single
                       pixels or pairs go one at a time */
                    if (slide3 && npx == 4) {
                        int32_t run = 4;
                        while (run < 7 && ox + run < output_dims->w) {
                            const int32_t next_x = (ox + run) * params->stride.w - params->padding.w;
                            if (next_x + (k.kw - 1) * params->dilation.w >= in_w) {
                                break;
                            }
                            run++;
                        }
                        npx = run == 4 ? 4 : 3;
                    }
                    if (npx < 3) {
                        pixel_mve(&k, first, ky0, ky1, kx0, kx1, out);
                        out += channels;
                        ox++;
                        continue;
                    }
                    block4_mve(&k, first, ky0, ky1, npx, slide3 && npx == 3, out);
                    out += npx * channels;
                    ox += npx;
                    continue;
                }
                pixel_mve(&k, first, ky0, ky1, kx0, kx1, out);
#elif defined(ARM_MATH_DSP)
                pixel_dsp(&k, first, ky0, ky1, kx0, kx1, out);
#elif defined(MI_HOST_VNNI)
                if (ox + 1 < output_dims->w) { /* the next pixel too, when its taps are the same */
                    int32_t next0, next1;
                    mi_taps_inside(origin_x + params->stride.w, params->dilation.w, k.kw, in_w, &next0, &next1);
                    if (next0 == kx0 && next1 == kx1) {
                        pixels_avx512(&k, first, ky0, ky1, kx0, kx1, 1, out);
                        out += 2 * channels;
                        ox += 2;
                        continue;
                    }
                }
                pixels_avx512(&k, first, ky0, ky1, kx0, kx1, 0, out);
#else
                pixel_portable(&k, first, ky0, ky1, kx0, kx1, out);
#endif
                out += channels;
                ox++;
            }
        }
    }
}
