"""CONV_2D: 2-D convolution (with groups), int8 / int16x8 / float32, hybrid, and (LiteRT) uint8.

uint8 is LiteRT's legacy asymmetric scheme: the filter has a zero point too, one multiplier for
the tensor from the float32 product of the input and filter scales.

im2col is a strided view of the zero-padded input; the products are summed by one float64 BLAS
matmul (per group), exact for integer data (see ``_conv_util``).

Hybrid (float32 input and output, int8 or int4 filter; LiteRT only, see :mod:`._hybrid`): LiteRT
quantizes each batch's whole image at run time. A filter with one scale (or equal per-channel
scales) and no groups takes its optimized ``HybridConv`` even under the reference resolver:
symmetric quantization, sums from an integer GEMM when the filter count is a multiple of 4 and
from the x86 matrix-vector kernel otherwise (with its -128 quirk), ``sum * scale + bias``. Other
filters take the reference ``HybridConvPerChannel``: asymmetric quantization, padding skipped,
``sum * channel_scale * input_scale + bias``.

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
    runtime_filter: bool = False  # weights is None: laid out from the input in eval
    runtime_bias: bool = False
    weights_dtype: type = np.float64


@dataclass(frozen=True)
class HybridConvData:
    output_shape: tuple[int, ...]
    groups: int
    weights: np.ndarray | None  # (groups, kh*kw*cin_per_group, cout_per_group) float64; None: at run time
    kernel: tuple[int, int]
    stride: tuple[int, int]
    dilation: tuple[int, int]
    pad: tuple[int, int]
    per_channel: bool  # LiteRT's HybridConvPerChannel (asymmetric); else HybridConv (symmetric)
    filter_scale: np.ndarray  # float32: per output channel, or one
    sse_product: _hybrid.SseMatrixProduct | None  # HybridConv with a filter count not a multiple of 4
    bias: np.ndarray | None  # float32 (None: computed at run time)
    act_min: float
    act_max: float


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
    if not _types(node) or x.type is TensorType.FLOAT32:
        return True
    if not _filter_quantization(node) or not _four_dimensional(node):
        return True
    wide = x.type is TensorType.INT16 and _uses_wide_accumulator(node)
    return cu.multipliers_in_range(x, w, y, w.shape[0], wide)


_types = cu.filter_types(
    (TensorType.INT8, TensorType.INT4),
    "Input/output int8 with int8 or int4 filter, int16 with int8 filter, all uint8 (LiteRT), all float32, or float32 with int8 or int4 filter (hybrid)",
)


def _hybrid_groups_per_channel(node: Node) -> bool:
    """Hybrid grouped convolution: the filter has one scale per output channel (LiteRT reads one per channel)"""
    x, w = node.input(0), node.input(1)
    if not cu.is_hybrid(node) or not cu.tensors_4d(x, w) or not _groups_valid(node) or w.quantization is None:
        return True
    return x.shape[3] == w.shape[3] or len(w.quantization.scale) == w.shape[0]


def _uses_wide_accumulator(node: Node) -> bool:
    """int16 conv sums in int64 (int64 or no bias); TFLite Micro sums in int32 with an int32 bias."""
    b = node.input(2)
    return b is None or b.type is TensorType.INT64


@register("CONV_2D", versions=range(1, 9), types=("int8", "int4x8", "int16x8", "uint8", "float32", "hybrid"),
          inputs=(2, 3), outputs=1, optional_inputs=(2,))
class Conv2D(Kernel):
    constraints = (
        _types,
        cu.hybrid_needs_litert,
        common.tflm_refuses_uint8,
        cu.filter_and_bias_available,
        _four_dimensional,
        _groups_valid,
        _hybrid_groups_per_channel,
        cu.strides_dilations_positive,
        _output_shape_matches,
        _bias_valid,
        _bias_required_by_litert,
        cu.int16_zero_points(0),
        _filter_quantization,
        cu.zero_filter_zero_points,
        common.supported_activation,
        common.quantized_tensors_have_parameters,
        cu.uint8_filter_per_tensor,
        cu.positive_scales,
        cu.uint8_bias_scale_matches,
        _requantizer_in_range,
    )

    def prepare(self, node: Node) -> ConvData | HybridConvData:
        x, w, b = node.input(0), node.input(1), node.input(2)
        y = node.outputs[0]
        o = node.options
        cout, kh, kw, cin_g = w.shape
        groups = x.shape[3] // cin_g
        _, pad_h = cu.conv_padding(o.padding, o.stride_h, o.dilation_h_factor, x.shape[1], kh)
        _, pad_w = cu.conv_padding(o.padding, o.stride_w, o.dilation_w_factor, x.shape[2], kw)
        geometry = dict(output_shape=tuple(y.shape), groups=groups, kernel=(kh, kw), stride=(o.stride_h, o.stride_w),
                        dilation=(o.dilation_h_factor, o.dilation_w_factor), pad=(pad_h, pad_w))
        if cu.is_hybrid(node):
            return _prepare_hybrid(node, geometry)
        dtype = np.float64
        if x.type is not TensorType.FLOAT32:
            dtype = cu.exact_accumulator_dtype(kh * kw * cin_g, cu.max_input_magnitude(x), cu.max_filter_magnitude(w))
        wide = x.type is TensorType.INT16 and _uses_wide_accumulator(node)
        runtime_bias = b is not None and not b.is_constant
        output = cu.make_output_stage(node, x, w, None if runtime_bias else b, y, cout, wide)
        return ConvData(
            weights=_filter_matrix(w.data, groups, dtype, output.filter_offset) if w.is_constant else None,
            output=output,
            runtime_filter=not w.is_constant,
            runtime_bias=runtime_bias,
            weights_dtype=dtype,
            **geometry,
        )

    def eval(self, data: ConvData | HybridConvData, inputs):
        if isinstance(data, HybridConvData):
            return [_eval_hybrid(data, inputs)]
        weights = data.weights
        if data.runtime_filter:
            weights = _filter_matrix(inputs[1], data.groups, data.weights_dtype, data.output.filter_offset)
        xf = inputs[0].astype(weights.dtype)
        if data.output.input_offset:
            xf += data.output.input_offset  # padding then contributes 0, as the reference skips it
        acc = _sums(data, xf, weights)
        bias = inputs[2] if data.runtime_bias else None
        return [data.output(acc, bias).reshape(data.output_shape)]


def _filter_matrix(values, groups: int, dtype, offset: int = 0) -> np.ndarray:
    """(cout, kh, kw, cin_g) -> (groups, kh*kw*cin_g, cout_g), matching the im2col column order,
    with ``offset`` (a uint8 filter's) added to every value."""
    cout = values.shape[0]
    weights = (np.asarray(values, np.float64) + offset).reshape(groups, cout // groups, -1).transpose(0, 2, 1)
    return np.ascontiguousarray(weights.astype(dtype))


def _patches(data, x: np.ndarray) -> np.ndarray:
    """(rows, kh*kw*cin) im2col rows of ``x`` (zero padded), one per output pixel."""
    n, oh, ow, _ = data.output_shape
    cols = cu.patches(x, data.pad[0], data.pad[1], oh, ow, *data.kernel, *data.stride, *data.dilation)
    return cols.reshape(n * oh * ow, -1)


def _sums(data, x: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """(rows, cout) sums of products of the im2col rows of ``x`` with the filter matrix."""
    cols = _patches(data, x)
    if data.groups == 1:
        return cols @ weights[0]
    g = data.groups
    kh, kw = data.kernel
    rows = cols.shape[0]
    grouped = cols.reshape(rows, kh * kw, g, -1).transpose(2, 0, 1, 3).reshape(g, rows, -1)
    return np.matmul(grouped, weights).transpose(1, 0, 2).reshape(rows, -1)


def _hybrid_per_channel(node: Node) -> bool:
    """Whether LiteRT takes HybridConvPerChannel: filter scales that differ, or groups."""
    x, w = node.input(0), node.input(1)
    scales = common.channel_scales(w)
    return bool((scales != scales[0]).any()) or x.shape[3] != w.shape[3]


def _prepare_hybrid(node: Node, geometry: dict) -> HybridConvData:
    w, b = node.input(1), node.input(2)
    per_channel = _hybrid_per_channel(node)
    lo, hi = common.activation_range_float(node.options.fused_activation_function)
    sse = not per_channel and w.shape[0] % 4 != 0
    return HybridConvData(
        weights=_filter_matrix(w.data, geometry["groups"], np.float64) if w.is_constant else None,
        per_channel=per_channel,
        filter_scale=common.channel_scales(w) if per_channel else common.channel_scales(w)[:1],
        sse_product=_hybrid.SseMatrixProduct.of(w.data.reshape(w.shape[0], -1)) if sse and w.is_constant else None,
        bias=np.asarray(b.data, np.float32) if b.is_constant else None,
        act_min=lo,
        act_max=hi,
        **geometry,
    )


def _eval_hybrid(data: HybridConvData, inputs) -> np.ndarray:
    x, w = inputs[0], inputs[1]
    n = x.shape[0]
    rows = _hybrid.quantize_rows(x.reshape(n, -1), asymmetric=data.per_channel)
    quantized = rows.values.reshape(x.shape) - rows.zero_point.reshape(n, 1, 1, 1)  # padding adds 0
    pixels = int(np.prod(data.output_shape[1:3]))
    if data.per_channel:  # reference HybridConvPerChannel
        weights = data.weights if data.weights is not None else _filter_matrix(w, data.groups, np.float64)
        acc = wrap_int32(_sums(data, quantized, weights).astype(np.int64))
        scaled = (acc.astype(np.float32) * data.filter_scale).astype(np.float32)
        out = (scaled * np.repeat(rows.scale, pixels)[:, None]).astype(np.float32)
    else:  # optimized HybridConv
        product = data.sse_product
        if product is None and data.output_shape[3] % 4 != 0:
            product = _hybrid.SseMatrixProduct.of(np.asarray(w).reshape(w.shape[0], -1))
        weights = data.weights if data.weights is not None else _filter_matrix(w, 1, np.float64)
        acc = product.sums(_patches(data, quantized)) if product else wrap_int32(_sums(data, quantized, weights).astype(np.int64))
        scale = np.repeat((rows.scale * data.filter_scale[0]).astype(np.float32), pixels)
        out = (acc.astype(np.float32) * scale[:, None]).astype(np.float32)
    bias = inputs[2].astype(np.float32) if data.bias is None else data.bias
    out = (out + bias).astype(np.float32)
    return np.clip(out, data.act_min, data.act_max).astype(np.float32).reshape(data.output_shape)
