/* Declarations of the pool kernels (to be filled in by their author). */
#ifndef MI_NN_POOL_H
#define MI_NN_POOL_H

#include "mi_nn_types.h"

#endif
