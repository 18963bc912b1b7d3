"""Write valid .tflite models: the test-model factory for microinfer, its fuzzer and its users.

    builder = ModelBuilder()
    g = builder.main
    x = g.add_input("x", (1, 8), "int8", scale=0.05, zero_point=-3)
    w = g.add_constant("w", np.ones((4, 8), np.int8), scale=0.01, zero_point=0)
    y = g.add_tensor("y", (1, 4), "int8", scale=0.1, zero_point=2)
    g.add_operator("FULLY_CONNECTED", [x, w, -1], [y], FullyConnectedOptions())
    g.outputs.append(y)
    tflite_bytes = builder.build()
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

import numpy as np

from .model import (
    OFFLINE_MEMORY_ALLOCATION,
    Buffer,
    Model,
    Operator,
    OperatorCode,
    Quantization,
    SignatureDef,
    Subgraph,
    Tensor,
)
from .options import OPERATOR_OPTIONS, Options
from .schema_codes import BUILTIN_OPERATOR_CODES
from .types import TensorType
from .writer import serialize

CUSTOM_OPERATOR = BUILTIN_OPERATOR_CODES["CUSTOM"]


def tensor_type(dtype) -> TensorType:
    """Accept a TensorType, its name ('int8', 'INT16') or a NumPy dtype."""
    if isinstance(dtype, TensorType):
        return dtype
    if isinstance(dtype, str) and dtype.upper() in TensorType.__members__:
        return TensorType[dtype.upper()]
    return TensorType.from_numpy(dtype)


def quantization(scale, zero_point=0, axis: int = 0) -> Quantization:
    """Per-tensor (scalar ``scale``) or per-channel (sequence ``scale``) affine quantization."""
    scale = np.atleast_1d(np.asarray(scale, dtype="<f4"))
    zero_point = np.asarray(zero_point, dtype="<i8")
    if zero_point.ndim == 0:
        zero_point = np.full(len(scale), zero_point, dtype="<i8")
    if len(zero_point) != len(scale):
        raise ValueError(f"{len(scale)} scales but {len(zero_point)} zero points")
    return Quantization(scale=scale, zero_point=zero_point, quantized_dimension=axis)


def pack_int4(values: np.ndarray) -> bytes:
    """Two int4 values a byte, the first in the low nibble, as TFLite stores them."""
    flat = np.asarray(values, dtype=np.int8).reshape(-1)
    if flat.size and (flat.min() < -8 or flat.max() > 7):
        raise ValueError("int4 values must lie in [-8, 7]")
    if flat.size % 2:
        flat = np.append(flat, np.int8(0))
    nibbles = flat.astype(np.uint8) & 0x0F
    return (nibbles[0::2] | (nibbles[1::2] << 4)).astype(np.uint8).tobytes()


def _bytes_view(buffer: Buffer) -> np.ndarray:
    return buffer.data if buffer.data is not None else np.zeros(0, dtype=np.uint8)


class SubgraphBuilder:
    """Tensors and operators of one subgraph, added in execution order."""

    def __init__(self, model: "ModelBuilder", index: int, name: str):
        self._model = model
        self.index = index
        self.name = name
        self.tensors: list[Tensor] = []
        self.operators: list[Operator] = []
        self.inputs: list[int] = []
        self.outputs: list[int] = []

    def add_tensor(
        self,
        name: str,
        shape: Iterable[int],
        dtype,
        *,
        data=None,
        scale=None,
        zero_point=0,
        axis: int = 0,
        quant: Quantization | None = None,
        is_variable: bool = False,
        shape_signature: Iterable[int] | None = None,
    ) -> int:
        """Add a tensor and return its index. ``data`` makes it constant."""
        shape = tuple(int(d) for d in shape)
        ttype = tensor_type(dtype)
        if quant is None and scale is not None:
            quant = quantization(scale, zero_point, axis)
        buffer_index, view = 0, None
        if data is not None and np.asarray(data).size > 0:
            buffer_index, view = self._model._add_tensor_data(name, data, shape, ttype)
        self.tensors.append(
            Tensor(
                index=len(self.tensors),
                name=name,
                shape=shape,
                type=ttype,
                buffer=buffer_index,
                data=view,
                quantization=quant,
                is_variable=is_variable,
                shape_signature=None if shape_signature is None else tuple(shape_signature),
            )
        )
        return len(self.tensors) - 1

    def add_input(self, name: str, shape, dtype, **kwargs) -> int:
        index = self.add_tensor(name, shape, dtype, **kwargs)
        self.inputs.append(index)
        return index

    def add_output(self, name: str, shape, dtype, **kwargs) -> int:
        index = self.add_tensor(name, shape, dtype, **kwargs)
        self.outputs.append(index)
        return index

    def add_constant(self, name: str, data, dtype=None, **kwargs) -> int:
        array = np.asarray(data)
        return self.add_tensor(name, array.shape, dtype or array.dtype, data=array, **kwargs)

    def add_operator(
        self,
        op: str | int,
        inputs: Iterable[int],
        outputs: Iterable[int],
        options: Options | None = None,
        *,
        version: int = 1,
        intermediates: Iterable[int] = (),
        custom_code: str | None = None,
        custom_options: bytes | None = None,
    ) -> int:
        code = BUILTIN_OPERATOR_CODES.get(op) if isinstance(op, str) else int(op)
        if code is None:
            raise ValueError(f"unknown builtin operator {op!r}")
        name = op if isinstance(op, str) else None
        expected = OPERATOR_OPTIONS.get(name) if name else None
        if options is None and expected is not None:
            options = expected()
        if options is not None and expected is not None and not isinstance(options, expected):
            raise ValueError(f"{op} takes {expected.__name__}, not {type(options).__name__}")
        inputs, outputs, intermediates = tuple(inputs), tuple(outputs), tuple(intermediates)
        for kind, values in (("input", inputs), ("output", outputs), ("intermediate", intermediates)):
            for t in values:
                if not (-1 if kind == "input" else 0) <= t < len(self.tensors):
                    raise ValueError(f"{op}: {kind} tensor index {t} is out of range")
        opcode_index = self._model._opcode(code, version, custom_code)
        self.operators.append(
            Operator(
                index=len(self.operators),
                opcode_index=opcode_index,
                opcode=self._model._opcodes[opcode_index],
                inputs=inputs,
                outputs=outputs,
                options=options,
                intermediates=intermediates,
                custom_options=custom_options,
            )
        )
        return len(self.operators) - 1

    def subgraph(self) -> Subgraph:
        return Subgraph(
            self.index,
            self.name,
            tuple(self.tensors),
            tuple(self.inputs),
            tuple(self.outputs),
            tuple(self.operators),
        )


class ModelBuilder:
    """Assemble a TFLite model in memory and serialize it (``build``, ``save``)."""

    def __init__(self, description: str = "built by microinfer"):
        self.description = description
        self._buffers: list[Buffer] = [Buffer(None)]  # buffer 0 is empty by convention
        self._opcodes: list[OperatorCode] = []
        self._subgraphs: list[SubgraphBuilder] = [SubgraphBuilder(self, 0, "main")]
        self._metadata: dict[str, int] = {}
        self._signatures: list[SignatureDef] = []

    @property
    def main(self) -> SubgraphBuilder:
        return self._subgraphs[0]

    def add_subgraph(self, name: str) -> SubgraphBuilder:
        sg = SubgraphBuilder(self, len(self._subgraphs), name)
        self._subgraphs.append(sg)
        return sg

    def add_metadata(self, name: str, data: bytes) -> None:
        self._metadata[name] = self._add_buffer(bytes(data))

    def add_offline_memory_allocation(self, offsets: Iterable[int], subgraph_index: int = 0) -> None:
        """TFLM's offline-planned arena offsets, one per tensor of every subgraph in order
        (-1: plan online). Checked against the tensor count when the model is built."""
        offsets = list(offsets)
        words = np.array([1, subgraph_index, len(offsets), *offsets], dtype="<i4")
        self.add_metadata(OFFLINE_MEMORY_ALLOCATION, words.tobytes())

    def add_signature(
        self, key: str, inputs: Mapping[str, int], outputs: Mapping[str, int], subgraph_index: int = 0
    ) -> None:
        self._signatures.append(SignatureDef(key, subgraph_index, dict(inputs), dict(outputs)))

    def model(self) -> Model:
        self._check_offline_plan()
        return Model(
            version=3,
            description=self.description,
            operator_codes=tuple(self._opcodes),
            subgraphs=tuple(sg.subgraph() for sg in self._subgraphs),
            buffers=tuple(self._buffers),
            metadata={name: _bytes_view(self._buffers[i]) for name, i in self._metadata.items()},
            signature_defs=tuple(self._signatures),
            metadata_buffers=dict(self._metadata),
        )

    def build(self) -> bytes:
        return serialize(self.model())

    def save(self, path: str | os.PathLike) -> bytes:
        data = self.build()
        with open(path, "wb") as f:
            f.write(data)
        return data

    def _check_offline_plan(self) -> None:
        index = self._metadata.get(OFFLINE_MEMORY_ALLOCATION)
        if index is None:
            return
        count = int(np.frombuffer(self._buffers[index].data.tobytes()[8:12], dtype="<i4")[0])
        tensors = sum(len(sg.tensors) for sg in self._subgraphs)
        if count != tensors:
            raise ValueError(
                f"{OFFLINE_MEMORY_ALLOCATION}: {count} offsets for {tensors} tensors; TFLite Micro "
                "needs one per tensor of every subgraph"
            )

    # -- used by SubgraphBuilder ---------------------------------------------------------------
    def _opcode(self, code: int, version: int, custom_code: str | None) -> int:
        for i, existing in enumerate(self._opcodes):
            if (existing.builtin_code, existing.version, existing.custom_code) == (code, version, custom_code):
                return i
        self._opcodes.append(OperatorCode(code, version, custom_code, min(code, 127)))
        return len(self._opcodes) - 1

    def _add_buffer(self, payload: bytes) -> int:
        data = np.frombuffer(payload, dtype=np.uint8) if payload else None
        self._buffers.append(Buffer(data))
        return len(self._buffers) - 1

    def _add_tensor_data(self, name, data, shape, ttype: TensorType) -> tuple[int, np.ndarray]:
        array = np.asarray(data)
        if array.shape != shape:
            raise ValueError(f"tensor {name!r}: data shape {array.shape} does not match {shape}")
        if ttype is TensorType.INT4:
            values = array.astype(np.int8)
            index = self._add_buffer(pack_int4(values))
            view = values.copy()
        else:
            dtype = ttype.numpy_dtype
            if dtype is None:
                raise ValueError(f"tensor {name!r}: cannot store constant data of type {ttype.name}")
            view = np.ascontiguousarray(array.astype(dtype, copy=False))
            index = self._add_buffer(view.tobytes())
            view = np.frombuffer(self._buffers[index].data, dtype=dtype).reshape(shape)
        view.flags.writeable = False
        return index, view
