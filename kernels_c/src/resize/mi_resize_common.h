/* What the resize kernels share: the shape check, the nearest-neighbour gather and the bilinear
   weighting, as macros over the element type (each kernel file instantiates one). */
#ifndef MI_RESIZE_COMMON_H
#define MI_RESIZE_COMMON_H

#include <string.h>

#include "mi_nn_resize.h"

/* Input and output share batches and channels, and no dimension is empty. */
static inline int32_t mi_resize_shapes_agree(const mi_dims *in, const mi_dims *out)
{
    return in->n == out->n && in->c == out->c && in->n > 0 && in->h > 0 && in->w > 0 && in->c > 0 && out->h > 0 &&
           out->w > 0;
}

/* x / 2**20 rounded half away from zero, as (x + sign(x) * 2**19) / 2**20 with C's truncating
   division (x == 0 counts as negative there, and still gives 0). */
static inline int64_t mi_resize_round_20(int64_t x)
{
    const int64_t half = x > 0 ? ((int64_t)1 << 19) : -((int64_t)1 << 19);
    return (x + half) / ((int64_t)1 << 20);
}

/* Nearest neighbour: one memcpy of c values per output pixel; an output row that reads the same
   input row as the one before it is a copy of that output row. */
#define MI_RESIZE_NEAREST(T, params, in_dims, input, out_dims, output)                                      \
    do {                                                                                                 \
        const int32_t c_ = (in_dims)->c;                                                                 \
        const int64_t in_row_ = (int64_t)(in_dims)->w * c_;                                              \
        const int64_t out_row_ = (int64_t)(out_dims)->w * c_;                                            \
        int32_t b_, y_, x_;                                                                              \
        for (b_ = 0; b_ < (in_dims)->n; ++b_) {                                                          \
            const T *image_ = (input) + (int64_t)b_ * (in_dims)->h * in_row_;                            \
            T *out_image_ = (output) + (int64_t)b_ * (out_dims)->h * out_row_;                           \
            for (y_ = 0; y_ < (out_dims)->h; ++y_) {                                                     \
                T *out_ = out_image_ + y_ * out_row_;                                                    \
                if (y_ > 0 && (params)->rows[y_] == (params)->rows[y_ - 1]) {                            \
                    memcpy(out_, out_ - out_row_, (size_t)out_row_ * sizeof(T));                         \
                    continue;                                                                            \
                }                                                                                        \
                for (x_ = 0; x_ < (out_dims)->w; ++x_) {                                                 \
                    const T *pixel_ = image_ + (params)->rows[y_] * in_row_ + (int64_t)(params)->columns[x_] * c_; \
                    memcpy(out_ + (int64_t)x_ * c_, pixel_, (size_t)c_ * sizeof(T));                     \
                }                                                                                        \
            }                                                                                            \
        }                                                                                                \
    } while (0)

/* Bilinear: per output pixel, the four corner pixels' channels weighed and rounded. */
#define MI_RESIZE_BILINEAR(T, params, in_dims, input, out_dims, output)                                     \
    do {                                                                                                 \
        const mi_resize_taps *r_ = &(params)->rows;                                                      \
        const mi_resize_taps *k_ = &(params)->columns;                                                   \
        const int32_t c_ = (in_dims)->c;                                                                 \
        const int64_t in_row_ = (int64_t)(in_dims)->w * c_;                                              \
        T *out_ = (output);                                                                              \
        int32_t b_, y_, x_, ch_;                                                                         \
        for (b_ = 0; b_ < (in_dims)->n; ++b_) {                                                          \
            const T *image_ = (input) + (int64_t)b_ * (in_dims)->h * in_row_;                            \
            for (y_ = 0; y_ < (out_dims)->h; ++y_) {                                                     \
                const T *top_ = image_ + r_->lower[y_] * in_row_;                                        \
                const T *bottom_ = image_ + r_->upper[y_] * in_row_;                                     \
                for (x_ = 0; x_ < (out_dims)->w; ++x_) {                                                 \
                    const int64_t left_ = (int64_t)k_->lower[x_] * c_;                                   \
                    const int64_t right_ = (int64_t)k_->upper[x_] * c_;                                  \
                    const int32_t w00_ = r_->lower_weight[y_] * k_->lower_weight[x_];                    \
                    const int32_t w10_ = r_->upper_weight[y_] * k_->lower_weight[x_];                    \
                    const int32_t w01_ = r_->lower_weight[y_] * k_->upper_weight[x_];                    \
                    const int32_t w11_ = r_->upper_weight[y_] * k_->upper_weight[x_];                    \
                    for (ch_ = 0; ch_ < c_; ++ch_) {                                                     \
                        const int64_t sum_ = (int64_t)top_[left_ + ch_] * w00_ +                         \
                                             (int64_t)bottom_[left_ + ch_] * w10_ +                      \
                                             (int64_t)top_[right_ + ch_] * w01_ +                        \
                                             (int64_t)bottom_[right_ + ch_] * w11_;                      \
                        *out_++ = (T)mi_resize_round_20(sum_);                                           \
                    }                                                                                    \
                }                                                                                        \
            }                                                                                            \
        }                                                                                                \
    } while (0)

#endif
