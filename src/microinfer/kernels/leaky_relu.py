"""LEAKY_RELU: x if x > 0 else alpha * x, float32 / int8 / int16; uint8 with LiteRT.

Quantized: the non-negative side is requantized by ``s_in / s_out``, the negative side by
``s_in * alpha / s_out`` (alpha may be negative or zero). LiteRT computes both multipliers in
float32; TFLite Micro in double. LiteRT requires zero points 0 for int16; TFLite Micro does not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType
from . import _elementwise as ew
from . import common
from .fixedpoint import quantize_multiplier
from .registry import TFLM, Kernel, Node, register


@dataclass(frozen=True)
class LeakyReluData:
    kind: str  # "float32" or "quantized"
    dtype: type
    alpha: np.float32
    input_offset: int = 0
    output_offset: int = 0
    identity_multiplier: int = 0
    identity_shift: int = 0
    alpha_multiplier: int = 0
    alpha_shift: int = 0


def _finite_alpha(node: Node) -> bool:
    """alpha is a finite number"""
    return bool(np.isfinite(np.float32(node.options.alpha)))


def _reals(node: Node) -> tuple[float, float]:
    """(identity, alpha) real multipliers."""
    s_in, s_out = common.scale_of(node.input(0)), common.scale_of(node.outputs[0])
    alpha = ew.f32(node.options.alpha)
    if node.reference == TFLM:  # double arithmetic
        return float(s_in) / float(s_out), float(s_in) * float(alpha) / float(s_out)
    with np.errstate(all="ignore"):
        return float(ew.f32(s_in / s_out)), float(ew.f32(ew.f32(s_in * alpha) / s_out))  # float32


@register("LEAKY_RELU", versions=range(1, 3), types=("int8", "int16", "float32", "uint8"),
          inputs=1, outputs=1)
class LeakyRelu(Kernel):
    constraints = (
        ew.same_type_in(TensorType.FLOAT32, TensorType.INT8, TensorType.INT16, TensorType.UINT8),
        common.tflm_refuses_uint8,
        ew.unary_same_shape,
        _finite_alpha,
        common.quantized_tensors_have_parameters,
        ew.all_per_tensor,
        ew.positive_scales,
        ew.zero_points_in_range,
        ew.litert_int16_zero_points,
        ew.multipliers_fit(lambda n: _reals(n)[0], lambda n: abs(_reals(n)[1])),
    )

    def prepare(self, node: Node) -> LeakyReluData:
        x, y = node.input(0), node.outputs[0]
        alpha = ew.f32(node.options.alpha)
        if y.type is TensorType.FLOAT32:
            return LeakyReluData("float32", np.float32, alpha)
        real_identity, real_alpha = _reals(node)
        m_alpha, sh_alpha = quantize_multiplier(real_alpha)
        m_id, sh_id = quantize_multiplier(real_identity)
        return LeakyReluData("quantized", ew.QUANTIZED_NUMPY[y.type], alpha, common.zero_point_of(x),
                             common.zero_point_of(y), m_id, sh_id, m_alpha, sh_alpha)

    def eval(self, data: LeakyReluData, inputs):
        x = inputs[0]
        if data.kind == "float32":
            with np.errstate(over="ignore", invalid="ignore"):
                return [np.where(x > 0, x, x * data.alpha).astype(np.float32)]
        v = x.astype(np.int64) - data.input_offset
        r = ew.ELEMENTWISE_ROUNDING
        scaled = np.where(
            v >= 0,
            ew.requantize(v, data.identity_multiplier, data.identity_shift, r),
            # A negative alpha multiplier rounds as the negation of the positive one (both
            # references; verified on exact ties, where gemmlowp's rounding is not symmetric).
            np.sign(data.alpha_multiplier) * ew.requantize(v, abs(data.alpha_multiplier), data.alpha_shift, r),
        )
        lo, hi = np.iinfo(data.dtype).min, np.iinfo(data.dtype).max
        return [ew.clamp_cast(scaled + data.output_offset, lo, hi, data.dtype)]
