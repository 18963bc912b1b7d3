"""TFLite Micro's person-detection model, MobileNetV1-0.25 over a 96x96 grayscale image, int8.

The graph of ``tensorflow/lite/micro/models/person_detect.tflite`` as TFLM's benchmarking README
lists it (89 tensors, 31 operators), written here as data so it builds without that file. Weights
are seeded random numbers: shapes, types and quantization granularity (what the arena and the
cost depend on) are real; predictions are not.
"""

from __future__ import annotations

import numpy as np

from ..tflite.builder import ModelBuilder
from ..tflite.options import (
    Conv2DOptions,
    DepthwiseConv2DOptions,
    Pool2DOptions,
    ReshapeOptions,
    SoftmaxOptions,
)
from ..tflite.types import ActivationFunction, Padding

CLASSES = ("no person", "person")

# TFLM's person_detect.tflite as the README's model analysis lists it: a 3x3 stride-2 depthwise
# convolution with depth multiplier 8 over the 96x96x1 image, 13 blocks of 3x3 depthwise + 1x1
# convolution (input channels, stride, output channels), ReLU6 throughout, a 3x3 average pool, a
# 1x1 convolution to 2 logits, a reshape to (1, 2) and a softmax. 89 tensors, 31 operators.
BLOCKS = (
    (8, 1, 16), (16, 2, 32), (32, 1, 32), (32, 2, 64), (64, 1, 64), (64, 2, 128),
    *((128, 1, 128),) * 5, (128, 2, 256), (256, 1, 256),
)


def person_detect_like(seed: int = 0) -> bytes:
    """The .tflite bytes of TFLM's person_detect graph with seeded random weights."""
    rng = np.random.default_rng(seed)
    builder = ModelBuilder(description="microinfer example: person detection, MobileNetV1-0.25 "
                                       "96x96x1 (untrained weights)")
    g = builder.main
    relu6 = ActivationFunction.RELU6

    def activation(name, shape):
        return g.add_tensor(name, shape, "int8", scale=0.02, zero_point=-128)

    def filter_and_bias(name, shape, axis):
        channels = shape[axis]
        scales = rng.uniform(0.002, 0.02, channels).astype(np.float32)
        weights = g.add_constant(f"{name}/weights", rng.integers(-127, 128, shape, dtype=np.int8),
                                 scale=scales, zero_point=np.zeros(channels), axis=axis)
        bias = g.add_constant(f"{name}/bias", rng.integers(-999, 999, channels, dtype=np.int32),
                              scale=scales / 255, zero_point=np.zeros(channels))
        return weights, bias

    def depthwise(name, x, channels, size, stride, multiplier):
        y = activation(name, (1, size, size, channels))
        g.add_operator("DEPTHWISE_CONV_2D", [x, *filter_and_bias(name, (1, 3, 3, channels), 3)],
                       [y], DepthwiseConv2DOptions(
                           padding=Padding.SAME, stride_w=stride, stride_h=stride,
                           depth_multiplier=multiplier, fused_activation_function=relu6), version=3)
        return y

    def pointwise(name, x, in_c, out_c, size, fused=relu6):
        y = activation(name, (1, size, size, out_c))
        g.add_operator("CONV_2D", [x, *filter_and_bias(name, (out_c, 1, 1, in_c), 0)], [y],
                       Conv2DOptions(padding=Padding.SAME, stride_w=1, stride_h=1,
                                     fused_activation_function=fused), version=3)
        return y

    image = g.add_input("input", (1, 96, 96, 1), "int8", scale=1 / 255, zero_point=-128)
    x, size = depthwise("Conv2d_0", image, 8, 48, 2, 8), 48
    for i, (in_c, stride, out_c) in enumerate(BLOCKS, start=1):
        size = -(-size // stride)
        x = depthwise(f"Conv2d_{i}_depthwise", x, in_c, size, stride, 1)
        x = pointwise(f"Conv2d_{i}_pointwise", x, in_c, out_c, size)
    pooled = activation("AvgPool", (1, 1, 1, 256))
    g.add_operator("AVERAGE_POOL_2D", [x], [pooled], Pool2DOptions(
        padding=Padding.VALID, stride_w=2, stride_h=2, filter_width=3, filter_height=3), version=2)
    logits = pointwise("Conv2d_1c_1x1", pooled, 256, 2, 1, ActivationFunction.NONE)
    squeezed = activation("SpatialSqueeze", (1, 2))
    shape = g.add_constant("SpatialSqueeze_shape", np.array([1, 2], dtype=np.int32))
    g.add_operator("RESHAPE", [logits, shape], [squeezed], ReshapeOptions(new_shape=None))
    probabilities = g.add_tensor("Predictions", (1, 2), "int8", scale=1 / 256, zero_point=-128)
    g.add_operator("SOFTMAX", [squeezed], [probabilities], SoftmaxOptions(beta=1.0), version=2)
    g.outputs.append(probabilities)
    builder.add_signature("serving_default", {"input": image}, {"Predictions": probabilities})
    return builder.build()
