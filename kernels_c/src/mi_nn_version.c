#include "microinfer_nn.h"

int32_t mi_nn_abi_version(void)
{
    return MI_NN_ABI_VERSION;
}
