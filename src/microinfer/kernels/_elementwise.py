"""Helpers shared by the element-wise kernels (ADD, SUB, MUL, PRELU, activations, QUANTIZE).

Broadcasting follows NumPy's rules, which are TFLite's: shapes are right-aligned and a dimension
of 1 stretches. Everything here is model-only (shapes, multipliers); kernels' ``eval`` only calls
the vectorised arithmetic.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..tflite.model import Tensor
from ..tflite.types import ActivationFunction, TensorType
from . import common
from .fixedpoint import (
    DOUBLE,
    checked_log2,
    multiply_by_quantized_multiplier,
    multiply_by_quantized_multiplier_smaller_than_one_exp,
    quantize_multiplier,
    rounding_divide_by_pot,
    wrap_int32,
)
from ._shapes import type_names
from .registry import TFLM, Kernel, Node

NUMPY_INT = {TensorType.INT8: np.int8, TensorType.INT16: np.int16}
# The quantized types of any kernel: also TFLite's legacy uint8, which LiteRT's reference kernels take.
QUANTIZED_NUMPY = {**NUMPY_INT, TensorType.UINT8: np.uint8}


# -- shapes ------------------------------------------------------------------------------------

def broadcast_shape(*shapes) -> tuple[int, ...] | None:
    """The broadcast of ``shapes`` by NumPy/TFLite rules, or None if they do not broadcast."""
    try:
        return tuple(int(d) for d in np.broadcast_shapes(*[tuple(s) for s in shapes]))
    except ValueError:
        return None


def binary_output_is_broadcast(node: Node) -> bool:
    """The two inputs broadcast against each other and the output has the broadcast shape"""
    a, b = node.input(0), node.input(1)
    if a is None or b is None:
        return False
    return broadcast_shape(a.shape, b.shape) == tuple(node.outputs[0].shape)


def max_rank(limit: int):
    """A constraint: every input and output has at most ``limit`` dimensions."""

    def check(node: Node) -> bool:
        return all(t is None or len(t.shape) <= limit for t in (*node.inputs, *node.outputs))

    check.__doc__ = f"Inputs and output have at most {limit} dimensions"
    return check


def needs_broadcast(node: Node) -> bool:
    return tuple(node.input(0).shape) != tuple(node.input(1).shape)


def per_tensor(t: Tensor | None) -> bool:
    return t is not None and t.quantization is not None and len(t.quantization.scale) == 1


def all_per_tensor(node: Node) -> bool:
    """Quantized inputs and output are quantized per tensor (one scale and zero point)"""
    return all(
        t is None or t.type not in QUANTIZED_NUMPY or per_tensor(t) for t in (*node.inputs, *node.outputs)
    )


def positive_scales(node: Node) -> bool:
    """Quantized tensors have positive, finite scales"""
    for t in (*node.inputs, *node.outputs):
        if t is not None and t.type in QUANTIZED_NUMPY:
            s = float(common.scale_of(t))
            if not (s > 0 and math.isfinite(s)):
                return False
    return True


def zero_points_in_range(node: Node) -> bool:
    """Zero points lie within the range of their tensor's type"""
    for t in (*node.inputs, *node.outputs):
        if t is not None and t.type in QUANTIZED_NUMPY:
            lo, hi = common.INTEGER_RANGE[t.type]
            if not lo <= common.zero_point_of(t) <= hi:
                return False
    return True



# -- scalar arithmetic as the C code does it -------------------------------------------------

def f32(x) -> np.float32:
    return np.float32(x)


def quantize_smaller_than_one(real: float, rounding: str) -> tuple[int, int]:
    """QuantizeMultiplierSmallerThanOneExp (the caller checks 0 < real < 1)."""
    return quantize_multiplier(real, single_rounding=rounding != DOUBLE)


# -- vectorised arithmetic -------------------------------------------------------------------

def scale_smaller_than_one(x, multiplier: int, shift: int, rounding: str):
    """MultiplyByQuantizedMultiplierSmallerThanOneExp for int32 ``x`` (shift <= 0 in double rounding)."""
    if rounding == DOUBLE:
        return multiply_by_quantized_multiplier_smaller_than_one_exp(x, multiplier, shift)
    return wrap_int32(multiply_by_quantized_multiplier(x, multiplier, shift, rounding))


def requantize(x, multiplier, shift, rounding: str):
    """MultiplyByQuantizedMultiplier, wrapped to int32 as the C cast does."""
    return wrap_int32(multiply_by_quantized_multiplier(x, multiplier, shift, rounding))


def clamp_cast(x, lo: int, hi: int, dtype) -> np.ndarray:
    return np.clip(x, lo, hi).astype(dtype)


# -- ADD and SUB: the "left shift" scheme shared by both ops ---------------------------------
#
# Each input is offset, shifted left by 20 bits (int8) or 15 bits (int16), scaled by a
# multiplier < 1 onto a common scale (twice the larger input scale), added or subtracted, and
# scaled onto the output. The references differ in whether SUB negates the second multiplier
# before rounding, and LiteRT has a separate power-of-two int16 path selected by
# ``pot_scale_int16``.

@dataclass(frozen=True)
class AddSubData:
    kind: str  # "float32", "int" (int32/int64), "general" (left-shift scheme) or "pot" (LiteRT's int16 power-of-two path)
    output_shape: tuple[int, ...]
    dtype: type
    sign: int  # +1 for ADD, -1 for SUB
    rounding: str
    left_shift: int = 0
    input1_offset: int = 0
    input2_offset: int = 0
    output_offset: int = 0
    input1_multiplier: int = 0
    input1_shift: int = 0
    input2_multiplier: int = 0  # already negated when the reference negates it (LiteRT SUB)
    input2_shift: int = 0
    output_multiplier: int = 0
    output_shift: int = 0
    negated_multiplier: bool = False
    act_min: float = 0
    act_max: float = 0


def add_sub_types(node: Node) -> bool:
    """Inputs and output are all int8, all int16, all float32 or all int32 (or, with reference='tflite', all int64 or all uint8)"""
    types = {t.type for t in (node.input(0), node.input(1), node.outputs[0]) if t is not None}
    allowed = {TensorType.INT8, TensorType.INT16, TensorType.FLOAT32, TensorType.INT32, TensorType.UINT8}
    if node.reference != TFLM:
        allowed.add(TensorType.INT64)
    return len(node.inputs) == 2 and len(types) == 1 and types <= allowed


# Unquantized integer ADD, SUB and MUL: the C operation on int32/int64 values (wrapping, as x86 does
# with the signed overflow) clamped to CalculateActivationRange of the type.
UNQUANTIZED_INT = {TensorType.INT32: np.int32, TensorType.INT64: np.int64}


def wrapping(op, a: np.ndarray, b: np.ndarray, dtype) -> np.ndarray:
    """``op`` on int32/int64 values with two's-complement wrap-around (NumPy's fixed-width ints)."""
    with np.errstate(over="ignore"):
        return op(a.astype(dtype), b.astype(dtype))


def uses_pot_int16_path(node: Node) -> bool:
    """LiteRT's int16 ADD/SUB special path: pot_scale_int16 set and all scales powers of two."""
    if node.reference == TFLM or node.outputs[0].type is not TensorType.INT16:
        return False
    if not getattr(node.options, "pot_scale_int16", True):
        return False
    tensors = (node.input(0), node.input(1), node.outputs[0])
    if not all(checked_log2(float(common.scale_of(t)))[0] for t in tensors):
        return False
    return True


def _pot_shifts(node: Node) -> tuple[int, int]:
    l1, l2, lo = (checked_log2(float(common.scale_of(t)))[1] for t in (node.input(0), node.input(1), node.outputs[0]))
    return l1 - lo, l2 - lo


def real_add_sub_multipliers(node: Node) -> tuple[float, float, float]:
    """(input1, input2, output) real multipliers of the left-shift scheme, in double.

    Both references compute them in double from the float32 scales, for ADD and for SUB: TFLite
    Micro's sub_common.cc in the stored sources divides in float32, but the pinned tflite-micro
    build matches double on every element of exhaustive int8 and random int16 sweeps and float32
    on none of those with inexact quotients (tests/kernels/test_elementwise.py).
    """
    s1, s2, so = (common.scale_of(t) for t in (node.input(0), node.input(1), node.outputs[0]))
    left_shift = 15 if node.outputs[0].type is TensorType.INT16 else 20
    twice_max = 2.0 * float(max(s1, s2))
    return (
        float(s1) / twice_max,
        float(s2) / twice_max,
        twice_max / ((1 << left_shift) * float(so)),
    )


def prepare_add_sub(node: Node, sign: int, negate_in_litert: bool) -> AddSubData:
    x1, x2, y = node.input(0), node.input(1), node.outputs[0]
    activation = getattr(node.options, "fused_activation_function", ActivationFunction.NONE)
    shape = tuple(y.shape)
    # Both references requantize ADD/SUB with gemmlowp's double rounding: verified against
    # LiteRT 2.3.0 on exact ties, where its single-rounding build would differ.
    rounding = DOUBLE
    if y.type is TensorType.FLOAT32:
        lo, hi = common.activation_min_max_float(activation)
        return AddSubData("float32", shape, np.float32, sign, rounding, act_min=lo, act_max=hi)
    if y.type in UNQUANTIZED_INT:
        if sign > 0 and node.reference == TFLM:
            activation = ActivationFunction.NONE  # TFLite Micro's int32 ADD ignores it (measured)
        lo, hi = common.activation_range_int(activation, y.type)
        return AddSubData("int", shape, UNQUANTIZED_INT[y.type], sign, rounding, act_min=lo, act_max=hi)
    lo, hi = common.activation_range_quantized(activation, y)
    dtype = QUANTIZED_NUMPY[y.type]
    if uses_pot_int16_path(node):
        shift1, shift2 = _pot_shifts(node)
        return AddSubData("pot", shape, dtype, sign, rounding, input1_shift=shift1, input2_shift=shift2,
                          act_min=lo, act_max=hi)
    r1, r2, ro = real_add_sub_multipliers(node)
    m1, sh1 = quantize_smaller_than_one(r1, rounding)
    m2, sh2 = quantize_smaller_than_one(r2, rounding)
    mo, sho = quantize_smaller_than_one(ro, rounding)
    # (LiteRT negates the second multiplier for SUB; under double rounding that is exactly the
    # negation of the scaled term, so the arithmetic below is shared.)
    negated = negate_in_litert and node.reference != TFLM and sign < 0
    return AddSubData(
        "general", shape, dtype, sign, rounding,
        left_shift=15 if y.type is TensorType.INT16 else 20,
        input1_offset=-common.zero_point_of(x1),
        input2_offset=-common.zero_point_of(x2),
        output_offset=common.zero_point_of(y),
        input1_multiplier=m1, input1_shift=sh1,
        input2_multiplier=-m2 if negated else m2, input2_shift=sh2,
        output_multiplier=mo, output_shift=sho,
        negated_multiplier=negated,
        act_min=lo, act_max=hi,
    )


def eval_add_sub(data: AddSubData, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if data.kind == "float32":
        with np.errstate(over="ignore", invalid="ignore"):
            out = a + b if data.sign > 0 else a - b
        return np.clip(out, data.act_min, data.act_max).astype(np.float32).reshape(data.output_shape)
    if data.kind == "int":
        out = wrapping(np.add if data.sign > 0 else np.subtract, a, b, data.dtype)
        return np.clip(out, data.act_min, data.act_max).astype(data.dtype).reshape(data.output_shape)
    a = a.astype(np.int64)
    b = b.astype(np.int64)
    if data.kind == "pot":
        sa = rounding_divide_by_pot(a, -data.input1_shift)
        sb = rounding_divide_by_pot(b, -data.input2_shift)
        raw = sa + sb if data.sign > 0 else sa - sb
        out = np.broadcast_to(raw, data.output_shape)
        return clamp_cast(out, data.act_min, data.act_max, data.dtype)
    r = data.rounding
    sa = scale_smaller_than_one((a + data.input1_offset) << data.left_shift, data.input1_multiplier,
                                data.input1_shift, r)
    sb = scale_smaller_than_one((b + data.input2_offset) << data.left_shift, data.input2_multiplier,
                                data.input2_shift, r)
    raw = wrap_int32(sa + sb if data.sign > 0 or data.negated_multiplier else sa - sb)
    out = scale_smaller_than_one(raw, data.output_multiplier, data.output_shift, r) + data.output_offset
    out = np.broadcast_to(out, data.output_shape)
    return clamp_cast(out, data.act_min, data.act_max, data.dtype)


def add_sub_output_multiplier_below_one(node: Node) -> bool:
    """The output rescale factor 2*max(input scales) / (2**left_shift * output scale) is below 1"""
    if node.outputs[0].type not in QUANTIZED_NUMPY or uses_pot_int16_path(node):
        return True
    return real_add_sub_multipliers(node)[2] < 1.0


def pot_path_shifts_valid(node: Node) -> bool:
    """int16 with pot_scale_int16 (LiteRT): zero points are 0, one input has the output's scale and the other a scale no larger"""
    if not uses_pot_int16_path(node):
        return True
    if any(common.zero_point_of(t) != 0 for t in (node.input(0), node.input(1), node.outputs[0])):
        return False
    s1, s2 = _pot_shifts(node)
    return (s1 == 0 or s2 == 0) and s1 <= 0 and s2 <= 0


# -- unary ops -------------------------------------------------------------------------------

def unary_same_shape(node: Node) -> bool:
    """One input whose shape equals the output's"""
    x = node.input(0)
    return x is not None and tuple(x.shape) == tuple(node.outputs[0].shape)


def same_type_in(*types: TensorType):
    """A constraint: input and output have the same type, one of ``types``."""

    def check(node: Node) -> bool:
        x, y = node.input(0), node.outputs[0]
        return x is not None and x.type is y.type and x.type in types

    check.__doc__ = "Input and output are both " + " or both ".join(t.name.lower() for t in types)
    return check


def types_per_reference(tflm: Sequence[TensorType], tflite: Sequence[TensorType]):
    """A constraint: input and output share a type that the node's reference takes."""

    def check(node: Node) -> bool:
        x, y = node.input(0), node.outputs[0]
        allowed = tflm if node.reference == TFLM else tflite
        return x.type is y.type and x.type in allowed

    if tuple(tflm) == tuple(tflite):
        check.__doc__ = f"Input and output share one type: {type_names(tflm)}"
    else:
        check.__doc__ = (f"Input and output share one type: {type_names(tflm)} with reference='tflm', "
                         f"{type_names(tflite)} with reference='tflite'")
    return check


def litert_int16_zero_points(node: Node) -> bool:
    """int16 (LiteRT reference): input and output have zero point 0"""
    if node.reference == TFLM or node.outputs[0].type is not TensorType.INT16:
        return True
    return all(common.zero_point_of(t) == 0 for t in (*node.inputs, *node.outputs) if t is not None)


def round_half_away_f32(x) -> np.float32:
    """roundf / std::round on a float."""
    x = f32(x)
    return f32(np.sign(x) * np.floor(np.abs(x) + f32(0.5)))


def float_to_int32_fits(x) -> bool:
    """Whether a float converts to int32 without overflow (the C cast is undefined otherwise)."""
    return bool(np.isfinite(x) and -(2.0**31) <= float(x) < 2.0**31)


# The element-wise reference kernels of LiteRT 2.3.0 requantize with gemmlowp's double rounding
# (checked on exact ties for ADD, SUB, MUL, RELU, LEAKY_RELU, PRELU and QUANTIZE), like TFLM.
ELEMENTWISE_ROUNDING = DOUBLE


def shift_fits(real: float) -> bool:
    """Whether QuantizeMultiplier(real) has a left shift of at most 30: larger shifts make the
    references' ``1 << shift`` undefined (x86 masks the count), so such models are refused, as
    are infinite factors (a float32 quotient that overflowed)."""
    return math.isfinite(real) and quantize_multiplier(float(real))[1] <= 30


def multipliers_fit(*reals_of):
    """A constraint: every real multiplier the kernel derives (functions of the node) is below 2**30."""

    def check(node: Node) -> bool:
        if node.outputs[0].type not in QUANTIZED_NUMPY or not (
                common.quantized_tensors_have_parameters(node) and positive_scales(node)):
            return True  # nothing to rescale, or already refused for its scales
        return all(shift_fits(f(node)) for f in reals_of)

    check.__doc__ = "The rescale factors between input and output scales are below 2**30"
    return check


# -- constraint lists shared by several kernels (kept in their user-facing order) --------------

# The quantization checks every element-wise kernel makes, in this order.
QUANTIZATION_CONSTRAINTS = (
    common.quantized_tensors_have_parameters,
    all_per_tensor,
    positive_scales,
    zero_points_in_range,
)

# The first constraints of ADD, SUB and MUL.
BINARY_ARITHMETIC_CONSTRAINTS = (
    add_sub_types,
    common.tflm_refuses_uint8,
    binary_output_is_broadcast,
    max_rank(6),
    common.supported_activation,
    *QUANTIZATION_CONSTRAINTS,
)

ADD_SUB_CONSTRAINTS = (
    *BINARY_ARITHMETIC_CONSTRAINTS,
    add_sub_output_multiplier_below_one,
    litert_int16_zero_points,
    pot_path_shifts_valid,
)


def unary_constraints(*types: TensorType) -> tuple:
    """The first constraints of a unary kernel taking and returning one of ``types``."""
    return (same_type_in(*types), unary_same_shape, *QUANTIZATION_CONSTRAINTS)


class AddSubKernel(Kernel):
    """ADD and SUB share constraints and arithmetic; each op's module registers a subclass."""

    constraints = ADD_SUB_CONSTRAINTS

    def eval(self, data: AddSubData, inputs):
        return [eval_add_sub(data, inputs[0], inputs[1])]
