"""Helpers shared by the control-flow kernels (IF, WHILE, CALL_ONCE): which subgraphs an operator
calls, and the constraints on what flows in and out of them.

Both references copy tensors into a called subgraph's inputs and out of its outputs byte for byte,
so the operator cares about types and shapes only. TFLite Micro needs every shape static: a
subgraph input or output must have exactly the shape and type of the operator's tensor it takes
or gives (LiteRT would resize the subgraph instead; microinfer refuses that in both modes).

At run time a control-flow kernel calls subgraphs through a :class:`SubgraphCalls` (the
interpreter binds one to the prepared data, see :class:`UsesInterpreterState`); the subgraphs are
prepared once, by the interpreter.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Protocol

import numpy as np

from ..planner.lifetimes import called_subgraphs
from ..tflite.model import Model, Subgraph, Tensor
from ..tflite.types import TensorType
from ._shapes import tflm_only
from .registry import TFLITE, TFLM, Kernel, Node

# Types the references copy between subgraphs: every fixed-size type both size; TFLite Micro's
# Python interpreter has no uint16.
CARRIED_TYPES = (
    TensorType.FLOAT32, TensorType.INT8, TensorType.INT16, TensorType.INT32, TensorType.INT64,
    TensorType.BOOL, TensorType.UINT8, TensorType.FLOAT16, TensorType.FLOAT64, TensorType.UINT32,
    TensorType.UINT64, TensorType.COMPLEX64, TensorType.COMPLEX128, TensorType.UINT16,
)
TFLM_CARRIED_TYPES = tuple(t for t in CARRIED_TYPES if t is not TensorType.UINT16)
TYPE_LABELS = tuple(t.name.lower() for t in CARRIED_TYPES)


class UsesInterpreterState(Kernel):
    """A kernel that calls subgraphs or uses resource variables: its prepared data has a field
    ``state``, which the interpreter binds to its :class:`SubgraphCalls` after ``prepare``."""

    def bind(self, data, state):
        return replace(data, state=state)


class SubgraphCalls(Protocol):
    """What a control-flow kernel needs of the interpreter at run time."""

    def invoke(self, subgraph: int, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Run a called subgraph on copies of ``inputs``; its outputs, as copies."""

    def call_once(self, subgraph: int) -> None:
        """Run an init subgraph unless it has run before in this interpreter's life."""


def subgraph_calls(model: Model) -> list[tuple[int, int, int]]:
    """(calling subgraph, operator index, called subgraph) of every control-flow call, in model
    order; an IF calling one subgraph for both branches counts twice."""
    return [(sg.index, op.index, called) for sg in model.subgraphs for op in sg.operators
            for called in called_subgraphs(op)]


def reachable_subgraphs(model: Model) -> list[int]:
    """The subgraphs the main subgraph calls, directly or not, in index order (main excluded)."""
    callees: dict[int, set[int]] = {}
    for caller, _, called in subgraph_calls(model):
        callees.setdefault(caller, set()).add(called)
    seen: set[int] = set()
    todo = [0]
    while todo:
        for called in callees.get(todo.pop(), ()):
            if 0 < called < len(model.subgraphs) and called not in seen:
                seen.add(called)
                todo.append(called)
    return sorted(seen)


def _calls_back(model: Model, start: int, target: int) -> bool:
    """Whether subgraph ``start`` calls ``target``, directly or through other subgraphs."""
    seen, todo = set(), [start]
    while todo:
        sg = todo.pop()
        if sg in seen or not 0 <= sg < len(model.subgraphs):
            continue
        seen.add(sg)
        for op in model.subgraphs[sg].operators:
            for called in called_subgraphs(op):
                if called == target:
                    return True
                todo.append(called)
    return False


def called(node: Node) -> list[Subgraph] | None:
    """The subgraphs ``node`` calls (in its options' order), or None when an index does not
    name a subgraph other than the main one."""
    indices = called_subgraphs(node.op)
    if node.options is None or not all(0 < i < len(node.model.subgraphs) for i in indices):
        return None
    return [node.model.subgraphs[i] for i in indices]


def calls_existing_subgraphs(node: Node) -> bool:
    """The subgraphs the options name exist and are not the main subgraph (subgraph 0)"""
    return called(node) is not None


def no_recursion(node: Node) -> bool:
    """No subgraph it calls calls back into the subgraph of the operator, directly or not (the references would recurse without end)"""
    subgraphs = called(node)
    return subgraphs is None or not any(
        sg.index == node.subgraph or _calls_back(node.model, sg.index, node.subgraph) for sg in subgraphs)


def _only_caller(node: Node) -> bool:
    subgraphs = called(node)
    if subgraphs is None:
        return True
    me = (node.subgraph, node.op.index)
    callers = {sg.index: set() for sg in subgraphs}
    for caller, op_index, callee in subgraph_calls(node.model):
        if callee in callers:
            callers[callee].add((caller, op_index))
    return all(found == {me} for found in callers.values())


# TFLite Micro marks a called subgraph's tensors alive during each call in turn, each marking
# replacing the last; a tensor of the caller that lives through an earlier call but not the
# last one may then share bytes with the subgraph's tensors, which that earlier call overwrites.
ONLY_CALLER = tflm_only(
    _only_caller,
    "With reference='tflm': no other operator calls the subgraphs it calls (TFLite Micro plans "
    "a subgraph's tensors for its last caller only, so an earlier call could overwrite live "
    "tensors)")


def carried_types(node: Node) -> bool:
    """Tensors passed to and from the called subgraphs are float16/32/64, int8/16/32/64, uint8/32/64, bool or complex64/128 (with reference='tflite' also uint16)"""
    allowed = TFLM_CARRIED_TYPES if node.reference == TFLM else CARRIED_TYPES
    return all(t is None or t.type in allowed for t in carried_tensors(node))


def carried_tensors(node: Node) -> list[Tensor | None]:
    """The operator's tensors that cross into or out of its subgraphs, with the subgraphs' own."""
    first = 1 if node.op.op == "IF" else 0
    tensors = [*node.inputs[first:], *node.outputs]
    for sg in called(node) or ():
        tensors += [sg.tensors[i] for i in (*sg.inputs, *sg.outputs)]
    return tensors


def same_layout(a: Tensor | None, b: Tensor | None) -> bool:
    """Whether the references can copy ``a`` onto ``b``: same type and shape."""
    return a is not None and b is not None and a.type is b.type and tuple(a.shape) == tuple(b.shape)


def matches(sg: Subgraph, inputs: Sequence[Tensor | None], outputs: Sequence[Tensor | None] | None) -> bool:
    """The subgraph's inputs (and, unless ``outputs`` is None, its outputs) pair off with the
    given tensors, one to one, in type and shape."""
    if len(sg.inputs) != len(inputs) or (outputs is not None and len(sg.outputs) != len(outputs)):
        return False
    pairs = list(zip((sg.tensors[i] for i in sg.inputs), inputs))
    if outputs is not None:
        pairs += zip((sg.tensors[i] for i in sg.outputs), outputs)
    return all(same_layout(a, b) for a, b in pairs)


def first_element(value: np.ndarray) -> bool:
    """A condition's value: the first element of a bool tensor, as both references read it."""
    return bool(value.reshape(-1)[0])


def reference_specific(tflm: Callable[[Node], bool], litert: Callable[[Node], bool], doc: str):
    """One constraint whose check depends on the reference mode."""

    def constraint(node: Node) -> bool:
        return (litert if node.reference == TFLITE else tflm)(node)

    constraint.__doc__ = doc
    return constraint


def copies(values: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Values handed across a subgraph boundary: the references copy bytes, so do we (a called
    subgraph's arrays may be reused by its next run)."""
    return [np.array(v, copy=True) for v in values]
