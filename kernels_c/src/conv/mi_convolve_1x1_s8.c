#include "microinfer_nn.h"
#include "mi_requantize.h"
#include "support/mi_nn_support.h"
#include "support/mi_nn_host_simd.h"

/* Up to this many input channels the host sums across output channels over a transposed filter
   (vectorized over the output channels): such short dot products cost more in their final
   reductions than in their multiply-adds. The Cortex-M paths need no transposed copy. */
#define MI_1X1_FEW_IN_CH 8

/* Output channels of the transposed filter, padded to whole groups of 8 (zeros). */
static int32_t padded_channels(int32_t out_ch)
{
    return (out_ch + 7) & ~7;
}

int32_t mi_convolve_1x1_s8_get_buffer_size(const mi_dims *input_dims, const mi_dims *filter_dims)
{
    (void)input_dims;
    if (filter_dims->c <= MI_1X1_FEW_IN_CH) {
        return padded_channels(filter_dims->n) * filter_dims->c * (int32_t)sizeof(int16_t); /* transposed */
    }
    return 0;
}

#if !defined(__ARM_ARCH) && !defined(MI_HOST_VNNI) /* AVX-512 hosts: the packed matrix multiply */
/* Output channels summed together (a stack block). */
#define MI_1X1_BLOCK 64

/* The host's path for few input channels: out[c] = requantize(folded[c] + sum_k x[k] * filter[c][k])
   with the filter transposed to int16 (k-major, `stride` channels a row) once per call, every
   pixel summed across a block of output channels at a time. Kept out of line: inlined where the
   compiler knows in_ch <= 8, it unrolls the k loop and vectorizes for more channels than a layer
   has. */
__attribute__((noinline)) static void few_in_channels(const int16_t *wide, const int16_t *transposed,
                                                      int32_t stride, int32_t in_ch, int32_t out_ch,
                                                      const mi_nn_output_stage *stage, int8_t *out)
{
    int32_t first;
    for (first = 0; first < out_ch; first += MI_1X1_BLOCK) {
        const int32_t count = out_ch - first < MI_1X1_BLOCK ? out_ch - first : MI_1X1_BLOCK;
        int32_t acc[MI_1X1_BLOCK];
        int32_t c, k;
        for (c = 0; c < count; c++) {
            acc[c] = 0;
        }
        for (k = 0; k < in_ch; k++) {
            const int16_t x = wide[k];
            const int16_t *w = transposed + (int64_t)k * stride + first;
            for (c = 0; c < count; c++) {
                acc[c] += x * w[c]; /* at most 8 * 2**14 */
            }
        }
        for (c = 0; c < count; c++) {
            acc[c] = mi_wrap_add_s32(stage->bias[first + c], acc[c]);
        }
        mi_requantize_block_s8(acc, count, stage->quant, first, stage->output_offset, stage->activation, out + first);
    }
}
#endif

mi_status mi_convolve_1x1_s8(const mi_context *ctx, const mi_conv_params *params, const mi_requant *quant,
                             const mi_dims *input_dims, const int8_t *input, const mi_dims *filter_dims,
                             const int8_t *filter, const int32_t *bias, const mi_dims *output_dims,
                             int8_t *output)
{
    const int32_t in_ch = input_dims->c;
    const int32_t out_ch = output_dims->c;
    mi_nn_output_stage stage;
    int32_t b;
    (void)ctx; /* the host's transposed filter only */
    (void)bias; /* folded into params->folded_bias */
    if (filter_dims->h != 1 || filter_dims->w != 1 || filter_dims->c != in_ch || filter_dims->n != out_ch ||
        params->padding.h != 0 || params->padding.w != 0 || input_dims->n != output_dims->n ||
        params->folded_bias == 0) {
        return MI_ARG_ERROR;
    }
    if ((output_dims->h - 1) * params->stride.h >= input_dims->h ||
        (output_dims->w - 1) * params->stride.w >= input_dims->w) {
        return MI_ARG_ERROR;
    }
    stage.bias = params->folded_bias;
    stage.quant = quant;
    stage.output_offset = params->output_offset;
    stage.activation = params->activation;
#if !defined(__ARM_ARCH) && !defined(MI_HOST_VNNI) /* AVX-512 hosts: the packed matrix multiply */
    if (in_ch <= MI_1X1_FEW_IN_CH) {
        int16_t *transposed = (int16_t *)(ctx != 0 ? ctx->buf : 0);
        int8_t *out = output;
        int32_t c, k, oy, ox;
        const int32_t stride = padded_channels(out_ch);
        if (transposed == 0 || ctx->size < mi_convolve_1x1_s8_get_buffer_size(input_dims, filter_dims)) {
            return MI_ARG_ERROR;
        }
        for (k = 0; k < in_ch; k++) {
            for (c = 0; c < stride; c++) {
                transposed[(int64_t)k * stride + c] = c < out_ch ? filter[(int64_t)c * in_ch + k] : 0;
            }
        }
        for (b = 0; b < input_dims->n; b++) {
            for (oy = 0; oy < output_dims->h; oy++) {
                for (ox = 0; ox < output_dims->w; ox++) {
                    const int8_t *pixel = input + (((int64_t)b * input_dims->h + (int64_t)oy * params->stride.h) *
                                                       input_dims->w + (int64_t)ox * params->stride.w) * in_ch;
                    int16_t wide[MI_1X1_FEW_IN_CH];
                    for (k = 0; k < in_ch; k++) {
                        wide[k] = pixel[k];
                    }
                    few_in_channels(wide, transposed, stride, in_ch, out_ch, &stage, out);
                    out += out_ch;
                }
            }
        }
        return MI_OK;
    }
#endif
    for (b = 0; b < input_dims->n; b++) {
        const int8_t *image = input + (int64_t)b * input_dims->h * input_dims->w * in_ch;
        int8_t *out = output + (int64_t)b * output_dims->h * output_dims->w * out_ch;
        if (params->stride.h == 1 && params->stride.w == 1 && output_dims->w == input_dims->w) {
            /* every pixel, one after the other: one matrix multiply for the image */
            mi_nn_mat_mult_nt_t_s8(image, output_dims->h * output_dims->w, in_ch, filter, out_ch, in_ch, &stage, out);
        } else {
            int32_t oy;
            for (oy = 0; oy < output_dims->h; oy++) {
                const int8_t *row = image + (int64_t)oy * params->stride.h * input_dims->w * in_ch;
                mi_nn_mat_mult_nt_t_s8(row, output_dims->w, params->stride.w * in_ch, filter, out_ch, in_ch, &stage,
                                       out + (int64_t)oy * output_dims->w * out_ch);
            }
        }
    }
    return MI_OK;
}
