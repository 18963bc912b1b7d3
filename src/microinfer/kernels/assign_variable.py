"""ASSIGN_VARIABLE: store a copy of the value (input 1) as a resource variable's value.

The variable keeps it across runs of the interpreter (see ``_resources.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from . import _control_flow as cf
from . import _resources as R
from .registry import Node, register


@dataclass(frozen=True)
class AssignVariableData:
    variable: int
    state: R.ResourceVariables | None = None  # bound by the interpreter


def _one_layout(node: Node) -> bool:
    """Every ASSIGN_VARIABLE of the variable assigns one type and shape"""
    return R.same_layout_as_assigned(node, node.inputs[1], missing_ok=True)


@register("ASSIGN_VARIABLE", versions=range(1, 2), types=cf.TYPE_LABELS, inputs=2, outputs=0)
class AssignVariable(cf.UsesInterpreterState):
    constraints = (
        R.from_handle,
        R.value_type("value", lambda node: node.inputs[1]),
        _one_layout,
    )

    def prepare(self, node: Node) -> AssignVariableData:
        return AssignVariableData(R.variable_of(node))

    def eval(self, data: AssignVariableData, inputs):
        data.state.assign_variable(data.variable, inputs[1])
        return []
