"""DEPTHWISE_CONV_2D: per-channel 2-D convolution with any depth multiplier, int8 / int16x8 /
float32, and (LiteRT) uint8 with a filter zero point and one multiplier for the tensor.

Output channel ``c * depth_multiplier + m`` filters input channel ``c`` with filter slice
``[0, :, :, c * depth_multiplier + m]``. The sum runs as one vectorised multiply-add per filter
tap over a strided view of the zero-padded input (exact integers in float64).

Hybrid (float32 input and output, int8 filter; LiteRT only, see :mod:`._hybrid`): LiteRT's
reference ``DepthwiseConvHybridPerChannel`` quantizes each batch's whole image asymmetrically,
skips padding, and computes ``sum * (channel_scale * input_scale) + bias``; it reads one filter
scale per output channel.

Filter and bias may be computed at run time; eval then lays them out as prepare does for
constants.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType
from . import _conv_util as cu
from . import _hybrid, common
from .fixedpoint import wrap_int32
from .registry import Kernel, Node, register


@dataclass(frozen=True)
class DepthwiseData:
    output_shape: tuple[int, ...]
    multiplier: int  # depth multiplier
    weights: np.ndarray  # (kh, kw, in_channels, depth_multiplier), float64 or float32
    stride: tuple[int, int]
    dilation: tuple[int, int]
    pad: tuple[int, int]
    output: cu.OutputStage | None  # None: hybrid
    runtime_filter: bool = False  # weights is None: laid out from the input in eval
    runtime_bias: bool = False
    weights_dtype: type = np.float64
    # hybrid only
    channel_scale: np.ndarray | None = None  # float32 per output channel
    float_bias: np.ndarray | None = None
    act_min: float = 0.0
    act_max: float = 0.0


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
    """A bias tensor is given (TFLite Micro crashes without one; LiteRT requires one, but runs a hybrid layer that lists only two inputs)"""
    return node.input(2) is not None or (cu.is_hybrid(node) and len(node.inputs) == 2)


_filter_quantization = cu.filter_quantization(
    1, 3, "A quantized filter has one scale or one per output channel (dimension 3)"
)


def _requantizer_in_range(node: Node) -> bool:
    """input_scale * filter_scale / output_scale is below 2**30 (2**14 for int16x8)"""
    x, w, y = node.input(0), node.input(1), node.outputs[0]
    if not _types(node) or x.type is TensorType.FLOAT32:
        return True
    if not _filter_quantization(node) or not cu.tensors_4d(w):
        return True
    return cu.multipliers_in_range(x, w, y, w.shape[3], wide=x.type is TensorType.INT16)


_types = cu.filter_types(
    (TensorType.INT8,),
    "Input/output int8 with int8 or int4 filter, int16 with int8 filter, all uint8 (LiteRT), all float32, or float32 with int8 filter (hybrid)",
)


def _hybrid_scale_per_channel(node: Node) -> bool:
    """Hybrid: the filter has one scale per output channel (dimension 3), as LiteRT reads them"""
    w = node.input(1)
    if not cu.is_hybrid(node) or not cu.tensors_4d(w) or w.quantization is None:
        return True
    q = w.quantization
    return len(q.scale) == w.shape[3] and w.shape[q.quantized_dimension] == len(q.scale)


@register("DEPTHWISE_CONV_2D", versions=range(1, 8), types=("int8", "int4x8", "int16x8", "uint8", "float32", "hybrid"),
          inputs=(2, 3), outputs=1, optional_inputs=(2,))
class DepthwiseConv2D(Kernel):
    constraints = (
        _types,
        cu.hybrid_needs_litert,
        common.tflm_refuses_uint8,
        cu.filter_and_bias_available,
        _four_dimensional,
        _depth_multiplier_consistent,
        cu.strides_dilations_positive,
        _output_shape_matches,
        _bias_valid,
        _has_bias,
        cu.int16_zero_points(0),
        _filter_quantization,
        _hybrid_scale_per_channel,
        cu.zero_filter_zero_points,
        common.supported_activation,
        common.quantized_tensors_have_parameters,
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
        _, pad_h = cu.conv_padding(o.padding, o.stride_h, o.dilation_h_factor, x.shape[1], kh)
        _, pad_w = cu.conv_padding(o.padding, o.stride_w, o.dilation_w_factor, x.shape[2], kw)
        dtype = np.float32 if x.type is TensorType.FLOAT32 and w.type is TensorType.FLOAT32 else np.float64
        if x.type in (TensorType.INT8, TensorType.INT16, TensorType.UINT8):
            dtype = cu.exact_accumulator_dtype(kh * kw, cu.max_input_magnitude(x), cu.max_filter_magnitude(w))
        runtime_bias = b is not None and not b.is_constant
        hybrid = cu.is_hybrid(node)
        if hybrid:
            lo, hi = common.activation_range_float(o.fused_activation_function)
            extra = dict(output=None, channel_scale=common.channel_scales(w), act_min=lo, act_max=hi,
                         float_bias=None if b is None or runtime_bias else np.asarray(b.data, np.float32))
        else:
            bias = None if runtime_bias else b
            extra = dict(output=cu.make_output_stage(node, x, w, bias, y, cout, wide=x.type is TensorType.INT16))
        return DepthwiseData(
            output_shape=tuple(y.shape),
            multiplier=o.depth_multiplier,
            weights=_filter_taps(w.data, x.shape[3], dtype, cu.filter_offset(w)) if w.is_constant else None,
            stride=(o.stride_h, o.stride_w),
            dilation=(o.dilation_h_factor, o.dilation_w_factor),
            pad=(pad_h, pad_w),
            runtime_filter=not w.is_constant,
            runtime_bias=runtime_bias,
            weights_dtype=dtype,
            **extra,
        )

    def eval(self, data: DepthwiseData, inputs):
        x = inputs[0]
        weights = data.weights
        if data.runtime_filter:
            offset = data.output.filter_offset if data.output else 0  # (hybrid: no output stage)
            weights = _filter_taps(inputs[1], x.shape[3], data.weights_dtype, offset)
        bias = inputs[2] if data.runtime_bias else None
        if data.output is None:
            return [_eval_hybrid(data, x, weights, bias)]
        xf = x.astype(weights.dtype)
        if data.output.input_offset:
            xf += data.output.input_offset  # padding then contributes 0, as the reference skips it
        return [data.output(_sums(data, xf, weights), bias)]


def _filter_taps(values, in_channels: int, dtype, offset: int = 0) -> np.ndarray:
    """(1, kh, kw, cout) -> (kh, kw, in_channels, depth_multiplier), with ``offset`` (a uint8
    filter's) added to every value."""
    _, kh, kw, cout = values.shape
    taps = (np.asarray(values, np.float64) + offset).astype(dtype)
    return taps.reshape(kh, kw, in_channels, cout // in_channels)


def _sums(data: DepthwiseData, x: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """(n, oh, ow, cout) sums of products of ``x`` (zero padded) with the filter taps."""
    n, oh, ow, cout = data.output_shape
    kh, kw, cin, m = weights.shape
    cols = cu.patches(x, data.pad[0], data.pad[1], oh, ow, kh, kw, *data.stride, *data.dilation)
    acc = np.zeros((n, oh, ow, cin, m), weights.dtype)
    # Same tap order as the reference (filter_y outer, filter_x inner).
    for i in range(kh):
        for j in range(kw):
            acc += cols[:, :, :, i, j, :, None] * weights[i, j]
    return acc.reshape(n, oh, ow, cout)


def _eval_hybrid(data: DepthwiseData, x: np.ndarray, weights: np.ndarray, bias) -> np.ndarray:
    """LiteRT's DepthwiseConvHybridPerChannel."""
    n = x.shape[0]
    rows = _hybrid.quantize_rows(x.reshape(n, -1), asymmetric=True)
    quantized = rows.values.reshape(x.shape) - rows.zero_point.reshape(n, 1, 1, 1)  # padding adds 0
    acc = wrap_int32(_sums(data, quantized, weights).astype(np.int64))
    scale = (data.channel_scale[None, :] * rows.scale[:, None]).astype(np.float32).reshape(n, 1, 1, -1)
    out = (acc.astype(np.float32) * scale).astype(np.float32)
    bias = data.float_bias if bias is None else np.asarray(bias, np.float32)
    if bias is not None:
        out = (out + bias).astype(np.float32)
    return np.clip(out, data.act_min, data.act_max).astype(np.float32)
