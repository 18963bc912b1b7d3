"""TFLM_DECODE (TFLite Micro's weight decompression, "DECODE"): expand LUT-compressed constant
tensors at run time; the wheel is built with USE_TFLM_COMPRESSION and registers it.

Inputs come in pairs (encoded tensor, ancillary data tensor), one output per pair. The ancillary
tensor starts with the 16-byte DECODE Common Metadata: byte 0 the decode type (0: LUT), byte 1
its version (1); for LUT, byte 4 the LUT version (1), byte 5's low 3 bits the index width (1..7),
byte 6 the value-table stride in elements; the value tables (of the output's type) follow at
byte 16. The encoded tensor holds the indices packed most significant bit first. The output's
quantization picks the tables (tensorflow/lite/micro/kernels/decode_state_lut.cc): one scale or
none, one table; several scales along dimension 0, one table per block of
``elements / channels``; several along the last dimension, one table per position along it.

Both inputs are constants, so microinfer decodes once at prepare time. Only the LUT type is
taken: TFLite Micro's pruning and Huffman states and custom types are not reproduced.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.model import Tensor
from ..tflite.types import TensorType
from . import _signal as S
from .registry import Kernel, Node, register

DCM_BYTES = 16
LUT, DCM_VERSION, LUT_VERSION = 0, 1, 1
OUTPUT_TYPES = (TensorType.INT8, TensorType.INT16, TensorType.INT32, TensorType.INT64, TensorType.FLOAT32,
                TensorType.BOOL)
ENCODED_TYPES = (TensorType.UINT8, TensorType.INT8)


def _pairs(node: Node) -> bool:
    """Two inputs (encoded, ancillary) for each of one or more outputs"""
    return len(node.outputs) >= 1 and len(node.inputs) == 2 * len(node.outputs) and all(
        t is not None for t in node.inputs)


def _pair_list(node: Node):
    return [(node.inputs[2 * i], node.inputs[2 * i + 1], y) for i, y in enumerate(node.outputs)]


def _raw(t: Tensor) -> bytes:
    return np.asarray(t.data).tobytes()


def _constants(node: Node) -> bool:
    """Encoded and ancillary tensors are uint8 or int8 constants, the ancillary one at least 16 bytes"""
    return all(t.is_constant and t.type in ENCODED_TYPES for enc, anc, _ in _pair_list(node) for t in (enc, anc)) and all(
        len(_raw(anc)) >= DCM_BYTES for _, anc, _ in _pair_list(node))


def _lut_headers(node: Node) -> bool:
    """Each ancillary tensor is a version 1 LUT header (type 0, LUT version 1, index width 1..7); TFLite Micro's pruning, Huffman and custom types are not reproduced"""
    for _, anc, _ in _pair_list(node):
        header = _raw(anc)[:DCM_BYTES]
        if header[0] != LUT or header[1] != DCM_VERSION or header[4] != LUT_VERSION or not 1 <= header[5] & 7 <= 7:
            return False
    return True


def _output_types(node: Node) -> bool:
    """Outputs are int8, int16, int32, int64, float32 or bool"""
    return all(y.type in OUTPUT_TYPES for y in node.outputs)


@dataclass(frozen=True)
class Layout:
    channels: int
    last_axis: bool  # tables along the last dimension (else blocks along dimension 0)


def layout(y: Tensor) -> Layout | None:
    """How DecodeStateLut::Setup reads the output's quantization; None where it fails."""
    q = y.quantization
    if q is None or len(q.scale) == 0:
        return Layout(1, False)
    channels = len(q.scale)
    if q.quantized_dimension == len(y.shape) - 1 and channels > 1:
        return Layout(channels, True)
    return Layout(channels, False) if q.quantized_dimension == 0 else None


def _decodable(node: Node) -> bool:
    """The output's quantization is per tensor or per channel along dimension 0 or the last, its channels divide its elements, and the indices and value tables cover every element"""
    return all(_decode(enc, anc, y) is not None for enc, anc, y in _pair_list(node))


def _decode(enc: Tensor, anc: Tensor, y: Tensor) -> np.ndarray | None:
    """The decoded output, or None where TFLite Micro would fail or read out of bounds."""
    form = layout(y)
    count = y.num_elements
    if form is None or (count and count % form.channels):
        return None
    ancillary = _raw(anc)
    width, stride = ancillary[5] & 7, ancillary[6]
    packed = np.frombuffer(_raw(enc), np.uint8)
    if len(packed) * 8 < count * width:
        return None
    bits = np.unpackbits(packed)[: count * width].reshape(count, width)
    indices = (bits.astype(np.int64) << np.arange(width - 1, -1, -1)).sum(axis=1)
    position = np.arange(count)
    channel = position % form.channels if form.last_axis else position // max(count // form.channels, 1)
    dtype = np.dtype(np.bool_) if y.type is TensorType.BOOL else np.dtype(y.type.numpy_dtype)
    entries = channel * stride + indices
    table_bytes = ancillary[DCM_BYTES:]
    if count and (int(entries.max()) + 1) * dtype.itemsize > len(table_bytes):
        return None
    table = np.frombuffer(table_bytes[: len(table_bytes) // dtype.itemsize * dtype.itemsize],
                          np.uint8 if dtype == np.bool_ else dtype.newbyteorder("<"))
    values = table[entries] if count else table[:0]
    return (values.view(np.bool_) if dtype == np.bool_ else values.astype(dtype)).reshape(y.shape)


@dataclass(frozen=True)
class DecodeData:
    outputs: tuple  # the decoded arrays, one per output


@register("TFLM_DECODE", versions=range(1, 2), types=("int8", "int16", "int32", "int64", "float32", "bool"),
          inputs=(2, None), outputs=(1, None))
class Decode(Kernel):
    constraints = (S.tflm_only, _pairs, _constants, _lut_headers, _output_types, _decodable)

    def prepare(self, node: Node) -> DecodeData:
        return DecodeData(tuple(_decode(enc, anc, y) for enc, anc, y in _pair_list(node)))

    def eval(self, data: DecodeData, inputs):
        return [array.copy() for array in data.outputs]
