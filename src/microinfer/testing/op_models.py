"""A catalogue of builder-made single-op models that TFLite Micro and LiteRT load and run.

Most cases run in both references; a case's ``references`` names those that run it (hybrid models
and LSTM variants run in LiteRT only), and the others refuse it.

Each :class:`OpCase` builds one small model around one operator, quantized the way the TFLite
converter quantizes: int8 activations with a zero point inside the range, int8 symmetric weights
(per channel where the converter does it), int32 biases with ``scale = input_scale *
weight_scale``; the ``int16x8`` cases use int16 activations (zero point 0), int8 weights and int64
biases. Weights come from ``np.random.default_rng(SEED)``, so every build is byte-identical.

    from microinfer.testing import OP_CASES, build, random_inputs
    model = build("CONV_2D/int8/per_channel")
    inputs = random_inputs(model, np.random.default_rng(0))

Operator versions follow what the converter writes (``tensorflow/lite/tools/versioning``), which
is what LiteRT's op resolver matches on.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..errors import ModelError
from ..tflite import Model, ModelBuilder, load
from . import signal_models as SM
from ..tflite.options import (
    AddOptions,
    ArgMaxOptions,
    ArgMinOptions,
    BatchMatMulOptions,
    ConcatenationOptions,
    Conv2DOptions,
    CumsumOptions,
    DivOptions,
    DepthwiseConv2DOptions,
    FullyConnectedOptions,
    L2NormOptions,
    LeakyReluOptions,
    MulOptions,
    Options,
    PackOptions,
    Pool2DOptions,
    ReducerOptions,
    DepthToSpaceOptions,
    GatherOptions,
    MirrorPadOptions,
    ReshapeOptions,
    ShapeOptions,
    SplitVOptions,
    ResizeBilinearOptions,
    ResizeNearestNeighborOptions,
    SoftmaxOptions,
    SpaceToDepthOptions,
    SplitOptions,
    SqueezeOptions,
    StridedSliceOptions,
    SubOptions,
    SVDFOptions,
    TransposeConvOptions,
    UnidirectionalSequenceLSTMOptions,
    UnpackOptions,
)
from ..tflite.types import ActivationFunction, Padding, TensorType

SEED = 1234

# (scale, zero_point) of activations, by activation type.
ACT_IN = {"int8": (0.05, -3), "int16": (0.002, 0)}
ACT_OUT = {"int8": (0.08, 6), "int16": (0.004, 0)}
RELU6_OUT = (6.0 / 255.0, -128)  # int8 output of an op with a fused RELU6
FLOAT = "float32"
# The dtype labels of operator examples ("int16x8": int16 activations, whatever the weights);
# the conv family uses the first three, operators on indices, masks and casts the next ones,
# "hybrid" dynamic-range layers (float32 activations, int8 weights), float16 DEQUANTIZE's
# float16 input.
ALL_DTYPES = ("int8", "int16x8", "float32", "uint8", "int32", "int64", "bool", "uint32", "uint64", "hybrid",
              "float16")

Q = tuple[float, int] | None


@dataclass(frozen=True)
class OpCase:
    """One catalogue entry: ``build()`` returns the .tflite bytes of a one-operator model."""

    name: str  # "<OP>/<dtype>[/<variant>]"
    op: str
    dtype: str  # "int8" | "int16x8" | "float32" | "hybrid" | ...
    build: Callable[[], bytes]
    description: str = ""
    references: tuple[str, ...] = ("tflm", "tflite")  # the references that run it (the others refuse it)
    # (input position, lowest, highest): inputs whose values must stay in a range for the
    # references to run (indices, divisors that must not hit the zero point)
    input_ranges: tuple[tuple[int, int, int], ...] = ()

    def inputs(self, rng: np.random.Generator) -> list[np.ndarray]:
        """Random inputs for the built model, within ``input_ranges``."""
        values = random_inputs(self.build(), rng)
        for position, low, high in self.input_ranges:
            x = values[position]
            values[position] = rng.integers(low, high, size=x.shape, endpoint=True).astype(x.dtype)
        return values


class _Model:
    """A ModelBuilder around one operator, with shorthands for that operator's tensors."""

    def __init__(self, act: str = "int8"):
        self.act = act  # activation type: "int8", "int16" or "float32"
        self.builder = ModelBuilder(description="microinfer.testing.op_models")
        self.g = self.builder.main
        self.rng = np.random.default_rng(SEED)

    @property
    def quantized(self) -> bool:
        return self.act != FLOAT

    def _tensor(self, kind: str, shape, dtype=None, q: Q = None, **kwargs) -> int:
        add = {"input": self.g.add_input, "output": self.g.add_output, "tensor": self.g.add_tensor}[kind]
        name = f"{kind}{len(self.g.tensors)}"
        if q is not None:
            kwargs.update(scale=q[0], zero_point=q[1])
        return add(name, shape, dtype or self.act, **kwargs)

    def input(self, shape, q: Q | str = "in", dtype=None) -> int:
        """An activation input; ``q`` is (scale, zero_point), or "in"/"out" for the defaults."""
        return self._tensor("input", shape, dtype, self._q(q, dtype))

    def output(self, shape, q: Q | str = "out", dtype=None) -> int:
        return self._tensor("output", shape, dtype, self._q(q, dtype))

    def tensor(self, shape, dtype, q: Q = None, **kwargs) -> int:
        """A non-constant tensor that is neither model input nor output (state, intermediates)."""
        return self._tensor("tensor", shape, dtype, q, **kwargs)

    def _q(self, q, dtype) -> Q:
        act = dtype or self.act
        if act == FLOAT or q is None:
            return None
        if isinstance(q, str):  # the defaults; bool, int32 ... are not quantized
            return (ACT_IN if q == "in" else ACT_OUT).get(act)
        return q

    def const(self, data, dtype=None, **kwargs) -> int:
        return self.g.add_constant(f"const{len(self.g.tensors)}", data, dtype, **kwargs)

    def int32(self, values) -> int:
        """A constant int32 parameter tensor (shapes, axes, paddings, permutations)."""
        return self.const(np.asarray(values, dtype=np.int32))

    def filter(self, shape, axis: int | None = None, dtype=np.int8) -> tuple[int, np.ndarray]:
        """Weights: float for float models, else symmetric int8 (per channel along ``axis``)."""
        w = self.rng.normal(0.0, 0.1, shape).astype(np.float32)
        if not self.quantized:
            return self.const(w), np.ones(1, np.float32)
        reduce = tuple(i for i in range(len(shape)) if i != axis) if axis is not None else None
        qmax = np.iinfo(dtype).max
        scales = np.atleast_1d(np.abs(w).max(axis=reduce) / qmax).astype(np.float32)
        keep = [1] * len(shape)
        if axis is not None:
            keep[axis] = -1
        q = np.clip(np.round(w / scales.reshape(keep)), -qmax, qmax).astype(dtype)
        return self.const(q, scale=scales, zero_point=0, axis=axis or 0), scales

    def bias(self, n: int, input_scale: float, weight_scales: np.ndarray) -> int:
        """A bias of ``n``: int32 for int8 ops, int64 for int16x8 ops, scale = input x weight."""
        b = self.rng.normal(0.0, 0.2, n).astype(np.float32)
        if not self.quantized:
            return self.const(b)
        scales = (np.float32(input_scale) * weight_scales).astype(np.float32)
        dtype = np.int64 if self.act == "int16" else np.int32
        q = np.round(b / np.broadcast_to(scales, (n,))).astype(dtype)
        return self.const(q, scale=scales, zero_point=0)

    def finish(self, op: str, inputs, outputs, options: Options | None = None, version=1, **kw) -> bytes:
        self.g.add_operator(op, inputs, outputs, options, version=version, **kw)
        return self.builder.build()


def _out_dim(size: int, kernel: int, stride: int, dilation: int, padding: Padding) -> int:
    effective = (kernel - 1) * dilation + 1
    if padding is Padding.SAME:
        return (size + stride - 1) // stride
    return (size - effective + stride) // stride


def _in_scale(m: _Model) -> float:
    return ACT_IN[m.act][0] if m.quantized else 1.0


# -- convolutions and fully connected --------------------------------------------------------------
def _conv2d(act="int8", per_channel=True, stride=1, padding=Padding.VALID, dilation=1,
            activation=ActivationFunction.NONE, version=3) -> bytes:
    m = _Model(act)
    h, cin, cout, k = 9, 3, 4, 3
    x = m.input((1, h, h, cin))
    w, w_scales = m.filter((cout, k, k, cin), axis=0 if per_channel else None)
    b = m.bias(cout, _in_scale(m), w_scales)
    oh = _out_dim(h, k, stride, dilation, padding)
    y = m.output((1, oh, oh, cout), RELU6_OUT if activation is ActivationFunction.RELU6 else "out")
    options = Conv2DOptions(padding, stride, stride, activation, dilation, dilation)
    return m.finish("CONV_2D", [x, w, b], [y], options, version)


def _depthwise_conv2d(multiplier: int) -> bytes:
    m = _Model()
    h, cin, k = 8, 4, 3
    cout = cin * multiplier
    x = m.input((1, h, h, cin))
    w, w_scales = m.filter((1, k, k, cout), axis=3)
    b = m.bias(cout, _in_scale(m), w_scales)
    y = m.output((1, h, h, cout))
    options = DepthwiseConv2DOptions(Padding.SAME, 1, 1, multiplier, ActivationFunction.NONE, 1, 1)
    return m.finish("DEPTHWISE_CONV_2D", [x, w, b], [y], options, version=3)


def _fully_connected(act="int8", per_channel=False, keep_num_dims=False, version=4) -> bytes:
    m = _Model(act)
    units, depth = 5, 16
    batch_shape = (2, 3) if keep_num_dims else (2,)
    x = m.input((*batch_shape, depth))
    w, w_scales = m.filter((units, depth), axis=0 if per_channel else None)
    b = m.bias(units, _in_scale(m), w_scales)
    y = m.output((*batch_shape, units))
    options = FullyConnectedOptions(keep_num_dims=keep_num_dims)
    return m.finish("FULLY_CONNECTED", [x, w, b], [y], options, version)


def _transpose_conv() -> bytes:
    m = _Model()
    h, cin, cout, k, stride = 4, 3, 4, 3, 2
    out_shape = (1, h * stride, h * stride, cout)
    shape = m.int32(out_shape)
    w, w_scales = m.filter((cout, k, k, cin), axis=0)
    x = m.input((1, h, h, cin))
    b = m.bias(cout, _in_scale(m), w_scales)
    y = m.output(out_shape)
    options = TransposeConvOptions(Padding.SAME, stride, stride)
    return m.finish("TRANSPOSE_CONV", [shape, w, x, b], [y], options, version=3)


def _pool(op: str) -> bytes:
    """2x2 stride-2 pooling; int8 pooling keeps the input's quantization."""
    m = _Model()
    x = m.input((1, 8, 8, 3))
    y = m.output((1, 4, 4, 3), "in")
    options = Pool2DOptions(Padding.VALID, 2, 2, 2, 2)
    return m.finish(op, [x], [y], options, version=2)


# -- elementwise -----------------------------------------------------------------------------------
def _binary(op: str, options: Options, act="int8", shapes=((1, 4, 4, 6), (1, 4, 4, 6)), version=2,
            out_q: Q | str = "out") -> bytes:
    m = _Model(act)
    a = m.input(shapes[0])
    b = m.input(shapes[1], ACT_OUT.get(act))  # a second scale, so the rescaling is exercised
    y = m.output(np.broadcast_shapes(*shapes), out_q)
    return m.finish(op, [a, b], [y], options, version)


def _elementwise(op: str, act="int8", out_dtype=None, options: Options | None = None,
                 shapes=((1, 4, 4, 6), (1, 1, 4, 6)), version=1) -> bytes:
    """A binary element-wise operator of the elementwise family, inputs broadcasting; ``out_dtype``
    "bool" for comparisons. Inputs take the two activation quantizations, the output the first."""
    m = _Model(act)
    a = m.input(shapes[0])
    b = m.input(shapes[1], ACT_OUT.get(act))
    y = m.output(np.broadcast_shapes(*shapes), None if out_dtype else "in", dtype=out_dtype)
    return m.finish(op, [a, b], [y], options, version)


def _add_n(act: str, count: int = 3) -> bytes:
    m = _Model(act)
    xs = [m.input((1, 4, 6)) for _ in range(count)]
    y = m.output((1, 4, 6))
    return m.finish("ADD_N", xs, [y], version=1)


def _logical_not() -> bytes:
    m = _Model("bool")
    x = m.input((2, 3, 4))
    y = m.output((2, 3, 4))
    return m.finish("LOGICAL_NOT", [x], [y], version=1)


def _unary(op: str, options: Options | None = None, out_q: Q | str = "out", version=2,
           shape=(1, 6, 8), act="int8", out_act=None) -> bytes:
    """One input, one output of the same shape."""
    m = _Model(act)
    x = m.input(shape)
    y = m.output(shape, out_q, dtype=out_act)
    return m.finish(op, [x], [y], options, version)


def _prelu() -> bytes:
    m = _Model()
    x = m.input((1, 4, 4, 6))
    alpha = m.const(m.rng.integers(-20, 100, (1, 1, 6), dtype=np.int8), scale=0.01, zero_point=0)
    y = m.output((1, 4, 4, 6))
    return m.finish("PRELU", [x, alpha], [y], version=1)


# -- reductions ------------------------------------------------------------------------------------
def _mean(act="int8", version=2) -> bytes:
    m = _Model(act)
    x = m.input((1, 5, 5, 8))
    axes = m.int32([1, 2])
    y = m.output((1, 1, 1, 8))
    return m.finish("MEAN", [x, axes], [y], ReducerOptions(keep_dims=True), version=version)


def _reduce(op: str, act="int8", version=1, out_q: Q | str = "out", axes=(0, -1)) -> bytes:
    """A reduction over two axes of a 3-D input (one of them negative), dropping them."""
    m = _Model(act)
    x = m.input((2, 3, 4))
    rank = 3
    kept = tuple(d for i, d in enumerate((2, 3, 4)) if i not in {a % rank for a in axes})
    y = m.output(kept, out_q)
    return m.finish(op, [x, m.int32(list(axes))], [y], ReducerOptions(keep_dims=False), version=version)


def _arg(op: str, act="int8", version=2) -> bytes:
    m = _Model(act)
    x = m.input((2, 5, 3))
    options = (ArgMaxOptions if op == "ARG_MAX" else ArgMinOptions)(output_type=TensorType.INT32)
    y = m.output((2, 3), None, dtype="int32")
    return m.finish(op, [x, m.int32([1])], [y], options, version=version)


def _cumsum(act="int8") -> bytes:
    m = _Model(act)
    x = m.input((2, 6, 3))
    y = m.output((2, 6, 3))
    return m.finish("CUMSUM", [x, m.int32([1])], [y], CumsumOptions(exclusive=True, reverse=False))


def _l2_normalization(act="int8", version=2) -> bytes:
    m = _Model(act)
    x = m.input((1, 4, 8))
    y = m.output((1, 4, 8), (1 / 128, 0))
    return m.finish("L2_NORMALIZATION", [x], [y], L2NormOptions(), version=version)


def _l2_pool() -> bytes:
    m = _Model(FLOAT)
    x = m.input((1, 8, 8, 3))
    y = m.output((1, 4, 4, 3))
    return m.finish("L2_POOL_2D", [x], [y], Pool2DOptions(Padding.VALID, 2, 2, 2, 2))


# -- data movement (output quantization = input quantization) --------------------------------------
def _reshape() -> bytes:
    m = _Model()
    x = m.input((1, 4, 6))
    new_shape = (2, 12)
    shape = m.int32(new_shape)
    y = m.output(new_shape, "in")
    return m.finish("RESHAPE", [x, shape], [y], ReshapeOptions(new_shape))


def _squeeze() -> bytes:
    m = _Model()
    x = m.input((1, 4, 1, 6))
    y = m.output((4, 6), "in")
    return m.finish("SQUEEZE", [x], [y], SqueezeOptions((0, 2)))


def _expand_dims() -> bytes:
    m = _Model()
    x = m.input((4, 6))
    axis = m.int32([1])
    y = m.output((4, 1, 6), "in")
    return m.finish("EXPAND_DIMS", [x, axis], [y])


def _concatenation() -> bytes:
    m = _Model()
    parts = [m.input((1, 3, 4, c)) for c in (2, 5, 3)]
    y = m.output((1, 3, 4, 10), "in")
    return m.finish("CONCATENATION", parts, [y], ConcatenationOptions(axis=3), version=2)


def _pad(op: str) -> bytes:
    m = _Model()
    x = m.input((1, 4, 4, 3))
    paddings = m.int32([[0, 0], [1, 2], [2, 1], [0, 0]])
    inputs = [x, paddings]
    if op == "PADV2":
        scale, zero_point = ACT_IN["int8"]
        inputs.append(m.const(np.array([7], np.int8), scale=scale, zero_point=zero_point))
    y = m.output((1, 7, 7, 3), "in")
    return m.finish(op, inputs, [y], version=2)


def _strided_slice() -> bytes:
    m = _Model()
    x = m.input((1, 8, 6, 4))
    begin, end, strides = m.int32([0, 1, 0, 1]), m.int32([1, 8, 6, 4]), m.int32([1, 2, 3, 2])
    y = m.output((1, 4, 2, 2), "in")
    options = StridedSliceOptions(begin_mask=0b0001, end_mask=0b0001)
    return m.finish("STRIDED_SLICE", [x, begin, end, strides], [y], options, version=2)


def _transpose() -> bytes:
    m = _Model()
    x = m.input((2, 3, 4, 5))
    perm = (0, 3, 1, 2)
    p = m.int32(perm)
    y = m.output((2, 5, 3, 4), "in")
    return m.finish("TRANSPOSE", [x, p], [y], version=2)


def _split() -> bytes:
    m = _Model()
    axis = m.int32(2)
    x = m.input((1, 4, 9))
    outputs = [m.output((1, 4, 3), "in") for _ in range(3)]
    return m.finish("SPLIT", [axis, x], outputs, SplitOptions(3), version=2)


def _pack() -> bytes:
    m = _Model()
    parts = [m.input((4, 5)) for _ in range(3)]
    y = m.output((4, 3, 5), "in")
    return m.finish("PACK", parts, [y], PackOptions(3, 1), version=2)


def _unpack() -> bytes:
    m = _Model()
    x = m.input((4, 3, 5))
    outputs = [m.output((4, 5), "in") for _ in range(3)]
    return m.finish("UNPACK", [x], outputs, UnpackOptions(3, 1), version=2)


def _quantize(in_act: str, out_act: str, version: int) -> bytes:
    return _unary("QUANTIZE", None, "out", version, act=in_act, out_act=out_act)


# -- quantization conversions (QUANTIZE, DEQUANTIZE) beyond int8/int16 -----------------------------
def _conversion(op: str, in_act: str, in_q: Q, out_act: str, out_q: Q, version: int) -> bytes:
    """One input, one output of another type and the same shape (parameters given explicitly)."""
    m = _Model(in_act)
    x = m.input((1, 6, 8), in_q)
    y = m.output((1, 6, 8), out_q, dtype=out_act)
    return m.finish(op, [x], [y], version=version)


def _detection_postprocess(regular: bool) -> bytes:
    """float32 SSD post-processing of 12 anchors and 3 classes (+ background), at most 4 detections."""
    from .families.detection import detection_model, float_anchors

    options = dict(max_detections=4, max_classes_per_detection=1, num_classes=3, use_regular_nms=regular,
                   detections_per_class=2, nms_iou_threshold=0.5, nms_score_threshold=0.2,
                   y_scale=10.0, x_scale=10.0, h_scale=5.0, w_scale=5.0)
    return detection_model("float32", float_anchors(np.random.default_rng(SEED), 12), options, 4)


# -- recurrent -------------------------------------------------------------------------------------
def _svdf() -> bytes:
    """Full-integer SVDF: int8 feature weights, int16 time weights and int16 state (zero point 0)."""
    m = _Model()
    batch, depth, units, rank, memory = 2, 8, 4, 2, 6
    filters = units * rank
    x = m.input((batch, depth))
    state_q = (0.004, 0)
    w_feature, _ = m.filter((filters, depth))
    w_time, time_scale = m.filter((filters, memory), dtype=np.int16)
    b = m.bias(units, state_q[0], time_scale)  # added to the time-weighted state
    state = m.tensor((batch, memory * filters), "int16", state_q, is_variable=True)
    y = m.output((batch, units))
    options = SVDFOptions(rank, ActivationFunction.RELU)
    return m.finish("SVDF", [x, w_feature, w_time, b, state], [y], options, version=3)


def _lstm_int8() -> bytes:
    """Full-integer (8x8->16) LSTM without peephole, projection, CIFG or layer norm.

    int8 input, weights and output state; int32 gate biases; int16 cell state with a power-of-two
    scale. LiteRT's integer kernel reads the quantization of five intermediates: four gate outputs
    (Q3.12 here, as without layer norm) and the hidden state; TFLite Micro reads none of them.
    """
    m = _Model()
    batch, steps, depth, cells = 1, 3, 6, 4
    out_q = (1 / 128, -1)
    x = m.input((batch, steps, depth))
    input_w = [m.filter((cells, depth)) for _ in range(4)]  # input, forget, cell, output gates
    recurrent_w = [m.filter((cells, cells))[0] for _ in range(4)]
    biases = [m.bias(cells, _in_scale(m), scales) for _, scales in input_w]
    no_peephole, no_projection, no_layer_norm = [-1] * 3, [-1] * 2, [-1] * 4
    output_state = m.tensor((batch, cells), "int8", out_q, is_variable=True)
    cell_state = m.tensor((batch, cells), "int16", (2.0**-11, 0), is_variable=True)
    # Intermediates carry only quantization; TFLite Micro insists they have no elements.
    gates = [m.tensor((0,), "int16", (2.0**-12, 0)) for _ in range(4)]
    hidden = m.tensor((0,), "int8", (2.0**-7, 0))
    y = m.output((batch, steps, cells), out_q)
    inputs = [x, *(w for w, _ in input_w), *recurrent_w, *no_peephole, *biases, *no_projection,
              output_state, cell_state, *no_layer_norm]
    options = UnidirectionalSequenceLSTMOptions(ActivationFunction.TANH, cell_clip=10.0)
    return m.finish("UNIDIRECTIONAL_SEQUENCE_LSTM", inputs, [y], options, version=1,
                    intermediates=[*gates, hidden])


# -- data movement, shapes and indexing (ops-data) --------------------------------------------------
def _shape() -> bytes:
    m = _Model()
    x = m.input((1, 4, 6))
    y = m.output((3,), None, dtype="int32")
    return m.finish("SHAPE", [x], [y], ShapeOptions(out_type=2))


def _split_v() -> bytes:
    m = _Model()
    x = m.input((1, 4, 9))
    sizes, axis = m.int32([2, -1, 3]), m.int32([2])
    outputs = [m.output((1, 4, n), "in") for n in (2, 4, 3)]
    return m.finish("SPLIT_V", [x, sizes, axis], outputs, SplitVOptions(3), version=2)


def _gather(act="int8") -> bytes:
    m = _Model(act)
    x = m.input((5, 4, 3), "in")
    indices = m.int32([[3, 0], [2, 2]])
    y = m.output((5, 2, 2, 3), "in")
    return m.finish("GATHER", [x, indices], [y], GatherOptions(axis=1), version=2)


def _cast() -> bytes:
    m = _Model(FLOAT)
    x = m.input((2, 8))
    y = m.output((2, 8), None, dtype="int32")
    return m.finish("CAST", [x], [y])


def _slice() -> bytes:
    m = _Model()
    x = m.input((1, 6, 5, 4))
    begin, size = m.int32([0, 1, 2, 0]), m.int32([1, 3, -1, 2])
    y = m.output((1, 3, 3, 2), "in")
    return m.finish("SLICE", [x, begin, size], [y], version=2)


def _fill() -> bytes:
    m = _Model()
    dims = m.int32([2, 3, 4])
    value = m.input((), "in")
    y = m.output((2, 3, 4), "in")
    return m.finish("FILL", [dims, value], [y], version=3)


def _reverse_v2() -> bytes:
    m = _Model()
    x = m.input((2, 3, 4))
    axes = m.int32([1])
    y = m.output((2, 3, 4), "in")
    return m.finish("REVERSE_V2", [x, axes], [y], version=2)


def _gather_nd() -> bytes:
    m = _Model()
    x = m.input((4, 3, 5))
    indices = m.int32([[3, 0], [1, 2]])
    y = m.output((2, 5), "in")
    return m.finish("GATHER_ND", [x, indices], [y], version=2)


def _zeros_like() -> bytes:
    m = _Model(FLOAT)
    x = m.input((2, 3, 4))
    y = m.output((2, 3, 4))
    return m.finish("ZEROS_LIKE", [x], [y])


def _broadcast_to() -> bytes:
    m = _Model()
    x = m.input((3, 1))
    shape = m.int32([2, 3, 4])
    y = m.output((2, 3, 4), "in")
    return m.finish("BROADCAST_TO", [x, shape], [y], version=2)


def _broadcast_args() -> bytes:
    m = _Model()
    a = m.input((3,), None, dtype="int32")
    b = m.int32([1, 1])
    y = m.output((3,), None, dtype="int32")
    return m.finish("BROADCAST_ARGS", [a, b], [y])


def _select_v2() -> bytes:
    m = _Model()
    condition = m.input((4, 1), None, dtype="bool")
    x = m.input((4, 6), "in")
    y = m.input((1, 6), "in")
    out = m.output((4, 6), "in")
    return m.finish("SELECT_V2", [condition, x, y], [out])


def _depth_to_space() -> bytes:
    m = _Model()
    x = m.input((1, 3, 3, 8))
    y = m.output((1, 6, 6, 2), "in")
    return m.finish("DEPTH_TO_SPACE", [x], [y], DepthToSpaceOptions(block_size=2))


def _space_to_depth() -> bytes:
    m = _Model()
    x = m.input((1, 6, 6, 2))
    y = m.output((1, 3, 3, 8), "in")
    return m.finish("SPACE_TO_DEPTH", [x], [y], SpaceToDepthOptions(block_size=2), version=2)


def _space_to_batch_nd() -> bytes:
    m = _Model()
    x = m.input((1, 4, 6, 3))
    block, pads = m.int32([2, 3]), m.int32([[0, 0], [0, 0]])
    y = m.output((6, 2, 2, 3), "in")
    return m.finish("SPACE_TO_BATCH_ND", [x, block, pads], [y], version=2)


def _batch_to_space_nd() -> bytes:
    m = _Model()
    x = m.input((6, 2, 2, 3))
    block, crops = m.int32([2, 3]), m.int32([[0, 1], [1, 0]])
    y = m.output((1, 3, 5, 3), "in")
    return m.finish("BATCH_TO_SPACE_ND", [x, block, crops], [y], version=2)


def _mirror_pad() -> bytes:
    m = _Model()
    x = m.input((1, 4, 4, 3))
    paddings = m.int32([[0, 0], [1, 2], [2, 1], [0, 0]])
    y = m.output((1, 7, 7, 3), "in")
    return m.finish("MIRROR_PAD", [x, paddings], [y], MirrorPadOptions(mode=1), version=2)


def _embedding_lookup() -> bytes:
    m = _Model(FLOAT)
    ids = m.input((3,), None, dtype="int32")
    table = m.const(m.rng.integers(-127, 127, (6, 8), dtype=np.int8), scale=0.02, zero_point=0)
    y = m.output((3, 8))
    return m.finish("EMBEDDING_LOOKUP", [ids, table], [y], version=2)


def _dynamic_update_slice() -> bytes:
    m = _Model()
    operand = m.input((4, 5, 3))
    update = m.input((2, 2, 3))
    start = m.input((3,), None, dtype="int32")
    y = m.output((4, 5, 3), "in")
    return m.finish("DYNAMIC_UPDATE_SLICE", [operand, update, start], [y])


def _tile() -> bytes:
    m = _Model()
    x = m.input((2, 3))
    multiples = m.int32([2, 2])
    y = m.output((4, 6), "in")
    return m.finish("TILE", [x, multiples], [y])


# -- batch matrix multiplication -------------------------------------------------------------------
def _batch_matmul(act="int8", adj_x=False, adj_y=False, constant_rhs=True, version=2) -> bytes:
    """(2, 3, 5, 6) x (3, 6, 4) with a broadcast batch dimension; the rhs a constant (weights,
    symmetric int8 for int8 models) or a second input."""
    m = _Model(act)
    lhs_shape = (2, 3, 6, 5) if adj_x else (2, 3, 5, 6)
    rhs_shape = (3, 4, 6) if adj_y else (3, 6, 4)
    x = m.input(lhs_shape)
    if constant_rhs:
        y, _ = m.filter(rhs_shape)
    else:
        y = m.input(rhs_shape, "out")
    out = m.output((2, 3, 5, 4))
    return m.finish("BATCH_MATMUL", [x, y], [out], BatchMatMulOptions(adj_x=adj_x, adj_y=adj_y), version)


# -- resizes ---------------------------------------------------------------------------------------
def _resize(op: str, act="int8", out_hw=(7, 9), align_corners=False, half_pixel_centers=False,
            version=2) -> bytes:
    """A (1, 4, 5, 3) input resized to ``out_hw``; the output keeps the input's quantization."""
    m = _Model(act)
    x = m.input((1, 4, 5, 3))
    size = m.int32(out_hw)
    y = m.output((1, *out_hw, 3), "in")
    options_class = ResizeBilinearOptions if op == "RESIZE_BILINEAR" else ResizeNearestNeighborOptions
    options = options_class(align_corners=align_corners, half_pixel_centers=half_pixel_centers)
    return m.finish(op, [x, size], [y], options, version)


# -- weights that are not plain constants (hybrid layers, run-time weights) ------------------------
def int8_weights(rng: np.random.Generator, shape, minus_128: bool) -> np.ndarray:
    """Symmetric int8 weights; with ``minus_128`` about a third of them are -128."""
    w = rng.integers(-127, 128, shape).astype(np.int8)
    if minus_128:
        w[rng.random(shape) < 0.3] = -128
    return w


def lstm_model(rng: np.random.Generator, *, batch: int, steps: int, n_input: int, n_cell: int, n_output: int,
               hybrid: bool = False, cifg: bool = False, peephole: bool = False, projection: bool = False,
               projection_bias: bool = False, layer_norm: bool = False, time_major: bool = False,
               cell_clip: float = 0.0, proj_clip: float = 0.0, activation=ActivationFunction.TANH,
               asymmetric: bool = False, minus_128: bool = False) -> bytes:
    """One LSTM in the schema's 24-input layout; ``n_output`` only counts with ``projection``."""
    n_output = n_output if projection else n_cell
    b = ModelBuilder(description="microinfer.testing.op_models")
    g = b.main
    shape = (steps, batch, n_input) if time_major else (batch, steps, n_input)
    x = g.add_input("x", shape, "float32")

    def weights(name, dims):
        if not hybrid:
            return g.add_constant(name, (rng.uniform(-1, 1, dims) / np.sqrt(dims[-1])).astype(np.float32))
        return g.add_constant(name, int8_weights(rng, dims, minus_128), scale=np.float32(rng.uniform(0.5, 2) / 127 / np.sqrt(dims[-1])),
                              zero_point=0)

    def floats(name, dims, low=-0.5, high=0.5):
        return g.add_constant(name, rng.uniform(low, high, dims).astype(np.float32))

    def gated(make):  # the input gate's tensor is absent with CIFG
        return [-1 if cifg and gate == 0 else make(gate) for gate in range(4)]

    inputs = [x]
    inputs += gated(lambda i: weights(f"input_weights{i}", (n_cell, n_input)))
    inputs += gated(lambda i: weights(f"recurrent_weights{i}", (n_cell, n_output)))
    inputs += [weights(f"peephole{i}", (n_cell,)) if peephole and not (cifg and i == 0) else -1 for i in range(3)]
    inputs += gated(lambda i: floats(f"bias{i}", (n_cell,)))
    inputs += [weights("projection", (n_output, n_cell)) if projection else -1,
               floats("projection_bias", (n_output,)) if projection and projection_bias else -1]
    inputs += [g.add_tensor("hidden", (batch, n_output), "float32", is_variable=True),
               g.add_tensor("cell", (batch, n_cell), "float32", is_variable=True)]
    inputs += gated(lambda i: floats(f"layer_norm{i}", (n_cell,), 0.5, 1.5) if layer_norm else -1)
    y = g.add_output("y", (steps, batch, n_output) if time_major else (batch, steps, n_output), "float32")
    options = UnidirectionalSequenceLSTMOptions(
        fused_activation_function=activation, cell_clip=cell_clip, proj_clip=proj_clip, time_major=time_major,
        asymmetric_quantize_inputs=asymmetric, diagonal_recurrent_tensors=False)
    g.add_operator("UNIDIRECTIONAL_SEQUENCE_LSTM", inputs, [y], options, version=3 if hybrid else 1)
    return b.build()


def _runtime_weights(op: str) -> bytes:
    """int8 ``op`` whose weights and bias are model inputs (computed at run time)."""
    m = _Model()
    if op == "FULLY_CONNECTED":
        units, depth = 5, 16
        x = m.input((2, depth))
        w = m.input((units, depth), q=(0.02, 0))
        b = m._tensor("input", (units,), "int32", (ACT_IN["int8"][0] * 0.02, 0))
        return m.finish(op, [x, w, b], [m.output((2, units))], FullyConnectedOptions(), version=4)
    h, cin, k = 6, 3, 3
    cout = cin * 2 if op == "DEPTHWISE_CONV_2D" else 4
    scales = np.linspace(0.01, 0.04, cout).astype(np.float32)
    x = m.input((1, h, h, cin))
    w_shape = (1, k, k, cout) if op == "DEPTHWISE_CONV_2D" else (cout, k, k, cin)
    w = m.g.add_input("w", w_shape, "int8", scale=scales, zero_point=np.zeros(cout, np.int64),
                      axis=3 if op == "DEPTHWISE_CONV_2D" else 0)
    b = m.g.add_input("b", (cout,), "int32", scale=scales * np.float32(ACT_IN["int8"][0]),
                      zero_point=np.zeros(cout, np.int64))
    y = m.output((1, h, h, cout))
    if op == "DEPTHWISE_CONV_2D":
        options = DepthwiseConv2DOptions(Padding.SAME, 1, 1, 2, ActivationFunction.NONE, 1, 1)
    else:
        options = Conv2DOptions(Padding.SAME, 1, 1, ActivationFunction.NONE, 1, 1)
    return m.finish(op, [x, w, b], [y], options, version=3)


def _hybrid(op: str) -> bytes:
    """Dynamic-range ``op``: float32 activations, int8 constant weights (LiteRT only)."""
    m = _Model(FLOAT)
    rng = m.rng

    def int8(shape, scales, axis=0):
        return m.const(rng.integers(-127, 128, shape).astype(np.int8), scale=np.float32(scales),
                       zero_point=np.zeros(np.size(scales), np.int64), axis=axis)

    if op == "FULLY_CONNECTED":
        x, w = m.input((2, 16)), int8((5, 16), [0.02])
        b = m.const(rng.normal(0, 1, 5).astype(np.float32))
        return m.finish(op, [x, w, b], [m.output((2, 5))], FullyConnectedOptions(), version=3)
    if op == "CONV_2D":
        x, w = m.input((1, 6, 6, 3)), int8((4, 3, 3, 3), np.linspace(0.01, 0.04, 4))
        b = m.const(rng.normal(0, 1, 4).astype(np.float32))
        options = Conv2DOptions(Padding.SAME, 1, 1, ActivationFunction.NONE, 1, 1)
        return m.finish(op, [x, w, b], [m.output((1, 6, 6, 4))], options, version=5)
    if op == "DEPTHWISE_CONV_2D":
        x, w = m.input((1, 6, 6, 3)), int8((1, 3, 3, 6), np.linspace(0.01, 0.04, 6), axis=3)
        b = m.const(rng.normal(0, 1, 6).astype(np.float32))
        options = DepthwiseConv2DOptions(Padding.SAME, 1, 1, 2, ActivationFunction.NONE, 1, 1)
        return m.finish(op, [x, w, b], [m.output((1, 6, 6, 6))], options, version=6)
    batch, depth, units, rank, memory = 2, 8, 4, 2, 6  # SVDF
    x, wf, wt = m.input((batch, depth)), int8((units * rank, depth), [0.02]), int8((units * rank, memory), [0.03])
    b = m.const(rng.normal(0, 1, units).astype(np.float32))
    state = m.tensor((batch, memory * units * rank), FLOAT, is_variable=True)
    return m.finish(op, [x, wf, wt, b, state], [m.output((batch, units))], SVDFOptions(rank, ActivationFunction.NONE),
                    version=2)


def _lstm_float(hybrid: bool = False, **variant) -> bytes:
    return lstm_model(np.random.default_rng(SEED), batch=2, steps=3, n_input=5, n_cell=4, n_output=3,
                      hybrid=hybrid, **variant)


# control flow and resource variables: the models of testing/families/control_flow.py, with fixed
# parameters (imported when built: that module draws from this one)
def _control_flow(builder: str, act: str, shape, **params) -> bytes:
    """``builder`` of the control-flow family on ``act`` tensors of ``shape``, quantized as the
    catalogue's inputs. A parameter named ``*steps`` lists operators, each given a constant from
    the catalogue's seed; ``init_value=True`` stands for such a constant."""
    from .families import control_flow

    rng = np.random.default_rng(SEED)

    def constant() -> np.ndarray:
        if act == FLOAT:
            return rng.uniform(-2, 2, shape).astype(np.float32)
        return rng.integers(-3, 3, shape, endpoint=True).astype(act)

    for name, value in params.items():
        if name.endswith("steps"):
            params[name] = [(op, constant()) for op in value]
        elif name == "init_value":
            params[name] = constant()
    q = dict(zip(("scale", "zero_point"), ACT_IN[act])) if act in ACT_IN else {}
    return getattr(control_flow, builder)(act, shape, q, **params)


# -- the catalogue ---------------------------------------------------------------------------------
def _c(name: str, fn: Callable[..., bytes], *args, description: str = "", references=("tflm", "tflite"),
       input_ranges=(), **kwargs) -> OpCase:
    op, dtype = name.split("/")[:2]
    return OpCase(name, op, dtype, functools.partial(fn, *args, **kwargs), description, tuple(references),
                  tuple(input_ranges))


LITERT_ONLY = ("tflite",)
TFLM_ONLY = ("tflm",)


def _custom(name: str, fn: Callable[..., bytes], *args, **kwargs) -> OpCase:
    """A case of one of TFLite Micro's custom operators, which LiteRT does not register."""
    return _c(name, fn, *args, references=TFLM_ONLY, **kwargs)


_A = ActivationFunction
OP_CASES: tuple[OpCase, ...] = (
    _c("CONV_2D/int8/per_channel", _conv2d, stride=2, padding=Padding.SAME, dilation=2,
       activation=_A.RELU6, description="3x3, stride 2, dilation 2, SAME, fused RELU6"),
    _c("CONV_2D/int8/per_tensor", _conv2d, per_channel=False, description="3x3 VALID"),
    _c("CONV_2D/int16x8", _conv2d, act="int16", version=4),
    _c("CONV_2D/float32", _conv2d, act=FLOAT, padding=Padding.SAME, version=1),
    _c("DEPTHWISE_CONV_2D/int8/multiplier1", _depthwise_conv2d, 1),
    _c("DEPTHWISE_CONV_2D/int8/multiplier2", _depthwise_conv2d, 2),
    _c("FULLY_CONNECTED/int8/per_tensor", _fully_connected),
    _c("FULLY_CONNECTED/int8/per_channel", _fully_connected, per_channel=True),
    _c("FULLY_CONNECTED/int8/keep_num_dims", _fully_connected, keep_num_dims=True, version=5),
    _c("FULLY_CONNECTED/int16x8", _fully_connected, act="int16", version=7),
    _c("FULLY_CONNECTED/float32", _fully_connected, act=FLOAT, version=1),
    _c("TRANSPOSE_CONV/int8", _transpose_conv, description="3x3 stride 2 SAME, per-channel, bias"),
    _c("AVERAGE_POOL_2D/int8", _pool, "AVERAGE_POOL_2D"),
    _c("MAX_POOL_2D/int8", _pool, "MAX_POOL_2D"),
    _c("ADD/int8", _binary, "ADD", AddOptions(), out_q=(0.12, -2)),
    _c("ADD/int8/broadcast", _binary, "ADD", AddOptions(), shapes=((1, 4, 4, 6), (1, 1, 1, 6)),
       out_q=(0.12, -2)),
    _c("ADD/int16x8", _binary, "ADD", AddOptions(pot_scale_int16=False), act="int16", version=3,
       out_q=(0.006, 0), description="general int16 scales (pot_scale_int16 false)"),
    _c("ADD/float32", _binary, "ADD", AddOptions(), act=FLOAT, version=1),
    _c("SUB/int8", _binary, "SUB", SubOptions(), out_q=(0.12, 3)),
    _c("MUL/int8/broadcast", _binary, "MUL", MulOptions(), shapes=((1, 4, 4, 6), (1, 4, 1, 6)),
       out_q=(0.4, -1)),
    _c("MEAN/int8", _mean, description="over H and W, keep_dims"),
    _c("MEAN/float32", _mean, act=FLOAT, version=1, description="over H and W, keep_dims"),
    # reductions, arg-reductions, normalisation and L2 pooling
    _c("MEAN/int16x8", _reduce, "MEAN", act="int16", version=3),
    _c("SUM/int8", _reduce, "SUM", version=2),
    _c("SUM/float32", _reduce, "SUM", act=FLOAT),
    _c("REDUCE_MAX/int8", _reduce, "REDUCE_MAX", version=2, out_q="in"),
    _c("REDUCE_MAX/float32", _reduce, "REDUCE_MAX", act=FLOAT),
    _c("REDUCE_MIN/int8", _reduce, "REDUCE_MIN", version=2, out_q="in"),
    _c("REDUCE_ALL/bool", _reduce, "REDUCE_ALL", act="bool", out_q=None),
    _c("ARG_MAX/int8", _arg, "ARG_MAX"),
    _c("ARG_MAX/float32", _arg, "ARG_MAX", act=FLOAT, version=1),
    _c("ARG_MIN/int8", _arg, "ARG_MIN"),
    _c("CUMSUM/int8", _cumsum, references=TFLM_ONLY, description="exclusive, along the middle axis"),
    _c("CUMSUM/float32", _cumsum, act=FLOAT),
    _c("L2_NORMALIZATION/int8", _l2_normalization),
    _c("L2_NORMALIZATION/float32", _l2_normalization, act=FLOAT, version=1),
    _c("L2_POOL_2D/float32", _l2_pool, description="2x2 stride 2"),
    _c("SOFTMAX/int8", _unary, "SOFTMAX", SoftmaxOptions(beta=1.0), (1 / 256, -128)),
    _c("LOGISTIC/int8", _unary, "LOGISTIC", None, (1 / 256, -128)),
    _c("TANH/int8", _unary, "TANH", None, (1 / 128, 0)),
    _c("RELU/int8", _unary, "RELU", None, "in", description="output quantization = input's"),
    _c("RELU6/int8", _unary, "RELU6", None, "in",
       description="output quantization = input's: TFLite Micro's RELU6 does not requantize"),
    _c("LEAKY_RELU/int8", _unary, "LEAKY_RELU", LeakyReluOptions(alpha=0.2), version=1),
    _c("HARD_SWISH/int8", _unary, "HARD_SWISH", version=1),
    _c("PRELU/int8", _prelu, description="per-channel alpha, broadcast"),
    _c("QUANTIZE/int8/from_float32", _quantize, FLOAT, "int8", 1),
    _c("QUANTIZE/int8/requantize", _quantize, "int8", "int8", 1),
    _c("QUANTIZE/int8/to_int16", _quantize, "int8", "int16", 2),
    _c("DEQUANTIZE/int8", _unary, "DEQUANTIZE", None, None, out_act=FLOAT),
    # quantization conversions with uint8 and int32 (family: quantization)
    _c("QUANTIZE/uint8/to_int8", _conversion, "QUANTIZE", "uint8", (1 / 255, 0), "int8", (1 / 255, -128), 1,
       description="an image input in [0, 255] to int8: the first node of OpenMV's models"),
    _c("QUANTIZE/uint8/from_int8", _conversion, "QUANTIZE", "int8", (0.05, -3), "uint8", (0.04, 128), 1),
    _c("QUANTIZE/int32/to_int16", _conversion, "QUANTIZE", "int32", (2.0**-20, 0), "int16", (0.004, 0), 4),
    _c("DEQUANTIZE/uint8", _conversion, "DEQUANTIZE", "uint8", (0.02, 128), FLOAT, None, 1),
    # SSD post-processing (family: quantization / detection)
    _c("TFLite_Detection_PostProcess/float32/fast", _detection_postprocess, False),
    _c("TFLite_Detection_PostProcess/float32/regular", _detection_postprocess, True),
    _c("RESHAPE/int8", _reshape),
    _c("SQUEEZE/int8", _squeeze),
    _c("EXPAND_DIMS/int8", _expand_dims),
    _c("CONCATENATION/int8", _concatenation),
    _c("PAD/int8", _pad, "PAD"),
    _c("PADV2/int8", _pad, "PADV2"),
    _c("STRIDED_SLICE/int8", _strided_slice),
    _c("TRANSPOSE/int8", _transpose),
    _c("SPLIT/int8", _split),
    _c("PACK/int8", _pack),
    _c("UNPACK/int8", _unpack),
    _c("SHAPE/int8", _shape),
    _c("SPLIT_V/int8", _split_v, description="sizes 2, -1, 3 along the last axis"),
    _c("GATHER/int8", _gather, description="axis 1, 2-D indices"),
    _c("GATHER/float32", _gather, act=FLOAT),
    _c("CAST/float32", _cast, description="float32 to int32"),
    _c("SLICE/int8", _slice, description="4-D, one size -1"),
    _c("FILL/int8", _fill),
    _c("REVERSE_V2/int8", _reverse_v2),
    _c("GATHER_ND/int8", _gather_nd),
    _c("ZEROS_LIKE/float32", _zeros_like),
    _c("BROADCAST_TO/int8", _broadcast_to),
    _c("BROADCAST_ARGS/int32", _broadcast_args),
    _c("SELECT_V2/int8", _select_v2, description="all three inputs broadcast"),
    _c("DEPTH_TO_SPACE/int8", _depth_to_space),
    _c("SPACE_TO_DEPTH/int8", _space_to_depth),
    _c("SPACE_TO_BATCH_ND/int8", _space_to_batch_nd, description="no padding (TFLite Micro's is uninitialized)"),
    _c("BATCH_TO_SPACE_ND/int8", _batch_to_space_nd, description="with crops"),
    _c("MIRROR_PAD/int8", _mirror_pad, description="SYMMETRIC"),
    _c("EMBEDDING_LOOKUP/float32", _embedding_lookup, input_ranges=((0, 0, 5),),
       description="int8 table dequantized to float32"),
    _c("DYNAMIC_UPDATE_SLICE/int8", _dynamic_update_slice),
    _c("TILE/int8", _tile, references=LITERT_ONLY, description="LiteRT only"),
    _c("SVDF/int8", _svdf, description="rank 2, int16 time weights and state, fused RELU"),
    _c("UNIDIRECTIONAL_SEQUENCE_LSTM/int8", _lstm_int8,
       description="3 steps, 4 cells, int16 cell state"),
    # the binary element-wise family (kernels/_binary.py); POW is absent: TFLite Micro lacks it
    _c("MAXIMUM/int8", _elementwise, "MAXIMUM", version=2),
    _c("MINIMUM/float32", _elementwise, "MINIMUM", act=FLOAT),
    _c("DIV/int8", _elementwise, "DIV", options=DivOptions(), version=2, input_ranges=((1, 7, 127),),
       description="divisors above the zero point (LiteRT fails on a divisor equal to it)"),
    _c("DIV/float32", _elementwise, "DIV", act=FLOAT, options=DivOptions(_A.RELU)),
    _c("SQUARED_DIFFERENCE/int8", _elementwise, "SQUARED_DIFFERENCE", version=2),
    _c("SQUARED_DIFFERENCE/float32", _elementwise, "SQUARED_DIFFERENCE", act=FLOAT),
    _c("FLOOR_DIV/float32", _elementwise, "FLOOR_DIV", act=FLOAT),
    _c("FLOOR_MOD/float32", _elementwise, "FLOOR_MOD", act=FLOAT),
    _c("EQUAL/int8", _elementwise, "EQUAL", out_dtype="bool", version=2),
    _c("NOT_EQUAL/float32", _elementwise, "NOT_EQUAL", act=FLOAT, out_dtype="bool"),
    _c("GREATER/int8", _elementwise, "GREATER", out_dtype="bool", version=2),
    _c("GREATER_EQUAL/int32", _elementwise, "GREATER_EQUAL", act="int32", out_dtype="bool"),
    _c("LESS/int8", _elementwise, "LESS", out_dtype="bool", version=2),
    _c("LESS_EQUAL/float32", _elementwise, "LESS_EQUAL", act=FLOAT, out_dtype="bool"),
    _c("LOGICAL_AND/bool", _elementwise, "LOGICAL_AND", act="bool"),
    _c("LOGICAL_OR/bool", _elementwise, "LOGICAL_OR", act="bool"),
    _c("LOGICAL_NOT/bool", _logical_not),
    _c("ADD_N/int8", _add_n, "int8", references=TFLM_ONLY),
    _c("ADD_N/float32", _add_n, FLOAT),
    # batch matrix multiplication
    _c("BATCH_MATMUL/int8", _batch_matmul, description="broadcast batch, constant rhs (transposed once)"),
    _c("BATCH_MATMUL/int8/adjoint", _batch_matmul, adj_x=True, adj_y=True, constant_rhs=False,
       description="adj_x and adj_y, rhs a second input"),
    _c("BATCH_MATMUL/int16x8", _batch_matmul, act="int16", constant_rhs=False, version=3,
       description="int16 operands, rhs a second input"),
    _c("BATCH_MATMUL/float32", _batch_matmul, act=FLOAT, adj_x=True, version=1),
    # resizes
    _c("RESIZE_NEAREST_NEIGHBOR/int8", _resize, "RESIZE_NEAREST_NEIGHBOR", half_pixel_centers=True,
       version=3, description="4x5 to 7x9, half-pixel centers"),
    _c("RESIZE_NEAREST_NEIGHBOR/int16x8", _resize, "RESIZE_NEAREST_NEIGHBOR", act="int16", version=4),
    _c("RESIZE_NEAREST_NEIGHBOR/float32", _resize, "RESIZE_NEAREST_NEIGHBOR", act=FLOAT, out_hw=(3, 2),
       align_corners=True, version=1, description="4x5 to 3x2, align corners"),
    _c("RESIZE_BILINEAR/int8", _resize, "RESIZE_BILINEAR", half_pixel_centers=True, version=3,
       description="4x5 to 7x9, half-pixel centers"),
    _c("RESIZE_BILINEAR/float32", _resize, "RESIZE_BILINEAR", act=FLOAT, align_corners=True, version=1,
       description="4x5 to 7x9, align corners"),
    # weights that are not plain constants: run-time weights (both references), hybrid (LiteRT)
    _c("FULLY_CONNECTED/int8/runtime_weights", _runtime_weights, "FULLY_CONNECTED",
       description="weights and bias are model inputs"),
    _c("CONV_2D/int8/runtime_weights", _runtime_weights, "CONV_2D", description="filter and bias are model inputs"),
    _c("DEPTHWISE_CONV_2D/int8/runtime_weights", _runtime_weights, "DEPTHWISE_CONV_2D",
       description="filter and bias are model inputs"),
    _c("UNIDIRECTIONAL_SEQUENCE_LSTM/float32", _lstm_float, description="the standard LSTM, 3 steps"),
    _c("UNIDIRECTIONAL_SEQUENCE_LSTM/float32/variants", _lstm_float, cifg=True, peephole=True, projection=True,
       projection_bias=True, layer_norm=True, references=LITERT_ONLY, description="CIFG, peephole, projection and layer norm (LiteRT)"),
    _c("FULLY_CONNECTED/hybrid", _hybrid, "FULLY_CONNECTED", references=LITERT_ONLY, description="float32 input, int8 weights (LiteRT)"),
    _c("CONV_2D/hybrid", _hybrid, "CONV_2D", references=LITERT_ONLY, description="per-channel int8 filter (LiteRT)"),
    _c("DEPTHWISE_CONV_2D/hybrid", _hybrid, "DEPTHWISE_CONV_2D", references=LITERT_ONLY, description="per-channel int8 filter (LiteRT)"),
    _c("SVDF/hybrid", _hybrid, "SVDF", references=LITERT_ONLY, description="int8 feature and time weights (LiteRT)"),
    _c("UNIDIRECTIONAL_SEQUENCE_LSTM/hybrid", _lstm_float, hybrid=True, peephole=True, projection=True,
       references=LITERT_ONLY, description="int8 gate, peephole and projection weights (LiteRT)"),
    # unary math and activations (kernels/_unary.py); CEIL, ROUND and ELU are TFLite Micro's only
    *(_c(f"{op}/float32", _unary, op, None, None, version=1, act=FLOAT,
         references=TFLM_ONLY if op in ("CEIL", "ROUND", "ELU") else ("tflm", "tflite"))
      for op in ("ABS", "NEG", "EXP", "LOG", "SQRT", "RSQRT", "SIN", "COS", "FLOOR", "CEIL", "ROUND",
                 "SQUARE", "ELU", "LOG_SOFTMAX")),
    _c("ABS/int8", _unary, "ABS", None, "out", description="different input and output scales"),
    _c("ABS/int16x8", _unary, "ABS", None, "out", version=3, act="int16"),
    _c("RSQRT/int8", _unary, "RSQRT", None, "out", input_ranges=((0, -3, 127),),
       description="inputs at or above the zero point (the references fail on one below it)"),
    _c("RSQRT/int16x8", _unary, "RSQRT", None, "out", version=3, act="int16", input_ranges=((0, 0, 32767),),
       description="non-negative inputs (the references fail on a negative one)"),
    _c("ELU/int8", _unary, "ELU", None, "out", version=1, references=TFLM_ONLY),
    _c("LOG_SOFTMAX/int8", _unary, "LOG_SOFTMAX", None, (16 / 256, 127),
       description="the fixed output quantization, 16/256 and 127"),
    _c("LOGISTIC/int16x8", _unary, "LOGISTIC", None, (2.0**-15, 0), version=3, act="int16"),
    # TFLite Micro's custom operators: the signal library's audio front end, CIRCULAR_BUFFER
    _custom("SignalWindow/int16x8", SM.window, (2, 2, 16), description="Hann window, shift 12"),
    _custom("SignalFftAutoScale/int16x8", SM.fft_auto_scale, 32),
    _custom("SignalEnergy/int16x8", SM.energy, 17),
    _custom("SignalFilterBank/uint32", SM.filter_bank, 10, 33, description="10 mel channels over 33 bins"),
    _custom("SignalFilterBankSquareRoot/uint64", SM.filter_bank_square_root, 10, None,
       description="the shift a model input"),
    _custom("SignalFilterBankLog/uint32", SM.filter_bank_log, 10),
    _custom("SignalFilterBankSpectralSubtraction/uint32", SM.filter_bank_spectral_subtraction, 10),
    _custom("SignalPCAN/uint32", SM.pcan, 10),
    _custom("SignalDelay/int16x8", SM.delay, (3, 8), 5, description="3 rows, 5 samples of delay"),
    _custom("SignalFramer/int16x8", SM.framer, (2, 12), 10, 4, description="prefilled, 3 frames a row"),
    _custom("SignalStacker/int16x8", SM.stacker, 5, 3),
    _custom("SignalOverlapAdd/int16x8", SM.overlap_add, (2, 3, 8), 4),
    _custom("SignalOverlapAdd/float32", SM.overlap_add, (3, 6), 2, "float32"),
    _custom("SignalRfft/int16x8", SM.rfft, "int16", (2, 30), 32, description="rows of 30 samples padded to 32"),
    _custom("SignalRfft/int32", SM.rfft, "int32", (48,), 48, description="radix 4, 3 and 2"),
    _custom("SignalRfft/float32", SM.rfft, "float32", (2, 40), 40, description="radix 4 and 5"),
    _custom("SignalIrfft/int16x8", SM.irfft, "int16", (3,), 64),
    _custom("SignalIrfft/int32", SM.irfft, "int32", (2,), 24),
    _custom("SignalIrfft/float32", SM.irfft, "float32", (2,), 30, description="radix 3 and 5"),
    _custom("CIRCULAR_BUFFER/int8", SM.circular_buffer, 1, 2, 8, description="one slot (older slots start as arena garbage)"),
    _custom("CIRCULAR_BUFFER/int8/valid", SM.circular_buffer, 1, 1, 16, 3, True,
       description="period 3, with the valid output"),
    _custom("TFLM_DECODE/int8", SM.decode, (8, 3, 3, 4), 4, "int8", 8, description="4-bit LUT, 8 channels on axis 0"),
    _custom("TFLM_DECODE/float32", SM.decode, (5, 7), 3, "float32", 7, True, pairs=2,
       description="two 3-bit LUTs, tables along the last axis"),
    _custom("TFLM_DECODE/int8/pruned", SM.decode, (6, 5), 1, "int8", 6, pairs=2, pruned=True, zero_points=[-3, 0, 5, 7, 1, -128],
       description="two pruned tensors, int8 zero points per channel"),
    _custom("TFLM_DECODE/int16x8/pruned", SM.decode, (3, 9), 1, "int16", pruned=True),
    # control flow and resource variables (testing/families/control_flow.py); a resource
    # variable's case needs its VAR_HANDLE, ASSIGN_VARIABLE and READ_VARIABLE together
    _c("IF/int8", _control_flow, "if_model", "int8", (2, 3), carried=1, condition="input",
       then_steps=("ADD",), else_steps=("SUB",), description="then ADD, else SUB, with constants"),
    _c("IF/float32", _control_flow, "if_model", FLOAT, (4,), carried=2, condition="input[1]",
       then_steps=("MUL",), else_steps=(), nested=(True, [], []),
       description="two carried tensors, an IF nested in the then-branch"),
    _c("WHILE/int8", _control_flow, "while_model", "int8", (2, 4), floor=0, limit=3, start=-1,
       steps=("ADD",), description="counter from -1 to 3, body ADD"),
    _c("WHILE/int32", _control_flow, "while_model", "int32", (3,), floor=0, limit=4, start=-2,
       split=1, steps=("MUL",), other_steps=("SUB",),
       description="the body picks its step with a nested IF"),
    _c("CALL_ONCE/int8", _control_flow, "call_once_model", "int8", (2, 3), init_value=True,
       description="the init assigns two variables"),
    _c("VAR_HANDLE/int8", _control_flow, "variable_model", "int8", (2, 3), read_first=False,
       steps=()),
    _c("READ_VARIABLE/int16x8", _control_flow, "variable_model", "int16", (5,), read_first=False,
       steps=()),
    _c("ASSIGN_VARIABLE/float32", _control_flow, "variable_model", FLOAT, (2, 2), read_first=False,
       steps=()),
)

_BY_NAME = {c.name: c for c in OP_CASES}


def case(name: str) -> OpCase:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"no op case {name!r}; the cases are {sorted(_BY_NAME)}") from None


def build(name: str) -> bytes:
    """The .tflite bytes of the catalogue case ``name``."""
    return case(name).build()


def random_inputs(model: bytes | Model, rng: np.random.Generator) -> list[np.ndarray]:
    """Inputs for the main subgraph: integers over their type's full range, floats in [-1, 1]."""
    inputs = []
    for tensor in (model if isinstance(model, Model) else load(model)).main.input_tensors():
        if any(d < 0 for d in tensor.shape):
            raise ModelError(f"input {tensor.name!r} has shape {list(tensor.shape)}: no values for a "
                             f"dimension that is not known (-1)")
        dtype = tensor.type.numpy_dtype
        if dtype == np.bool_:
            inputs.append(rng.integers(0, 2, size=tensor.shape).astype(np.bool_))
        elif np.issubdtype(dtype, np.integer):
            info = np.iinfo(dtype)
            if dtype == np.uint64:  # past int64's range
                inputs.append(rng.integers(0, info.max, size=tensor.shape, endpoint=True, dtype=np.uint64))
            else:
                inputs.append(rng.integers(info.min, info.max, size=tensor.shape, endpoint=True).astype(dtype))
        elif np.issubdtype(dtype, np.floating):
            inputs.append(rng.uniform(-1.0, 1.0, tensor.shape).astype(dtype))
        else:
            raise ValueError(f"input {tensor.name!r}: no random values for type {tensor.type.name}")
    return inputs


# -- models with more than one subgraph, or with metadata ------------------------------------------
def _add_relu(g, shape=(1, 4, 6)) -> tuple[dict[str, int], dict[str, int]]:
    """int8 ADD of two inputs, then RELU, into subgraph builder ``g``; its signature's maps."""
    (in_scale, in_zp), (out_scale, out_zp) = ACT_IN["int8"], ACT_OUT["int8"]
    a = g.add_input("a", shape, "int8", scale=in_scale, zero_point=in_zp)
    b = g.add_input("b", shape, "int8", scale=in_scale, zero_point=in_zp)
    s = g.add_tensor("sum", shape, "int8", scale=out_scale, zero_point=out_zp)
    y = g.add_output("y", shape, "int8", scale=out_scale, zero_point=out_zp)
    g.add_operator("ADD", [a, b], [s], AddOptions(), version=2)
    g.add_operator("RELU", [s], [y], version=2)
    return {"a": a, "b": b}, {"y": y}


def multi_subgraph_model() -> bytes:
    """A main subgraph (ADD + RELU) and a second subgraph nothing calls, each with a signature."""
    builder = ModelBuilder(description="microinfer.testing: two subgraphs")
    main_signature = _add_relu(builder.main)
    second = builder.add_subgraph("second")
    x = second.add_input("x", (1, 8), "int8", scale=0.05, zero_point=-3)
    y = second.add_output("y", (1, 8), "int8", scale=0.05, zero_point=-3)
    second.add_operator("RELU", [x], [y], version=2)
    builder.add_signature("main", *main_signature, subgraph_index=0)
    builder.add_signature("second", {"x": x}, {"y": y}, subgraph_index=1)
    return builder.build()


def model_with_metadata() -> bytes:
    """ADD + RELU with an offline memory plan (TFLM metadata), a version string and a signature.

    Its main subgraph is that of :func:`multi_subgraph_model`, so the two compute the same.
    """
    builder = ModelBuilder(description="microinfer.testing: metadata")
    signature = _add_relu(builder.main)
    # a, b, sum, y: 24 bytes each; `y` reuses the place of `a`, dead once ADD has run.
    builder.add_offline_memory_allocation([0, 32, 64, 0])
    builder.add_metadata("min_runtime_version", b"1.5.0\0\0\0\0\0\0\0\0\0\0\0")
    builder.add_signature("serving_default", *signature)
    return builder.build()
