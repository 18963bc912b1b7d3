"""Enumerations of the TFLite schema used throughout microinfer."""

from __future__ import annotations

import enum

import numpy as np


class TensorType(enum.IntEnum):
    """``tflite.TensorType``: the element type of a tensor."""

    FLOAT32 = 0
    FLOAT16 = 1
    INT32 = 2
    UINT8 = 3
    INT64 = 4
    STRING = 5
    BOOL = 6
    INT16 = 7
    COMPLEX64 = 8
    INT8 = 9
    FLOAT64 = 10
    COMPLEX128 = 11
    UINT64 = 12
    RESOURCE = 13
    VARIANT = 14
    UINT32 = 15
    UINT16 = 16
    INT4 = 17
    BFLOAT16 = 18

    @property
    def numpy_dtype(self) -> np.dtype | None:
        """The NumPy dtype of one element (INT4 unpacks to int8); None for opaque types."""
        return _NUMPY_DTYPES.get(self)

    @property
    def bits(self) -> int | None:
        """Bits one element occupies in a buffer; None for variable-size or opaque types."""
        return _BITS.get(self)

    def buffer_bytes(self, num_elements: int) -> int | None:
        """Bytes a constant buffer of ``num_elements`` elements of this type must hold."""
        bits = self.bits
        return None if bits is None else (num_elements * bits + 7) // 8

    @classmethod
    def from_numpy(cls, dtype) -> "TensorType":
        dtype = np.dtype(dtype)
        for tensor_type, np_dtype in _NUMPY_DTYPES.items():
            if np_dtype == dtype and tensor_type is not TensorType.INT4:
                return tensor_type
        raise ValueError(f"no TFLite tensor type for NumPy dtype {dtype}")


_NUMPY_DTYPES = {
    TensorType.FLOAT32: np.dtype("<f4"),
    TensorType.FLOAT16: np.dtype("<f2"),
    TensorType.INT32: np.dtype("<i4"),
    TensorType.UINT8: np.dtype("u1"),
    TensorType.INT64: np.dtype("<i8"),
    TensorType.BOOL: np.dtype("?"),
    TensorType.INT16: np.dtype("<i2"),
    TensorType.COMPLEX64: np.dtype("<c8"),
    TensorType.INT8: np.dtype("i1"),
    TensorType.FLOAT64: np.dtype("<f8"),
    TensorType.COMPLEX128: np.dtype("<c16"),
    TensorType.UINT64: np.dtype("<u8"),
    TensorType.UINT32: np.dtype("<u4"),
    TensorType.UINT16: np.dtype("<u2"),
    TensorType.INT4: np.dtype("i1"),
}

_BITS = {t: d.itemsize * 8 for t, d in _NUMPY_DTYPES.items()}
_BITS[TensorType.INT4] = 4
_BITS[TensorType.BFLOAT16] = 16


class ActivationFunction(enum.IntEnum):
    """``tflite.ActivationFunctionType``: the activation fused into an operator."""

    NONE = 0
    RELU = 1
    RELU_N1_TO_1 = 2
    RELU6 = 3
    TANH = 4
    SIGN_BIT = 5


class Padding(enum.IntEnum):
    """``tflite.Padding``."""

    SAME = 0
    VALID = 1


class FullyConnectedWeightsFormat(enum.IntEnum):
    DEFAULT = 0
    SHUFFLED4x16INT8 = 1
