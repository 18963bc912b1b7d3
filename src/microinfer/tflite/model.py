"""The in-memory form of a TFLite model, as the loader returns it and the builder accepts it."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from ..errors import ModelError
from .options import Options
from .schema_codes import BUILTIN_OPERATOR_NAMES
from .types import TensorType

OFFLINE_MEMORY_ALLOCATION = "OfflineMemoryAllocation"


@dataclass(frozen=True)
class ModelWarning:
    """Something in a model that TFLite Micro tolerates but the schema frowns on, with the table
    path where it is; ``refused_by`` names the references that refuse the model for it."""

    path: str
    message: str
    refused_by: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass(frozen=True)
class Quantization:
    """Affine quantization: ``real = scale * (q - zero_point)``, per tensor or per channel."""

    scale: np.ndarray
    zero_point: np.ndarray
    quantized_dimension: int = 0
    min: np.ndarray | None = None
    max: np.ndarray | None = None

    @property
    def per_channel(self) -> bool:
        return len(self.scale) > 1

    @property
    def granularity(self) -> str:
        if len(self.scale) == 0:
            return "none"
        return f"per-channel(axis {self.quantized_dimension})" if self.per_channel else "per-tensor"


@dataclass(frozen=True)
class Tensor:
    index: int
    name: str
    shape: tuple[int, ...]
    type: TensorType
    buffer: int = 0
    data: np.ndarray | None = None  # constant data, a read-only view into the model bytes
    quantization: Quantization | None = None
    is_variable: bool = False
    shape_signature: tuple[int, ...] | None = None
    has_rank: bool = False
    is_sparse: bool = False

    @property
    def is_constant(self) -> bool:
        return self.data is not None

    @property
    def num_elements(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n

    @property
    def nbytes(self) -> int:
        return self.type.buffer_bytes(self.num_elements) or 0

    @property
    def dtype_name(self) -> str:
        return self.type.name.lower()


@dataclass(frozen=True)
class OperatorCode:
    builtin_code: int
    version: int = 1
    custom_code: str | None = None
    deprecated_builtin_code: int = 0

    @functools.cached_property  # frozen: computed once (planning a 20,000-operator graph asks often)
    def name(self) -> str:
        if self.custom_code is not None and self.builtin_code == 32:  # CUSTOM
            return self.custom_code
        return BUILTIN_OPERATOR_NAMES.get(self.builtin_code, f"BUILTIN_{self.builtin_code}")


@dataclass(frozen=True)
class Operator:
    index: int
    opcode_index: int
    opcode: OperatorCode
    inputs: tuple[int, ...]  # -1 marks an omitted optional input
    outputs: tuple[int, ...]
    options: Options | None = None
    intermediates: tuple[int, ...] = ()
    custom_options: bytes | None = None

    @functools.cached_property
    def op(self) -> str:
        return self.opcode.name

    @property
    def version(self) -> int:
        return self.opcode.version


@dataclass(frozen=True)
class Subgraph:
    index: int
    name: str
    tensors: tuple[Tensor, ...]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    operators: tuple[Operator, ...]

    def input_tensors(self) -> list[Tensor]:
        return [self.tensors[i] for i in self.inputs]

    def output_tensors(self) -> list[Tensor]:
        return [self.tensors[i] for i in self.outputs]

    def tensor_by_name(self, name: str) -> Tensor:
        for tensor in self.tensors:
            if tensor.name == name:
                return tensor
        raise KeyError(f"subgraph {self.index} has no tensor named {name!r}")


@dataclass(frozen=True)
class Buffer:
    data: np.ndarray | None  # uint8, read-only view; None when empty
    offset: int = 0  # > 1: data stored after the flatbuffer, at this file offset
    size: int = 0


@dataclass(frozen=True)
class SignatureDef:
    signature_key: str
    subgraph_index: int
    inputs: dict[str, int]
    outputs: dict[str, int]


@dataclass(frozen=True)
class OfflineMemoryAllocation:
    """TFLM's ``OfflineMemoryAllocation`` metadata: arena offsets planned ahead, -1 = not planned."""

    version: int
    subgraph_index: int
    offsets: tuple[int, ...]


@dataclass(frozen=True)
class Model:
    version: int
    description: str
    operator_codes: tuple[OperatorCode, ...]
    subgraphs: tuple[Subgraph, ...]
    buffers: tuple[Buffer, ...]
    metadata: dict[str, np.ndarray] = field(default_factory=dict)
    signature_defs: tuple[SignatureDef, ...] = ()
    size_bytes: int = 0
    metadata_buffers: dict[str, int] = field(default_factory=dict)  # name -> buffer index
    warnings: tuple[ModelWarning, ...] = ()  # oddities TFLite Micro tolerates, one line each

    def refusals(self, reference: str) -> list[ModelWarning]:
        """The warnings for which ``reference`` ("tflm" or "tflite") refuses the model."""
        return [w for w in self.warnings if reference in w.refused_by]

    def _repr_html_(self) -> str:
        """The operator table, for notebooks."""
        from ..report import model_html

        return model_html(self)

    @property
    def main(self) -> Subgraph:
        return self.subgraphs[0]

    @property
    def offline_memory_allocation(self) -> OfflineMemoryAllocation | None:
        """TFLM's ``OfflineMemoryAllocation`` metadata, checked as TFLite Micro checks it: the
        count must equal the tensors of all subgraphs together, and an offset is -1 (planned
        online) or a byte offset into the arena."""
        raw = self.metadata.get(OFFLINE_MEMORY_ALLOCATION)
        if raw is None:
            return None
        where = f"metadata {OFFLINE_MEMORY_ALLOCATION!r}"
        words = np.frombuffer(raw.tobytes()[: len(raw) // 4 * 4], dtype="<i4")
        if len(words) < 3 or words[2] < 0 or words[2] > len(words) - 3:
            raise ModelError(f"{where}: expected [version, subgraph, count, offsets...] with "
                             f"count offsets following, got {len(words)} words")
        count = int(words[2])
        tensors = sum(len(sg.tensors) for sg in self.subgraphs)
        if count != tensors:
            raise ModelError(f"{where}: {count} offsets for {tensors} tensors (TFLite Micro refuses "
                             f"a plan that does not give one offset per tensor of all subgraphs)")
        offsets = tuple(int(w) for w in words[3:3 + count])
        negative = [i for i, o in enumerate(offsets) if o < -1]
        if negative:
            raise ModelError(f"{where}: offset {offsets[negative[0]]} of tensor {negative[0]} is "
                             f"negative (only -1, planned at run time, may be)")
        return OfflineMemoryAllocation(int(words[0]), int(words[1]), offsets)
