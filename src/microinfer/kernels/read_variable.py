"""READ_VARIABLE: a copy of a resource variable's value (see ``_resources.py``).

With reference='tflm' a variable that no assignment has written yet at run time holds TFLite
Micro's initial value (its first assignment's zero point in every byte); with reference='tflite'
reading it fails, as in LiteRT, with :class:`~microinfer.errors.InvalidInputError`.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import _control_flow as cf
from . import _resources as R
from .registry import Node, register


@dataclass(frozen=True)
class ReadVariableData:
    variable: int
    state: R.ResourceVariables | None = None  # bound by the interpreter


def _assigned_as_read(node: Node) -> bool:
    """Some ASSIGN_VARIABLE of the model writes the variable, with the type and shape of the output"""
    return R.same_layout_as_assigned(node, node.outputs[0], missing_ok=False)


@register("READ_VARIABLE", versions=range(1, 2), types=cf.TYPE_LABELS, inputs=1, outputs=1)
class ReadVariable(cf.UsesInterpreterState):
    constraints = (
        R.from_handle,
        R.value_type("output", lambda node: node.outputs[0]),
        _assigned_as_read,
    )

    def prepare(self, node: Node) -> ReadVariableData:
        return ReadVariableData(R.variable_of(node))

    def eval(self, data: ReadVariableData, inputs):
        return [data.state.read_variable(data.variable)]
