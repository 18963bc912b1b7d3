"""What the element-wise unary kernels share (ABS, NEG, EXP, LOG, SQRT, RSQRT, SIN, COS, FLOOR,
CEIL, ROUND, SQUARE, ELU): a base kernel, the quantized lookup tables, constraint factories.

A kernel subclasses :class:`UnaryKernel` and gives ``element``, the function applied to each
value: float32 arrays in and out, or raw integers where a reference computes on them directly
(NEG and ABS on integer tensors, with the C types' wrap-around). Quantized int8/int16 variants
give ``table``, a function of the node returning the output for every value of the input type,
worked out at prepare time from the tensors' scales and zero points the way the reference does it
(a LiteRT lookup table, a per-value float computation, fixed-point arithmetic); ``eval`` then only
indexes the table. Input values a reference rejects when it runs (SQRT and RSQRT of negative numbers) are
marked in the table, and ``eval`` raises :class:`~microinfer.errors.InvalidInputError` for them as
the reference fails its Invoke.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import InvalidInputError
from ..tflite.model import Tensor
from ..tflite.types import TensorType
from . import _elementwise as ew
from . import common
from ._lookup_tables import UndefinedTableEntry, lut_int8, lut_int16_quantized, lut_lookup_int16
from ._shapes import litert_only
from .registry import TFLITE, TFLM, Kernel, Node

F32, I8, I16, I32, I64 = (TensorType.FLOAT32, TensorType.INT8, TensorType.INT16, TensorType.INT32,
                          TensorType.INT64)
QUANTIZED = (I8, I16)
NUMPY_TYPES = {F32: np.float32, I8: np.int8, I16: np.int16, I32: np.int32, I64: np.int64}


@dataclass(frozen=True)
class QuantizedTable:
    """The output of a quantized unary kernel for every value of its input type, lowest first."""

    values: np.ndarray
    invalid: np.ndarray | None = None  # True where the reference fails its Invoke on that value
    invalid_message: str = ""


@dataclass(frozen=True)
class UnaryData:
    kind: str  # "element" (the element function on the values) or "table" (quantized lookup)
    dtype: type  # NumPy type of the output
    table: np.ndarray | None = None
    lowest: int = 0  # the input type's smallest value, at table index 0
    invalid: np.ndarray | None = None
    invalid_message: str = ""


class UnaryKernel(Kernel):
    """Base of the element-wise unary kernels; see the module docstring."""

    inputs = (1, 1)
    outputs = (1, 1)

    @staticmethod
    def element(x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    # node -> QuantizedTable of the quantized variants, None where ``element`` runs on the raw
    # integers (a plain function, so that the kernel's constraints can call it too)
    table: Callable[[Node], QuantizedTable | None] | None = None

    def quantized_table(self, node: Node) -> QuantizedTable | None:
        return None if type(self).table is None else type(self).table(node)

    def prepare(self, node: Node) -> UnaryData:
        x = node.input(0)
        dtype = NUMPY_TYPES[node.outputs[0].type]
        table = self.quantized_table(node) if x.type in QUANTIZED else None
        if table is None:
            return UnaryData("element", dtype)
        lowest = int(np.iinfo(NUMPY_TYPES[x.type]).min)
        return UnaryData("table", dtype, np.asarray(table.values).astype(dtype), lowest, table.invalid,
                         table.invalid_message)

    def eval(self, data: UnaryData, inputs):
        x = inputs[0]
        if data.kind == "table":
            index = x.astype(np.int64) - data.lowest
            if data.invalid is not None and data.invalid[index].any():
                raise InvalidInputError(data.invalid_message)
            return [data.table[index]]
        with np.errstate(all="ignore"):
            return [np.asarray(self.element(x)).astype(data.dtype)]


# -- float32 element functions, as the references' C code evaluates them -----------------------

def float_function(ufunc) -> Callable[[np.ndarray], np.ndarray]:
    """The C library's float version of a function (expf, logf, sinf, ...) on float32 values.

    glibc's float functions are correctly rounded in nearly all cases, so the ufunc is evaluated
    in double and rounded once to float32: on 40000 values spread over the float range this
    differs from the references in 7 (exp) to ~500 (sin, cos) last bits, against 1400 to 8000
    for NumPy's own float32 loops."""

    def element(x: np.ndarray) -> np.ndarray:
        return ufunc(x.astype(np.float64)).astype(np.float32)

    return staticmethod(element)


# -- the quantized tables ------------------------------------------------------------------------

def input_values(t: Tensor) -> np.ndarray:
    """Every value of an int8 or int16 tensor's type, lowest first, as int64."""
    info = np.iinfo(NUMPY_TYPES[t.type])
    return np.arange(info.min, info.max + 1, dtype=np.int64)


def quantization(node: Node) -> tuple[np.float32, int, np.float32, int]:
    """(input scale, input zero point, output scale, output zero point)."""
    x, y = node.input(0), node.outputs[0]
    return common.scale_of(x), common.zero_point_of(x), common.scale_of(y), common.zero_point_of(y)


@functools.lru_cache(maxsize=256)
def _litert_lut(func, type_: TensorType, in_scale, in_zp: int, out_scale, out_zp: int) -> np.ndarray:
    if type_ is I8:
        return lut_int8(in_scale, in_zp, out_scale, out_zp, func)
    lut = lut_int16_quantized(func, in_scale, in_zp, out_scale, out_zp)
    return lut_lookup_int16(np.arange(-32768, 32768), lut)


def litert_lut_table(node: Node, func) -> QuantizedTable:
    """LiteRT's LUTPopulate for the node's tensors (a 256-entry table for int8, a 513-entry
    interpolated one for int16), evaluated on every input value. ``func`` maps a np.float32 to a
    np.float32 the way the C++ lambda does (the C library's float functions, see ``_libm``).
    Raises UndefinedTableEntry where the reference's float-to-integer conversion is undefined."""
    in_scale, in_zp, out_scale, out_zp = quantization(node)
    return QuantizedTable(_litert_lut(func, node.input(0).type, float(in_scale), in_zp, float(out_scale), out_zp))


def lut_defined(table_of: Callable[[Node], QuantizedTable | None]):
    """A constraint: building the node's table hits no undefined float-to-integer conversion."""

    def check(node: Node) -> bool:
        if not quantization_usable(node):
            return True
        try:
            table_of(node)
        except UndefinedTableEntry:
            return False
        return True

    check.__doc__ = ("Quantized: every input value's result divided by the output scale is finite and fits "
                     "in int32 (the reference converts it to an integer)")
    return check


# -- constraints ---------------------------------------------------------------------------------

def quantization_usable(node: Node) -> bool:
    """Whether a quantized node passes QUANTIZED_CONSTRAINTS, so that its scales can be used (the
    constraints that compute with them hold otherwise: the failed one is reported)."""
    return node.input(0).type in QUANTIZED and all(c(node) for c in QUANTIZED_CONSTRAINTS)


def has_quantization(node: Node) -> bool:
    """Whether the input carries quantization parameters."""
    q = node.input(0).quantization
    return q is not None and len(q.scale) > 0


def tflm_allocates(node: Node) -> bool:
    """With reference='tflm': no tensor of two or more dimensions is empty (TFLite Micro fails to allocate it)"""
    return node.reference != TFLM or not any(
        len(t.shape) >= 2 and 0 in t.shape for t in (*node.inputs, *node.outputs) if t is not None)


def operand_constraints(tflm: Sequence[TensorType], tflite: Sequence[TensorType]) -> tuple:
    """The first constraints of every unary kernel: the types each reference takes, the shape,
    and TFLite Micro's allocator."""
    return (ew.types_per_reference(tflm, tflite), ew.unary_same_shape, tflm_allocates)


def litert_unregistered(node: Node) -> bool:
    """With reference='tflite': LiteRT's reference resolver has no kernel for this operator"""
    return node.reference != TFLITE


def litert_version_at_most(version: int):
    """A constraint: LiteRT's reference resolver registers the operator up to ``version``."""
    return litert_only(lambda node: node.op.version <= version,
                       f"With reference='tflite': the operator version is at most {version} "
                       f"(LiteRT's reference resolver)")


def int16_zero_points(node: Node) -> bool:
    """int16: input and output have zero point 0"""
    return node.input(0).type is not I16 or not has_quantization(node) or (
        common.zero_point_of(node.input(0)) == 0 and common.zero_point_of(node.outputs[0]) == 0)


# The checks of every quantized table path, in their user-facing order (they pass float tensors).
QUANTIZED_CONSTRAINTS = ew.QUANTIZATION_CONSTRAINTS


def litert_lut_constraints(table_of: Callable[[Node], QuantizedTable]) -> tuple:
    """The constraints of a kernel with float32 in both references and LiteRT's int8/int16 table."""
    return (*operand_constraints((F32,), (F32, I8, I16)), *QUANTIZED_CONSTRAINTS, int16_zero_points,
            lut_defined(table_of))


def float_constraints(*, tflite_unregistered: bool = False) -> tuple:
    """The constraints of a float32-only unary kernel (SIN, COS, FLOOR, CEIL, ROUND, SQUARE)."""
    return (*operand_constraints((F32,), (F32,)), *((litert_unregistered,) if tflite_unregistered else ()))
