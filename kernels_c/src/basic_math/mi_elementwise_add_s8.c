/* int8 ADD with broadcasting. */
#include "mi_elementwise_add_row.h"
#if defined(ARM_MATH_MVEI) || defined(ARM_MATH_DSP)
#include "support/mi_nn_isa.h"
#endif

#if defined(__ARM_ARCH)
/* The Cortex-M paths rescale with the short requantizers (mi_requantize_fast, or its unshifted
   form for a shift of 0, which the larger input's scale always has): the shifted inputs are
   below 2**28 in magnitude, their scaled sum below 2**29, every multiplier >= 0 (checked by the
   caller) and every shift <= 0. */
static inline int32_t rescale_fast(int32_t x, mi_scale scale)
{
    return scale.shift == 0 ? mi_requantize_fast_unshifted(x, scale.multiplier)
                            : mi_requantize_fast(x, scale.multiplier, scale.shift);
}

static inline int32_t add_element_fast(const mi_add_params *p, int32_t a, int32_t b)
{
    const int32_t shifted1 = (a + p->input1_offset) * (1 << p->left_shift);
    const int32_t shifted2 = (b + p->input2_offset) * (1 << p->left_shift);
    const int32_t sum = rescale_fast(shifted1, p->input1_scale) + rescale_fast(shifted2, p->input2_scale);
    return mi_clamp((int64_t)rescale_fast(sum, p->output_scale) + p->output_offset, p->activation);
}
#endif

#if defined(ARM_MATH_MVEI)
/* RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(x, m), -shift) on four lanes, shift <= -1:
   VQRDMULH, then the sign of the product subtracted (ties away from zero) before VRSHL's
   round-half-up shift; as mi_requantize_block_fast_mve. */
static inline int32x4_t rescale_mve(int32x4_t x, mi_scale scale)
{
    const int32x4_t high = vqrdmulhq_n_s32(x, scale.multiplier);
    if (scale.shift == 0) {
        return high;
    }
    return vrshlq_n_s32(vqaddq_s32(high, vshrq_n_s32(high, 31)), scale.shift);
}

/* out[i] = ADD(in1[i * step1], in2[i * step2]) for steps (1, 1), (1, 0) and (0, 1), four elements
   per step (the last 1-3 with a predicate): a broadcast input is rescaled once. */
static void add_row_mve(const mi_add_params *p, const int8_t *in1, int32_t step1, const int8_t *in2, int32_t step2,
                        int8_t *out, int32_t length)
{
    const int32_t offset1 = p->input1_offset * (1 << p->left_shift);
    const int32_t offset2 = p->input2_offset * (1 << p->left_shift);
    const int32x4_t lo = vdupq_n_s32(p->activation.min);
    const int32x4_t hi = vdupq_n_s32(p->activation.max);
    const int32_t scaled1 =
        step1 == 0 ? rescale_fast((in1[0] + p->input1_offset) * (1 << p->left_shift), p->input1_scale) : 0;
    const int32_t scaled2 =
        step2 == 0 ? rescale_fast((in2[0] + p->input2_offset) * (1 << p->left_shift), p->input2_scale) : 0;
    int32_t i;
    for (i = 0; i < length; i += 4) {
        const mve_pred16_t active = vctp32q((uint32_t)(length - i));
        int32x4_t sum;
        if (step1 != 0) {
            const int32x4_t a = vaddq_n_s32(vshlq_r_s32(vldrbq_z_s32(in1 + i, active), p->left_shift), offset1);
            sum = rescale_mve(a, p->input1_scale);
        } else {
            sum = vdupq_n_s32(scaled1);
        }
        if (step2 != 0) {
            const int32x4_t b = vaddq_n_s32(vshlq_r_s32(vldrbq_z_s32(in2 + i, active), p->left_shift), offset2);
            sum = vaddq_s32(sum, rescale_mve(b, p->input2_scale));
        } else {
            sum = vaddq_n_s32(sum, scaled2);
        }
        sum = vqaddq_n_s32(rescale_mve(sum, p->output_scale), p->output_offset);
        vstrbq_p_s32(out + i, vminq_s32(vmaxq_s32(sum, lo), hi), active);
    }
}
#endif

mi_status mi_elementwise_add_s8(const mi_add_params *params, const mi_broadcast *shape, const int8_t *input1,
                                const int8_t *input2, int8_t *output)
{
    const mi_add_params p = *params;
#if defined(__ARM_ARCH)
    {
#if defined(ARM_MATH_MVEI)
        const int32_t last = shape->rank - 1;
        const int32_t length = shape->dims[last];
        const int32_t step1 = shape->stride1[last];
        const int32_t step2 = shape->stride2[last];
        if ((step1 == 1 || step1 == 0) && (step2 == 1 || step2 == 0) && (step1 | step2) != 0) {
            const int32_t rows = mi_broadcast_rows(shape);
            mi_broadcast_cursor cursor;
            int8_t *out = output;
            int32_t r;
            mi_broadcast_start(&cursor);
            for (r = 0; r < rows; ++r) {
                add_row_mve(&p, input1 + cursor.offset1, step1, input2 + cursor.offset2, step2, out, length);
                out += length;
                mi_broadcast_next_row(shape, &cursor);
            }
            return MI_OK;
        }
#endif
#define ADD_ELEMENT_FAST(a, b) add_element_fast(&p, (a), (b))
        MI_BROADCAST_WALK(ADD_ELEMENT_FAST, int8_t, shape, input1, input2, output);
#undef ADD_ELEMENT_FAST
        return MI_OK;
    }
#endif
#define ADD_ELEMENT(a, b) mi_add_element(&p, (a), (b))
    MI_BROADCAST_WALK(ADD_ELEMENT, int8_t, shape, input1, input2, output);
#undef ADD_ELEMENT
    return MI_OK;
}
