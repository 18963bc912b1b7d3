"""TFLM_DECODE (TFLite Micro's weight decompression, "DECODE"): expand compressed constant
tensors at run time; the wheel is built with USE_TFLM_COMPRESSION and registers it.

Inputs come in pairs (encoded tensor, ancillary data tensor), one output per pair. The ancillary
tensor starts with the 16-byte DECODE Common Metadata: byte 0 the decode type, byte 1 its
version (1), byte 4 the type's own version (1); the type's data follows at byte 16. Two types
are reproduced (tensorflow/lite/micro/kernels/decode_state_lut.cc, decode_state_prune.cc):

* LUT (0): byte 5's low 3 bits are the index width (1..7), byte 6 the value-table stride in
  elements; the encoded tensor holds the indices packed most significant bit first, the tables
  (of the output's type) follow the header, one per channel.
* pruning (2): the encoded tensor is a bit mask (most significant bit first) of the elements
  kept; kept elements take the next value of the table (of the output's type), the others the
  zero point (per channel for int8 with several channels, else the first zero point narrowed to
  int8, which must be 0 for types other than int8).

The output's quantization picks the channels: one scale or none, one channel; several along
dimension 0, blocks of ``elements / channels``; several along the last dimension, one channel
per position along it. Both inputs are constants, so microinfer decodes once at prepare time.
TFLite Micro's Huffman type and custom types are not reproduced.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.model import Tensor
from ..tflite.types import TensorType
from . import _signal as S
from .registry import Kernel, Node, register

DCM_BYTES = 16
LUT, PRUNE, DCM_VERSION, TYPE_VERSION = 0, 2, 1, 1
OUTPUT_TYPES = (TensorType.INT8, TensorType.INT16, TensorType.INT32, TensorType.INT64, TensorType.FLOAT32,
                TensorType.BOOL)
ENCODED_TYPES = (TensorType.UINT8, TensorType.INT8)


def _pairs(node: Node) -> bool:
    """Two inputs (encoded, ancillary) for each of one or more outputs"""
    return len(node.outputs) >= 1 and len(node.inputs) == 2 * len(node.outputs) and all(
        t is not None for t in node.inputs)


def pair_list(node_or_inputs, outputs=None):
    """(encoded, ancillary, output) per output."""
    inputs, outputs = (node_or_inputs.inputs, node_or_inputs.outputs) if outputs is None else (node_or_inputs, outputs)
    return [(inputs[2 * i], inputs[2 * i + 1], y) for i, y in enumerate(outputs)]


def raw(t: Tensor) -> bytes:
    return np.asarray(t.data).tobytes()


def _constants(node: Node) -> bool:
    """Encoded and ancillary tensors are uint8 or int8 constants, the ancillary one at least 16 bytes"""
    pairs = pair_list(node)
    return all(t.is_constant and t.type in ENCODED_TYPES for enc, anc, _ in pairs for t in (enc, anc)) and all(
        len(raw(anc)) >= DCM_BYTES for _, anc, _ in pairs)


def _headers(node: Node) -> bool:
    """Each ancillary tensor is a version 1 LUT (type 0, index width 1..7) or pruning (type 2) header; TFLite Micro's Huffman and custom types are not reproduced"""
    for _, anc, _ in pair_list(node):
        header = raw(anc)[:DCM_BYTES]
        if header[1] != DCM_VERSION or header[4] != TYPE_VERSION or header[0] not in (LUT, PRUNE):
            return False
        if header[0] == LUT and not 1 <= header[5] & 7 <= 7:
            return False
    return True


def _output_types(node: Node) -> bool:
    """Outputs are int8, int16, int32, int64, float32 or bool"""
    return all(y.type in OUTPUT_TYPES for y in node.outputs)


@dataclass(frozen=True)
class Layout:
    channels: int
    last_axis: bool  # channels along the last dimension (else blocks along dimension 0)


def layout(y: Tensor) -> Layout | None:
    """How DecodeState*::Setup reads the output's quantization; None where it fails."""
    q = y.quantization
    if q is None or len(q.scale) == 0:
        return Layout(1, False)
    channels = len(q.scale)
    if q.quantized_dimension == len(y.shape) - 1 and channels > 1:
        return Layout(channels, True)
    return Layout(channels, False) if q.quantized_dimension == 0 else None


def _decodable(node: Node) -> bool:
    """The output's quantization is per tensor or per channel along dimension 0 or the last, its channels divide its elements, the encoded data and value tables cover every element, and pruned outputs other than int8 have zero point 0"""
    return all(_decode(enc, anc, y) is not None for enc, anc, y in pair_list(node))


def _channel_of(form: Layout, count: int) -> np.ndarray:
    position = np.arange(count)
    return position % form.channels if form.last_axis else position // max(count // form.channels, 1)


def _table(table_bytes: bytes, dtype: np.dtype, entries: int) -> np.ndarray | None:
    """The first ``entries`` values of a value table of ``dtype`` (None when too short)."""
    if entries * dtype.itemsize > len(table_bytes):
        return None
    return np.frombuffer(table_bytes[: entries * dtype.itemsize], dtype.newbyteorder("<"))


def _lut(packed: np.ndarray, ancillary: bytes, y: Tensor, form: Layout, dtype: np.dtype) -> np.ndarray | None:
    count = y.num_elements
    width, stride = ancillary[5] & 7, ancillary[6]
    if len(packed) * 8 < count * width:
        return None
    bits = np.unpackbits(packed)[: count * width].reshape(count, width)
    indices = (bits.astype(np.int64) << np.arange(width - 1, -1, -1)).sum(axis=1)
    entries = _channel_of(form, count) * stride + indices
    table = _table(ancillary[DCM_BYTES:], dtype, int(entries.max()) + 1 if count else 0)
    return None if table is None else table[entries]


def _zero_points(y: Tensor, form: Layout) -> np.ndarray | None:
    """Per element: the zero point a pruned element takes (int8 values), None where TFLite
    Micro fails (a zero point other than 0 for a type other than int8)."""
    q = y.quantization
    points = np.zeros(1, np.int64) if q is None or len(q.zero_point) == 0 else np.asarray(q.zero_point, np.int64)
    narrowed = ((points + 128) & 0xFF) - 128  # copied into int8 fields
    if y.type is TensorType.INT8 and form.channels > 1:
        if len(points) != form.channels:
            return None
        return narrowed[_channel_of(form, y.num_elements)]
    if y.type is not TensorType.INT8 and narrowed[0] != 0:
        return None
    return np.full(y.num_elements, narrowed[0])


def _prune(packed: np.ndarray, ancillary: bytes, y: Tensor, form: Layout, dtype: np.dtype) -> np.ndarray | None:
    count = y.num_elements
    if len(packed) * 8 < count:
        return None
    kept = np.unpackbits(packed)[:count].astype(bool)
    zero_points = _zero_points(y, form)
    table = _table(ancillary[DCM_BYTES:], dtype, int(kept.sum()))
    if zero_points is None or table is None:
        return None
    values = zero_points.astype(dtype)
    values[kept] = table
    return values


def _decode(enc: Tensor, anc: Tensor, y: Tensor) -> np.ndarray | None:
    """The decoded output, or None where TFLite Micro would fail or read out of bounds."""
    form = layout(y)
    count = y.num_elements
    if form is None or (count and count % form.channels):
        return None
    ancillary = raw(anc)
    # bool decodes as bytes (both kernels copy them as int8)
    dtype = np.dtype(np.uint8) if y.type is TensorType.BOOL else np.dtype(y.type.numpy_dtype)
    decoder = _lut if ancillary[0] == LUT else _prune
    values = decoder(np.frombuffer(raw(enc), np.uint8), ancillary, y, form, dtype)
    if values is None:
        return None
    values = values.astype(dtype)
    return (values.view(np.bool_) if y.type is TensorType.BOOL else values).reshape(y.shape)


@dataclass(frozen=True)
class DecodeData:
    outputs: tuple  # the decoded arrays, one per output


@register("TFLM_DECODE", versions=range(1, 2), types=("int8", "int16", "int32", "int64", "float32", "bool"),
          inputs=(2, None), outputs=(1, None))
class Decode(Kernel):
    constraints = (S.tflm_only, _pairs, _constants, _headers, _output_types, _decodable)

    def prepare(self, node: Node) -> DecodeData:
        return DecodeData(tuple(_decode(enc, anc, y) for enc, anc, y in pair_list(node)))

    def eval(self, data: DecodeData, inputs):
        return [array.copy() for array in data.outputs]
