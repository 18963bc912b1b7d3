"""Load a .tflite file into a :class:`~microinfer.tflite.model.Model`, checking everything.

The reader follows schema.fbs version 3. Slot numbers below are the field positions in the
schema's tables. Constant tensor data are read-only NumPy views into the file bytes (no copy).
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np

from ..errors import ModelError
from .flatbuf import FlatBuffer, Table
from .model import (
    Buffer,
    Model,
    ModelWarning,
    Operator,
    OperatorCode,
    Quantization,
    SignatureDef,
    Subgraph,
    Tensor,
)
from .options import OPERATOR_OPTIONS, OPTIONS_BY_UNION_CODE, Options, RawOptions
from .schema_codes import BUILTIN_OPERATOR_NAMES, BUILTIN_OPTIONS_UNION_NAMES
from .types import TensorType

FILE_IDENTIFIER = b"TFL3"
SCHEMA_VERSION = 3
MAX_RANK = 16
MAX_TENSOR_BYTES = 2**31 - 1  # TFLite Micro sizes tensors with 32-bit size_t; flatbuffers are < 2 GiB
CUSTOM_OPERATOR = 32
LITERT = "tflite"  # the reference name under which LiteRT's refusals are recorded


def load(source: str | os.PathLike | bytes | bytearray | memoryview) -> Model:
    """Read a TFLite model from a path or from its bytes.

    Raises :class:`~microinfer.ModelError` naming the table path and byte offset of whatever is
    wrong; nothing in a malformed file can make it raise anything else, crash or hang.
    """
    data = _read_bytes(source)
    has_identifier = data[4:8] == FILE_IDENTIFIER
    try:
        return _ModelReader(FlatBuffer(data)).read()
    except ModelError as exc:
        if has_identifier:
            raise
        raise ModelError(
            f"not a TFLite model (no 'TFL3' file identifier at bytes 4-8), and reading it as one "
            f"failed: {exc}"
        ) from None


MAX_MODEL_BYTES = 2**31  # flatbuffers address 2 GiB; larger files are not TFLite models


def _read_bytes(source) -> bytes:
    if isinstance(source, bytes):
        return source
    if isinstance(source, (bytearray, memoryview)):
        return bytes(source)
    if isinstance(source, (str, os.PathLike)):
        return _read_file(Path(source))
    raise TypeError(f"load() takes a path or bytes, not {type(source).__name__}")


def _read_file(path: Path) -> bytes:
    """A regular file's bytes, refusing devices, pipes and directories (``/dev/zero`` never
    ends) and anything larger than a model can be."""
    try:
        if not path.is_file():
            what = ("Is a directory" if path.is_dir() else "not a regular file (a device, pipe or socket)"
                    if path.exists() else "No such file or directory")
            raise ModelError(f"cannot read model file {str(path)!r}: {what}")
        with path.open("rb") as f:
            data = f.read(MAX_MODEL_BYTES + 1)
    except OSError as exc:
        raise ModelError(f"cannot read model file {str(path)!r}: {exc.strerror or exc}") from None
    if len(data) > MAX_MODEL_BYTES:
        raise ModelError(f"model file {str(path)!r} is larger than {MAX_MODEL_BYTES:,} bytes, the most a "
                         f"TFLite flatbuffer can address")
    return data


def _dims(dims: tuple[int, ...] | None, path: str) -> tuple[int, ...] | None:
    """A shape-like vector: at most MAX_RANK entries, each a size or -1 (unknown)."""
    if dims is None:
        return None
    if len(dims) > MAX_RANK:
        raise ModelError(f"{path}: rank {len(dims)} exceeds the limit of {MAX_RANK}")
    if any(d < -1 for d in dims):
        raise ModelError(f"{path}: invalid dimension in {list(dims)}")
    return dims


class _ModelReader:
    def __init__(self, fb: FlatBuffer):
        self.fb = fb
        self.warnings: list[ModelWarning] = []

    def warn(self, path: str, message: str, refused_by: tuple[str, ...] = ()) -> None:
        self.warnings.append(ModelWarning(path, message, refused_by))

    def read(self) -> Model:
        root = self.fb.root()
        version = root.scalar(0, "u32", 0, "version")
        if version != SCHEMA_VERSION:
            raise ModelError(
                f"model.version: schema version {version} is not supported (expected {SCHEMA_VERSION})"
            )
        buffers = tuple(self._buffer(t) for t in root.tables(4, "buffers"))
        operator_codes = tuple(self._operator_code(t) for t in root.tables(1, "operator_codes"))
        subgraph_tables = root.tables(2, "subgraphs")
        if not subgraph_tables:
            raise ModelError("model.subgraphs: the model has no subgraph")
        subgraphs = tuple(
            self._subgraph(i, t, buffers, operator_codes) for i, t in enumerate(subgraph_tables)
        )
        metadata, metadata_buffers = {}, {}
        for i, table in enumerate(root.tables(6, "metadata")):
            name = table.string(0, "name") or ""
            index = table.scalar(1, "u32", 0, "buffer")
            _check_index(index, len(buffers), f"model.metadata[{i}].buffer", "buffer")
            data = buffers[index].data
            metadata[name] = data if data is not None else np.zeros(0, dtype=np.uint8)
            metadata_buffers[name] = index
        signature_defs = tuple(
            self._signature_def(i, t, subgraphs) for i, t in enumerate(root.tables(7, "signature_defs"))
        )
        return Model(
            version=version,
            description=root.string(3, "description") or "",
            operator_codes=operator_codes,
            subgraphs=subgraphs,
            buffers=buffers,
            metadata=metadata,
            signature_defs=signature_defs,
            size_bytes=self.fb.size,
            metadata_buffers=metadata_buffers,
            warnings=tuple(self.warnings),
        )

    def _buffer(self, table: Table) -> Buffer:
        offset = table.scalar(1, "u64", 0, "offset")
        size = table.scalar(2, "u64", 0, "size")
        if offset > 1:
            self.fb.check_range(offset, size, table.path, "buffer data stored after the flatbuffer")
            data = np.frombuffer(self.fb.data, dtype=np.uint8, count=size, offset=offset)
            return Buffer(data, offset, size)
        span = table.byte_span(0, "data")
        if span is None or span[1] == 0:
            return Buffer(None, offset, size)
        start, length = span
        return Buffer(np.frombuffer(self.fb.data, dtype=np.uint8, count=length, offset=start), offset, size)

    def _operator_code(self, table: Table) -> OperatorCode:
        deprecated = table.scalar(0, "i8", 0, "deprecated_builtin_code")
        builtin = table.scalar(3, "i32", 0, "builtin_code")
        # Files written before builtin_code existed only have the int8 field; newer writers
        # store 127 (PLACEHOLDER_FOR_GREATER_OP_CODES) there for codes above 127.
        code = max(builtin, deprecated)
        if code not in BUILTIN_OPERATOR_NAMES:
            self.warn(table.path, f"builtin operator code {code} is not one microinfer knows (named "
                                  f"BUILTIN_{code} here)")
        version = table.scalar(2, "i32", 1, "version")
        if version < 1:
            self.warn(f"{table.path}.version", f"operator version {version} is below 1")
        return OperatorCode(code, version, table.string(1, "custom_code"), deprecated)

    def _subgraph(self, index, table: Table, buffers, operator_codes) -> Subgraph:
        path = table.path
        tensors = tuple(
            self._tensor(i, t, buffers) for i, t in enumerate(table.tables(0, "tensors"))
        )
        n = len(tensors)
        inputs = table.int_tuple(1, "inputs") or ()
        outputs = table.int_tuple(2, "outputs") or ()
        _check_indices(inputs, n, f"{path}.inputs", "tensor")
        _check_indices(outputs, n, f"{path}.outputs", "tensor")
        operators = tuple(
            self._operator(i, t, n, operator_codes) for i, t in enumerate(table.tables(3, "operators"))
        )
        return Subgraph(index, table.string(4, "name") or "", tensors, inputs, outputs, operators)

    def _tensor(self, index: int, table: Table, buffers) -> Tensor:
        path = table.path
        shape = _dims(table.int_tuple(0, "shape"), f"{path}.shape") or ()
        raw_type = table.scalar(1, "i8", 0, "type")
        try:
            tensor_type = TensorType(raw_type)
        except ValueError:
            raise ModelError(f"{path}.type: unknown tensor type {raw_type}") from None
        _check_tensor_size(shape, tensor_type, path)
        buffer_index = table.scalar(2, "u32", 0, "buffer")
        _check_index(buffer_index, len(buffers), f"{path}.buffer", "buffer")
        name = table.string(3, "name") or ""
        signature = _dims(table.int_tuple(7, "shape_signature"), f"{path}.shape_signature")
        tensor = Tensor(
            index=index,
            name=name,
            shape=shape,
            type=tensor_type,
            buffer=buffer_index,
            data=None,
            quantization=self._quantization(table, shape),
            is_variable=table.scalar(5, "bool", False, "is_variable"),
            shape_signature=signature,
            has_rank=table.scalar(8, "bool", False, "has_rank"),
            is_sparse=table.has(6),
        )
        raw = buffers[buffer_index].data
        if raw is None or tensor.is_sparse:
            return tensor
        if tensor_type is TensorType.INT4:
            self.fb.spend(2 * len(raw), path)  # unpacking copies: tensors sharing a buffer pay each
        expected = tensor_type.buffer_bytes(tensor.num_elements)
        if expected is not None and tensor_type.numpy_dtype is not None and len(raw) > expected:
            self.warn(path, f"buffer {buffer_index} holds {len(raw)} bytes, more than the "
                            f"{expected} that shape {list(shape)} of {tensor_type.name} needs "
                            f"(both references read the first {expected})")
            raw = raw[:expected]
        return dataclasses.replace(tensor, data=_constant_view(raw, tensor, path))

    def _quantization(self, table: Table, shape) -> Quantization | None:
        """The tensor's quantization as TFLite Micro reads it: scales and zero points are used
        only when both are given; with fewer zero points than scales the first one serves every
        channel. What LiteRT refuses instead (mismatched counts, an axis outside the rank, a
        scale count that is neither 1 nor the axis' size) is recorded as a warning it refuses."""
        q = table.table(4, "quantization")
        if q is None:
            return None
        scale = q.vector(2, "f32", "scale")
        zero_point = q.vector(3, "i64", "zero_point")
        minimum = q.vector(0, "f32", "min")
        maximum = q.vector(1, "f32", "max")
        axis = q.scalar(6, "i32", 0, "quantized_dimension")
        n_scale = 0 if scale is None else len(scale)
        n_zero = 0 if zero_point is None else len(zero_point)
        if n_scale == 0 and n_zero == 0 and minimum is None and maximum is None:
            return None
        empty_scale, empty_zero = np.zeros(0, dtype="<f4"), np.zeros(0, dtype="<i8")
        if n_scale == 0 or n_zero == 0:
            if n_scale or n_zero:
                # LiteRT reads a quantization only when both vectors are present, and then
                # insists on equal counts.
                both_present = scale is not None and zero_point is not None
                self.warn(q.path, f"{n_scale} scales and {n_zero} zero points: TFLite Micro treats "
                                  f"the tensor as not quantized" + ("; LiteRT refuses the model"
                                                                    if both_present else ""),
                          (LITERT,) if both_present else ())
            return Quantization(empty_scale, empty_zero, axis, minimum, maximum)
        if n_zero != n_scale:
            self.warn(q.path, f"{n_scale} scales but {n_zero} zero points: TFLite Micro gives every "
                              f"channel zero point {int(zero_point[0])}; LiteRT refuses the model",
                      (LITERT,))
            zero_point = np.full(n_scale, zero_point[0], dtype="<i8")
        self._check_scales(q.path, scale)
        self._check_axis(q.path, axis, n_scale, shape)
        return Quantization(scale=scale, zero_point=zero_point, quantized_dimension=axis,
                            min=minimum, max=maximum)

    def _check_scales(self, path: str, scale: np.ndarray) -> None:
        if not (np.isfinite(scale).all() and (scale > 0).all()):
            bad = next(i for i, s in enumerate(scale.tolist()) if not 0 < s < float("inf"))
            self.warn(f"{path}.scale[{bad}]", f"scale {scale[bad]} is not a finite positive number "
                                              f"(operators that use it refuse the model)")

    def _check_axis(self, path: str, axis: int, n_scale: int, shape) -> None:
        """LiteRT's checks of the quantized dimension; TFLite Micro only reads it where a
        kernel needs per-channel parameters (the kernels check it there)."""
        rank = len(shape)
        if axis < 0 or (rank and axis >= rank):
            self.warn(f"{path}.quantized_dimension", f"axis {axis} is outside the tensor's rank "
                                                     f"{rank}; LiteRT refuses the model", (LITERT,))
        elif n_scale != 1 and rank and shape[axis] != n_scale:
            self.warn(path, f"{n_scale} scales, but dimension {axis} of shape {list(shape)} has "
                            f"{shape[axis]} channels; LiteRT refuses the model", (LITERT,))

    def _operator(self, index: int, table: Table, num_tensors: int, operator_codes) -> Operator:
        path = table.path
        opcode_index = table.scalar(0, "u32", 0, "opcode_index")
        _check_index(opcode_index, len(operator_codes), f"{path}.opcode_index", "operator code")
        opcode = operator_codes[opcode_index]
        inputs = table.int_tuple(1, "inputs") or ()
        outputs = table.int_tuple(2, "outputs") or ()
        intermediates = table.int_tuple(8, "intermediates") or ()
        _check_indices(inputs, num_tensors, f"{path}.inputs", "tensor", optional=True)
        _check_indices(outputs, num_tensors, f"{path}.outputs", "tensor")
        _check_indices(intermediates, num_tensors, f"{path}.intermediates", "tensor")
        custom = table.byte_span(5, "custom_options")
        custom_options = None if custom is None else self.fb.data[custom[0] : custom[0] + custom[1]]
        return Operator(
            index=index,
            opcode_index=opcode_index,
            opcode=opcode,
            inputs=inputs,
            outputs=outputs,
            options=self._options(table, opcode),
            intermediates=intermediates,
            custom_options=custom_options,
        )

    def _options(self, table: Table, opcode: OperatorCode) -> Options | None:
        union_type = table.scalar(3, "u8", 0, "builtin_options_type")
        expected = OPERATOR_OPTIONS.get(opcode.name)
        if union_type == 0:
            return expected() if expected is not None else None
        cls = OPTIONS_BY_UNION_CODE.get(union_type)
        union_name = BUILTIN_OPTIONS_UNION_NAMES.get(union_type)
        if union_name is None:
            raise ModelError(f"{table.path}.builtin_options_type: unknown options type {union_type}")
        if expected is not None and cls is not expected:
            self.warn(table.path, f"operator {opcode.name} carries {union_name}, expected "
                                  f"{expected.__name__}: both references ignore it and use the "
                                  f"defaults, and so does microinfer")
            return expected()
        options_table = table.table(4, "builtin_options")
        if cls is None:
            return RawOptions(union_type, union_name)
        if options_table is None:
            return cls()
        return _decode_options(cls, options_table)

    def _signature_def(self, index: int, table: Table, subgraphs) -> SignatureDef:
        path = table.path
        subgraph_index = table.scalar(4, "u32", 0, "subgraph_index")
        _check_index(subgraph_index, len(subgraphs), f"{path}.subgraph_index", "subgraph")
        n = len(subgraphs[subgraph_index].tensors)

        def tensor_map(slot: int, kind: str) -> dict[str, int]:
            result = {}
            for j, entry in enumerate(table.tables(slot, kind)):
                tensor_index = entry.scalar(1, "u32", 0, "tensor_index")
                _check_index(tensor_index, n, f"{path}.{kind}[{j}].tensor_index", "tensor")
                result[entry.string(0, "name") or ""] = tensor_index
            return result

        return SignatureDef(
            signature_key=table.string(2, "signature_key") or "",
            subgraph_index=subgraph_index,
            inputs=tensor_map(0, "inputs"),
            outputs=tensor_map(1, "outputs"),
        )


def _decode_options(cls: type[Options], table: Table) -> Options:
    values = {}
    for slot, f in enumerate(dataclasses.fields(cls)):
        kind = f.metadata["wire"]
        if kind == "[i32]":  # new_shape, squeeze_dims: one entry per dimension at most
            vector = table.int_tuple(slot, f.name)
            if vector is not None and len(vector) > MAX_RANK:
                raise ModelError(
                    f"{table.path}.{f.name}: {len(vector)} entries exceed the rank limit of {MAX_RANK}"
                )
            values[f.name] = vector
            continue
        if kind == "str":
            values[f.name] = table.string(slot, f.name)
            continue
        if kind.startswith("["):
            vector = table.vector(slot, kind[1:-1], f.name)
            values[f.name] = None if vector is None else tuple(vector.tolist())
            continue
        raw = table.scalar(slot, kind, f.default, f.name)
        enum = f.metadata["enum"]
        if enum is not None:
            try:
                raw = enum(raw)
            except ValueError:
                raise ModelError(
                    f"{table.path}.{f.name}: {raw} is not a valid {enum.__name__}"
                ) from None
        values[f.name] = raw
    return cls(**values)


def _constant_view(raw: np.ndarray, tensor: Tensor, path: str) -> np.ndarray:
    if any(d < 0 for d in tensor.shape):
        raise ModelError(f"{path}: constant tensor has an unknown dimension in {list(tensor.shape)}")
    dtype = tensor.type.numpy_dtype
    expected = tensor.type.buffer_bytes(tensor.num_elements)
    if dtype is None or expected is None:
        return raw  # strings, resources: kept as bytes
    if len(raw) != expected:
        raise ModelError(
            f"{path}: buffer {tensor.buffer} holds {len(raw)} bytes, but shape "
            f"{list(tensor.shape)} of {tensor.type.name} needs {expected}"
        )
    if tensor.type is TensorType.INT4:
        return _unpack_int4(raw, tensor.shape)
    return np.frombuffer(raw, dtype=dtype).reshape(tensor.shape)


def _unpack_int4(raw: np.ndarray, shape) -> np.ndarray:
    """INT4 buffers hold two values a byte, the low nibble first; unpacking copies."""
    packed = raw.astype(np.int8)
    low = (packed << 4) >> 4
    high = packed >> 4
    values = np.stack([low, high], axis=-1).reshape(-1)[: int(np.prod(shape, dtype=np.int64))]
    values = values.reshape(shape)
    values.flags.writeable = False
    return values


def _check_tensor_size(shape: tuple[int, ...], tensor_type: TensorType, path: str) -> None:
    """Refuse shapes whose size overflows what any runtime (or NumPy's int64) can hold."""
    elements = 1
    for d in shape:
        elements *= max(d, 1)
    nbytes = tensor_type.buffer_bytes(elements)
    if (nbytes if nbytes is not None else elements) > MAX_TENSOR_BYTES:
        raise ModelError(
            f"{path}.shape: shape {list(shape)} of {tensor_type.name} would take "
            f"{nbytes if nbytes is not None else elements} bytes, more than {MAX_TENSOR_BYTES}"
        )


def _check_indices(
    values: tuple[int, ...], count: int, path: str, what: str, optional: bool = False
) -> None:
    """Check a whole vector of indices at C speed; name the first bad one (-1 allowed if optional)."""
    lowest = -1 if optional else 0
    if not values or (lowest <= min(values) and max(values) < count):
        return
    for j, value in enumerate(values):
        if not (optional and value == -1):
            _check_index(value, count, f"{path}[{j}]", what)


def _check_index(value: int, count: int, path: str, what: str) -> None:
    if not 0 <= value < count:
        raise ModelError(f"{path}: {what} index {value} is out of range (the model has {count})")
