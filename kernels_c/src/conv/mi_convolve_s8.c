#include "microinfer_nn.h"
#include "support/mi_nn_copy.h"
#include "support/mi_nn_support.h"
#include "support/mi_nn_host_simd.h"

/* im2col rows (output pixels) gathered before one matrix multiply. */
#define MI_IM2COL_ROWS 4

int32_t mi_convolve_s8_get_buffer_size(const mi_dims *input_dims, const mi_dims *filter_dims)
{
    (void)input_dims;
    return MI_IM2COL_ROWS * filter_dims->h * filter_dims->w * filter_dims->c * (int32_t)sizeof(int8_t);
}

/* One im2col row: the window of output pixel (oy, ox) as raw int8, padding as the input zero
   point (its offset input is 0, so it adds nothing to the folded sums). A filter row that lies
   inside the image is one contiguous run of kw * in_ch bytes (dilation 1). */
static void im2col_row(const mi_conv_params *params, const mi_dims *input_dims, const int8_t *image,
                       const mi_dims *filter_dims, int32_t oy, int32_t ox, int8_t *col)
{
    const int32_t in_ch = input_dims->c;
    const int32_t run = filter_dims->w * in_ch;
    const int8_t zero_point = (int8_t)-params->input_offset;
    const int32_t ix0 = ox * params->stride.w - params->padding.w;
    const int whole_rows = params->dilation.w == 1 && ix0 >= 0 && ix0 + filter_dims->w <= input_dims->w;
    int32_t ky;
    for (ky = 0; ky < filter_dims->h; ky++) {
        const int32_t iy = oy * params->stride.h - params->padding.h + ky * params->dilation.h;
        if (iy < 0 || iy >= input_dims->h) {
            mi_fill_s8(col, zero_point, run);
        } else if (whole_rows) {
            mi_copy_s8(col, image + ((int64_t)iy * input_dims->w + ix0) * in_ch, run);
        } else {
            int32_t kx;
            for (kx = 0; kx < filter_dims->w; kx++) {
                const int32_t ix = ix0 + kx * params->dilation.w;
                if (ix < 0 || ix >= input_dims->w) {
                    mi_fill_s8(col + kx * in_ch, zero_point, in_ch);
                } else {
                    mi_copy_s8(col + kx * in_ch, image + ((int64_t)iy * input_dims->w + ix) * in_ch, in_ch);
                }
            }
        }
        col += run;
    }
}

#if defined(MI_HOST_VNNI)
/* The host gathers more im2col rows per matrix multiply, on its stack (the scratch buffer keeps
   the Cortex-M size, which generated code allocates): the rhs row sums, and for short rows the
   packed filter, then serve many rows. */
#define MI_HOST_IM2COL_BYTES 16384
#define MI_HOST_IM2COL_MAX_ROWS 64
#endif

mi_status mi_convolve_s8(const mi_context *ctx, const mi_conv_params *params, const mi_requant *quant,
                         const mi_dims *input_dims, const int8_t *input, const mi_dims *filter_dims,
                         const int8_t *filter, const int32_t *bias, const mi_dims *output_dims, int8_t *output)
{
    const int32_t num_col = filter_dims->h * filter_dims->w * filter_dims->c;
    const int32_t out_ch = output_dims->c;
    int8_t *cols = (int8_t *)(ctx != 0 ? ctx->buf : 0);
    int32_t batch_rows = MI_IM2COL_ROWS;
    mi_nn_output_stage stage;
    int32_t pending = 0; /* im2col rows waiting for the matrix multiply */
    int8_t *out = output;
    int32_t b;
    (void)bias; /* folded into params->folded_bias */
    if (filter_dims->c != input_dims->c || filter_dims->n != out_ch || input_dims->n != output_dims->n ||
        params->folded_bias == 0) {
        return MI_ARG_ERROR;
    }
    if (cols == 0 || ctx->size < mi_convolve_s8_get_buffer_size(input_dims, filter_dims)) {
        return MI_ARG_ERROR;
    }
#if defined(MI_HOST_VNNI)
    int8_t host_cols[MI_HOST_IM2COL_BYTES];
    if (num_col > 0 && num_col * MI_IM2COL_ROWS * 2 <= MI_HOST_IM2COL_BYTES) {
        batch_rows = MI_HOST_IM2COL_BYTES / num_col;
        batch_rows = batch_rows > MI_HOST_IM2COL_MAX_ROWS ? MI_HOST_IM2COL_MAX_ROWS : batch_rows & ~3;
        cols = host_cols;
    }
#endif
    stage.bias = params->folded_bias;
    stage.quant = quant;
    stage.output_offset = params->output_offset;
    stage.activation = params->activation;
    for (b = 0; b < input_dims->n; b++) {
        const int8_t *image = input + (int64_t)b * input_dims->h * input_dims->w * input_dims->c;
        int32_t oy;
        for (oy = 0; oy < output_dims->h; oy++) {
            int32_t ox;
            for (ox = 0; ox < output_dims->w; ox++) {
                im2col_row(params, input_dims, image, filter_dims, oy, ox, cols + pending * num_col);
                if (++pending == batch_rows) {
                    mi_nn_mat_mult_nt_t_s8(cols, pending, num_col, filter, out_ch, num_col, &stage, out);
                    out += pending * out_ch;
                    pending = 0;
                }
            }
        }
    }
    if (pending > 0) {
        mi_nn_mat_mult_nt_t_s8(cols, pending, num_col, filter, out_ch, num_col, &stage, out);
    }
    return MI_OK;
}
