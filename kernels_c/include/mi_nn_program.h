/* A whole op list run in one call: the C backend's "program" (src/microinfer/c_backend/chain.py).

   Each step is one kernel call with every argument bound in advance (weights, parameter structs,
   scratch and the addresses of its input and output buffers, which stay fixed from run to run).
   mi_run_steps runs the steps in order and stops at the first that does not return MI_OK, so a
   whole model runs without returning to the caller between operators. */
#ifndef MI_NN_PROGRAM_H
#define MI_NN_PROGRAM_H

#include <stdint.h>

#include "mi_nn_types.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MI_STEP_MAX_ARGS 14

/* How a step's arguments are passed: 1..MI_STEP_MAX_ARGS is that many pointer arguments; the
   others name the kernel signatures that take int32 arguments. */
typedef enum {
    MI_SIG_PIIPP = 101,     /* (p, int32, int32, p, p): softmax */
    MI_SIG_P9_I_PP = 102,   /* (9 pointers, int32, p, p): int16x8 conv, depthwise, fully connected */
    MI_SIG_COPY = 200       /* memcpy(args[0], args[1], args[2] bytes) */
} mi_signature;

typedef void (*mi_kernel_fn)(void); /* any kernel, cast back by signature */

typedef struct {
    mi_kernel_fn fn;
    int32_t signature;
    int32_t reserved;
    intptr_t args[MI_STEP_MAX_ARGS];
} mi_step;

/* Runs steps[0..count); returns MI_OK, or the first failing step's status with its index in
   *failed (set to -1 on success). */
mi_status mi_run_steps(const mi_step *steps, int32_t count, int32_t *failed);

/* sizeof(mi_step), for the Python mirror's check. */
int32_t mi_step_size(void);

/* Host analysis, not a kernel: adds to sums[0..6] the element count, the sums of squared and of
   absolute errors, of f*f, q*q and q*f, and keeps in sums[6] the largest absolute error, where q
   = real[code] is the dequantized value of each code (the unsigned byte, code_bytes 1, or
   halfword, code_bytes 2, of a quantized tensor) and f the float counterpart. */
void mi_error_sums(const void *codes, int32_t code_bytes, const float *real, const float *reference, int32_t count,
                   double sums[7]);

#ifdef __cplusplus
}
#endif

#endif
