"""SUB in C: mi_elementwise_sub_s8 / _s16, ADD's left-shift scheme with the second scaled input
subtracted (LiteRT's negated second multiplier gives the same bits under double rounding, see
kernels/_elementwise.py); LiteRT's int16 power-of-two path and float32 run in NumPy."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ...kernels._elementwise import AddSubData
from ...kernels.registry import Node
from ..binding import CCall, CKernel, Fallback, register_c
from ._broadcast import binary_call
from .add import add_params

FUNCTION = {np.dtype(np.int8): "mi_elementwise_sub_s8", np.dtype(np.int16): "mi_elementwise_sub_s16"}


@register_c("SUB")
class SubC(CKernel):
    def prepare(self, node: Node, spec: AddSubData) -> CCall:
        dtype = np.dtype(spec.dtype)
        if spec.kind != "general" or dtype not in FUNCTION:
            raise Fallback(f"SUB: {spec.kind} {dtype.name} runs in NumPy")
        # the same parameters as ADD's, with the second multiplier's magnitude
        params = add_params(replace(spec, sign=1, negated_multiplier=False,
                                    input2_multiplier=abs(spec.input2_multiplier)))
        return binary_call("SUB", getattr(self.lib, FUNCTION[dtype]), params, node, spec.output_shape, dtype)
