"""VAR_HANDLE: the handle of a resource variable, named by the options' container and shared_name.

The handle is the variable's number (an int32 in a RESOURCE tensor), which READ_VARIABLE and
ASSIGN_VARIABLE of the same subgraph take as their first input; see ``_resources.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType
from . import _resources as R
from ._shapes import tflm_only
from .registry import Kernel, Node, register


@dataclass(frozen=True)
class VarHandleData:
    variable: int
    shape: tuple[int, ...]


def _resource_output(node: Node) -> bool:
    """The output is a RESOURCE tensor of one element, neither an input nor an output of its subgraph"""
    out = node.outputs[0]
    sg = node.model.subgraphs[node.subgraph]
    return (out.type is TensorType.RESOURCE and out.num_elements == 1
            and out.index not in sg.inputs and out.index not in sg.outputs)


def _tflm_named(node: Node) -> bool:
    return getattr(node.options, "shared_name", None) is not None


def _tflm_slot(node: Node) -> bool:
    return R.handles(node.model, node.reference).ids.get((node.subgraph, node.op.index)) is not None


@register("VAR_HANDLE", versions=range(1, 2), types=("resource",), inputs=0, outputs=1)
class VarHandle(Kernel):
    constraints = (
        _resource_output,
        tflm_only(_tflm_named, "With reference='tflm': the options give the variable a shared_name "
                               "(TFLite Micro's Python interpreter counts variables by it)"),
        tflm_only(_tflm_slot, "With reference='tflm': TFLite Micro finds or makes the variable's slot "
                              "(one slot per distinct shared_name; a container given on some handles "
                              "and not on others makes it compare a missing name and crash)"),
    )

    def prepare(self, node: Node) -> VarHandleData:
        variable = R.handles(node.model, node.reference).ids[(node.subgraph, node.op.index)]
        return VarHandleData(variable, tuple(node.outputs[0].shape))

    def eval(self, data: VarHandleData, inputs):
        return [np.full(data.shape, data.variable, dtype=np.int32)]
