"""LOGISTIC (sigmoid): float32, int8 and int16; uint8 with LiteRT. See :mod:`._sigmoid_common` for the arithmetic."""

from __future__ import annotations

import numpy as np

from . import _sigmoid_common as sc
from ._libm import expf
from ._lookup_tables import logistic_int16
from .fixedpoint import logistic_fixed
from .registry import Kernel, Node, register


def _logistic_float(x: np.ndarray) -> np.ndarray:
    """The references' float logistic: exp(x) below -9, 1 above 16.619, else 1 / (1 + exp(-x))."""
    with np.errstate(over="ignore"):
        middle = np.float32(1) / (np.float32(1) + np.exp(-x))
        return np.where(x > np.float32(16.619047164916992), np.float32(1),
                        np.where(x < np.float32(-9), np.exp(x), middle)).astype(np.float32)


SPEC = sc.SigmoidSpec(
    name="LOGISTIC",
    output_zero_point=-128,
    tflm_output_zero_point=-128,
    litert_output_scale=1.0 / 256,
    int8_output_rule="int8 output: zero point -128 with reference='tflm' (which ignores its scale); int8 or uint8 output: scale 1/256 with reference='tflite'",
    pot_shifts=(0,),
    fixed_point=logistic_fixed,
    output_shift=31 - 8,
    float_fn=_logistic_float,
    lut_fn=lambda v: np.float32(np.float32(1) / np.float32(np.float32(1) + expf(-v))),
    int16_fn=logistic_int16,
)


@register("LOGISTIC", versions=range(1, 4), types=("float32", "int8", "int16", "uint8"),
          inputs=1, outputs=1)
class Logistic(Kernel):
    constraints = sc.make_constraints(SPEC)

    def prepare(self, node: Node) -> sc.SigmoidData:
        return sc.prepare(SPEC, node)

    def eval(self, data: sc.SigmoidData, inputs):
        return [sc.evaluate(SPEC, data, inputs[0])]
