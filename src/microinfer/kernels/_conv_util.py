"""Helpers shared by CONV_2D, DEPTHWISE_CONV_2D and TRANSPOSE_CONV.

Padding and output sizes follow TFLite's ``ComputePaddingHeightWidth``; per-channel
requantization follows ``PopulateConvolutionQuantizationParams`` (effective scale
``input_scale * filter_scale / output_scale`` computed in double, one multiplier per output
channel, a per-tensor filter scale broadcast to every channel).

Integer accumulation: every kernel sums exact integer products. int8 x int8 products (at most
2**15 in magnitude) and int16 x int8 products (at most 2**22) summed in float64 stay exact while
the number of taps is below 2**31, far beyond any real filter, so BLAS does the MACs and the sums
convert back to int64 without loss. :func:`assert_exact_in_float64` checks that bound in prepare.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.model import Tensor
from ..tflite.types import Padding, TensorType
from . import common
from . import _hybrid
from .fixedpoint import (
    DOUBLE,
    Rescale,
    multiply_by_quantized_multiplier_int64,
    quantize_multiplier,
    wrap_int32,
)
from .registry import TFLM, Node

FLOAT64_EXACT = 1 << 53
# The int64-accumulator requantizer shifts right by 15 - shift, which must stay positive.
MAX_WIDE_SHIFT = 14
# The int32 requantizer shifts left by up to 30 bits; 31 is undefined behaviour in the C code.
MAX_SHIFT = 30


def effective_filter_size(filter_size: int, dilation: int) -> int:
    return (filter_size - 1) * dilation + 1


def output_size(padding: Padding, image: int, filter_size: int, stride: int, dilation: int) -> int:
    """TFLite's ComputeOutSize (0 for a zero stride, as TFLite returns)."""
    if stride <= 0:
        return 0
    effective = effective_filter_size(filter_size, dilation)
    if padding == Padding.SAME:
        return (image + stride - 1) // stride
    return (image + stride - effective) // stride


def padding_before(stride: int, dilation: int, image: int, filter_size: int, out: int) -> int:
    """TFLite's ComputePadding: half the total padding, truncated toward zero, at least 0."""
    effective = effective_filter_size(filter_size, dilation)
    total = (out - 1) * stride + effective - image
    half = int(total / 2)  # C division truncates toward zero
    return max(half, 0)


def conv_padding(padding: Padding, stride: int, dilation: int, image: int, filter_size: int) -> tuple[int, int]:
    """(output size, padding before) along one spatial axis."""
    out = output_size(padding, image, filter_size, stride, dilation)
    return out, padding_before(stride, dilation, image, filter_size, out)


def filter_scales(w: Tensor, channels: int) -> np.ndarray:
    scales = common.channel_scales(w)
    return np.broadcast_to(scales, (channels,)) if len(scales) == 1 else scales


def real_multipliers(x: Tensor, w: Tensor, y: Tensor, channels: int) -> list[float]:
    """input_scale * filter_scale / output_scale per output channel, in double."""
    input_scale = float(common.scale_of(x))
    output_scale = float(common.scale_of(y))
    return [input_scale * float(s) / output_scale for s in filter_scales(w, channels)]


def exact_accumulator_dtype(taps: int, max_input: int, max_filter: int = 128) -> type:
    """float32 when every partial sum is an integer below 2**24 (so float32 BLAS is exact and
    twice as fast), else float64 (checked exact up to 2**53)."""
    if taps * max_input * max_filter < 1 << 24:
        return np.float32
    assert_exact_in_float64(taps, max_input, max_filter)
    return np.float64


def assert_exact_in_float64(taps: int, max_input: int, max_filter: int = 128) -> None:
    """The bound under which float64 sums of integer products are exact."""
    bound = taps * max_input * max_filter
    assert bound < FLOAT64_EXACT, f"{taps} taps could exceed float64's exact integer range"


@dataclass(frozen=True)
class Requantizer:
    """Bias, rescale, offset and clamp of integer accumulators, per output channel (last axis)."""

    bias: np.ndarray | None  # int64, per output channel
    multiplier: np.ndarray  # int64 per output channel
    shift: np.ndarray
    rescale: Rescale
    wide: bool  # int64 accumulator and the int64 requantizer (16x8 with 64-bit bias)
    output_offset: int
    act_min: int
    act_max: int
    dtype: np.dtype

    def __call__(self, acc: np.ndarray, bias: np.ndarray | None = None) -> np.ndarray:
        """``acc``: exact int64 sums of products, output channels on the last axis; ``bias``: a
        bias computed at run time, in place of the constant one."""
        bias = self.bias if bias is None else np.asarray(bias, np.int64).reshape(-1)
        if bias is not None:
            acc = acc + bias
        if self.wide:
            scaled = multiply_by_quantized_multiplier_int64(acc, self.multiplier, self.shift)
        else:
            # The C kernels accumulate in int32: wrapping the exact sum gives the same bits.
            scaled = self.rescale(wrap_int32(acc))
        out = np.clip(scaled + self.output_offset, self.act_min, self.act_max)
        return out.astype(self.dtype)


def make_requantizer(
    node: Node,
    x: Tensor,
    w: Tensor,
    b: Tensor | None,
    y: Tensor,
    channels: int,
    activation,
    wide: bool,
) -> Requantizer:
    # LiteRT's reference convolutions (CONV_2D, DEPTHWISE_CONV_2D, TRANSPOSE_CONV) requantize
    # with double rounding, as TFLite Micro does: measured against ai-edge-litert 2.3.0, single
    # rounding differs in the last place on ties. (The two references' multiplier quantization
    # differs only for shifts above 30, which multipliers_in_range rejects.)
    reals = [common.uint8_real_multiplier(x, w, y)] * channels if x.type is TensorType.UINT8 else \
        real_multipliers(x, w, y, channels)
    pairs = [quantize_multiplier(m) for m in reals]
    lo, hi = common.activation_range_quantized(activation, y)
    multiplier = np.array([m for m, _ in pairs], np.int64)
    shift = np.array([s for _, s in pairs], np.int64)
    return Requantizer(
        bias=None if b is None else np.asarray(b.data, np.int64).reshape(-1),
        multiplier=multiplier,
        shift=shift,
        rescale=Rescale.of(multiplier, shift, DOUBLE),
        wide=wide,
        output_offset=common.zero_point_of(y) if y.type in (TensorType.INT8, TensorType.UINT8) else 0,
        act_min=lo,
        act_max=hi,
        dtype=y.type.numpy_dtype,
    )


def multipliers_in_range(x: Tensor, w: Tensor, y: Tensor, channels: int, wide: bool) -> bool:
    """Every effective scale below 2**30 (2**14 for the int64 requantizer).

    Beyond, the references shift an int32 by 31 or more bits (undefined behaviour in C; LiteRT
    and TFLite Micro were measured to disagree), or the int64 requantizer's right shift turns
    negative.
    """
    activation_scales = (common.scale_of(x), common.scale_of(y))
    if not all(0 < float(s) < float("inf") for s in activation_scales) or not all(
            0 <= float(s) < float("inf") for s in common.channel_scales(w)):
        return True  # left to positive_scales and the model validation
    limit = MAX_WIDE_SHIFT if wide else MAX_SHIFT
    if x.type is TensorType.UINT8:
        return quantize_multiplier(common.uint8_real_multiplier(x, w, y))[1] <= limit
    return all(quantize_multiplier(m)[1] <= limit for m in real_multipliers(x, w, y, channels))


def patches(x: np.ndarray, pad_h: int, pad_w: int, out_h: int, out_w: int, kh: int, kw: int,
            stride_h: int, stride_w: int, dil_h: int, dil_w: int) -> np.ndarray:
    """(N, out_h, out_w, kh, kw, C) windows of ``x`` (N, H, W, C), zero padded; a strided view."""
    n, h, w, c = x.shape
    need_h = (out_h - 1) * stride_h + (kh - 1) * dil_h + 1
    need_w = (out_w - 1) * stride_w + (kw - 1) * dil_w + 1
    bottom = max(0, need_h - pad_h - h)
    right = max(0, need_w - pad_w - w)
    if pad_h or pad_w or bottom or right:
        x = np.pad(x, ((0, 0), (pad_h, bottom), (pad_w, right), (0, 0)))
    s = x.strides
    return np.lib.stride_tricks.as_strided(
        x,
        shape=(n, out_h, out_w, kh, kw, c),
        strides=(s[0], s[1] * stride_h, s[2] * stride_w, s[1] * dil_h, s[2] * dil_w, s[3]),
        writeable=False,
    )


@dataclass(frozen=True)
class OutputStage:
    """The end of a convolution: float bias and activation clamp, or requantization of the sums."""

    kind: str  # "int8", "int16x8", "uint8", "float32"
    input_offset: int  # added to int8/uint8 inputs before the products (minus the zero point)
    requantize: Requantizer | None
    float_bias: np.ndarray | None
    act_min: float
    act_max: float
    filter_offset: int = 0  # added to uint8 filter values (minus the filter's zero point)

    def __call__(self, acc: np.ndarray, bias: np.ndarray | None = None) -> np.ndarray:
        """``acc``: the sums of products, output channels last (``float_bias`` broadcasts onto it);
        ``bias``: a bias computed at run time, in place of the constant one."""
        if self.kind == "float32":
            bias = self.float_bias if bias is None else np.asarray(bias, np.float32).reshape(-1)
            if bias is not None:
                acc = acc + bias
            return np.clip(acc, self.act_min, self.act_max).astype(np.float32)
        return self.requantize(acc.astype(np.int64), bias)


def make_output_stage(node: Node, x: Tensor, w: Tensor, b: Tensor | None, y: Tensor, channels: int,
                      wide: bool, bias_shape: tuple[int, ...] = (-1,)) -> OutputStage:
    activation = node.options.fused_activation_function
    if x.type is TensorType.FLOAT32:
        lo, hi = common.activation_range_float(activation)
        bias = None if b is None else np.asarray(b.data, np.float32).reshape(bias_shape)
        return OutputStage("float32", 0, None, bias, lo, hi)
    int16 = x.type is TensorType.INT16
    return OutputStage(
        kind={TensorType.INT16: "int16x8", TensorType.UINT8: "uint8"}.get(x.type, "int8"),
        input_offset=0 if int16 else -common.zero_point_of(x),
        requantize=make_requantizer(node, x, w, b, y, channels, activation, wide=wide),
        float_bias=None, act_min=0, act_max=0,
        filter_offset=filter_offset(w),
    )


def max_input_magnitude(x: Tensor) -> int:
    """The largest |input + offset| of a quantized convolution: 32768 for int16, 255 for int8/uint8."""
    return 32768 if x.type is TensorType.INT16 else 255


def max_filter_magnitude(w: Tensor) -> int:
    """The largest |filter + offset|: 255 for a uint8 filter (zero point anywhere), else 128."""
    return 255 if w.type is TensorType.UINT8 else 128


def filter_offset(w: Tensor) -> int:
    """What the reference adds to every filter value: minus the zero point of a uint8 filter
    (LiteRT's weights offset), 0 for other filters (their zero points are 0)."""
    return -common.zero_point_of(w) if w.type is TensorType.UINT8 else 0


# -- constraints shared by the three kernels (docstrings are user-facing) ----------------------

TYPE_COMBOS = {
    (TensorType.INT8, TensorType.INT8, TensorType.INT8),
    (TensorType.INT16, TensorType.INT8, TensorType.INT16),
    (TensorType.FLOAT32, TensorType.FLOAT32, TensorType.FLOAT32),
}


def types_supported(x: Tensor | None, w: Tensor | None, y: Tensor) -> bool:
    return x is not None and w is not None and (x.type, w.type, y.type) in TYPE_COMBOS


# int4 filters (TensorType.INT4, two values a byte) are unpacked to int8 values by the loader, as
# TFLite Micro unpacks them in Prepare (LiteRT too): the arithmetic is then that of int8 filters.
INT4_FILTER_COMBOS = TYPE_COMBOS | {(TensorType.INT8, TensorType.INT4, TensorType.INT8)}
# LiteRT's legacy asymmetric scheme (CONV_2D and DEPTHWISE_CONV_2D; TFLite Micro refuses it).
UINT8_COMBO = (TensorType.UINT8, TensorType.UINT8, TensorType.UINT8)


filter_and_bias_available = common.weights_and_bias_available("Filter", "filters")
is_hybrid = _hybrid.is_hybrid


def filter_types(hybrid_filters: tuple[TensorType, ...], doc: str):
    """A constraint: the int4-capable type combinations, all uint8, plus float32 input and output
    with a filter of one of ``hybrid_filters`` (hybrid). ``doc`` is its sentence."""
    combos = INT4_FILTER_COMBOS | {UINT8_COMBO} | {(TensorType.FLOAT32, t, TensorType.FLOAT32) for t in hybrid_filters}

    def check(node: Node) -> bool:
        x, w, y = node.input(0), node.input(1), node.outputs[0]
        return x is not None and w is not None and (x.type, w.type, y.type) in combos

    check.__doc__ = doc
    return check


hybrid_needs_litert = _hybrid.needs_litert()


def strides_dilations_positive(node: Node) -> bool:
    """Strides and dilation factors are at least 1"""
    o = node.options
    return min(o.stride_h, o.stride_w, o.dilation_h_factor, o.dilation_w_factor) >= 1


def int16_zero_points(input_index: int):
    """A constraint: int16 input (``node.input(input_index)``) and output have zero point 0."""

    def check(node: Node) -> bool:
        x, y = node.input(input_index), node.outputs[0]
        if x is None or x.type is not TensorType.INT16:
            return True
        return common.zero_point_of(x) == 0 and common.zero_point_of(y) == 0

    check.__doc__ = "int16 input and output have zero point 0"
    return check


def quantized_per_channel(w: Tensor, channel_dim: int) -> bool:
    """A 4-D filter with one scale per channel along ``channel_dim``, its quantized dimension."""
    q = w.quantization
    return len(w.shape) == 4 and len(q.scale) == w.shape[channel_dim] and q.quantized_dimension == channel_dim


def spatial_output_size(node: Node, x: Tensor, w: Tensor) -> tuple[int, int]:
    """(out_height, out_width) of a convolution of ``x`` with filter ``w`` (dims 1, 2 spatial)."""
    o = node.options
    return (output_size(o.padding, x.shape[1], w.shape[1], o.stride_h, o.dilation_h_factor),
            output_size(o.padding, x.shape[2], w.shape[2], o.stride_w, o.dilation_w_factor))


def zero_filter_zero_points(node: Node) -> bool:
    """Quantized int8 and int4 filters have all zero points equal to 0 (hybrid layers: LiteRT ignores them)"""
    w = node.input(1)
    if w is None or w.type in (TensorType.FLOAT32, TensorType.UINT8) or w.quantization is None or is_hybrid(node):
        return True
    return all(int(z) == 0 for z in w.quantization.zero_point)



def positive_scales(node: Node) -> bool:
    """Quantized input and output scales are positive, filter scales positive or zero (an all-zero channel)"""
    tensors = [t for t in (*node.inputs, *node.outputs) if t is not None]
    for t in tensors:
        if t.type in (TensorType.INT8, TensorType.UINT8, TensorType.INT16, TensorType.INT4) and t.quantization is not None:
            smallest = 0.0 if t.is_constant else float.fromhex("0x1p-149")
            if any(not float(s) >= smallest for s in t.quantization.scale):
                return False
    return True


def tensors_4d(*tensors: Tensor | None) -> bool:
    return all(t is not None and len(t.shape) == 4 for t in tensors)


def filter_quantization(weights_input: int, channel_axis: int, doc: str):
    """A constraint: the quantized filter at input ``weights_input`` has one scale, or one per
    output channel along ``channel_axis``. ``doc`` is its user-facing sentence."""

    def check(node: Node) -> bool:
        w = node.input(weights_input)
        if w is None or w.type is TensorType.FLOAT32:
            return True
        q = w.quantization
        if q is None or len(q.scale) == 0 or len(q.zero_point) != len(q.scale):
            return False
        return len(q.scale) == 1 or quantized_per_channel(w, channel_axis)

    check.__doc__ = doc
    return check


def bias_per_output_channel(inputs: tuple[int, int, int], tflm_int16x8_bias: TensorType, doc: str):
    """A constraint on the optional bias at ``inputs`` = (input, weights, bias) positions: one
    element per output channel (weights dimension 0), int32 for int8, int64 for int16 (TFLite
    Micro also takes ``tflm_int16x8_bias``), float32 for float. ``doc`` is its sentence."""
    x_at, w_at, b_at = inputs

    def check(node: Node) -> bool:
        x, w, b = node.input(x_at), node.input(w_at), node.input(b_at)
        if b is None or x is None or not tensors_4d(w):
            return True
        if b.num_elements != w.shape[0]:
            return False
        if x.type in (TensorType.INT8, TensorType.UINT8):
            return b.type is TensorType.INT32
        if x.type is TensorType.INT16:
            return b.type is TensorType.INT64 or (b.type is tflm_int16x8_bias and node.reference == TFLM)
        return b.type is TensorType.FLOAT32

    check.__doc__ = doc
    return check


# -- uint8 (LiteRT's legacy asymmetric quantization) ---------------------------------------------

def uint8_filter_per_tensor(node: Node) -> bool:
    """uint8 (LiteRT): the filter has one scale and zero point, and the bias zero point is 0"""
    x, w, b = node.input(0), node.input(1), node.input(2)
    if x is None or x.type is not TensorType.UINT8 or w is None:
        return True
    per_tensor = w.quantization is not None and len(w.quantization.scale) == 1
    return per_tensor and (b is None or common.zero_point_of(b) == 0)


def uint8_bias_scale_matches(node: Node) -> bool:
    """uint8 (LiteRT): input scale x filter scale and the bias scale differ by at most 0.02 x the output scale"""
    x, w, b, y = node.input(0), node.input(1), node.input(2), node.outputs[0]
    if x is None or x.type is not TensorType.UINT8 or w is None or b is None or not common.scale_of(y) > 0:
        return True
    bias_scales = [] if b.quantization is None else list(b.quantization.scale)
    bias_scale = float(np.float32(bias_scales[0])) if len(bias_scales) == 1 else 0.0
    product = float(common.scale_of(x)) * float(common.scale_of(w))
    return abs(product - bias_scale) / float(common.scale_of(y)) <= 0.02
