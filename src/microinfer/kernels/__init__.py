"""Bit-exact NumPy kernels: the executable specification of microinfer.

Each operator is one module; importing it registers its kernel. The list is explicit.
"""

from . import (  # noqa: F401
    add,
    average_pool,
    concatenation,
    conv,
    depthwise_conv,
    dequantize,
    detection_postprocess,
    expand_dims,
    fully_connected,
    hard_swish,
    leaky_relu,
    logistic,
    max_pool,
    mean,
    mul,
    pack,
    pad,
    padv2,
    prelu,
    quantize,
    relu,
    relu6,
    reshape,
    softmax,
    split,
    squeeze,
    strided_slice,
    sub,
    svdf,
    tanh,
    transpose,
    transpose_conv,
    unidirectional_sequence_lstm,
    unpack,
)
from .registry import REGISTRY, Kernel, Node, register

__all__ = ["REGISTRY", "Kernel", "Node", "register"]
