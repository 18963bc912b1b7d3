"""What LOGISTIC and TANH share: constraints, prepare and eval, parametrised by the function.

int8, TFLite Micro: gemmlowp fixed point. The input offset by its zero point is rescaled into Q4.27
with a multiplier from ``frexp(input_scale * 2**27)`` (double rounding); inputs beyond the input
radius saturate; the Q0.31 result is rounded down to a fixed output scale (1/256 with zero point
-128 for LOGISTIC, 1/128 with zero point 0 for TANH) whatever the output tensor says (TFLite Micro
only checks LOGISTIC's zero point).

int8 and uint8, LiteRT: a 256-entry table built in float32 (``LUTPopulate``), i.e. dequantize,
apply the C library's ``expf``/``tanhf``, requantize with ``roundf`` onto the output tensor's scale
and zero point (LOGISTIC requires the scale 1/256).

int16 (both): the 256-entry uint16 sigmoid table with linear interpolation, after rescaling the
input to 1/(3*4096) (or the power-of-two shortcut); zero points must be 0 and the output scale
2**-15. Input scales above about 5.33 make the rescaling's int32 product overflow for the largest
inputs, which both references' builds wrap (see ``_lookup_tables._int16_rescaled_input``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType
from . import _elementwise as ew
from . import common
from ._lookup_tables import UndefinedTableEntry, int16_sigmoid_multiplier_fits, int16_sigmoid_params, lut_int8
from ._unary import tflm_allocates
from .fixedpoint import (
    DOUBLE,
    calculate_input_radius,
    checked_log2,
    multiply_by_quantized_multiplier,
    rounding_divide_by_pot,
)
from .registry import TFLM, Node

INPUT_INTEGER_BITS = 4
EIGHT_BIT = (TensorType.INT8, TensorType.UINT8)


@dataclass(frozen=True)
class SigmoidSpec:
    name: str
    output_zero_point: int  # of TFLite Micro's int8 output, whatever the output tensor's says
    tflm_output_zero_point: int | None  # the int8 output zero point TFLite Micro requires, if any
    litert_output_scale: float | None  # the int8 output scale LiteRT requires, if any
    int8_output_rule: str  # the user-facing sentence of the two requirements above ("": none)
    pot_shifts: tuple[int, ...]  # int16 power-of-two input shifts the kernel takes as exact
    fixed_point: object  # Q4.27 -> Q0.31 function
    output_shift: int  # right shift from Q0.31 to the int8 output
    float_fn: object  # float32 array -> float32 array
    lut_fn: object  # np.float32 -> np.float32 (C library semantics)
    int16_fn: object


@dataclass(frozen=True)
class SigmoidData:
    kind: str  # "float32", "int8_fixed", "int8_lut", "int16"
    input_zero_point: int = 0
    input_radius: int = 0
    multiplier: int = 0
    shift: int = 0
    lut: np.ndarray | None = None
    dtype: type = np.int8  # of an 8-bit table's values


def make_constraints(spec: SigmoidSpec):
    def types_supported(node: Node) -> bool:
        x = node.input(0)
        return (len(node.inputs) == 1 and len(node.outputs) == 1 and x is not None
                and x.type in (TensorType.FLOAT32, TensorType.INT8, TensorType.INT16, TensorType.UINT8)
                and node.outputs[0].type == x.type and tuple(node.outputs[0].shape) == tuple(x.shape))

    types_supported.__doc__ = "One float32, int8, int16 or uint8 input, one output of the same type and shape"

    def int8_output(node: Node) -> bool:
        x, y = node.input(0), node.outputs[0]
        if x is None or x.type not in EIGHT_BIT or y.quantization is None:
            return True
        if node.reference == TFLM:  # (TFLite Micro has no uint8: common.tflm_refuses_uint8 says so)
            return (x.type is not TensorType.INT8 or spec.tflm_output_zero_point is None
                    or common.zero_point_of(y) == spec.tflm_output_zero_point)
        return spec.litert_output_scale is None or float(common.scale_of(y)) == spec.litert_output_scale

    int8_output.__doc__ = spec.int8_output_rule

    def int8_input_scale(node: Node) -> bool:
        """int8 with reference='tflm': the input scale lies in [2**-28, 2**35) (TFLite Micro shifts by its exponent)"""
        x = node.input(0)
        if node.reference != TFLM or x is None or x.type is not TensorType.INT8 or x.quantization is None:
            return True
        return 2.0 ** -28 <= float(common.scale_of(x)) < 2.0 ** 35

    def int8_table_defined(node: Node) -> bool:
        """int8/uint8 with reference='tflite': scales are positive and finite, and every entry of LiteRT's table (the function's value divided by the output scale) fits in int32"""
        x, y = node.input(0), node.outputs[0]
        if node.reference == TFLM or x is None or x.type not in EIGHT_BIT or x.quantization is None \
                or y.quantization is None:
            return True
        if not ew.positive_scales(node):
            return False
        try:
            _int8_lut(spec, node)
        except UndefinedTableEntry:
            return False
        return True

    def int16_quantization(node: Node) -> bool:
        """int16 input and output zero points are 0 and the output scale is 2**-15"""
        x, y = node.input(0), node.outputs[0]
        if x is None or x.type is not TensorType.INT16:
            return True
        if x.quantization is None or y.quantization is None:
            return False
        ok, log2 = checked_log2(float(common.scale_of(y)))
        return common.zero_point_of(x) == 0 and common.zero_point_of(y) == 0 and ok and log2 == -15

    def int16_input_scale(node: Node) -> bool:
        """int16 input scale is positive and below about 174763 (input scale * 3 * 4096 converts to int32)"""
        x = node.input(0)
        if x is None or x.type is not TensorType.INT16 or x.quantization is None:
            return True
        scale = float(common.scale_of(x))
        return scale > 0 and int16_sigmoid_multiplier_fits(scale)

    output_checks = (int8_output,) if spec.int8_output_rule else ()
    return (types_supported, common.tflm_refuses_uint8, tflm_allocates, common.quantized_tensors_have_parameters, ew.all_per_tensor,
            *output_checks, int8_input_scale, int8_table_defined, int16_quantization, int16_input_scale)


def _int8_lut(spec: SigmoidSpec, node: Node) -> np.ndarray:
    x, y = node.inputs[0], node.outputs[0]
    return lut_int8(common.scale_of(x), common.zero_point_of(x), common.scale_of(y), common.zero_point_of(y),
                    spec.lut_fn, ew.QUANTIZED_NUMPY[x.type])


def prepare(spec: SigmoidSpec, node: Node) -> SigmoidData:
    x, y = node.inputs[0], node.outputs[0]
    if x.type is TensorType.FLOAT32:
        return SigmoidData("float32")
    if x.type is TensorType.INT16:
        multiplier, shift = int16_sigmoid_params(float(common.scale_of(x)), spec.pot_shifts)
        return SigmoidData("int16", multiplier=multiplier, shift=shift)
    scale = float(common.scale_of(x))
    zero_point = common.zero_point_of(x)
    if node.reference == TFLM:
        fraction, left_shift = np.frexp(scale * float(1 << (31 - INPUT_INTEGER_BITS)))
        multiplier = int(np.floor(abs(float(fraction)) * (1 << 31) + 0.5))
        radius = calculate_input_radius(INPUT_INTEGER_BITS, int(left_shift), 31)
        return SigmoidData("int8_fixed", zero_point, radius, multiplier, int(left_shift))
    return SigmoidData("int8_lut", lut=_int8_lut(spec, node), dtype=ew.QUANTIZED_NUMPY[x.type])


def evaluate(spec: SigmoidSpec, data: SigmoidData, x: np.ndarray) -> np.ndarray:
    if data.kind == "float32":
        return spec.float_fn(x.astype(np.float32)).astype(np.float32)
    if data.kind == "int16":
        return spec.int16_fn(x, data.multiplier, data.shift).astype(np.int16)
    if data.kind == "int8_lut":
        return data.lut[x.astype(np.int64) - np.iinfo(data.dtype).min].astype(data.dtype)
    centered = x.astype(np.int64) - data.input_zero_point
    safe = np.clip(centered, -data.input_radius + 1, data.input_radius - 1) if data.input_radius > 0 else centered * 0
    in_q4 = multiply_by_quantized_multiplier(safe, data.multiplier, data.shift, DOUBLE)
    out_q0 = spec.fixed_point(in_q4, INPUT_INTEGER_BITS)
    out = np.clip(rounding_divide_by_pot(out_q0, spec.output_shift) + spec.output_zero_point, -128, 127)
    out = np.where(centered <= -data.input_radius, -128, np.where(centered >= data.input_radius, 127, out))
    return out.astype(np.int8)
