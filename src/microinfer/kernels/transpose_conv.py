"""TRANSPOSE_CONV: transposed 2-D convolution, int8 / int16x8 / float32.

Inputs: (output_shape, weights (out_channels, kh, kw, in_channels), input, optional bias). Each
input pixel scatters ``input[b, y, x, :] @ weights[:, i, j, :].T`` to output pixel
``(y * stride_h - pad_h + i, x * stride_w - pad_w + j)``. One float64 BLAS matmul computes every
(pixel, tap) product, then one strided add per tap scatters them (exact integers in float64).
The padding comes from the output size, as TFLite computes it.

The output_shape input: TFLite Micro ignores it (constant or fed at run time, whatever its type or
values) and computes the output tensor's declared shape. LiteRT sizes the output from it: a
constant must equal the declared shape, and one fed at run time must hold the declared shape when
the model runs (microinfer's shapes are static), else ``eval`` raises (LiteRT would resize the
output to the fed shape, or fail when it does not fit the input).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InvalidInputError
from ..tflite.types import TensorType
from . import _conv_util as cu
from . import _shapes, common
from .registry import TFLM, Kernel, Node, register

_OUTPUT_SHAPE, _WEIGHTS, _INPUT, _BIAS = 0, 1, 2, 3


@dataclass(frozen=True)
class TransposeConvData:
    output_shape: tuple[int, ...]
    check_fed_shape: bool  # LiteRT with an output_shape fed at run time: it must be output_shape
    weights: np.ndarray  # (in_channels, kh * kw * out_channels), float64
    kernel: tuple[int, int]
    stride: tuple[int, int]
    pad: tuple[int, int]
    output: cu.OutputStage


def _types_supported(node: Node) -> bool:
    """Input/output int8 with int8 weights, int16 with int8 weights, or all float32"""
    return cu.types_supported(node.input(_INPUT), node.input(_WEIGHTS), node.outputs[0])


def _constant_tensors(node: Node) -> bool:
    """Weights (and bias, when given) are constant tensors"""
    return all(t is None or t.is_constant for t in (node.input(_WEIGHTS), node.input(_BIAS)))


def _litert_output_shape(node: Node) -> bool:
    s, y = node.input(_OUTPUT_SHAPE), node.outputs[0]
    if s is None or s.type is not TensorType.INT32 or tuple(s.shape) != (4,):
        return False
    if not s.is_constant:
        return True
    return tuple(int(v) for v in np.asarray(s.data).reshape(-1)) == tuple(y.shape)


_output_shape_tensor = _shapes.litert_only(
    _litert_output_shape,
    "With reference='tflite': output_shape is a 1-D int32 tensor of 4 values, fed at run time or "
    "constant and equal to the output tensor's shape (TFLite Micro ignores it)",
)


def _shapes_consistent(node: Node) -> bool:
    """Input and weights are 4-D; weights' in/out channels match the input's and the output's, and batches match"""
    x, w, y = node.input(_INPUT), node.input(_WEIGHTS), node.outputs[0]
    if not cu.tensors_4d(x, w, y):
        return False
    return w.shape[3] == x.shape[3] and w.shape[0] == y.shape[3] and x.shape[0] == y.shape[0]


def _litert_input_size_consistent(node: Node) -> bool:
    """LiteRT: the input's height and width are what a convolution of the output size gives"""
    if node.reference == TFLM:
        return True
    x, w, y = node.input(_INPUT), node.input(_WEIGHTS), node.outputs[0]
    if not cu.tensors_4d(x, w, y):
        return True  # left to _shapes_consistent
    o = node.options
    return (
        cu.output_size(o.padding, y.shape[1], w.shape[1], o.stride_h, 1) == x.shape[1]
        and cu.output_size(o.padding, y.shape[2], w.shape[2], o.stride_w, 1) == x.shape[2]
    )


def _strides_positive(node: Node) -> bool:
    """Strides are at least 1"""
    return node.options.stride_h >= 1 and node.options.stride_w >= 1


_bias_valid = cu.bias_per_output_channel(
    (_INPUT, _WEIGHTS, _BIAS), TensorType.INT16,
    "Bias, when given, has one element per output channel and is int32 (int8), int64 (int16; TFLite Micro also int16) or float32",
)


_filter_quantization = cu.filter_quantization(
    _WEIGHTS, 0, "Quantized weights have one scale or one per output channel (dimension 0)"
)


def _requantizer_in_range(node: Node) -> bool:
    """input_scale * filter_scale / output_scale is below 2**30 (2**14 for int16x8)"""
    x, w, y = node.input(_INPUT), node.input(_WEIGHTS), node.outputs[0]
    if not _types_supported(node) or x.type is TensorType.FLOAT32:
        return True
    if not _filter_quantization(node) or not cu.tensors_4d(w):
        return True
    return cu.multipliers_in_range(x, w, y, w.shape[0], wide=x.type is TensorType.INT16)


def _weights_zero_points(node: Node) -> bool:
    """Quantized weights have all zero points equal to 0"""
    return cu.zero_filter_zero_points(node)


@register("TRANSPOSE_CONV", versions=range(1, 6), types=("int8", "int16x8", "float32"), inputs=(3, 4), outputs=1,
          optional_inputs=(3,))
class TransposeConv(Kernel):
    constraints = (
        _types_supported,
        _constant_tensors,
        _output_shape_tensor,
        _shapes_consistent,
        _strides_positive,
        _litert_input_size_consistent,
        _bias_valid,
        cu.int16_zero_points(_INPUT),
        _filter_quantization,
        _weights_zero_points,
        common.supported_activation,
        common.quantized_tensors_have_parameters,
        cu.positive_scales,
        _requantizer_in_range,
    )

    def prepare(self, node: Node) -> TransposeConvData:
        x, w, b = node.input(_INPUT), node.input(_WEIGHTS), node.input(_BIAS)
        y = node.outputs[0]
        o = node.options
        cout, kh, kw, cin = w.shape
        # TFLite derives the padding from the output size, as if it were a convolution's input.
        _, pad_h = cu.conv_padding(o.padding, o.stride_h, 1, y.shape[1], kh)
        _, pad_w = cu.conv_padding(o.padding, o.stride_w, 1, y.shape[2], kw)
        weights = np.ascontiguousarray(
            np.asarray(w.data, np.float64).transpose(3, 1, 2, 0).reshape(cin, kh * kw * cout)
        )
        if x.type is not TensorType.FLOAT32:
            cu.assert_exact_in_float64(kh * kw * cin, cu.max_input_magnitude(x))
        fed = node.input(_OUTPUT_SHAPE)
        return TransposeConvData(
            output_shape=tuple(y.shape),
            check_fed_shape=node.reference != TFLM and fed is not None and not fed.is_constant,
            weights=weights, kernel=(kh, kw),
            stride=(o.stride_h, o.stride_w), pad=(pad_h, pad_w),
            output=cu.make_output_stage(node, x, w, b, y, cout, wide=x.type is TensorType.INT16),
        )

    def eval(self, data: TransposeConvData, inputs):
        if data.check_fed_shape:
            _check_fed_output_shape(inputs[_OUTPUT_SHAPE], data.output_shape)
        x = inputs[_INPUT]
        n, oh, ow, cout = data.output_shape
        _, ih, iw, cin = x.shape
        kh, kw = data.kernel
        sh, sw = data.stride
        pad_h, pad_w = data.pad
        xf = x.astype(np.float64).reshape(-1, cin)
        if data.output.input_offset:
            xf += data.output.input_offset
        products = (xf @ data.weights).reshape(n, ih, iw, kh, kw, cout)
        full_h = max((ih - 1) * sh + kh, pad_h + oh)
        full_w = max((iw - 1) * sw + kw, pad_w + ow)
        acc = np.zeros((n, full_h, full_w, cout), np.float64)
        for i in range(kh):
            for j in range(kw):
                acc[:, i : i + (ih - 1) * sh + 1 : sh, j : j + (iw - 1) * sw + 1 : sw, :] += products[:, :, :, i, j, :]
        acc = acc[:, pad_h : pad_h + oh, pad_w : pad_w + ow, :]
        return [data.output(acc)]


def _check_fed_output_shape(fed: np.ndarray, declared: tuple[int, ...]) -> None:
    """LiteRT: an output_shape fed at run time decides the output's shape; it must be the
    declared one, which is all a static shape can hold."""
    values = [int(v) for v in np.asarray(fed).reshape(-1)]
    if tuple(values) != tuple(declared):
        raise InvalidInputError(
            f"TRANSPOSE_CONV: the output_shape input is {values} but the output tensor is declared "
            f"{list(declared)}; LiteRT would resize the output to the fed shape (or fail when it does "
            f"not fit the input), which a static shape cannot follow. TFLite Micro ignores the fed "
            f"value (reference='tflm')"
        )
