"""Bit-exact NumPy kernels: the executable specification of microinfer.

Each operator is one module; importing it registers its kernel. The list is explicit.
"""

from . import (  # noqa: F401
    add,
    arg_max,
    arg_min,
    average_pool,
    concatenation,
    conv,
    cumsum,
    depthwise_conv,
    dequantize,
    expand_dims,
    fully_connected,
    hard_swish,
    l2_normalization,
    l2_pool_2d,
    leaky_relu,
    logistic,
    max_pool,
    mean,
    mul,
    pack,
    pad,
    padv2,
    prelu,
    reduce_all,
    reduce_any,
    reduce_max,
    reduce_min,
    reduce_prod,
    quantize,
    relu,
    relu6,
    reshape,
    softmax,
    split,
    squeeze,
    strided_slice,
    sub,
    sum,
    svdf,
    tanh,
    transpose,
    transpose_conv,
    unidirectional_sequence_lstm,
    unpack,
)
from .registry import REGISTRY, Kernel, Node, register

__all__ = ["REGISTRY", "Kernel", "Node", "register"]
