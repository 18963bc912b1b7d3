/* Declarations of the elementwise kernels (to be filled in by their author). */
#ifndef MI_NN_ELEMENTWISE_H
#define MI_NN_ELEMENTWISE_H

#include "mi_nn_types.h"

#endif
