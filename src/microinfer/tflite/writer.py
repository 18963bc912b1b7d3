"""Serialize a :class:`~microinfer.tflite.model.Model` to .tflite bytes (schema version 3).

The slot numbers mirror ``loader.py``. Constant data vectors are aligned to 16 bytes, as the
TFLite converter does, so kernels may read weights in place.
"""

from __future__ import annotations

import dataclasses

import flatbuffers
import numpy as np

from .model import Buffer, Model, Operator, OperatorCode, Quantization, SignatureDef, Subgraph, Tensor
from .options import Options, RawOptions, union_code

FILE_IDENTIFIER = b"TFL3"
DATA_ALIGNMENT = 16

_PREPEND_SLOT = {
    "bool": "PrependBoolSlot",
    "i8": "PrependInt8Slot",
    "u8": "PrependUint8Slot",
    "i16": "PrependInt16Slot",
    "u16": "PrependUint16Slot",
    "i32": "PrependInt32Slot",
    "u32": "PrependUint32Slot",
    "i64": "PrependInt64Slot",
    "u64": "PrependUint64Slot",
    "f32": "PrependFloat32Slot",
    "f64": "PrependFloat64Slot",
}
_VECTOR_DTYPES = {"i32": "<i4", "i64": "<i8", "f32": "<f4", "u8": "u1", "bool": "?"}


def serialize(model: Model) -> bytes:
    """The .tflite bytes of ``model``."""
    return _Writer().write(model)


class _Writer:
    def __init__(self):
        self.b = flatbuffers.Builder(1024)

    def write(self, model: Model) -> bytes:
        b = self.b
        buffers = [self._buffer(buf) for buf in model.buffers]
        opcodes = [self._operator_code(code) for code in model.operator_codes]
        subgraphs = [self._subgraph(sg) for sg in model.subgraphs]
        description = b.CreateString(model.description)
        metadata = self._metadata(model)
        signatures = [self._signature_def(sig) for sig in model.signature_defs]

        opcodes_vec = self._table_vector(opcodes)
        subgraphs_vec = self._table_vector(subgraphs)
        buffers_vec = self._table_vector(buffers)
        metadata_vec = self._table_vector(metadata) if metadata else None
        signatures_vec = self._table_vector(signatures) if signatures else None

        b.StartObject(8)
        b.PrependUint32Slot(0, model.version, 0)
        b.PrependUOffsetTRelativeSlot(1, opcodes_vec, 0)
        b.PrependUOffsetTRelativeSlot(2, subgraphs_vec, 0)
        b.PrependUOffsetTRelativeSlot(3, description, 0)
        b.PrependUOffsetTRelativeSlot(4, buffers_vec, 0)
        if metadata_vec is not None:
            b.PrependUOffsetTRelativeSlot(6, metadata_vec, 0)
        if signatures_vec is not None:
            b.PrependUOffsetTRelativeSlot(7, signatures_vec, 0)
        root = b.EndObject()
        b.Finish(root, file_identifier=FILE_IDENTIFIER)
        return bytes(b.Output())

    # -- helpers -------------------------------------------------------------------------------
    def _table_vector(self, offsets: list[int]) -> int:
        b = self.b
        b.StartVector(4, len(offsets), 4)
        for offset in reversed(offsets):
            b.PrependUOffsetTRelative(offset)
        return b.EndVector()

    def _numbers(self, values, kind: str) -> int:
        return self.b.CreateNumpyVector(np.asarray(values, dtype=_VECTOR_DTYPES[kind]).reshape(-1))

    def _aligned_bytes(self, payload: bytes) -> int:
        b = self.b
        b.StartVector(1, len(payload), DATA_ALIGNMENT)
        b.head = b.head - len(payload)
        b.Bytes[b.head : b.head + len(payload)] = payload
        b.vectorNumElems = len(payload)
        return b.EndVector()

    # -- tables --------------------------------------------------------------------------------
    def _buffer(self, buf: Buffer) -> int:
        b = self.b
        data = None if buf.data is None or len(buf.data) == 0 else self._aligned_bytes(buf.data.tobytes())
        b.StartObject(3)
        if data is not None:
            b.PrependUOffsetTRelativeSlot(0, data, 0)
        return b.EndObject()

    def _operator_code(self, code: OperatorCode) -> int:
        b = self.b
        custom = b.CreateString(code.custom_code) if code.custom_code is not None else None
        b.StartObject(4)
        b.PrependInt8Slot(0, min(code.builtin_code, 127), 0)
        if custom is not None:
            b.PrependUOffsetTRelativeSlot(1, custom, 0)
        b.PrependInt32Slot(2, code.version, 1)
        b.PrependInt32Slot(3, code.builtin_code, 0)
        return b.EndObject()

    def _subgraph(self, sg: Subgraph) -> int:
        b = self.b
        tensors = self._table_vector([self._tensor(t) for t in sg.tensors])
        inputs = self._numbers(sg.inputs, "i32")
        outputs = self._numbers(sg.outputs, "i32")
        operators = self._table_vector([self._operator(op) for op in sg.operators])
        name = b.CreateString(sg.name)
        b.StartObject(5)
        b.PrependUOffsetTRelativeSlot(0, tensors, 0)
        b.PrependUOffsetTRelativeSlot(1, inputs, 0)
        b.PrependUOffsetTRelativeSlot(2, outputs, 0)
        b.PrependUOffsetTRelativeSlot(3, operators, 0)
        b.PrependUOffsetTRelativeSlot(4, name, 0)
        return b.EndObject()

    def _tensor(self, t: Tensor) -> int:
        if t.is_sparse:
            raise ValueError(f"cannot write sparse tensor {t.index} ({t.name!r}): sparsity is not supported")
        b = self.b
        shape = self._numbers(t.shape, "i32")
        name = b.CreateString(t.name)
        quant = self._quantization(t.quantization) if t.quantization is not None else None
        signature = self._numbers(t.shape_signature, "i32") if t.shape_signature is not None else None
        b.StartObject(10)
        b.PrependUOffsetTRelativeSlot(0, shape, 0)
        b.PrependInt8Slot(1, int(t.type), 0)
        b.PrependUint32Slot(2, t.buffer, 0)
        b.PrependUOffsetTRelativeSlot(3, name, 0)
        if quant is not None:
            b.PrependUOffsetTRelativeSlot(4, quant, 0)
        b.PrependBoolSlot(5, t.is_variable, False)
        if signature is not None:
            b.PrependUOffsetTRelativeSlot(7, signature, 0)
        b.PrependBoolSlot(8, t.has_rank, False)
        return b.EndObject()

    def _quantization(self, q: Quantization) -> int:
        b = self.b
        minimum = self._numbers(q.min, "f32") if q.min is not None else None
        maximum = self._numbers(q.max, "f32") if q.max is not None else None
        scale = self._numbers(q.scale, "f32")
        zero_point = self._numbers(q.zero_point, "i64")
        b.StartObject(7)
        if minimum is not None:
            b.PrependUOffsetTRelativeSlot(0, minimum, 0)
        if maximum is not None:
            b.PrependUOffsetTRelativeSlot(1, maximum, 0)
        b.PrependUOffsetTRelativeSlot(2, scale, 0)
        b.PrependUOffsetTRelativeSlot(3, zero_point, 0)
        b.PrependInt32Slot(6, q.quantized_dimension, 0)
        return b.EndObject()

    def _operator(self, op: Operator) -> int:
        b = self.b
        inputs = self._numbers(op.inputs, "i32")
        outputs = self._numbers(op.outputs, "i32")
        intermediates = self._numbers(op.intermediates, "i32") if op.intermediates else None
        options = self._options(op.options) if op.options is not None else None
        custom = (
            self._numbers(np.frombuffer(op.custom_options, dtype=np.uint8), "u8")
            if op.custom_options is not None
            else None
        )
        b.StartObject(9)
        b.PrependUint32Slot(0, op.opcode_index, 0)
        b.PrependUOffsetTRelativeSlot(1, inputs, 0)
        b.PrependUOffsetTRelativeSlot(2, outputs, 0)
        if options is not None:
            b.PrependUint8Slot(3, union_code(op.options), 0)
            b.PrependUOffsetTRelativeSlot(4, options, 0)
        if custom is not None:
            b.PrependUOffsetTRelativeSlot(5, custom, 0)
        if intermediates is not None:
            b.PrependUOffsetTRelativeSlot(8, intermediates, 0)
        return b.EndObject()

    def _options(self, options: Options) -> int | None:
        if isinstance(options, RawOptions):
            raise ValueError(
                f"cannot write {options.union_name}: microinfer keeps only the name of options "
                "tables it does not decode"
            )
        fields = dataclasses.fields(options)
        b = self.b
        vectors = {}
        for f in fields:
            value = getattr(options, f.name)
            kind = f.metadata.get("wire", "")
            if kind.startswith("[") and value is not None:
                vectors[f.name] = self._numbers(value, kind[1:-1])
            elif kind == "str" and value is not None:
                vectors[f.name] = b.CreateString(value)
        b.StartObject(len(fields))
        for slot, f in enumerate(fields):
            kind = f.metadata.get("wire")
            if kind is None:
                continue
            if kind.startswith("[") or kind == "str":
                if f.name in vectors:
                    b.PrependUOffsetTRelativeSlot(slot, vectors[f.name], 0)
                continue
            value = getattr(options, f.name)
            getattr(b, _PREPEND_SLOT[kind])(slot, int(value) if kind != "f32" else float(value), f.default)
        return b.EndObject()

    def _metadata(self, model: Model) -> list[int]:
        b = self.b
        result = []
        for name, buffer_index in model.metadata_buffers.items():
            name_offset = b.CreateString(name)
            b.StartObject(2)
            b.PrependUOffsetTRelativeSlot(0, name_offset, 0)
            b.PrependUint32Slot(1, buffer_index, 0)
            result.append(b.EndObject())
        return result

    def _signature_def(self, sig: SignatureDef) -> int:
        b = self.b

        def tensor_maps(mapping: dict[str, int]) -> int:
            entries = []
            for name, index in mapping.items():
                name_offset = b.CreateString(name)
                b.StartObject(2)
                b.PrependUOffsetTRelativeSlot(0, name_offset, 0)
                b.PrependUint32Slot(1, index, 0)
                entries.append(b.EndObject())
            return self._table_vector(entries)

        inputs = tensor_maps(sig.inputs)
        outputs = tensor_maps(sig.outputs)
        key = b.CreateString(sig.signature_key)
        b.StartObject(5)
        b.PrependUOffsetTRelativeSlot(0, inputs, 0)
        b.PrependUOffsetTRelativeSlot(1, outputs, 0)
        b.PrependUOffsetTRelativeSlot(2, key, 0)
        b.PrependUint32Slot(4, sig.subgraph_index, 0)
        return b.EndObject()

