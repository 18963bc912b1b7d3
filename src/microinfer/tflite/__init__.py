"""Reading and writing TFLite flatbuffers (schema version 3)."""

from . import options
from .builder import ModelBuilder, SubgraphBuilder, pack_int4, quantization, tensor_type
from .loader import load
from .model import (
    Buffer,
    Model,
    OfflineMemoryAllocation,
    Operator,
    OperatorCode,
    Quantization,
    SignatureDef,
    Subgraph,
    Tensor,
)
from .types import ActivationFunction, Padding, TensorType
from .writer import serialize

__all__ = [
    "ActivationFunction", "Buffer", "Model", "ModelBuilder", "OfflineMemoryAllocation", "Operator",
    "OperatorCode", "Padding", "Quantization", "SignatureDef", "Subgraph", "SubgraphBuilder",
    "Tensor", "TensorType", "load", "options", "pack_int4", "quantization", "serialize",
    "tensor_type",
]
