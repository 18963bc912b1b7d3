#include <string.h>

#include "mi_nn_program.h"

#define P(i) ((void *)s->args[i])
#define I(i) ((int32_t)s->args[i])

typedef mi_status (*fn_p1)(void *);
typedef mi_status (*fn_p2)(void *, void *);
typedef mi_status (*fn_p3)(void *, void *, void *);
typedef mi_status (*fn_p4)(void *, void *, void *, void *);
typedef mi_status (*fn_p5)(void *, void *, void *, void *, void *);
typedef mi_status (*fn_p6)(void *, void *, void *, void *, void *, void *);
typedef mi_status (*fn_p7)(void *, void *, void *, void *, void *, void *, void *);
typedef mi_status (*fn_p8)(void *, void *, void *, void *, void *, void *, void *, void *);
typedef mi_status (*fn_p9)(void *, void *, void *, void *, void *, void *, void *, void *, void *);
typedef mi_status (*fn_p10)(void *, void *, void *, void *, void *, void *, void *, void *, void *, void *);
typedef mi_status (*fn_p11)(void *, void *, void *, void *, void *, void *, void *, void *, void *, void *,
                            void *);
typedef mi_status (*fn_p12)(void *, void *, void *, void *, void *, void *, void *, void *, void *, void *,
                            void *, void *);
typedef mi_status (*fn_piipp)(void *, int32_t, int32_t, void *, void *);
typedef mi_status (*fn_p9ipp)(void *, void *, void *, void *, void *, void *, void *, void *, void *, int32_t,
                              void *, void *);

static mi_status run_step(const mi_step *s)
{
    switch (s->signature) {
    case 1: return ((fn_p1)s->fn)(P(0));
    case 2: return ((fn_p2)s->fn)(P(0), P(1));
    case 3: return ((fn_p3)s->fn)(P(0), P(1), P(2));
    case 4: return ((fn_p4)s->fn)(P(0), P(1), P(2), P(3));
    case 5: return ((fn_p5)s->fn)(P(0), P(1), P(2), P(3), P(4));
    case 6: return ((fn_p6)s->fn)(P(0), P(1), P(2), P(3), P(4), P(5));
    case 7: return ((fn_p7)s->fn)(P(0), P(1), P(2), P(3), P(4), P(5), P(6));
    case 8: return ((fn_p8)s->fn)(P(0), P(1), P(2), P(3), P(4), P(5), P(6), P(7));
    case 9: return ((fn_p9)s->fn)(P(0), P(1), P(2), P(3), P(4), P(5), P(6), P(7), P(8));
    case 10: return ((fn_p10)s->fn)(P(0), P(1), P(2), P(3), P(4), P(5), P(6), P(7), P(8), P(9));
    case 11: return ((fn_p11)s->fn)(P(0), P(1), P(2), P(3), P(4), P(5), P(6), P(7), P(8), P(9), P(10));
    case 12: return ((fn_p12)s->fn)(P(0), P(1), P(2), P(3), P(4), P(5), P(6), P(7), P(8), P(9), P(10), P(11));
    case MI_SIG_PIIPP: return ((fn_piipp)s->fn)(P(0), I(1), I(2), P(3), P(4));
    case MI_SIG_P9_I_PP:
        return ((fn_p9ipp)s->fn)(P(0), P(1), P(2), P(3), P(4), P(5), P(6), P(7), P(8), I(9), P(10), P(11));
    case MI_SIG_COPY:
        if (s->args[2] < 0) {
            return MI_ARG_ERROR;
        }
        memcpy(P(0), P(1), (size_t)s->args[2]);
        return MI_OK;
    default: return MI_ARG_ERROR;
    }
}

mi_status mi_run_steps(const mi_step *steps, int32_t count, int32_t *failed)
{
    int32_t i;
    for (i = 0; i < count; i++) {
        mi_status status = run_step(&steps[i]);
        if (status != MI_OK) {
            *failed = i;
            return status;
        }
    }
    *failed = -1;
    return MI_OK;
}

int32_t mi_step_size(void)
{
    return (int32_t)sizeof(mi_step);
}
