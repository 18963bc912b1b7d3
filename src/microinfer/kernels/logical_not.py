"""LOGICAL_NOT: ``not x`` on a bool tensor (both references take bool only)."""

from __future__ import annotations

import numpy as np

from . import _elementwise as ew
from .registry import Kernel, Node, register


@register("LOGICAL_NOT", versions=range(1, 2), types=("bool",), inputs=1, outputs=1)
class LogicalNot(Kernel):
    constraints = (ew.same_type_in(ew.TensorType.BOOL), ew.unary_same_shape)

    def prepare(self, node: Node):
        return None

    def eval(self, data, inputs):
        return [np.logical_not(inputs[0])]
