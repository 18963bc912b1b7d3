"""CONV_2D: 2-D convolution (with groups), int8 / int16x8 / float32, and (LiteRT) uint8.

uint8 is LiteRT's legacy asymmetric scheme: the filter has a zero point too, one multiplier for
the tensor from the float32 product of the input and filter scales.

im2col is a strided view of the zero-padded input; the products are summed by one float64 BLAS
matmul (per group), exact for integer data (see ``_conv_util``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType
from . import _conv_util as cu
from . import common
from .registry import TFLM, Kernel, Node, register


@dataclass(frozen=True)
class ConvData:
    output_shape: tuple[int, ...]
    groups: int
    weights: np.ndarray  # (groups, kh*kw*cin_per_group, cout_per_group), float32/64: exact sums
    kernel: tuple[int, int]
    stride: tuple[int, int]
    dilation: tuple[int, int]
    pad: tuple[int, int]
    output: cu.OutputStage


def _four_dimensional(node: Node) -> bool:
    """Input, filter and output are 4-D"""
    return cu.tensors_4d(node.input(0), node.input(1), node.outputs[0])


def _groups_valid(node: Node) -> bool:
    """Input channels are a multiple of the filter's input channels, and the groups divide the filters"""
    x, w = node.input(0), node.input(1)
    if not cu.tensors_4d(x, w):
        return True  # left to _four_dimensional
    if w.shape[3] <= 0 or x.shape[3] % w.shape[3]:
        return False
    groups = x.shape[3] // w.shape[3]
    return groups >= 1 and w.shape[0] % groups == 0


def _output_shape_matches(node: Node) -> bool:
    """The output shape is (batches, out_height, out_width, filters) as SAME/VALID padding gives"""
    x, w, y = node.input(0), node.input(1), node.outputs[0]
    if not cu.tensors_4d(x, w, y):
        return True  # left to _four_dimensional
    return tuple(y.shape) == (x.shape[0], *cu.spatial_output_size(node, x, w), w.shape[0])


_bias_valid = cu.bias_per_output_channel(
    (0, 1, 2), TensorType.INT32,
    "Bias, when given, has one element per filter and is int32 (int8, uint8), int64 (int16; TFLite Micro also int32) or float32",
)


_filter_quantization = cu.filter_quantization(
    1, 0, "A quantized filter has one scale or one per output channel (dimension 0)"
)


def _bias_required_by_litert(node: Node) -> bool:
    """LiteRT requires a bias tensor"""
    return node.reference == TFLM or node.input(2) is not None


def _requantizer_in_range(node: Node) -> bool:
    """input_scale * filter_scale / output_scale is below 2**30 (2**14 for int16x8 with 64-bit accumulation)"""
    x, w, y = node.input(0), node.input(1), node.outputs[0]
    if not cu.filter_types_supported_int4(node) or x.type is TensorType.FLOAT32:
        return True
    if not _filter_quantization(node) or not _four_dimensional(node):
        return True
    wide = x.type is TensorType.INT16 and _uses_wide_accumulator(node)
    return cu.multipliers_in_range(x, w, y, w.shape[0], wide)


def _uses_wide_accumulator(node: Node) -> bool:
    """int16 conv sums in int64 (int64 or no bias); TFLite Micro sums in int32 with an int32 bias."""
    b = node.input(2)
    return b is None or b.type is TensorType.INT64


@register("CONV_2D", versions=range(1, 9), types=("int8", "int4x8", "int16x8", "uint8", "float32"))
class Conv2D(Kernel):
    constraints = (
        cu.filter_types_supported_int4,
        common.tflm_refuses_uint8,
        cu.constant_filter_and_bias,
        _four_dimensional,
        _groups_valid,
        cu.strides_dilations_positive,
        _output_shape_matches,
        _bias_valid,
        _bias_required_by_litert,
        cu.int16_zero_points(0),
        _filter_quantization,
        cu.zero_filter_zero_points,
        common.supported_activation,
        common.quantized_tensors_have_parameters,
        common.uint8_tensors_have_parameters,
        cu.uint8_filter_per_tensor,
        cu.positive_scales,
        cu.uint8_bias_scale_matches,
        _requantizer_in_range,
    )

    def prepare(self, node: Node) -> ConvData:
        x, w, b = node.input(0), node.input(1), node.input(2)
        y = node.outputs[0]
        o = node.options
        cout, kh, kw, cin_g = w.shape
        groups = x.shape[3] // cin_g
        cout_g = cout // groups
        oh, pad_h = cu.conv_padding(o.padding, o.stride_h, o.dilation_h_factor, x.shape[1], kh)
        ow, pad_w = cu.conv_padding(o.padding, o.stride_w, o.dilation_w_factor, x.shape[2], kw)
        # (cout, kh, kw, cin_g) -> (groups, kh*kw*cin_g, cout_g), matching the im2col column order.
        weights = cu.filter_values(w).reshape(groups, cout_g, kh * kw * cin_g).transpose(0, 2, 1)
        weights = np.ascontiguousarray(weights)
        if x.type is not TensorType.FLOAT32:
            weights = weights.astype(cu.exact_accumulator_dtype(kh * kw * cin_g, cu.max_input_magnitude(x),
                                                                cu.max_filter_magnitude(w)))
        wide = x.type is TensorType.INT16 and _uses_wide_accumulator(node)
        return ConvData(
            output_shape=tuple(y.shape),
            groups=groups,
            weights=weights,
            kernel=(kh, kw),
            stride=(o.stride_h, o.stride_w),
            dilation=(o.dilation_h_factor, o.dilation_w_factor),
            pad=(pad_h, pad_w),
            output=cu.make_output_stage(node, x, w, b, y, cout, wide),
        )

    def eval(self, data: ConvData, inputs):
        x = inputs[0]
        n, oh, ow, cout = data.output_shape
        kh, kw = data.kernel
        xf = x.astype(data.weights.dtype)
        if data.output.input_offset:
            xf += data.output.input_offset  # padding then contributes 0, as the reference skips it
        cols = cu.patches(xf, data.pad[0], data.pad[1], oh, ow, kh, kw, *data.stride, *data.dilation)
        rows = n * oh * ow
        if data.groups == 1:
            acc = cols.reshape(rows, -1) @ data.weights[0]
        else:
            g = data.groups
            grouped = cols.reshape(rows, kh * kw, g, -1).transpose(2, 0, 1, 3).reshape(g, rows, -1)
            acc = np.matmul(grouped, data.weights).transpose(1, 0, 2).reshape(rows, cout)
        return [data.output(acc).reshape(data.output_shape)]
