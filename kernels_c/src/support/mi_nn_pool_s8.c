#include "mi_nn_support.h"
#include "mi_requantize.h"
#include "mi_nn_isa.h"

/* int8 AVERAGE_POOL_2D and MAX_POOL_2D: the window of each output pixel clipped to the input
   (padding is never read), reduced channel-wise. The Cortex-M paths keep the reduction of a block
   of channels in registers across the window: 16-bit sums (a window of at most 256 values cannot
   overflow them: 256 * 128 = 2**15) or byte-wise maxima, 8 or 16 channels per Helium
   instruction, 2 or 4 per DSP instruction. */

/* Rounded to nearest, ties away from zero, with C's truncating division (as the references). */
static int32_t rounded_average(int32_t sum, int32_t count)
{
    const int32_t half = count / 2;
    return sum > 0 ? (sum + half) / count : (sum - half) / count;
}

static int8_t clamp_s8(int32_t value, mi_activation act)
{
    value = value < act.min ? act.min : value;
    return (int8_t)(value > act.max ? act.max : value);
}

/* The largest window whose 16-bit sums cannot overflow. */
#define MI_POOL_SHORT_SUMS 256

/* The window [y0, y1) x [x0, x1) of channels c.. of the image: `at` is its first pixel. */
typedef struct {
    const int8_t *at;
    int32_t rows;
    int32_t cols;
    int32_t row_skip; /* bytes from the end of a window row to the start of the next */
    int32_t channels;
} mi_window;

#if defined(ARM_MATH_MVEI)
/* Sums (average) or maxima of channels c..c+15 over the window, in two 8-lane 16-bit vectors or
   one 16-lane byte vector; `tail`: only `left` (< 16) channels exist (predicated loads). */
MI_SPECIALIZED void window16_mve(const mi_window *win, int32_t c, int32_t left, int average, int tail, int16x8_t *lo,
                                 int16x8_t *hi)
{
    const int8_t *p = win->at + c;
    int32_t y, x;
    if (average) {
        const mve_pred16_t active_lo = vctp16q((uint32_t)(left < 8 ? left : 8));
        const mve_pred16_t active_hi = vctp16q((uint32_t)(left > 8 ? left - 8 : 0));
        int16x8_t a = vdupq_n_s16(0), b = vdupq_n_s16(0);
        for (y = 0; y < win->rows; y++) {
            for (x = 0; x < win->cols; x++) {
                a = vaddq_s16(a, tail ? vldrbq_z_s16(p, active_lo) : vldrbq_s16(p));
                b = vaddq_s16(b, tail ? vldrbq_z_s16(p + 8, active_hi) : vldrbq_s16(p + 8));
                p += win->channels;
            }
            p += win->row_skip;
        }
        *lo = a;
        *hi = b;
    } else {
        const mve_pred16_t active = vctp8q((uint32_t)left);
        int8x16_t m = vdupq_n_s8(-128);
        for (y = 0; y < win->rows; y++) {
            for (x = 0; x < win->cols; x++) {
                m = vmaxq_s8(m, tail ? vldrbq_z_s8(p, active) : vldrbq_s8(p));
                p += win->channels;
            }
            p += win->row_skip;
        }
        *lo = vreinterpretq_s16_s8(m);
        *hi = *lo;
    }
}
#elif defined(ARM_MATH_DSP)
/* Sums of channels c..c+7 over the window: SXTAB16 adds two sign-extended bytes of a word to two
   16-bit sums at once (even bytes, and odd ones rotated down), four 16-bit pairs in all. */
static void window8_sums_dsp(const mi_window *win, int32_t c, int32_t sums[4])
{
    const int8_t *p = win->at + c;
    int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int32_t y, x;
    for (y = 0; y < win->rows; y++) {
        for (x = win->cols; x > 0; x--) {
            const int32_t first = mi_read_word(p);
            const int32_t second = mi_read_word(p + 4);
            s0 = mi_sxtab16_even(s0, first); /* channels 0, 2 */
            s1 = mi_sxtab16_odd(s1, first);  /* channels 1, 3 */
            s2 = mi_sxtab16_even(s2, second);
            s3 = mi_sxtab16_odd(s3, second);
            p += win->channels;
        }
        p += win->row_skip;
    }
    sums[0] = s0;
    sums[1] = s1;
    sums[2] = s2;
    sums[3] = s3;
}

/* Byte-wise maxima of channels c..c+3 over the window: SSUB8 sets each byte's GE flag where the
   new value is at least the maximum so far, SEL picks those bytes. */
static int32_t window4_max_dsp(const mi_window *win, int32_t c)
{
    const int8_t *p = win->at + c;
    int32_t m = (int32_t)0x80808080u;
    int32_t y, x;
    for (y = 0; y < win->rows; y++) {
        for (x = win->cols; x > 0; x--) {
            const int32_t v = mi_read_word(p);
            int32_t difference;
            __asm__("ssub8 %[d], %[v], %[m]\n"
                    "sel %[m], %[v], %[m]\n"
                    : [d] "=&r"(difference), [m] "+r"(m)
                    : [v] "r"(v)
                    : "cc");
            p += win->channels;
        }
        p += win->row_skip;
    }
    return m;
}
#endif

/* One output pixel: every channel of the window reduced, then averaged (or not) and clamped.
   `row`: int32 scratch of one per channel (the portable path and leftover channels). */
static void pool_pixel(const mi_window *win, int average, mi_activation act, int32_t *row, int8_t *out)
{
    const int32_t channels = win->channels;
    const int32_t count = win->rows * win->cols;
    int32_t c = 0;
    int32_t y, x, i;
#if defined(ARM_MATH_MVEI)
    if (!average || count <= MI_POOL_SHORT_SUMS) {
        for (; c < channels; c += 16) {
            const int32_t left = channels - c;
            int16x8_t lo, hi;
            if (left >= 16) {
                window16_mve(win, c, 16, average, 0, &lo, &hi);
            } else {
                window16_mve(win, c, left, average, 1, &lo, &hi);
            }
            if (average) {
                int16_t sums[16];
                const int32_t n = left < 16 ? left : 16;
                vst1q_s16(sums, lo);
                vst1q_s16(sums + 8, hi);
                for (i = 0; i < n; i++) {
                    out[c + i] = clamp_s8(rounded_average(sums[i], count), act);
                }
            } else {
                int8x16_t m = vreinterpretq_s8_s16(lo);
                m = vminq_s8(vmaxq_s8(m, vdupq_n_s8((int8_t)(act.min < -128 ? -128 : act.min))),
                             vdupq_n_s8((int8_t)(act.max > 127 ? 127 : act.max)));
                if (left >= 16) {
                    vst1q_s8(out + c, m);
                } else {
                    vstrbq_p_s8(out + c, m, vctp8q((uint32_t)left));
                }
            }
        }
        return;
    }
#elif defined(ARM_MATH_DSP)
    if (average && count <= MI_POOL_SHORT_SUMS) {
        for (; c + 8 <= channels; c += 8) {
            int32_t sums[4];
            window8_sums_dsp(win, c, sums);
            out[c] = clamp_s8(rounded_average((int16_t)sums[0], count), act);
            out[c + 1] = clamp_s8(rounded_average((int16_t)sums[1], count), act);
            out[c + 2] = clamp_s8(rounded_average(sums[0] >> 16, count), act);
            out[c + 3] = clamp_s8(rounded_average(sums[1] >> 16, count), act);
            out[c + 4] = clamp_s8(rounded_average((int16_t)sums[2], count), act);
            out[c + 5] = clamp_s8(rounded_average((int16_t)sums[3], count), act);
            out[c + 6] = clamp_s8(rounded_average(sums[2] >> 16, count), act);
            out[c + 7] = clamp_s8(rounded_average(sums[3] >> 16, count), act);
        }
    } else if (!average) {
        for (; c + 4 <= channels; c += 4) {
            const int32_t m = window4_max_dsp(win, c);
            out[c] = clamp_s8((int8_t)m, act);
            out[c + 1] = clamp_s8((int8_t)(m >> 8), act);
            out[c + 2] = clamp_s8((int8_t)(m >> 16), act);
            out[c + 3] = clamp_s8(m >> 24, act);
        }
    }
#endif
    if (c < channels) { /* portable: a row of int32 reductions */
        const int8_t *p = win->at;
        for (i = c; i < channels; i++) {
            row[i] = average ? 0 : INT32_MIN;
        }
        for (y = 0; y < win->rows; y++) {
            for (x = 0; x < win->cols; x++) {
                if (average) {
                    for (i = c; i < channels; i++) {
                        row[i] += p[i];
                    }
                } else {
                    for (i = c; i < channels; i++) {
                        row[i] = p[i] > row[i] ? p[i] : row[i];
                    }
                }
                p += channels;
            }
            p += win->row_skip;
        }
        for (i = c; i < channels; i++) {
            out[i] = clamp_s8(average ? rounded_average(row[i], count) : row[i], act);
        }
    }
}

mi_status mi_nn_pool_s8(int average, const mi_context *ctx, const mi_pool_params *params, const mi_dims *input_dims,
                        const int8_t *input, const mi_dims *filter_dims, const mi_dims *output_dims, int8_t *output)
{
    const int32_t in_h = input_dims->h, in_w = input_dims->w, channels = input_dims->c;
    int32_t *row = (int32_t *)ctx->buf;
    int8_t *out = output;
    int32_t batch, oy, ox;
    if (ctx->buf == 0 || ctx->size < channels * (int32_t)sizeof(int32_t)) {
        return MI_ARG_ERROR;
    }
    for (batch = 0; batch < input_dims->n; ++batch) {
        const int8_t *image = input + (int64_t)batch * in_h * in_w * channels;
        for (oy = 0; oy < output_dims->h; ++oy) {
            const int32_t origin_y = oy * params->stride.h - params->padding.h;
            const int32_t y0 = origin_y > 0 ? origin_y : 0;
            const int32_t y1 = origin_y + filter_dims->h < in_h ? origin_y + filter_dims->h : in_h;
            for (ox = 0; ox < output_dims->w; ++ox) {
                const int32_t origin_x = ox * params->stride.w - params->padding.w;
                const int32_t x0 = origin_x > 0 ? origin_x : 0;
                const int32_t x1 = origin_x + filter_dims->w < in_w ? origin_x + filter_dims->w : in_w;
                mi_window win;
                if (y0 >= y1 || x0 >= x1) {
                    return MI_ARG_ERROR;
                }
                win.at = image + ((int64_t)y0 * in_w + x0) * channels;
                win.rows = y1 - y0;
                win.cols = x1 - x0;
                win.row_skip = (in_w - win.cols) * channels;
                win.channels = channels;
                pool_pixel(&win, average, params->activation, row, out);
                out += channels;
            }
        }
    }
    return MI_OK;
}
