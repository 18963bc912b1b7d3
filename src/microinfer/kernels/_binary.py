"""The binary element-wise family: MAXIMUM, MINIMUM, DIV, SQUARED_DIFFERENCE, POW, FLOOR_DIV,
FLOOR_MOD, the six comparisons and the logical operators.

Each operator is a subclass of :class:`BinaryKernel` that names its element function; the
family broadcasts by NumPy's rules (which are TFLite's), checks the output's shape and type, and
gives the constraint factories every member shares (types per reference, the rank the references'
broadcasting loops handle, the versions LiteRT's reference resolver registers).

Both references broadcast correctly up to 6 dimensions (measured; their sources' fixed 4- and
5-dimensional loops compress dimensions first), and fail or go wrong past 7 or 8: microinfer
takes up to 6, as for ADD, SUB and MUL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import InvalidInputError
from ..tflite.types import TensorType
from . import _elementwise as ew
from . import common
from ._shapes import litert_only, tflm_only, type_names
from .registry import TFLITE, Kernel, Node

F32, I8, I16, I32, I64, BOOL = (TensorType.FLOAT32, TensorType.INT8, TensorType.INT16, TensorType.INT32,
                                TensorType.INT64, TensorType.BOOL)
QUANTIZED = (I8, I16)


@dataclass(frozen=True)
class BinaryData:
    """What a binary kernel's eval needs: the output's shape and dtype, and the operator's own
    constants (multipliers, activation bounds, the reference's rules for undefined cases)."""

    output_shape: tuple[int, ...]
    dtype: Any
    constants: Any = None


class BinaryKernel(Kernel):
    """Base of the family. Subclasses set ``function(constants, a, b)`` (NumPy arrays in the
    inputs' dtype, broadcast by NumPy) and may override ``constants(node)``."""

    @staticmethod
    def function(constants, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def constants(self, node: Node):
        return None

    def prepare(self, node: Node) -> BinaryData:
        y = node.outputs[0]
        return BinaryData(tuple(y.shape), y.type.numpy_dtype, self.constants(node))

    def eval(self, data: BinaryData, inputs):
        a, b = inputs
        with np.errstate(all="ignore"):  # float results overflow and divide by zero as IEEE says
            out = type(self).function(data.constants, a, b)
        return [np.broadcast_to(np.asarray(out), data.output_shape).astype(data.dtype)]


# -- constraint factories ------------------------------------------------------------------------

def _same_type(allowed: tuple[TensorType, ...], output: TensorType | None) -> Callable[[Node], bool]:
    def check(node: Node) -> bool:
        inputs = [t for t in node.inputs if t is not None]
        if not inputs or inputs[0].type not in allowed or any(t.type is not inputs[0].type for t in inputs):
            return False
        return node.outputs[0].type is (output or inputs[0].type)

    return check


def types(tflm: tuple[TensorType, ...], tflite: tuple[TensorType, ...], output: TensorType | None = None):
    """Two constraints: the inputs share one type each reference accepts, and the output has
    that type (or ``output``, e.g. bool for comparisons)."""
    out_text = f"the output is {output.name.lower()}" if output else "the output has it too"
    per_reference = []
    if tflm:  # (an operator TFLite Micro lacks is refused by its own constraint)
        per_reference.append(tflm_only(
            _same_type(tflm, output),
            f"With reference='tflm': the inputs share one type, {type_names(tflm)}, and {out_text}"))
    per_reference.append(litert_only(
        _same_type(tflite, output),
        f"With reference='tflite': the inputs share one type, {type_names(tflite)}, and {out_text}"))
    return tuple(per_reference)


def output_is_broadcast(node: Node) -> bool:
    """The inputs broadcast against each other and the output has the broadcast shape"""
    shapes = [tuple(t.shape) for t in node.inputs if t is not None]
    return ew.broadcast_shape(*shapes) == tuple(node.outputs[0].shape)


def quantized_per_tensor(node: Node) -> bool:
    """int8/int16 inputs and output carry one scale (positive, finite) and one zero point in their type's range"""
    return all(check(node) for check in ew.QUANTIZATION_CONSTRAINTS)


# -- arithmetic shared by members ----------------------------------------------------------------

def activation_bounds(node: Node) -> tuple[float, float]:
    """CalculateActivationRange of the output's type: float and int32 bounds (float ones are
    +-FLT_MAX without an activation, so infinities clamp), or the quantized range."""
    activation = node.options.fused_activation_function
    y = node.outputs[0]
    if y.type is F32:
        return common.activation_min_max_float(activation)
    if y.type in QUANTIZED:
        return common.activation_range_quantized(activation, y)
    return common.activation_range_int(activation, y.type)


def fail(op: str, why: str):
    """Raise the error of an input the reference fails on at Eval (or crashes on)."""
    raise InvalidInputError(f"{op}: {why}")


# -- comparisons -------------------------------------------------------------------------------
#
# Both references compare int8 values after putting each input on a common footing: offset by its
# zero point, shifted left by 8 bits and scaled by the input's own scale (a multiplier below 1), so
# inputs of different quantization compare by real value. LiteRT 2.3.0 does the same for int16
# EQUAL and NOT_EQUAL, and compares int16 raw in the other four (measured). (TFLite
# Micro's source rescales int16 for GREATER, but the pinned build's answers there vary between runs
# for the same inputs: microinfer refuses int16 comparisons with reference='tflm'.)

COMPARISON_LEFT_SHIFT = 8


@dataclass(frozen=True)
class ComparisonScaling:
    input1_offset: int
    input1_multiplier: int
    input1_shift: int
    input2_offset: int
    input2_multiplier: int
    input2_shift: int


def scales_inputs(node: Node, litert_int16: bool) -> bool:
    """Whether the reference rescales this comparison's inputs: int8 ones, and int16 ones under
    LiteRT when ``litert_int16``."""
    kind = node.input(0).type
    return kind is I8 or (litert_int16 and kind is I16 and node.reference == TFLITE)


def comparison_scaling(node: Node) -> ComparisonScaling:
    params = []
    for t in (node.input(0), node.input(1)):
        multiplier, shift = ew.quantize_smaller_than_one(float(common.scale_of(t)), ew.ELEMENTWISE_ROUNDING)
        params += [-common.zero_point_of(t), multiplier, shift]
    return ComparisonScaling(*params)


def scaled_comparison_operands(c: ComparisonScaling, a, b):
    def scaled(x, offset, multiplier, shift):
        shifted = (x.astype(np.int64) + offset) << COMPARISON_LEFT_SHIFT
        return ew.scale_smaller_than_one(shifted, multiplier, shift, ew.ELEMENTWISE_ROUNDING)

    return (scaled(a, c.input1_offset, c.input1_multiplier, c.input1_shift),
            scaled(b, c.input2_offset, c.input2_multiplier, c.input2_shift))


def comparison_scales_below_one(litert_int16: bool):
    """A constraint: the inputs the reference rescales have a scale below 1."""

    def check(node: Node) -> bool:
        if not scales_inputs(node, litert_int16):
            return True
        return ew.zero_points_in_range(node) and all(
            ew.per_tensor(t) and 0 < float(common.scale_of(t)) < 1 for t in (node.input(0), node.input(1)))

    scaled = "int8 (and with reference='tflite' int16)" if litert_int16 else "int8"
    check.__doc__ = (f"{scaled} inputs are quantized per tensor with a scale below 1 and a zero point in range "
                     f"(the references rescale them with a multiplier below 1)")
    return check


class ComparisonKernel(BinaryKernel):
    """A comparison: ``compare(a, b)`` on raw values, or on rescaled ones for quantized inputs."""

    litert_int16_scaled = False  # LiteRT rescales int16 inputs too (EQUAL, NOT_EQUAL)

    @staticmethod
    def compare(a, b):
        raise NotImplementedError

    def constants(self, node: Node):
        return comparison_scaling(node) if scales_inputs(node, self.litert_int16_scaled) else None

    def eval(self, data: BinaryData, inputs):
        a, b = inputs
        if data.constants is not None:
            a, b = scaled_comparison_operands(data.constants, a, b)
        return [np.broadcast_to(type(self).compare(a, b), data.output_shape).astype(np.bool_)]


def comparison_constraints(tflm: tuple[TensorType, ...], tflite: tuple[TensorType, ...],
                           litert_int16_scaled: bool = False) -> tuple:
    """The constraints of a comparison accepting these input types in each reference."""
    return (*types(tflm, tflite, output=BOOL), output_is_broadcast, ew.max_rank(6),
            comparison_scales_below_one(litert_int16_scaled))
