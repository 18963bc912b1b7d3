"""DEPTHWISE_CONV_2D: per-channel 2-D convolution with any depth multiplier, int8 / int16x8 /
float32, and (LiteRT) uint8 with a filter zero point and one multiplier for the tensor.

Output channel ``c * depth_multiplier + m`` filters input channel ``c`` with filter slice
``[0, :, :, c * depth_multiplier + m]``. The sum runs as one vectorised multiply-add per filter
tap over a strided view of the zero-padded input (exact integers in float64).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType
from . import _conv_util as cu
from . import common
from .registry import Kernel, Node, register


@dataclass(frozen=True)
class DepthwiseData:
    output_shape: tuple[int, ...]
    multiplier: int  # depth multiplier
    weights: np.ndarray  # (kh, kw, in_channels, depth_multiplier), float64 or float32
    stride: tuple[int, int]
    dilation: tuple[int, int]
    pad: tuple[int, int]
    output: cu.OutputStage


def _four_dimensional(node: Node) -> bool:
    """Input, filter and output are 4-D, and the filter's first dimension is 1"""
    x, w, y = node.input(0), node.input(1), node.outputs[0]
    return cu.tensors_4d(x, w, y) and w.shape[0] == 1


def _depth_multiplier_consistent(node: Node) -> bool:
    """depth_multiplier * input channels equals the filter's and the output's channels"""
    x, w, y = node.input(0), node.input(1), node.outputs[0]
    if not _four_dimensional(node):
        return True  # left to _four_dimensional
    m = node.options.depth_multiplier
    return m >= 1 and x.shape[3] * m == w.shape[3] == y.shape[3]


def _output_shape_matches(node: Node) -> bool:
    """The output shape is (batches, out_height, out_width, channels) as SAME/VALID padding gives"""
    x, w, y = node.input(0), node.input(1), node.outputs[0]
    if not _four_dimensional(node):
        return True  # left to _four_dimensional
    return tuple(y.shape) == (x.shape[0], *cu.spatial_output_size(node, x, w), w.shape[3])


def _bias_valid(node: Node) -> bool:
    """Bias, when given, has one element per output channel and is int32 (int8, uint8), int64 (int16) or float32"""
    x, w, b = node.input(0), node.input(1), node.input(2)
    if b is None or not cu.tensors_4d(x, w):
        return True
    if b.num_elements != w.shape[-1]:
        return False
    expected = {TensorType.INT8: TensorType.INT32, TensorType.UINT8: TensorType.INT32,
                TensorType.INT16: TensorType.INT64}.get(x.type, TensorType.FLOAT32)
    return b.type is expected


def _has_bias(node: Node) -> bool:
    """A bias tensor is given (LiteRT requires one; TFLite Micro crashes without one)"""
    return node.input(2) is not None


_filter_quantization = cu.filter_quantization(
    1, 3, "A quantized filter has one scale or one per output channel (dimension 3)"
)


def _requantizer_in_range(node: Node) -> bool:
    """input_scale * filter_scale / output_scale is below 2**30 (2**14 for int16x8)"""
    x, w, y = node.input(0), node.input(1), node.outputs[0]
    if not cu.filter_types_supported_int4(node) or x.type is TensorType.FLOAT32:
        return True
    if not _filter_quantization(node) or not cu.tensors_4d(w):
        return True
    return cu.multipliers_in_range(x, w, y, w.shape[3], wide=x.type is TensorType.INT16)


@register("DEPTHWISE_CONV_2D", versions=range(1, 8), types=("int8", "int4x8", "int16x8", "uint8", "float32"))
class DepthwiseConv2D(Kernel):
    constraints = (
        cu.filter_types_supported_int4,
        common.tflm_refuses_uint8,
        cu.constant_filter_and_bias,
        _four_dimensional,
        _depth_multiplier_consistent,
        cu.strides_dilations_positive,
        _output_shape_matches,
        _bias_valid,
        _has_bias,
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

    def prepare(self, node: Node) -> DepthwiseData:
        x, w, b = node.input(0), node.input(1), node.input(2)
        y = node.outputs[0]
        o = node.options
        _, kh, kw, cout = w.shape
        m = o.depth_multiplier
        cin = x.shape[3]
        _, pad_h = cu.conv_padding(o.padding, o.stride_h, o.dilation_h_factor, x.shape[1], kh)
        _, pad_w = cu.conv_padding(o.padding, o.stride_w, o.dilation_w_factor, x.shape[2], kw)
        is_float = x.type is TensorType.FLOAT32
        weights = (np.asarray(w.data, np.float32) if is_float else cu.filter_values(w)).reshape(kh, kw, cin, m)
        if not is_float:
            weights = weights.astype(cu.exact_accumulator_dtype(kh * kw, cu.max_input_magnitude(x),
                                                                cu.max_filter_magnitude(w)))
        return DepthwiseData(
            output_shape=tuple(y.shape),
            multiplier=m,
            weights=weights,
            stride=(o.stride_h, o.stride_w),
            dilation=(o.dilation_h_factor, o.dilation_w_factor),
            pad=(pad_h, pad_w),
            output=cu.make_output_stage(node, x, w, b, y, cout, wide=x.type is TensorType.INT16),
        )

    def eval(self, data: DepthwiseData, inputs):
        x = inputs[0]
        n, oh, ow, cout = data.output_shape
        kh, kw, cin, m = data.weights.shape
        dtype = data.weights.dtype
        xf = x.astype(dtype)
        if data.output.input_offset:
            xf += data.output.input_offset  # padding then contributes 0, as the reference skips it
        cols = cu.patches(xf, data.pad[0], data.pad[1], oh, ow, kh, kw, *data.stride, *data.dilation)
        acc = np.zeros((n, oh, ow, cin, m), dtype)
        # Same tap order as the reference (filter_y outer, filter_x inner).
        for i in range(kh):
            for j in range(kw):
                acc += cols[:, :, :, i, j, :, None] * data.weights[i, j]
        return [data.output(acc.reshape(n, oh, ow, cout))]
