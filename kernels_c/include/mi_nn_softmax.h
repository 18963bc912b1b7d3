/* Declarations of the softmax kernels (to be filled in by their author). */
#ifndef MI_NN_SOFTMAX_H
#define MI_NN_SOFTMAX_H

#include "mi_nn_types.h"

#endif
