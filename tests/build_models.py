"""Small models for the ``microinfer build`` tests: every operator family the generated code has
(tables, data movement, reductions, convolutions, aliases, constant folding), several inputs and
outputs, float32 at the edges."""

from __future__ import annotations

import numpy as np

from microinfer.tflite import ModelBuilder
from microinfer.tflite import options as O
from microinfer.tflite.types import ActivationFunction, Padding


def mixed_model(seed: int = 0) -> bytes:
    """float32 and int8 inputs; QUANTIZE, PAD, CONV_2D, LOGISTIC, TANH, CONCATENATION, MEAN,
    STRIDED_SLICE, TRANSPOSE, RESHAPE (alias), ADD with a folded constant, FULLY_CONNECTED, SOFTMAX,
    DEQUANTIZE; two outputs (int8 and float32)."""
    rng = np.random.default_rng(seed)
    b = ModelBuilder(description="tests/build_models mixed")
    g = b.main
    q = dict(scale=0.05, zero_point=3)
    x = g.add_input("image", (1, 6, 6, 3), "float32")
    extra = g.add_input("extra", (1, 4, 4, 4), "int8", scale=0.04, zero_point=-5)
    xq = g.add_tensor("image_q", (1, 6, 6, 3), "int8", **q)
    g.add_operator("QUANTIZE", [x], [xq])
    pads = g.add_constant("pads", np.array([[0, 0], [1, 1], [1, 1], [0, 0]], np.int32))
    xp = g.add_tensor("padded", (1, 8, 8, 3), "int8", **q)
    g.add_operator("PAD", [xq, pads], [xp])
    w = g.add_constant("w", rng.integers(-127, 128, (4, 3, 3, 3)).astype(np.int8), "int8",
                       scale=rng.uniform(0.002, 0.01, 4).astype(np.float32), zero_point=np.zeros(4, np.int64), axis=0)
    bias = g.add_constant("b", rng.integers(-500, 500, 4).astype(np.int32), "int32",
                          scale=np.full(4, 0.05 * 0.005, np.float32), zero_point=np.zeros(4, np.int64))
    conv = g.add_tensor("conv", (1, 3, 3, 4), "int8", scale=0.1, zero_point=-10)
    g.add_operator("CONV_2D", [xp, w, bias], [conv], O.Conv2DOptions(padding=Padding.VALID, stride_w=2, stride_h=2,
                   fused_activation_function=ActivationFunction.RELU), version=3)
    sig = g.add_tensor("sig", (1, 3, 3, 4), "int8", scale=1 / 256, zero_point=-128)
    g.add_operator("LOGISTIC", [conv], [sig], version=2)
    tan = g.add_tensor("tan", (1, 3, 3, 4), "int8", scale=1 / 128, zero_point=0)
    g.add_operator("TANH", [conv], [tan], version=2)
    cat = g.add_tensor("cat", (1, 3, 3, 8), "int8", scale=1 / 128, zero_point=0)
    sig_r = g.add_tensor("sig_r", (1, 3, 3, 4), "int8", scale=1 / 128, zero_point=0)
    g.add_operator("QUANTIZE", [sig], [sig_r], version=2)
    g.add_operator("CONCATENATION", [sig_r, tan], [cat], O.ConcatenationOptions(axis=3))
    axes = g.add_constant("axes", np.array([1, 2], np.int32))
    mean = g.add_tensor("mean", (1, 1, 1, 8), "int8", scale=1 / 100, zero_point=2)
    g.add_operator("MEAN", [cat, axes], [mean], O.ReducerOptions(keep_dims=True), version=2)
    begin, end, step = (g.add_constant(n, np.array(v, np.int32)) for n, v in
                        (("begin", [0, 3, 0, 1]), ("end", [1, 0, 4, 4]), ("stride", [1, -1, 1, 2])))
    sl = g.add_tensor("slice", (1, 3, 4, 2), "int8", scale=0.04, zero_point=-5)
    g.add_operator("STRIDED_SLICE", [extra, begin, end, step], [sl],
                   O.StridedSliceOptions(), version=2)
    perm = g.add_constant("perm", np.array([0, 2, 1, 3], np.int32))
    tr = g.add_tensor("transposed", (1, 4, 3, 2), "int8", scale=0.04, zero_point=-5)
    g.add_operator("TRANSPOSE", [sl, perm], [tr], version=2)
    flat = g.add_tensor("flat", (1, 24), "int8", scale=0.04, zero_point=-5)
    shape = g.add_constant("shape", np.array([1, 24], np.int32))
    g.add_operator("RESHAPE", [tr, shape], [flat], O.ReshapeOptions(new_shape=(1, 24)))
    # a constant branch, folded at generation time: TRANSPOSE of a constant
    cconst = g.add_constant("cconst", rng.integers(-100, 100, (24, 1)).astype(np.int8), "int8", scale=0.04,
                            zero_point=-5)
    perm2 = g.add_constant("perm2", np.array([1, 0], np.int32))
    ct = g.add_tensor("const_t", (1, 24), "int8", scale=0.04, zero_point=-5)
    g.add_operator("TRANSPOSE", [cconst, perm2], [ct], version=2)
    summed = g.add_tensor("summed", (1, 24), "int8", scale=0.08, zero_point=0)
    g.add_operator("ADD", [flat, ct], [summed], O.AddOptions(), version=2)
    fw = g.add_constant("fw", rng.integers(-127, 128, (5, 24)).astype(np.int8), "int8", scale=0.01)
    fb = g.add_constant("fb", rng.integers(-300, 300, 5).astype(np.int32), "int32", scale=0.08 * 0.01)
    fc = g.add_tensor("fc", (1, 5), "int8", scale=0.2, zero_point=1)
    g.add_operator("FULLY_CONNECTED", [summed, fw, fb], [fc], O.FullyConnectedOptions(), version=4)
    prob = g.add_output("probabilities", (1, 5), "int8", scale=1 / 256, zero_point=-128)
    g.add_operator("SOFTMAX", [fc], [prob], O.SoftmaxOptions(beta=1.0), version=2)
    mean_f = g.add_output("mean_float", (1, 1, 1, 8), "float32")
    g.add_operator("DEQUANTIZE", [mean], [mean_f], version=2)
    return b.build()
