"""The "magic wand" gesture model: a small int8 CNN over 2 s of accelerometer data.

Input: 200 samples (2 s at 100 Hz) of x/y/z acceleration in g, as a (1, 200, 3, 1) int8 tensor.
Output: probabilities of four gestures (wing, ring, slope, none). The architecture follows the
TFLite Micro magic_wand example (two conv + max-pool stages, two dense layers, softmax); the
weights are seeded random numbers, not trained ones, so the model is for trying the tools (sizes,
arena, latency and bit-exactness are real; its predictions are not).
"""

from __future__ import annotations

import numpy as np

from ..tflite.builder import ModelBuilder, SubgraphBuilder
from ..tflite.options import (
    Conv2DOptions,
    FullyConnectedOptions,
    Pool2DOptions,
    ReshapeOptions,
    SoftmaxOptions,
)
from ..tflite.types import ActivationFunction, Padding

SAMPLES = 200  # 2 s at 100 Hz
AXES = 3
GESTURES = ("wing", "ring", "slope", "none")
INPUT_SCALE = 4.0 / 128  # +-4 g full scale


class _Layers:
    """Adds quantized layers to a subgraph, drawing seeded weights."""

    def __init__(self, graph: SubgraphBuilder, rng: np.random.Generator):
        self.g = graph
        self.rng = rng

    def activation(self, name: str, shape, scale: float, zero_point: int = -128) -> int:
        return self.g.add_tensor(name, shape, "int8", scale=scale, zero_point=zero_point)

    def weights(self, name: str, shape, per_channel: bool) -> tuple[int, np.ndarray]:
        """Symmetric int8 weights, quantized per output channel (axis 0) or per tensor."""
        values = self.rng.integers(-127, 128, size=shape, dtype=np.int8)
        scales = self.rng.uniform(0.002, 0.01, size=shape[0] if per_channel else 1).astype(np.float32)
        index = self.g.add_constant(name, values, scale=scales, zero_point=np.zeros(len(scales)))
        return index, np.broadcast_to(scales, shape[0])

    def bias(self, name: str, input_scale: float, weight_scales: np.ndarray, per_channel: bool) -> int:
        values = self.rng.integers(-2000, 2000, size=len(weight_scales), dtype=np.int32)
        scales = input_scale * (weight_scales if per_channel else weight_scales[:1])
        return self.g.add_constant(name, values, scale=scales, zero_point=np.zeros(len(scales)))

    def conv(self, name, x, in_scale, out_shape, out_scale, kernel) -> int:
        out_channels, kh, kw = kernel
        in_channels = self.g.tensors[x].shape[-1]
        w, w_scales = self.weights(f"{name}/weights", (out_channels, kh, kw, in_channels), True)
        b = self.bias(f"{name}/bias", in_scale, w_scales, True)
        y = self.activation(f"{name}/relu", out_shape, out_scale)
        options = Conv2DOptions(
            padding=Padding.SAME, stride_w=1, stride_h=1,
            fused_activation_function=ActivationFunction.RELU,
        )
        self.g.add_operator("CONV_2D", [x, w, b], [y], options, version=3)
        return y

    def max_pool(self, name, x, out_shape, scale, size) -> int:
        y = self.activation(name, out_shape, scale)
        options = Pool2DOptions(
            padding=Padding.SAME, stride_w=size[1], stride_h=size[0],
            filter_width=size[1], filter_height=size[0],
        )
        self.g.add_operator("MAX_POOL_2D", [x], [y], options, version=2)
        return y

    def dense(self, name, x, in_scale, units, out_scale, activation, zero_point=-128) -> int:
        depth = self.g.tensors[x].shape[-1]
        w, w_scales = self.weights(f"{name}/weights", (units, depth), False)
        b = self.bias(f"{name}/bias", in_scale, w_scales, False)
        y = self.activation(f"{name}/out", (1, units), out_scale, zero_point)
        options = FullyConnectedOptions(fused_activation_function=activation)
        self.g.add_operator("FULLY_CONNECTED", [x, w, b], [y], options, version=4)
        return y


def build_magic_wand(seed: int = 0) -> bytes:
    """The .tflite bytes of the magic-wand gesture model (seeded random weights)."""
    builder = ModelBuilder(description="microinfer example: magic wand gestures (untrained weights)")
    g = builder.main
    layers = _Layers(g, np.random.default_rng(seed))
    x = g.add_input("accelerometer", (1, SAMPLES, AXES, 1), "int8", scale=INPUT_SCALE, zero_point=0)
    h = layers.conv("conv1", x, INPUT_SCALE, (1, SAMPLES, AXES, 8), 0.05, (8, 4, 3))
    h = layers.max_pool("pool1", h, (1, 67, 1, 8), 0.05, (3, 3))
    h = layers.conv("conv2", h, 0.05, (1, 67, 1, 16), 0.08, (16, 4, 1))
    h = layers.max_pool("pool2", h, (1, 23, 1, 16), 0.08, (3, 1))
    flat = g.add_tensor("flatten", (1, 23 * 16), "int8", scale=0.08, zero_point=-128)
    shape = g.add_constant("flatten/shape", np.array([1, 23 * 16], dtype=np.int32))
    g.add_operator("RESHAPE", [h, shape], [flat], ReshapeOptions(new_shape=(1, 23 * 16)))
    h = layers.dense("dense1", flat, 0.08, 16, 0.1, ActivationFunction.RELU)
    logits = layers.dense("dense2", h, 0.1, len(GESTURES), 0.15, ActivationFunction.NONE, zero_point=10)
    probabilities = layers.activation("probabilities", (1, len(GESTURES)), 1.0 / 256)
    g.add_operator("SOFTMAX", [logits], [probabilities], SoftmaxOptions(beta=1.0), version=2)
    g.outputs.append(probabilities)
    builder.add_signature("serving_default", {"accelerometer": x}, {"probabilities": probabilities})
    return builder.build()
