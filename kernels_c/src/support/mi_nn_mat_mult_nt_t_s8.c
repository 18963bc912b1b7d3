#include "mi_nn_support.h"
#include "mi_requantize.h"
#include "mi_nn_isa.h"
#include "mi_nn_host_simd.h"

/* Every path sums raw int8 products: the input offset is in stage->bias (folded in at prepare
   time, CMSIS-NN's kernel sums), so no instruction per product adds it. The sums (at most
   cols * 2**14, checked below 2**31 by the caller) of one or two lhs rows and a block of output
   channels are kept in int32 arrays on the stack, then requantized in one tight pass: the dot
   product loops need every register, and a pass over arrays needs few. */

/* Output channels summed before one requantization pass (a multiple of 4). */
#define MI_GEMM_BLOCK 64

/* out[i] = output of channel first + i for sum[i] (the bias added with wrap-around, as the
   reference's int32 sum wraps), i < count. */
static void requantize_sums(const int32_t *sum, int32_t count, const mi_nn_output_stage *stage, int32_t first,
                            int8_t *out)
{
    const mi_requant *quant = stage->quant;
    const int32_t *bias = stage->bias != 0 ? stage->bias + first : 0;
    int32_t i;
#if !defined(__ARM_ARCH)
    if (quant->rounding == MI_ROUND_DOUBLE && bias == 0) { /* the host's vector requantizer */
        mi_requantize_block_s8(sum, count, quant, first, stage->output_offset, stage->activation, out);
        return;
    }
    if (quant->rounding == MI_ROUND_DOUBLE && count <= MI_GEMM_BLOCK) {
        int32_t acc[MI_GEMM_BLOCK];
        for (i = 0; i < count; i++) {
            acc[i] = mi_wrap_add_s32(sum[i], bias != 0 ? bias[i] : 0);
        }
        mi_requantize_block_s8(acc, count, quant, first, stage->output_offset, stage->activation, out);
        return;
    }
#endif
    if (quant->fast) {
        const int32_t *multiplier = quant->multiplier + first;
        const int32_t *shift = quant->shift + first;
        const int32_t offset = stage->output_offset;
        const mi_activation act = stage->activation;
        const int32_t fast = quant->fast;
        for (i = 0; i < count; i++) {
            out[i] = (int8_t)mi_requantize_fast_output(mi_wrap_add_s32(sum[i], bias != 0 ? bias[i] : 0), multiplier[i],
                                                       shift[i], fast, offset, act);
        }
        return;
    }
    for (i = 0; i < count; i++) {
        out[i] = (int8_t)mi_requantize_output(quant, first + i, mi_wrap_add_s32(bias != 0 ? bias[i] : 0, sum[i]),
                                              stage->output_offset, stage->activation);
    }
}

#if defined(ARM_MATH_MVEI)
/* start[i] + the dot products of one lhs row with four rhs rows, as one vector: 16 int8 lanes per
   step, one VLDRB of the lhs, then VLDRB and VMLADAVA for each rhs row, in a tail-predicated
   low-overhead loop (DLSTP/LETP; GCC 12 does not emit these from intrinsics). VMLADAVA
   accumulates into even registers, hence the pinned r4/r6/r8/r10; two VMOVs make the vector. */
static inline int32x4_t dot4_mve(const int8_t *lhs, const int8_t *w0, const int8_t *w1, const int8_t *w2,
                                 const int8_t *w3, int32_t cols, const int32_t start[4])
{
    register int32_t a0 __asm__("r4") = start[0];
    register int32_t a1 __asm__("r6") = start[1];
    register int32_t a2 __asm__("r8") = start[2];
    register int32_t a3 __asm__("r10") = start[3];
    int32x4_t sums;
    __asm__ volatile(
        "   dlstp.8 lr, %[n]\n"
        "1: vldrb.8 q0, [%[l]], #16\n"
        "   vldrb.8 q1, [%[w0]], #16\n"
        "   vmladava.s8 %[a0], q0, q1\n"
        "   vldrb.8 q2, [%[w1]], #16\n"
        "   vmladava.s8 %[a1], q0, q2\n"
        "   vldrb.8 q3, [%[w2]], #16\n"
        "   vmladava.s8 %[a2], q0, q3\n"
        "   vldrb.8 q1, [%[w3]], #16\n"
        "   vmladava.s8 %[a3], q0, q1\n"
        "   letp lr, 1b\n"
        "   vmov %q[s][2], %q[s][0], %[a0], %[a2]\n"
        "   vmov %q[s][3], %q[s][1], %[a1], %[a3]\n"
        : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [l] "+r"(lhs), [w0] "+r"(w0), [w1] "+r"(w1),
          [w2] "+r"(w2), [w3] "+r"(w3), [s] "=w"(sums)
        : [n] "r"(cols)
        : "q0", "q1", "q2", "q3", "lr", "memory");
    return sums;
}

/* Four channels (rhs rows w0..w3, which may repeat w0 past the last row) of every lhs row: the
   group's biases start the accumulators, its multipliers and shifts stay in vectors, and each
   pixel's four outputs are requantized at once (`fast`: mi_requant.fast) and stored (`tail`:
   only the lanes `active` says). A full int8 clamp is two saturating narrows (VQMOVNB), else
   VMAX/VMIN. */
static inline void group_mve(const int8_t *lhs, int32_t lhs_rows, int32_t lhs_stride, const int8_t *w0,
                             const int8_t *w1, const int8_t *w2, const int8_t *w3, int32_t cols, const int32_t *start,
                             int32x4_t multiplier, int32x4_t shift, const mi_nn_output_stage *stage, int fast, int tail,
                             mve_pred16_t active, int8_t *out, int32_t out_stride)
{
    const int32_t offset = stage->output_offset;
    const int32_t act_min = stage->activation.min;
    const int32_t act_max = stage->activation.max;
    const int full_range = act_min == -128 && act_max == 127;
    int32_t r;
    for (r = 0; r < lhs_rows; r++) {
        const int32x4_t acc = dot4_mve(lhs, w0, w1, w2, w3, cols, start);
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
        result = vqaddq_n_s32(result, offset);
        if (full_range) {
            const int16x8_t halves = vqmovnbq_s32(vreinterpretq_s16_s32(result), result);
            result = vreinterpretq_s32_s8(vqmovnbq_s16(vreinterpretq_s8_s16(halves), halves));
        } else {
            result = vminq_s32(vmaxq_s32(result, vdupq_n_s32(act_min)), vdupq_n_s32(act_max));
        }
        if (tail) {
            vstrbq_p_s32(out, result, active);
        } else {
            vstrbq_s32(out, result);
        }
        lhs += lhs_stride;
        out += out_stride;
    }
}

/* Every lhs row times every rhs row, four rhs rows (output channels) at a time over all lhs rows,
   as CMSIS-NN's Helium matrix multiply: a group's constants are loaded once. */
static void mat_mult_mve(const int8_t *lhs, int32_t lhs_rows, int32_t lhs_stride, const int8_t *rhs,
                         int32_t rhs_rows, int32_t cols, const mi_nn_output_stage *stage, int8_t *dst)
{
    static const int32_t zeros[4] = {0, 0, 0, 0};
    const int32_t *multiplier = stage->quant->multiplier;
    const int32_t *shift = stage->quant->shift;
    const int32_t *bias = stage->bias;
    const int32_t full = rhs_rows & ~3;
    const int8_t *w = rhs;
    int32_t c;
    if (stage->quant->fast) {
        for (c = 0; c < full; c += 4) {
            group_mve(lhs, lhs_rows, lhs_stride, w, w + cols, w + 2 * cols, w + 3 * cols, cols,
                      bias != 0 ? bias + c : zeros, vldrwq_s32(multiplier + c), vldrwq_s32(shift + c), stage, 1, 0, 0,
                      dst + c, rhs_rows);
            w += 4 * cols;
        }
    } else {
        for (c = 0; c < full; c += 4) {
            group_mve(lhs, lhs_rows, lhs_stride, w, w + cols, w + 2 * cols, w + 3 * cols, cols,
                      bias != 0 ? bias + c : zeros, vldrwq_s32(multiplier + c), vldrwq_s32(shift + c), stage, 0, 0, 0,
                      dst + c, rhs_rows);
            w += 4 * cols;
        }
    }
    if (c < rhs_rows) { /* the last 1-3 channels: the missing rows repeat the first, their lanes not stored */
        const int32_t left = rhs_rows - c;
        const mve_pred16_t active = vctp32q((uint32_t)left);
        int32_t start[4] = {0, 0, 0, 0};
        int32_t i;
        for (i = 0; i < left; i++) {
            start[i] = bias != 0 ? bias[c + i] : 0;
        }
        group_mve(lhs, lhs_rows, lhs_stride, w, left > 1 ? w + cols : w, left > 2 ? w + 2 * cols : w, w, cols, start,
                  vldrwq_z_s32(multiplier + c, active), vldrwq_z_s32(shift + c, active), stage, stage->quant->fast, 1,
                  active, dst + c, rhs_rows);
    }
}
#elif defined(ARM_MATH_DSP)
/* The 2x2 tile's sums when the second lhs row and the second rhs row both lie `cols` bytes after
   the first (im2col rows, 1x1 pixels at stride 1, FULLY_CONNECTED batches): all fourteen
   registers hold something (four sums, two pointers, the offset, the count, six unpacked
   halves), so the loop is written out; 22 instructions per 16 products. */
static inline void dot2x2_dsp(const int8_t *l0, const int8_t *w0, int32_t cols, int32_t sums[4])
{
    int32_t s00 = 0, s01 = 0, s10 = 0, s11 = 0;
    int32_t steps = cols >> 2;
    const int32_t next = cols - 4; /* the second rows, seen from pointers already past the word */
    int32_t k;
    if (steps > 0) {
        int32_t a, a_e, b, b_e, x, x_e;
        __asm__ volatile(
            "1: ldr %[x], [%[w0]], #4\n"
            "   ldr %[a], [%[l0]], #4\n"
            "   sxtb16 %[x_e], %[x]\n"
            "   sxtb16 %[x], %[x], ror #8\n"
            "   sxtb16 %[a_e], %[a]\n"
            "   sxtb16 %[a], %[a], ror #8\n"
            "   smlad %[s00], %[a_e], %[x_e], %[s00]\n"
            "   smlad %[s00], %[a], %[x], %[s00]\n"
            "   ldr %[b], [%[l0], %[next]]\n"
            "   sxtb16 %[b_e], %[b]\n"
            "   sxtb16 %[b], %[b], ror #8\n"
            "   smlad %[s10], %[b_e], %[x_e], %[s10]\n"
            "   smlad %[s10], %[b], %[x], %[s10]\n"
            "   ldr %[x], [%[w0], %[next]]\n"
            "   sxtb16 %[x_e], %[x]\n"
            "   sxtb16 %[x], %[x], ror #8\n"
            "   smlad %[s01], %[a_e], %[x_e], %[s01]\n"
            "   smlad %[s01], %[a], %[x], %[s01]\n"
            "   smlad %[s11], %[b_e], %[x_e], %[s11]\n"
            "   smlad %[s11], %[b], %[x], %[s11]\n"
            "   subs %[n], #1\n"
            "   bne 1b\n"
            : [s00] "+r"(s00), [s01] "+r"(s01), [s10] "+r"(s10), [s11] "+r"(s11), [l0] "+r"(l0), [w0] "+r"(w0),
              [n] "+r"(steps), [a] "=&r"(a), [a_e] "=&r"(a_e), [b] "=&r"(b), [b_e] "=&r"(b_e), [x] "=&r"(x),
              [x_e] "=&r"(x_e)
            : [next] "r"(next)
            : "cc", "memory");
    }
    for (k = cols & 3; k > 0; k--) {
        const int32_t x = w0[0], y = w0[cols], a = l0[0], b = l0[cols];
        s00 += a * x;
        s01 += a * y;
        s10 += b * x;
        s11 += b * y;
        w0++;
        l0++;
    }
    sums[0] = s00;
    sums[1] = s01;
    sums[2] = s10;
    sums[3] = s11;
}

/* One lhs row times four rhs rows `cols` bytes apart (FULLY_CONNECTED with one batch): the lhs
   word widened once for four SMLAD pairs; fourteen registers again (four sums, two pointers,
   three offsets, the count, four unpacked halves). 25 instructions per 16 products. */
static inline void dot1x4_dsp(const int8_t *l0, const int8_t *w0, int32_t cols, int32_t sums[4])
{
    int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int32_t steps = cols >> 2;
    const int32_t next1 = cols - 4; /* rows 1-3, seen from the pointer already past the word */
    const int32_t next2 = 2 * cols - 4;
    const int32_t next3 = 3 * cols - 4;
    int32_t k;
    if (steps > 0) {
        int32_t a, a_e, x, x_e;
        __asm__ volatile(
            "1: ldr %[a], [%[l0]], #4\n"
            "   ldr %[x], [%[w0]], #4\n"
            "   sxtb16 %[a_e], %[a]\n"
            "   sxtb16 %[a], %[a], ror #8\n"
            "   sxtb16 %[x_e], %[x]\n"
            "   sxtb16 %[x], %[x], ror #8\n"
            "   smlad %[s0], %[a_e], %[x_e], %[s0]\n"
            "   smlad %[s0], %[a], %[x], %[s0]\n"
            "   ldr %[x], [%[w0], %[n1]]\n"
            "   sxtb16 %[x_e], %[x]\n"
            "   sxtb16 %[x], %[x], ror #8\n"
            "   smlad %[s1], %[a_e], %[x_e], %[s1]\n"
            "   smlad %[s1], %[a], %[x], %[s1]\n"
            "   ldr %[x], [%[w0], %[n2]]\n"
            "   sxtb16 %[x_e], %[x]\n"
            "   sxtb16 %[x], %[x], ror #8\n"
            "   smlad %[s2], %[a_e], %[x_e], %[s2]\n"
            "   smlad %[s2], %[a], %[x], %[s2]\n"
            "   ldr %[x], [%[w0], %[n3]]\n"
            "   sxtb16 %[x_e], %[x]\n"
            "   sxtb16 %[x], %[x], ror #8\n"
            "   smlad %[s3], %[a_e], %[x_e], %[s3]\n"
            "   smlad %[s3], %[a], %[x], %[s3]\n"
            "   subs %[n], #1\n"
            "   bne 1b\n"
            : [s0] "+r"(s0), [s1] "+r"(s1), [s2] "+r"(s2), [s3] "+r"(s3), [l0] "+r"(l0), [w0] "+r"(w0),
              [n] "+r"(steps), [a] "=&r"(a), [a_e] "=&r"(a_e), [x] "=&r"(x), [x_e] "=&r"(x_e)
            : [n1] "r"(next1), [n2] "r"(next2), [n3] "r"(next3)
            : "cc", "memory");
    }
    for (k = cols & 3; k > 0; k--) {
        const int32_t a = *l0++;
        s0 += a * w0[0];
        s1 += a * w0[cols];
        s2 += a * w0[2 * cols];
        s3 += a * w0[3 * cols];
        w0++;
    }
    sums[0] = s0;
    sums[1] = s1;
    sums[2] = s2;
    sums[3] = s3;
}

/* One lhs row times one rhs row (the last 1-3 rows of FULLY_CONNECTED with one batch). */
static int32_t dot1_dsp(const int8_t *l0, const int8_t *w0, int32_t cols)
{
    int32_t sum = 0;
    int32_t k = 0;
    for (; k + 4 <= cols; k += 4) {
        const int32_t a = mi_read_word(l0 + k);
        const int32_t x = mi_read_word(w0 + k);
        sum = mi_dual_mac(mi_sxtb16_even(a), mi_sxtb16_even(x), sum);
        sum = mi_dual_mac(mi_sxtb16_odd(a), mi_sxtb16_odd(x), sum);
    }
    for (; k < cols; k++) {
        sum += l0[k] * w0[k];
    }
    return sum;
}

/* The same sums for any two lhs rows and rhs rows (odd last rows, strided pixels). */
static void dot2x2_any(const int8_t *l0, const int8_t *l1, const int8_t *w0, const int8_t *w1, int32_t cols,
                       int32_t sums[4])
{
    int32_t s00 = 0, s01 = 0, s10 = 0, s11 = 0;
    int32_t k = 0;
    for (; k + 4 <= cols; k += 4) {
        const int32_t a = mi_read_word(l0 + k), b = mi_read_word(l1 + k);
        const int32_t x = mi_read_word(w0 + k), y = mi_read_word(w1 + k);
        const int32_t a_e = mi_sxtb16_even(a), a_o = mi_sxtb16_odd(a);
        const int32_t b_e = mi_sxtb16_even(b), b_o = mi_sxtb16_odd(b);
        const int32_t x_e = mi_sxtb16_even(x), x_o = mi_sxtb16_odd(x);
        const int32_t y_e = mi_sxtb16_even(y), y_o = mi_sxtb16_odd(y);
        s00 = mi_dual_mac(a_e, x_e, mi_dual_mac(a_o, x_o, s00));
        s01 = mi_dual_mac(a_e, y_e, mi_dual_mac(a_o, y_o, s01));
        s10 = mi_dual_mac(b_e, x_e, mi_dual_mac(b_o, x_o, s10));
        s11 = mi_dual_mac(b_e, y_e, mi_dual_mac(b_o, y_o, s11));
    }
    for (; k < cols; k++) {
        s00 += l0[k] * w0[k];
        s01 += l0[k] * w1[k];
        s10 += l1[k] * w0[k];
        s11 += l1[k] * w1[k];
    }
    sums[0] = s00;
    sums[1] = s01;
    sums[2] = s10;
    sums[3] = s11;
}

/* mi_requant.fast outputs of `count` channels for two rows whose sums are interleaved in `acc`
   (row 0, row 1, row 0, ...): each channel's bias, multiplier and shift are loaded once for both;
   the second row's output is `second` bytes after the first's (0 when there is one row: the same
   value is then stored twice). A full int8 clamp is one SSAT. */
MI_SPECIALIZED void pairs_fast_dsp(const int32_t *acc, int32_t count, const int32_t *bias, const int32_t *multiplier,
                                    const int32_t *shift, int32_t offset, mi_activation act, int8_t *out,
                                    int32_t second, int32_t fast, int full_range)
{
    for (; count > 0; count--) {
        const int32_t b = *bias++;
        const int32_t m = *multiplier++;
        const int32_t s = *shift++;
        const int32_t a0 = mi_wrap_add_s32(acc[0], b);
        const int32_t a1 = mi_wrap_add_s32(acc[1], b);
        if (full_range) {
            out[0] = (int8_t)__ssat(mi_requantize_fast_mode(a0, m, s, fast) + offset, 8);
            out[second] = (int8_t)__ssat(mi_requantize_fast_mode(a1, m, s, fast) + offset, 8);
        } else {
            out[0] = (int8_t)mi_requantize_fast_output(a0, m, s, fast, offset, act);
            out[second] = (int8_t)mi_requantize_fast_output(a1, m, s, fast, offset, act);
        }
        acc += 2;
        out++;
    }
}

static void requantize_pairs_fast_dsp(const int32_t *acc, int32_t count, const int32_t *bias,
                                      const int32_t *multiplier, const int32_t *shift, int32_t offset,
                                      mi_activation act, int8_t *out, int32_t second, int32_t fast)
{
    const int full_range = act.min == -128 && act.max == 127;
    if (full_range && fast == MI_FAST_BOUNDED) {
        pairs_fast_dsp(acc, count, bias, multiplier, shift, offset, act, out, second, MI_FAST_BOUNDED, 1);
    } else if (full_range) {
        pairs_fast_dsp(acc, count, bias, multiplier, shift, offset, act, out, second, MI_FAST_CHECKED, 1);
    } else {
        pairs_fast_dsp(acc, count, bias, multiplier, shift, offset, act, out, second, fast, 0);
    }
}

/* Two lhs rows (l1 == l0 when there is one) times every rhs row, a 2x2 tile at a time, the sums
   of a block of channels interleaved on the stack, then requantized. */
static void rows_dsp(const int8_t *l0, const int8_t *l1, const int8_t *rhs, int32_t rhs_rows, int32_t cols,
                     const mi_nn_output_stage *stage, int8_t *out0, int8_t *out1)
{
    static const int32_t zeros[MI_GEMM_BLOCK] = {0};
    const mi_requant *quant = stage->quant;
    const int paired = l1 == l0 + cols; /* dot2x2_dsp's layout */
    int32_t first;
    for (first = 0; first < rhs_rows; first += MI_GEMM_BLOCK) {
        const int32_t count = rhs_rows - first < MI_GEMM_BLOCK ? rhs_rows - first : MI_GEMM_BLOCK;
        const int8_t *w = rhs + (int64_t)first * cols;
        int32_t acc[2 * MI_GEMM_BLOCK]; /* channel i: row 0 at 2i, row 1 at 2i + 1 */
        int32_t i = 0;
        if (l1 == l0) { /* one lhs row: four rhs rows at a time, then one */
            for (i = 0; i + 3 < count; i += 4) {
                int32_t sums[4];
                dot1x4_dsp(l0, w, cols, sums);
                acc[2 * i] = acc[2 * i + 1] = sums[0];
                acc[2 * i + 2] = acc[2 * i + 3] = sums[1];
                acc[2 * i + 4] = acc[2 * i + 5] = sums[2];
                acc[2 * i + 6] = acc[2 * i + 7] = sums[3];
                w += 4 * cols;
            }
            for (; i < count; i++) {
                acc[2 * i] = acc[2 * i + 1] = dot1_dsp(l0, w, cols);
                w += cols;
            }
        }
        for (; i + 1 < count; i += 2) {
            int32_t sums[4];
            if (paired) {
                dot2x2_dsp(l0, w, cols, sums);
            } else {
                dot2x2_any(l0, l1, w, w + cols, cols, sums);
            }
            acc[2 * i] = sums[0];
            acc[2 * i + 1] = sums[2];
            acc[2 * i + 2] = sums[1];
            acc[2 * i + 3] = sums[3];
            w += 2 * cols;
        }
        if (i < count) {
            int32_t sums[4];
            dot2x2_any(l0, l1, w, w, cols, sums);
            acc[2 * i] = sums[0];
            acc[2 * i + 1] = sums[2];
        }
        if (quant->fast) {
            requantize_pairs_fast_dsp(acc, count, stage->bias != 0 ? stage->bias + first : zeros,
                                      quant->multiplier + first, quant->shift + first, stage->output_offset,
                                      stage->activation, out0 + first, (int32_t)(out1 - out0), quant->fast);
        } else {
            int32_t row[MI_GEMM_BLOCK];
            for (i = 0; i < count; i++) {
                row[i] = acc[2 * i];
            }
            requantize_sums(row, count, stage, first, out0 + first);
            for (i = 0; i < count; i++) {
                row[i] = acc[2 * i + 1];
            }
            requantize_sums(row, count, stage, first, out1 + first);
        }
    }
}
#elif defined(MI_HOST_VNNI)
/* out[r] = the sums of lhs row l[r] (as l + 128) with rhs rows w0..w3, r < rows (1-4): up to
   sixteen VPDPBUSD accumulators over 64 columns a step. */
MI_HOST_INLINE void tile4x4_vnni(const int8_t *const l[4], const int8_t *w0, const int8_t *w1, const int8_t *w2,
                                 const int8_t *w3, int32_t cols, const int rows, __m128i out[4])
{
    const __m512i flip = _mm512_set1_epi8((char)0x80);
    __m512i a[4][4];
    int32_t r, k;
    for (r = 0; r < rows; r++) {
        a[r][0] = a[r][1] = a[r][2] = a[r][3] = _mm512_setzero_si512();
    }
    for (k = 0; k < cols; k += 64) {
        const int32_t left = cols - k;
        const __m512i r0 = mi_host_load_s8(w0 + k, left), r1 = mi_host_load_s8(w1 + k, left);
        const __m512i r2 = mi_host_load_s8(w2 + k, left), r3 = mi_host_load_s8(w3 + k, left);
        for (r = 0; r < rows; r++) {
            const __m512i x = _mm512_xor_si512(mi_host_load_s8(l[r] + k, left), flip);
            a[r][0] = _mm512_dpbusd_epi32(a[r][0], x, r0);
            a[r][1] = _mm512_dpbusd_epi32(a[r][1], x, r1);
            a[r][2] = _mm512_dpbusd_epi32(a[r][2], x, r2);
            a[r][3] = _mm512_dpbusd_epi32(a[r][3], x, r3);
        }
    }
    for (r = 0; r < rows; r++) {
        out[r] = mi_host_sum_lanes4(a[r][0], a[r][1], a[r][2], a[r][3]);
    }
}

/* The 4 x 4 tiles of lhs rows l[0..rows) with rhs rows w[i..i+3] for i < count, plus their
   offsets, into acc. */
MI_HOST_INLINE void tiles_vnni(const int8_t *const l[4], const int8_t *const *w, int32_t count, int32_t cols,
                               const int rows, const int32_t *offsets, int32_t acc[4][MI_GEMM_BLOCK + 4])
{
    int32_t i, j;
    for (i = 0; i < count; i += 4) {
        const __m128i offset = _mm_loadu_si128((const __m128i *)(offsets + i));
        __m128i tile[4];
        tile4x4_vnni(l, w[i], w[i + 1], w[i + 2], w[i + 3], cols, rows, tile);
        for (j = 0; j < rows; j++) {
            _mm_storeu_si128((__m128i *)(acc[j] + i), _mm_add_epi32(tile[j], offset));
        }
    }
}

/* Columns up to which a block of rhs rows is packed for the many-rows path (a stack copy). */
#define MI_PACKED_MAX_COLS 256

/* Group g of four columns (`bytes` of them real) added to acc: one broadcast word of each lhs row
   times 16 rows' four bytes a VPDPBUSD, no horizontal sums. */
MI_HOST_INLINE void packed_step_vnni(const int8_t *const l[4], const int8_t *packed, int32_t g, int32_t bytes,
                                     const int vectors, __m512i acc[4][4])
{
    __m512i w[4];
    int32_t j, v;
    for (v = 0; v < vectors; v++) {
        w[v] = _mm512_loadu_si512(packed + g * 256 + 64 * v);
    }
    for (j = 0; j < 4; j++) {
        int32_t word = 0;
        __builtin_memcpy(&word, l[j] + 4 * g, (size_t)bytes); /* a short last group: packed zeros pad it */
        {
            const __m512i x = _mm512_set1_epi32(word ^ (int32_t)0x80808080u);
            for (v = 0; v < vectors; v++) {
                acc[j][v] = _mm512_dpbusd_epi32(acc[j][v], x, w[v]);
            }
        }
    }
}

/* acc[j][v] = the sums of lhs row l[j] (as l + 128) with the 16 rhs rows of vector v of a packed
   block (`packed`: per group of four columns, 64 rows x 4 bytes). */
MI_HOST_INLINE void packed_tile_vnni(const int8_t *const l[4], const int8_t *packed, int32_t cols, const int vectors,
                                     __m512i acc[4][4])
{
    const int32_t full = cols / 4;
    int32_t g, j, v;
    for (j = 0; j < 4; j++) {
        for (v = 0; v < vectors; v++) {
            acc[j][v] = _mm512_setzero_si512();
        }
    }
    for (g = 0; g < full; g++) {
        packed_step_vnni(l, packed, g, 4, vectors, acc);
    }
    if (full * 4 < cols) {
        packed_step_vnni(l, packed, full, cols - full * 4, vectors, acc);
    }
}

/* A packed block of rhs rows and what its rows are multiplied with. */
typedef struct {
    const int8_t *lhs;
    int32_t lhs_rows, lhs_stride, rhs_rows, cols;
    const mi_nn_output_stage *unbiased; /* the bias is in offsets */
    int8_t *dst;
    const int8_t *packed; /* per group of four columns: 64 rhs rows x 4 bytes */
    const int32_t *offsets;
    int32_t first, count; /* the block's rhs rows */
    int in_registers;     /* requantized straight from the accumulators (double rounding) */
    mi_requant16 quant[4];
    __mmask16 lanes[4];
} packed_block;

/* Every lhs row times a packed block, four lhs rows at a time. */
MI_HOST_INLINE void packed_rows_vnni(const packed_block *b, const int vectors)
{
    const __m512i out_offset = _mm512_set1_epi32(b->unbiased->output_offset);
    const __m512i lo = _mm512_set1_epi32(b->unbiased->activation.min);
    const __m512i hi = _mm512_set1_epi32(b->unbiased->activation.max);
    __m512i offsets[4];
    int32_t r, j, v;
    for (v = 0; v < vectors; v++) {
        offsets[v] = _mm512_loadu_si512(b->offsets + 16 * v);
    }
    for (r = 0; r < b->lhs_rows; r += 4) {
        const int32_t rows = b->lhs_rows - r < 4 ? b->lhs_rows - r : 4;
        const int8_t *l[4];
        __m512i acc[4][4];
        for (j = 0; j < 4; j++) {
            l[j] = b->lhs + (int64_t)(r + (j < rows ? j : 0)) * b->lhs_stride;
        }
        packed_tile_vnni(l, b->packed, b->cols, vectors, acc);
        for (j = 0; j < rows; j++) {
            int8_t *out = b->dst + (int64_t)(r + j) * b->rhs_rows + b->first;
            if (b->in_registers) {
                for (v = 0; v < vectors; v++) {
                    const __m512i sum = _mm512_add_epi32(acc[j][v], offsets[v]);
                    _mm512_mask_cvtepi32_storeu_epi8(out + 16 * v, b->lanes[v],
                                                     mi_requantize16(sum, &b->quant[v], out_offset, lo, hi));
                }
            } else {
                int32_t sums[64];
                for (v = 0; v < vectors; v++) {
                    _mm512_storeu_si512(sums + 16 * v, _mm512_add_epi32(acc[j][v], offsets[v]));
                }
                requantize_sums(sums, b->count, b->unbiased, b->first, out);
            }
        }
    }
}

/* packed[g * 256 + c * 4 + t] = rhs row c, column 4g + t, for the rows c < vectors * 16 of a
   block (zeros past count rows and past cols columns): one 16-lane gather per group of four
   whole columns and 16 rows. */
static void pack_block_vnni(const int8_t *rows, int32_t count, int32_t cols, int vectors, int8_t *packed)
{
    const int32_t whole = cols / 4;
    int32_t g, v, c, t;
    for (v = 0; v < vectors; v++) {
        const int32_t left = count - 16 * v;
        const __mmask16 lanes = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
        const __m512i starts = _mm512_mullo_epi32(_mm512_add_epi32(_mm512_set1_epi32(16 * v),
                                                                   _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
                                                                                     11, 12, 13, 14, 15)),
                                                  _mm512_set1_epi32(cols));
        for (g = 0; g < whole; g++) {
            const __m512i words = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), lanes, starts, rows + 4 * g, 1);
            _mm512_store_si512(packed + g * 256 + 64 * v, words);
        }
        if (whole * 4 < cols) { /* the last 1-3 columns */
            for (c = 16 * v; c < 16 * v + 16; c++) {
                for (t = 0; t < 4; t++) {
                    const int32_t k = whole * 4 + t;
                    packed[whole * 256 + c * 4 + t] = c < count && k < cols ? rows[(int64_t)c * cols + k] : 0;
                }
            }
        }
    }
}

/* Many lhs rows and at most MI_PACKED_MAX_COLS columns (1x1 convolutions): per block of 64 rhs
   rows, packed four columns by 64 rows once, then four lhs rows at a time. */
static void mat_mult_packed_vnni(const int8_t *lhs, int32_t lhs_rows, int32_t lhs_stride, const int8_t *rhs,
                                 int32_t rhs_rows, int32_t cols, const mi_nn_output_stage *stage, int8_t *dst)
{
    int8_t packed[MI_PACKED_MAX_COLS / 4 * 256] __attribute__((aligned(64)));
    int32_t offsets[64 + 4]; /* bias - 128 * each rhs row's sum, wrapping */
    mi_nn_output_stage unbiased = *stage;
    packed_block block;
    unbiased.bias = 0;
    block.lhs = lhs;
    block.lhs_rows = lhs_rows;
    block.lhs_stride = lhs_stride;
    block.rhs_rows = rhs_rows;
    block.cols = cols;
    block.unbiased = &unbiased;
    block.dst = dst;
    block.packed = packed;
    block.offsets = offsets;
    for (block.first = 0; block.first < rhs_rows; block.first += 64) {
        const int32_t first = block.first;
        const int32_t count = rhs_rows - first < 64 ? rhs_rows - first : 64;
        const int vectors = (count + 15) / 16;
        int32_t c;
        pack_block_vnni(rhs + (int64_t)first * cols, count, cols, vectors, packed);
        for (c = 0; c < count; c += 4) { /* rows past count repeat the last: their sums are unused */
            const int8_t *row = rhs + (int64_t)(first + c) * cols;
            const int8_t *last = rhs + (int64_t)(first + count - 1) * cols;
            mi_host_row_sums4(row, c + 1 < count ? row + cols : last, c + 2 < count ? row + 2 * cols : last,
                              c + 3 < count ? row + 3 * cols : last, cols, offsets + c);
        }
        for (c = 0; c < vectors * 16; c++) {
            offsets[c] = c < count ? (int32_t)((stage->bias != 0 ? (uint32_t)stage->bias[first + c] : 0u) -
                                               128u * (uint32_t)offsets[c])
                                   : 0;
        }
        block.count = count;
        block.in_registers = stage->quant->rounding == MI_ROUND_DOUBLE &&
                             mi_requant16_covers(stage->output_offset, stage->activation);
        for (c = 0; c < vectors; c++) {
            const int32_t left = count - 16 * c;
            block.lanes[c] = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
            if (block.in_registers) {
                block.quant[c] = mi_requant16_load(stage->quant->multiplier + first + 16 * c,
                                                   stage->quant->shift + first + 16 * c, block.lanes[c]);
            }
        }
        switch (vectors) {
        case 1: packed_rows_vnni(&block, 1); break;
        case 2: packed_rows_vnni(&block, 2); break;
        case 3: packed_rows_vnni(&block, 3); break;
        default: packed_rows_vnni(&block, 4); break;
        }
    }
}

/* Per block of rhs rows: their byte sums, then every group of four lhs rows (a short last group in
   smaller tiles) in 4 x 4 tiles, requantized a row at a time. */
static void mat_mult_vnni(const int8_t *lhs, int32_t lhs_rows, int32_t lhs_stride, const int8_t *rhs,
                          int32_t rhs_rows, int32_t cols, const mi_nn_output_stage *stage, int8_t *dst)
{
    mi_nn_output_stage unbiased = *stage;
    int32_t first;
    unbiased.bias = 0;
    for (first = 0; first < rhs_rows; first += MI_GEMM_BLOCK) {
        const int32_t count = rhs_rows - first < MI_GEMM_BLOCK ? rhs_rows - first : MI_GEMM_BLOCK;
        const int8_t *block = rhs + (int64_t)first * cols;
        const int8_t *w[MI_GEMM_BLOCK + 3];
        int32_t offsets[MI_GEMM_BLOCK + 4]; /* bias - 128 * each rhs row's sum, wrapping */
        int32_t i, r;
        for (i = 0; i < count + 3; i++) { /* a last group of 1-3 rows repeats its first */
            w[i] = block + (int64_t)(i < count ? i : i & ~3) * cols;
        }
        for (i = 0; i < count; i += 4) {
            mi_host_row_sums4(w[i], w[i + 1], w[i + 2], w[i + 3], cols, offsets + i);
        }
        for (i = 0; i < count; i++) {
            offsets[i] = (int32_t)((stage->bias != 0 ? (uint32_t)stage->bias[first + i] : 0u) -
                                   128u * (uint32_t)offsets[i]);
        }
        for (r = 0; r < lhs_rows; r += 4) {
            const int32_t rows = lhs_rows - r < 4 ? lhs_rows - r : 4;
            const int8_t *l[4];
            int32_t acc[4][MI_GEMM_BLOCK + 4];
            int32_t j;
            for (j = 0; j < 4; j++) {
                l[j] = lhs + (int64_t)(r + (j < rows ? j : 0)) * lhs_stride;
            }
            switch (rows) {
            case 1: tiles_vnni(l, w, count, cols, 1, offsets, acc); break;
            case 2: tiles_vnni(l, w, count, cols, 2, offsets, acc); break;
            case 3: tiles_vnni(l, w, count, cols, 3, offsets, acc); break;
            default: tiles_vnni(l, w, count, cols, 4, offsets, acc); break;
            }
            for (j = 0; j < rows; j++) {
                requantize_sums(acc[j], count, &unbiased, first, dst + (int64_t)(r + j) * rhs_rows + first);
            }
        }
    }
}
#else
#if defined(MI_THUMB1)
/* Four dot products of one lhs row with four rhs rows: one LDRSB of the lhs value and, per rhs
   row, LDRSB, MULS and ADD into an accumulator kept in a high register (r8-r11: ADD reaches them),
   all loads indexed by one counter running from -cols up to 0. 15 instructions per 4 products;
   GCC's own code for this loop needs 20 (it keeps pointers, not sums, in the high registers). */
static void dot4_thumb1(const int8_t *lhs, const int8_t *w0, const int8_t *w1, const int8_t *w2, const int8_t *w3,
                        int32_t cols, int32_t sums[4])
{
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    int32_t k = -cols;
    int32_t value, product;
    lhs += cols;
    w0 += cols;
    w1 += cols;
    w2 += cols;
    w3 += cols;
    __asm__ volatile(
        ".syntax unified\n"
        "1: ldrsb %[v], [%[l], %[k]]\n"
        "   ldrsb %[p], [%[w0], %[k]]\n"
        "   muls %[p], %[v]\n"
        "   add %[a0], %[p]\n"
        "   ldrsb %[p], [%[w1], %[k]]\n"
        "   muls %[p], %[v]\n"
        "   add %[a1], %[p]\n"
        "   ldrsb %[p], [%[w2], %[k]]\n"
        "   muls %[p], %[v]\n"
        "   add %[a2], %[p]\n"
        "   ldrsb %[p], [%[w3], %[k]]\n"
        "   muls %[p], %[v]\n"
        "   add %[a3], %[p]\n"
        "   adds %[k], #1\n"
        "   bne 1b\n"
        : [a0] "+h"(a0), [a1] "+h"(a1), [a2] "+h"(a2), [a3] "+h"(a3), [k] "+l"(k), [v] "=&l"(value),
          [p] "=&l"(product)
        : [l] "l"(lhs), [w0] "l"(w0), [w1] "l"(w1), [w2] "l"(w2), [w3] "l"(w3)
        : "cc", "memory");
    sums[0] = a0;
    sums[1] = a1;
    sums[2] = a2;
    sums[3] = a3;
}
#else
/* Portable: the sums of two lhs rows (widened to int16 once, a chunk at a time) with four rhs rows
   added to s0[0..3] and s1[0..3]. With int16 operands in memory compilers vectorize the loop with
   16-bit multiply-adds (x86: VPMADDWD / VPDPWSSD); with two int8 operands they do not. */
static void dot2x4_portable(const int16_t *l0, const int16_t *l1, const int8_t *w0, const int8_t *w1,
                            const int8_t *w2, const int8_t *w3, int32_t cols, int32_t s0[4], int32_t s1[4])
{
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
    int32_t k;
    for (k = 0; k < cols; k++) {
        const int16_t u = l0[k], v = l1[k];
        const int16_t x0 = w0[k], x1 = w1[k], x2 = w2[k], x3 = w3[k];
        a0 += u * x0;
        a1 += u * x1;
        a2 += u * x2;
        a3 += u * x3;
        b0 += v * x0;
        b1 += v * x1;
        b2 += v * x2;
        b3 += v * x3;
    }
    s0[0] += a0;
    s0[1] += a1;
    s0[2] += a2;
    s0[3] += a3;
    s1[0] += b0;
    s1[1] += b1;
    s1[2] += b2;
    s1[3] += b3;
}

/* The same for one lhs row. */
static void dot1x4_portable(const int16_t *l0, const int8_t *w0, const int8_t *w1, const int8_t *w2,
                            const int8_t *w3, int32_t cols, int32_t s0[4])
{
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    int32_t k;
    for (k = 0; k < cols; k++) {
        const int16_t u = l0[k];
        const int16_t x0 = w0[k], x1 = w1[k], x2 = w2[k], x3 = w3[k];
        a0 += u * x0;
        a1 += u * x1;
        a2 += u * x2;
        a3 += u * x3;
    }
    s0[0] += a0;
    s0[1] += a1;
    s0[2] += a2;
    s0[3] += a3;
}

/* Columns widened at a time (a stack buffer). */
#define MI_GEMM_CHUNK 256
#endif

#if defined(MI_THUMB1)
/* One lhs row times every rhs row, four at a time (the last group repeats its first row for the
   missing ones, whose sums are not used), into a sum block, then requantized. */
static void row_by4(const int8_t *lhs, const int8_t *rhs, int32_t rhs_rows, int32_t cols,
                    const mi_nn_output_stage *stage, int8_t *out)
{
    int32_t first;
    for (first = 0; first < rhs_rows; first += MI_GEMM_BLOCK) {
        const int32_t count = rhs_rows - first < MI_GEMM_BLOCK ? rhs_rows - first : MI_GEMM_BLOCK;
        const int8_t *w = rhs + (int64_t)first * cols;
        int32_t acc[MI_GEMM_BLOCK];
        int32_t i;
        for (i = 0; i < count; i += 4) {
            const int32_t left = count - i;
            if (cols > 0) {
                dot4_thumb1(lhs, w, left > 1 ? w + cols : w, left > 2 ? w + 2 * cols : w,
                            left > 3 ? w + 3 * cols : w, cols, acc + i);
            } else {
                acc[i] = acc[i + 1] = acc[i + 2] = acc[i + 3] = 0;
            }
            w += 4 * cols;
        }
        requantize_sums(acc, count, stage, first, out + first);
    }
}
#else
/* Two lhs rows (l1 == l0 when there is one) times every rhs row, 2x4 at a time over chunks of
   columns widened once, into two sum blocks, then requantized. */
static void rows_portable(const int8_t *l0, const int8_t *l1, const int8_t *rhs, int32_t rhs_rows, int32_t cols,
                          const mi_nn_output_stage *stage, int8_t *out0, int8_t *out1)
{
    int32_t first;
    for (first = 0; first < rhs_rows; first += MI_GEMM_BLOCK) {
        const int32_t count = rhs_rows - first < MI_GEMM_BLOCK ? rhs_rows - first : MI_GEMM_BLOCK;
        int32_t acc0[MI_GEMM_BLOCK + 4], acc1[MI_GEMM_BLOCK + 4];
        int32_t i, k0;
        for (i = 0; i < count + 4; i++) {
            acc0[i] = acc1[i] = 0;
        }
        for (k0 = 0; k0 < cols; k0 += MI_GEMM_CHUNK) {
            const int32_t n = cols - k0 < MI_GEMM_CHUNK ? cols - k0 : MI_GEMM_CHUNK;
            const int8_t *w = rhs + (int64_t)first * cols + k0;
            int16_t wide0[MI_GEMM_CHUNK], wide1[MI_GEMM_CHUNK];
            int32_t k;
            for (k = 0; k < n; k++) {
                wide0[k] = l0[k0 + k];
                wide1[k] = l1[k0 + k];
            }
            for (i = 0; i < count; i += 4) { /* a last group of 1-3 rows repeats its first */
                const int32_t left = count - i;
                const int8_t *w1 = left > 1 ? w + cols : w;
                const int8_t *w2 = left > 2 ? w + 2 * cols : w;
                const int8_t *w3 = left > 3 ? w + 3 * cols : w;
                if (l1 != l0) {
                    dot2x4_portable(wide0, wide1, w, w1, w2, w3, n, acc0 + i, acc1 + i);
                } else {
                    dot1x4_portable(wide0, w, w1, w2, w3, n, acc0 + i);
                }
                w += 4 * cols;
            }
        }
        requantize_sums(acc0, count, stage, first, out0 + first);
        if (l1 != l0) {
            requantize_sums(acc1, count, stage, first, out1 + first);
        }
    }
}
#endif
#endif

void mi_nn_mat_mult_nt_t_s8(const int8_t *lhs, int32_t lhs_rows, int32_t lhs_stride, const int8_t *rhs,
                            int32_t rhs_rows, int32_t cols, const mi_nn_output_stage *stage, int8_t *dst)
{
    int32_t r;
#if defined(ARM_MATH_MVEI)
    if (cols > 0 && stage->quant->rounding == MI_ROUND_DOUBLE) {
        mat_mult_mve(lhs, lhs_rows, lhs_stride, rhs, rhs_rows, cols, stage, dst);
        return;
    }
    for (r = 0; r < lhs_rows; r++) { /* LiteRT's rounding in double, or no columns: one output at a time */
        const int8_t *row = lhs + (int64_t)r * lhs_stride;
        int32_t c;
        for (c = 0; c < rhs_rows; c++) {
            const int8_t *w = rhs + (int64_t)c * cols;
            int32_t sum = 0;
            int32_t k;
            for (k = 0; k < cols; k++) {
                sum += row[k] * w[k];
            }
            requantize_sums(&sum, 1, stage, c, dst + (int64_t)r * rhs_rows + c);
        }
    }
#elif defined(ARM_MATH_DSP)
    for (r = 0; r < lhs_rows; r += 2) {
        const int8_t *l0 = lhs + (int64_t)r * lhs_stride;
        int8_t *out = dst + (int64_t)r * rhs_rows;
        if (r + 1 < lhs_rows) {
            rows_dsp(l0, l0 + lhs_stride, rhs, rhs_rows, cols, stage, out, out + rhs_rows);
        } else {
            rows_dsp(l0, l0, rhs, rhs_rows, cols, stage, out, out);
        }
    }
#elif defined(MI_HOST_VNNI)
    (void)r;
    if (cols <= MI_PACKED_MAX_COLS && lhs_rows >= 16) { /* packing pays off over many rows */
        mat_mult_packed_vnni(lhs, lhs_rows, lhs_stride, rhs, rhs_rows, cols, stage, dst);
    } else {
        mat_mult_vnni(lhs, lhs_rows, lhs_stride, rhs, rhs_rows, cols, stage, dst);
    }
#elif defined(MI_THUMB1)
    for (r = 0; r < lhs_rows; r++) {
        row_by4(lhs + (int64_t)r * lhs_stride, rhs, rhs_rows, cols, stage, dst + (int64_t)r * rhs_rows);
    }
#else
    for (r = 0; r < lhs_rows; r += 2) {
        const int8_t *l0 = lhs + (int64_t)r * lhs_stride;
        int8_t *out = dst + (int64_t)r * rhs_rows;
        rows_portable(l0, r + 1 < lhs_rows ? l0 + lhs_stride : l0, rhs, rhs_rows, cols, stage, out, out + rhs_rows);
    }
#endif
}
