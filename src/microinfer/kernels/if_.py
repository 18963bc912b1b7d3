"""IF: run the then-subgraph or the else-subgraph on the operator's inputs after the first.

Input 0 is the condition, a bool tensor of one element. Both references copy the other inputs
into the chosen subgraph's inputs, run it, and copy its outputs into the operator's outputs.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..tflite.types import TensorType
from . import _control_flow as cf
from .registry import Node, register


@dataclass(frozen=True)
class IfData:
    then_subgraph: int
    else_subgraph: int
    state: cf.SubgraphCalls | None = None  # bound by the interpreter


def _bool_condition(node: Node) -> bool:
    """The condition (input 0) is a bool tensor of one element"""
    cond = node.inputs[0]
    return cond is not None and cond.type is TensorType.BOOL and cond.num_elements == 1


def _branches_match(node: Node) -> bool:
    """Each branch takes the operator's inputs after the condition and gives its outputs, as many, of the same types and shapes"""
    subgraphs = cf.called(node)
    return subgraphs is None or all(cf.matches(sg, node.inputs[1:], node.outputs) for sg in subgraphs)


@register("IF", versions=range(1, 2), types=cf.TYPE_LABELS, inputs=(1, None), outputs=(0, None))
class If(cf.UsesInterpreterState):
    constraints = (
        _bool_condition,
        cf.calls_existing_subgraphs,
        cf.no_recursion,
        _branches_match,
        cf.carried_types,
        cf.ONLY_CALLER,
    )

    def prepare(self, node: Node) -> IfData:
        return IfData(node.options.then_subgraph_index, node.options.else_subgraph_index)

    def eval(self, data: IfData, inputs):
        branch = data.then_subgraph if cf.first_element(inputs[0]) else data.else_subgraph
        return data.state.invoke(branch, inputs[1:])
