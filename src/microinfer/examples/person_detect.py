"""A person-detection-like model: MobileNetV1-0.25 over a 96x96 grayscale image, int8.

The layer structure of the MLPerf Tiny visual-wake-words model (``vww_96_int8.tflite``) with a
one-channel input, as TFLite Micro's person_detect example uses: a strided 3x3 convolution, 13
depthwise-separable blocks (3x3 depthwise + 1x1 pointwise, ReLU), a 3x3 average pool, a
reshape, a 2-way fully connected layer and a softmax. Convolutions are quantized per output
channel, activations per tensor. The layer list below was read once from the VWW model's graph
(channels, strides, kernel sizes, padding) and is written here as data, so the model builds
without that file. Weights are seeded random numbers: shapes, types and quantization granularity
(what the arena depends on) are real; predictions are not.
"""

from __future__ import annotations

import numpy as np

from ..tflite.builder import ModelBuilder
from ..tflite.options import (
    Conv2DOptions,
    DepthwiseConv2DOptions,
    FullyConnectedOptions,
    Pool2DOptions,
    ReshapeOptions,
    SoftmaxOptions,
)
from ..tflite.types import ActivationFunction, Padding

IMAGE = (96, 96, 1)  # height, width, channels (grayscale)
CLASSES = ("no person", "person")

# (kind, output channels, kernel, stride, padding) of every convolution, in order:
# "conv" a full convolution, "dw" a depthwise one (depth multiplier 1). All ReLU.
LAYERS: tuple[tuple[str, int, int, int, str], ...] = (
    ("conv", 8, 3, 2, "SAME"),
    ("dw", 8, 3, 1, "SAME"), ("conv", 16, 1, 1, "SAME"),
    ("dw", 16, 3, 2, "SAME"), ("conv", 32, 1, 1, "SAME"),
    ("dw", 32, 3, 1, "SAME"), ("conv", 32, 1, 1, "SAME"),
    ("dw", 32, 3, 2, "SAME"), ("conv", 64, 1, 1, "SAME"),
    ("dw", 64, 3, 1, "SAME"), ("conv", 64, 1, 1, "SAME"),
    ("dw", 64, 3, 2, "SAME"), ("conv", 128, 1, 1, "SAME"),
    *((("dw", 128, 3, 1, "SAME"), ("conv", 128, 1, 1, "SAME")) * 5),
    ("dw", 128, 3, 2, "SAME"), ("conv", 256, 1, 1, "SAME"),
    ("dw", 256, 3, 1, "SAME"), ("conv", 256, 1, 1, "SAME"),
)
POOL = (3, 3, "VALID")  # average pool: size, stride, padding (3x3 -> 1x1)

_PADDING = {"SAME": Padding.SAME, "VALID": Padding.VALID}


def _out(size: int, kernel: int, stride: int, padding: str) -> int:
    return -(-size // stride) if padding == "SAME" else (size - kernel) // stride + 1


def person_detect_like(seed: int = 0) -> bytes:
    """The .tflite bytes of the person-detection-like MobileNetV1-0.25 (seeded random weights)."""
    rng = np.random.default_rng(seed)
    builder = ModelBuilder(description="microinfer example: person detection, MobileNetV1-0.25 "
                                       "96x96x1 (untrained weights)")
    g = builder.main
    scale = 1.0 / 255
    x = g.add_input("image", (1, *IMAGE), "int8", scale=scale, zero_point=-128)
    h, w, c = IMAGE
    for i, (kind, out_c, k, stride, padding) in enumerate(LAYERS):
        name = f"{kind}{i}"
        if kind == "conv":
            shape = (out_c, k, k, c)
        else:
            assert out_c == c, "depth multiplier 1"
            shape = (1, k, k, out_c)
        w_scales = rng.uniform(0.002, 0.02, size=out_c).astype(np.float32)
        weights = g.add_constant(f"{name}/weights", rng.integers(-127, 128, size=shape, dtype=np.int8),
                                 scale=w_scales, zero_point=np.zeros(out_c),
                                 axis=0 if kind == "conv" else 3)
        bias = g.add_constant(f"{name}/bias", rng.integers(-2000, 2000, size=out_c, dtype=np.int32),
                              scale=scale * w_scales, zero_point=np.zeros(out_c))
        h, w = _out(h, k, stride, padding), _out(w, k, stride, padding)
        out_scale = 0.02
        y = g.add_tensor(f"{name}/relu", (1, h, w, out_c), "int8", scale=out_scale, zero_point=-128)
        common = dict(padding=_PADDING[padding], stride_w=stride, stride_h=stride,
                      fused_activation_function=ActivationFunction.RELU)
        if kind == "conv":
            g.add_operator("CONV_2D", [x, weights, bias], [y], Conv2DOptions(**common), version=3)
        else:
            g.add_operator("DEPTHWISE_CONV_2D", [x, weights, bias], [y],
                           DepthwiseConv2DOptions(depth_multiplier=1, **common), version=3)
        x, c, scale = y, out_c, out_scale
    size, stride, padding = POOL
    h, w = _out(h, size, stride, padding), _out(w, size, stride, padding)
    pooled = g.add_tensor("pool", (1, h, w, c), "int8", scale=scale, zero_point=-128)
    g.add_operator("AVERAGE_POOL_2D", [x], [pooled],
                   Pool2DOptions(padding=_PADDING[padding], stride_w=stride, stride_h=stride,
                                 filter_width=size, filter_height=size), version=2)
    flat_shape = (1, h * w * c)
    flat = g.add_tensor("flatten", flat_shape, "int8", scale=scale, zero_point=-128)
    shape = g.add_constant("flatten/shape", np.array(flat_shape, dtype=np.int32))
    g.add_operator("RESHAPE", [pooled, shape], [flat], ReshapeOptions(new_shape=None))
    fc_scale = np.array([0.005], dtype=np.float32)
    fc_w = g.add_constant("dense/weights", rng.integers(-127, 128, size=(len(CLASSES), flat_shape[1]),
                                                          dtype=np.int8),
                          scale=fc_scale, zero_point=np.zeros(1))
    fc_b = g.add_constant("dense/bias", rng.integers(-2000, 2000, size=len(CLASSES), dtype=np.int32),
                          scale=scale * fc_scale, zero_point=np.zeros(1))
    logits = g.add_tensor("logits", (1, len(CLASSES)), "int8", scale=0.1, zero_point=0)
    g.add_operator("FULLY_CONNECTED", [flat, fc_w, fc_b], [logits],
                   FullyConnectedOptions(fused_activation_function=ActivationFunction.NONE), version=4)
    probabilities = g.add_tensor("probabilities", (1, len(CLASSES)), "int8", scale=1.0 / 256,
                                 zero_point=-128)
    g.add_operator("SOFTMAX", [logits], [probabilities], SoftmaxOptions(beta=1.0), version=2)
    g.outputs.append(probabilities)
    builder.add_signature("serving_default", {"image": g.inputs[0]}, {"probabilities": probabilities})
    return builder.build()
