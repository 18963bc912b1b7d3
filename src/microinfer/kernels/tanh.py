"""TANH: float32, int8 and int16; uint8 with LiteRT. See :mod:`._sigmoid_common` for the arithmetic."""

from __future__ import annotations

import numpy as np

from . import _sigmoid_common as sc
from ._libm import tanhf
from ._lookup_tables import tanh_int16
from .fixedpoint import tanh_fixed
from .registry import Kernel, Node, register

SPEC = sc.SigmoidSpec(
    name="TANH",
    output_zero_point=0,
    tflm_output_zero_point=None,
    litert_output_scale=None,
    int8_output_rule="",  # neither checks it: TFLite Micro writes 1/128 and 0, LiteRT's table uses it
    pot_shifts=(0, 1),
    fixed_point=tanh_fixed,
    output_shift=31 - 7,
    float_fn=lambda x: np.tanh(x).astype(np.float32),
    lut_fn=tanhf,
    int16_fn=tanh_int16,
)


@register("TANH", versions=range(1, 4), types=("float32", "int8", "int16", "uint8"),
          inputs=1, outputs=1)
class Tanh(Kernel):
    constraints = sc.make_constraints(SPEC)

    def prepare(self, node: Node) -> sc.SigmoidData:
        return sc.prepare(SPEC, node)

    def eval(self, data: sc.SigmoidData, inputs):
        return [sc.evaluate(SPEC, data, inputs[0])]
