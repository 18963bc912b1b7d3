"""WHILE: run the body subgraph on the carried tensors for as long as the cond subgraph says so.

Both references copy the inputs to the outputs, then run the condition on them; while its first
output's (first) element is true they run the body on the outputs and copy its outputs back.
TFLite Micro plans every tensor ahead, so the body must give back exactly the shapes it takes
(LiteRT would grow the tensors; microinfer refuses such a body in both modes). A loop whose
condition never becomes false runs forever in the references; microinfer stops it after
``MAX_ITERATIONS`` with InvalidInputError (no model meant for a microcontroller loops that long).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InvalidInputError
from ..tflite.types import TensorType
from . import _control_flow as cf
from .registry import Node, register


MAX_ITERATIONS = 100_000


@dataclass(frozen=True)
class WhileData:
    cond_subgraph: int
    body_subgraph: int
    state: cf.SubgraphCalls | None = None  # bound by the interpreter


def _carries_tensors(node: Node) -> bool:
    """The operator carries at least one tensor, and has one output per input"""
    return len(node.inputs) >= 1 and len(node.outputs) == len(node.inputs)


def _inputs_are_outputs(node: Node) -> bool:
    """Each output has the type and shape of the input in its position"""
    return all(cf.same_layout(a, b) for a, b in zip(node.inputs, node.outputs))


def _distinct(node: Node) -> bool:
    """The cond and body subgraphs are different subgraphs"""
    return node.options.cond_subgraph_index != node.options.body_subgraph_index


def _cond_takes_inputs(node: Node) -> bool:
    """The cond subgraph takes the carried tensors (as many, of the same types and shapes)"""
    subgraphs = cf.called(node)
    return subgraphs is None or cf.matches(subgraphs[0], node.inputs, None)


def _tflm_condition(node: Node) -> bool:
    subgraphs = cf.called(node)
    if subgraphs is None:
        return True
    cond = subgraphs[0]
    if not cond.outputs:
        return False
    out = cond.tensors[cond.outputs[0]]
    return out.type is TensorType.BOOL and out.num_elements >= 1


def _litert_condition(node: Node) -> bool:
    subgraphs = cf.called(node)
    if subgraphs is None:
        return True
    cond = subgraphs[0]
    if len(cond.outputs) != 1:
        return False
    out = cond.tensors[cond.outputs[0]]
    return out.type is TensorType.BOOL and tuple(out.shape) in ((), (1,))


def _body_keeps_shapes(node: Node) -> bool:
    """The body takes the carried tensors and gives back as many, each with the type and shape it took (TFLite Micro needs static shapes)"""
    subgraphs = cf.called(node)
    return subgraphs is None or cf.matches(subgraphs[1], node.inputs, node.inputs)


@register("WHILE", versions=range(1, 2), types=cf.TYPE_LABELS, inputs=(1, None), outputs=(1, None))
class While(cf.UsesInterpreterState):
    constraints = (
        _carries_tensors,
        _inputs_are_outputs,
        cf.calls_existing_subgraphs,
        _distinct,
        cf.no_recursion,
        _cond_takes_inputs,
        cf.reference_specific(
            _tflm_condition, _litert_condition,
            "The cond subgraph's first output is a bool tensor, and with reference='tflite' its "
            "only one, of shape () or (1,) (TFLite Micro reads its first element)"),
        _body_keeps_shapes,
        cf.carried_types,
        cf.ONLY_CALLER,
    )

    def prepare(self, node: Node) -> WhileData:
        return WhileData(node.options.cond_subgraph_index, node.options.body_subgraph_index)

    def eval(self, data: WhileData, inputs):
        values = cf.copies(inputs)
        for _ in range(MAX_ITERATIONS):
            if not cf.first_element(data.state.invoke(data.cond_subgraph, values)[0]):
                return values
            values = data.state.invoke(data.body_subgraph, values)
        raise InvalidInputError(f"WHILE: the condition is still true after {MAX_ITERATIONS:,} iterations; "
                                f"microinfer stops here (TFLite Micro would loop on, possibly forever)")
