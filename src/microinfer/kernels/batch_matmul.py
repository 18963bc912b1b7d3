"""BATCH_MATMUL: ``output[..., i, j] = sum_k lhs[..., i, k] * rhs[..., k, j]`` per batch.

``adj_x`` / ``adj_y`` take the left / right operand transposed (its last two dimensions swapped).
Both operands have 2 to 5 dimensions; their batch dimensions (all but the last two, right
aligned) broadcast where one of them is 1. Either operand may be constant or computed.

Arithmetic, in both references (TFLite Micro and LiteRT share the reference kernel):

* int8: ``sum (lhs - lhs_zp) * (rhs - rhs_zp)`` in int32, rescaled by ``lhs_scale * rhs_scale /
  output_scale`` (MultiplyByQuantizedMultiplier), plus the output zero point, saturated to int8.
* int16 (LiteRT also int16 activations with int8 right operand): zero points 0, the sum in int64
  and the int64 MultiplyByQuantizedMultiplier, saturated to int16.
* int8 operands with an int32 output (LiteRT only): the raw sum of products, zero points and
  scales ignored.
* float32: float sums (within 1e-5 of the references, whose summation order differs).
* float32 lhs with int8 weights (LiteRT's "hybrid" kernel): each lhs row quantized to int8 on
  the fly, see :mod:`._batch_matmul_hybrid`.

Integer sums are exact in floating point while below 2**53 (float64) or 2**24 (float32), so
BLAS does the multiply-accumulates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.model import Tensor
from ..tflite.types import TensorType
from . import _batch_matmul_hybrid as hybrid
from . import common
from .fixedpoint import DOUBLE, Rescale, multiply_by_quantized_multiplier_int64, quantize_multiplier
from .registry import TFLM, Kernel, Node, register

_LHS, _RHS = 0, 1
I8, I16, I32, F32 = TensorType.INT8, TensorType.INT16, TensorType.INT32, TensorType.FLOAT32
# (lhs, rhs, output) types each reference runs
TFLM_COMBOS = {(I8, I8, I8): "int8", (I16, I16, I16): "int16", (F32, F32, F32): "float32"}
LITERT_COMBOS = {**TFLM_COMBOS, (I16, I8, I16): "int16", (I8, I8, I32): "int8 to int32", (F32, I8, F32): "hybrid"}
# The int32 (int8 path) and int64 (int16 path) sums: products summed must stay below these.
INT32_SUM_LIMIT = 1 << 31
INT64_REQUANTIZE_LIMIT = 1 << 47  # the int64 requantizer multiplies the sum by up to 2**15
MAX_SHIFT = 30  # int32 requantizer: a larger left shift overflows in the references
MAX_WIDE_SHIFT = 14  # int64 requantizer: its right shift 15 - shift must stay positive


@dataclass(frozen=True)
class BatchMatMulData:
    kind: str  # "float32", "int8", "int16", "int8 to int32"
    adj_x: bool
    adj_y: bool
    output_shape: tuple[int, ...]
    accumulator: type  # float dtype whose sums of products are exact (or float32 for float models)
    lhs_offset: int  # added to each operand before the products (minus its zero point)
    rhs_offset: int
    constant_rhs: np.ndarray | None  # the offset right operand, (..., depth, cols), in accumulator
    rescale: Rescale | None  # int8
    multiplier: int
    shift: int
    output_offset: int
    dtype: np.dtype
    hybrid: hybrid.HybridPlan | None = None


def _combo(node: Node) -> str | None:
    """The arithmetic of the node's (lhs, rhs, output) types in its reference's mode."""
    combos = TFLM_COMBOS if node.reference == TFLM else LITERT_COMBOS
    return combos.get((node.input(_LHS).type, node.input(_RHS).type, node.outputs[0].type))


def matmul_shape(lhs: tuple[int, ...], rhs: tuple[int, ...], adj_x: bool, adj_y: bool) -> tuple[int, ...] | None:
    """The product's shape (ResizeOutputTensor), or None when the operands do not multiply."""
    if not (2 <= len(lhs) <= 5 and 2 <= len(rhs) <= 5):
        return None
    rank = max(len(lhs), len(rhs))
    lhs_full = (1,) * (rank - len(lhs)) + tuple(lhs)
    rhs_full = (1,) * (rank - len(rhs)) + tuple(rhs)
    batch = []
    for a, b in zip(lhs_full[:-2], rhs_full[:-2]):
        if a != b and a != 1 and b != 1:
            return None
        batch.append(b if a == 1 else a)
    rows, depth = (lhs_full[-1], lhs_full[-2]) if adj_x else (lhs_full[-2], lhs_full[-1])
    rhs_depth, cols = (rhs_full[-1], rhs_full[-2]) if adj_y else (rhs_full[-2], rhs_full[-1])
    if depth != rhs_depth:
        return None
    return (*batch, rows, cols)


def depth(node: Node) -> int:
    lhs = node.input(_LHS).shape
    return int(lhs[-2] if node.options.adj_x else lhs[-1])


def _largest_offset_value(t: Tensor) -> int:
    """The largest |value - zero point| of an integer tensor."""
    lo, hi = common.INTEGER_RANGE[t.type]
    zero_point = common.zero_point_of(t)
    return max(hi - zero_point, zero_point - lo)


def _real_multiplier(node: Node) -> float:
    """lhs_scale * rhs_scale / output_scale in double (GetQuantizedConvolutionMultipler). LiteRT
    multiplies the two float32 scales in float32 first, TFLite Micro in double: measured, the
    two multipliers can differ in the last bits and the outputs by one."""
    lhs_scale, rhs_scale = common.scale_of(node.input(_LHS)), common.scale_of(node.input(_RHS))
    if node.reference == TFLM:
        product = float(lhs_scale) * float(rhs_scale)
    else:
        product = float(np.float32(lhs_scale * rhs_scale))
    return product / float(common.scale_of(node.outputs[0]))


# -- constraints (docstrings are user-facing) --------------------------------------------------

def _types(node: Node) -> bool:
    """lhs, rhs and output are all int8, all int16 or all float32 (LiteRT also: int16 with an int8 rhs, int8 operands with an int32 output, a float32 lhs and output with an int8 rhs)"""
    return _combo(node) is not None


def _shapes(node: Node) -> bool:
    """Operands have 2 to 5 dimensions, their batch dimensions broadcast, the (adjoined) inner dimensions agree, and the output has the product's shape"""
    o = node.options
    shape = matmul_shape(node.input(_LHS).shape, node.input(_RHS).shape, o.adj_x, o.adj_y)
    return shape is not None and shape == tuple(node.outputs[0].shape) and all(d > 0 for d in shape)


def _per_tensor(node: Node) -> bool:
    """Quantized operands and output carry one positive scale and a zero point each (LiteRT's float32 x int8: the rhs may carry one scale per output column instead)"""
    for t in (node.input(_LHS), node.input(_RHS), *node.outputs):
        if t.type in (I8, I16):
            q = t.quantization
            if q is None or not len(q.scale) or not all(float(s) > 0 for s in q.scale):
                return False
            if len(q.scale) != 1 and not (t is node.input(_RHS) and _per_column(node)):
                return False
    return True


def _per_column(node: Node) -> bool:
    """A hybrid rhs quantized along its output-column axis, one scale per column."""
    rhs, o = node.input(_RHS), node.options
    if _combo(node) != "hybrid" or len(rhs.shape) < 2:
        return False
    axis = len(rhs.shape) - (2 if o.adj_y else 1)
    q = rhs.quantization
    return q.quantized_dimension == axis and len(q.scale) == rhs.shape[axis]


def _hybrid_runs(node: Node) -> bool:
    """LiteRT's float32 x int8 with asymmetric_quantize_inputs: the rhs is constant (LiteRT sums its rows once) and has at most 4 dimensions after LiteRT's batch folding (it leaves the sums of a fifth undefined)"""
    o = node.options
    if _combo(node) != "hybrid" or not o.asymmetric_quantize_inputs or not _shapes(node):
        return True
    _, rhs_shape = hybrid.compressed_shapes(tuple(node.input(_LHS).shape), tuple(node.input(_RHS).shape), o.adj_x)
    return node.input(_RHS).is_constant and (len(rhs_shape) < 5 or rhs_shape[0] == 1)


def _int16_zero_points(node: Node) -> bool:
    """int16: operands and output have zero point 0"""
    if node.input(_LHS).type is not I16:
        return True
    return all(common.zero_point_of(t) == 0 for t in (node.input(_LHS), node.input(_RHS), node.outputs[0]))


def _sums_fit(node: Node) -> bool:
    """The sums cannot overflow: depth x largest |lhs - zero point| x largest |rhs - zero point| below 2**31 (int8; 2**47 for int16, whose requantizer scales the int64 sum up)"""
    kind = _combo(node)
    if kind is None or kind == "float32" or not _shapes(node):
        return True
    lhs, rhs = node.input(_LHS), node.input(_RHS)
    if kind in ("int8 to int32", "hybrid"):
        return depth(node) * 128 * 128 < INT32_SUM_LIMIT
    bound = depth(node) * _largest_offset_value(lhs) * _largest_offset_value(rhs)
    return bound < (INT32_SUM_LIMIT if kind == "int8" else INT64_REQUANTIZE_LIMIT)


def _multiplier_in_range(node: Node) -> bool:
    """lhs_scale * rhs_scale / output_scale is below 2**30 (int8; 2**14 for int16)"""
    kind = _combo(node)
    if kind not in ("int8", "int16") or not _per_tensor(node):
        return True
    _, shift = quantize_multiplier(_real_multiplier(node))
    return shift <= (MAX_SHIFT if kind == "int8" else MAX_WIDE_SHIFT)


@register("BATCH_MATMUL", versions=range(1, 5), types=("int8", "int16", "int16x8", "float32"),
          inputs=2, outputs=1)
class BatchMatMul(Kernel):
    constraints = (
        _types,
        _shapes,
        _per_tensor,
        _int16_zero_points,
        _hybrid_runs,
        _sums_fit,
        _multiplier_in_range,
    )

    def prepare(self, node: Node) -> BatchMatMulData:
        lhs, rhs, out = node.input(_LHS), node.input(_RHS), node.outputs[0]
        kind = _combo(node)
        o = node.options
        if kind == "hybrid":
            return self._prepare_hybrid(node)
        quantized = kind in ("int8", "int16")
        lhs_offset = -common.zero_point_of(lhs) if quantized else 0
        rhs_offset = -common.zero_point_of(rhs) if quantized else 0
        if kind == "float32":
            accumulator = np.float32
        else:
            largest = depth(node) * _largest_offset_value(lhs) * _largest_offset_value(rhs)
            accumulator = np.float32 if largest < 1 << 24 else np.float64
            assert largest < 1 << 53
        multiplier, shift = quantize_multiplier(_real_multiplier(node)) if quantized else (0, 0)
        constant_rhs = None
        if rhs.is_constant:
            constant_rhs = _operand(np.asarray(rhs.data).reshape(rhs.shape), rhs_offset, o.adj_y, accumulator)
        return BatchMatMulData(
            kind=kind, adj_x=bool(o.adj_x), adj_y=bool(o.adj_y), output_shape=tuple(out.shape),
            accumulator=accumulator, lhs_offset=lhs_offset, rhs_offset=rhs_offset,
            constant_rhs=constant_rhs,
            rescale=Rescale.of(multiplier, shift, DOUBLE) if kind == "int8" else None,
            multiplier=multiplier, shift=shift,
            output_offset=common.zero_point_of(out) if kind == "int8" else 0,
            dtype=out.type.numpy_dtype,
        )

    def _prepare_hybrid(self, node: Node) -> BatchMatMulData:
        lhs, rhs, out = node.input(_LHS), node.input(_RHS), node.outputs[0]
        o = node.options
        plan = hybrid.plan(lhs.shape, rhs.shape, bool(o.adj_x), bool(o.adj_y), bool(o.asymmetric_quantize_inputs),
                           rhs.data if rhs.is_constant else None, rhs.quantization.scale, out.shape)
        return BatchMatMulData(
            kind="hybrid", adj_x=bool(o.adj_x), adj_y=bool(o.adj_y), output_shape=tuple(out.shape),
            accumulator=np.float64, lhs_offset=0, rhs_offset=0, constant_rhs=None, rescale=None, multiplier=0,
            shift=0, output_offset=0, dtype=np.dtype(np.float32), hybrid=plan,
        )

    def eval(self, data: BatchMatMulData, inputs):
        if data.hybrid is not None:
            return [hybrid.evaluate(data.hybrid, inputs[_LHS], inputs[_RHS], data.adj_x, data.adj_y)]
        lhs = _operand(inputs[_LHS], data.lhs_offset, data.adj_x, data.accumulator)
        rhs = data.constant_rhs
        if rhs is None:
            rhs = _operand(inputs[_RHS], data.rhs_offset, data.adj_y, data.accumulator)
        product = np.matmul(lhs, rhs).reshape(data.output_shape)
        if data.kind == "float32":
            return [product.astype(np.float32)]
        total = product.astype(np.int64)
        if data.kind == "int8 to int32":
            return [total.astype(np.int32)]
        if data.kind == "int8":
            scaled = data.rescale(total)
        else:
            scaled = multiply_by_quantized_multiplier_int64(total, data.multiplier, data.shift)
        info = np.iinfo(data.dtype)
        return [np.clip(scaled + data.output_offset, info.min, info.max).astype(data.dtype)]


def _operand(values: np.ndarray, offset: int, adjoint: bool, dtype) -> np.ndarray:
    """An operand as ``dtype`` with ``offset`` added, laid out for np.matmul: the lhs as
    (..., rows, depth), the rhs as (..., depth, cols); an adjoint operand has its last two
    dimensions swapped back."""
    x = np.asarray(values).astype(dtype)
    if offset:
        x = x + dtype(offset)
    return np.swapaxes(x, -1, -2) if adjoint else x
