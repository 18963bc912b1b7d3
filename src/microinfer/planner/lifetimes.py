"""Which buffers the arena must hold and when, following TFLite Micro's rules.

TFLite Micro numbers "allocation scopes": scope 0 is the start of the main subgraph, every
operator opens a new scope, and a control-flow operator (IF, WHILE, CALL_ONCE) opens one more per
subgraph it calls, whose operators are numbered inside it. A tensor lives from the scope that
creates it to the last scope that reads it, both inclusive. Graph inputs and outputs are created at
the subgraph's start; outputs live to its end. Constants and variable tensors are not planned
(constants stay in flash, variables live in the persistent tail). A kernel's scratch buffer lives
for its operator's scope(s) only. A non-constant tensor that nothing produces or reads is still
planned, with the lifetime (-1, -1).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..errors import ModelError
from ..tflite.model import Model, Operator

ALIGNMENT = 16
UNSET = -1

_CONTROL_FLOW_SUBGRAPHS: dict[str, tuple[str, ...]] = {
    "IF": ("then_subgraph_index", "else_subgraph_index"),
    "WHILE": ("cond_subgraph_index", "body_subgraph_index"),
    "CALL_ONCE": ("init_subgraph_index",),
}


def align(size: int, alignment: int = ALIGNMENT) -> int:
    return (size + alignment - 1) // alignment * alignment


@dataclass(frozen=True)
class BufferLifetime:
    """One buffer the planner places: a tensor of some subgraph, or an operator's scratch."""

    name: str
    size: int  # bytes, aligned up to 16 as TFLite Micro plans them
    first: int  # allocation scope that creates it (inclusive)
    last: int  # last allocation scope that uses it (inclusive)
    subgraph: int
    tensor: int | None = None  # tensor index in its subgraph, or None for scratch
    operator: int | None = None  # the operator a scratch buffer belongs to
    offline_offset: int | None = None  # OfflineMemoryAllocation offset, when planned ahead
    aliases: tuple[int, ...] = ()  # further tensors of the subgraph sharing this buffer (best only)

    @property
    def is_scratch(self) -> bool:
        return self.tensor is None


ScratchRequests = Callable[[Model], list[tuple[int, int, int]]]  # (subgraph, operator, bytes)


@dataclass
class _Span:
    first: int = UNSET
    last: int = UNSET

    def create(self, scope: int) -> None:
        self.first = scope
        self.last = scope

    def use(self, scope: int) -> None:
        self.last = scope


def buffer_lifetimes(
    model: Model, scratch: list[tuple[int, int, int]] = ()
) -> list[BufferLifetime]:
    """Every buffer TFLite Micro plans for ``model``, in the order it hands them to its planner:
    the tensors of each subgraph in index order, then scratch buffers in request order."""
    spans = [[_Span() for _ in sg.tensors] for sg in model.subgraphs]
    scratch_spans = [_Span() for _ in scratch]
    scope = _mark(model, 0, 0, spans, scratch, scratch_spans)
    del scope
    offline = _offline_offsets(model)
    buffers = []
    for sg, sg_spans in zip(model.subgraphs, spans):
        for t, span in zip(sg.tensors, sg_spans):
            planned = offline[sg.index][t.index] if offline is not None else -1
            # TFLite Micro plans a variable tensor like an activation when the offline plan
            # places it; otherwise the variable lives in the persistent tail.
            if t.is_constant or (t.is_variable and planned < 0) or t.nbytes == 0:
                continue
            # A tensor no operator touches keeps the lifetime (-1, -1): TFLite Micro still plans
            # it, overlapping every other such tensor.
            buffers.append(
                BufferLifetime(
                    name=t.name or f"tensor {t.index}",
                    size=align(t.nbytes),
                    first=span.first,
                    last=span.last,
                    subgraph=sg.index,
                    tensor=t.index,
                    offline_offset=planned if planned >= 0 else None,
                )
            )
    for (sg_index, op_index, size), span in zip(scratch, scratch_spans):
        buffers.append(
            BufferLifetime(
                name=f"scratch of op {op_index}" + (f" (subgraph {sg_index})" if sg_index else ""),
                size=align(size),
                first=span.first,
                last=span.last,
                subgraph=sg_index,
                operator=op_index,
            )
        )
    return buffers


def _mark(model: Model, sg_index: int, scope: int, spans, scratch, scratch_spans,
          running: tuple[int, ...] = (0,)) -> int:
    sg = model.subgraphs[sg_index]
    mine = spans[sg_index]
    for t in (*sg.inputs, *sg.outputs):
        mine[t].create(scope)
    for op in sg.operators:
        scope += 1
        for t in op.outputs:
            mine[t].create(scope)
        start = scope
        for called in _checked_calls(model, sg_index, op, running):
            scope = _mark(model, called, scope + 1, spans, scratch, scratch_spans, (*running, called))
        for t in op.inputs:
            if t >= 0:
                mine[t].use(scope)
        for t in op.outputs:
            mine[t].use(scope)
        for (req_sg, req_op, _), span in zip(scratch, scratch_spans):
            if req_sg == sg_index and req_op == op.index:
                span.create(start)
                span.use(scope)
    for t in sg.outputs:
        mine[t].use(scope)
    return scope


def operator_scopes(model: Model, sg_index: int = 0, start: int = 0) -> list[tuple[int, int]]:
    """The (first, last) allocation scope of each operator of subgraph ``sg_index`` (they differ
    only for control-flow operators, whose called subgraphs' scopes lie in between)."""
    scopes = []
    scope = start
    for op in model.subgraphs[sg_index].operators:
        scope += 1
        first = scope
        for called in _checked_calls(model, sg_index, op, (sg_index,)):
            scope = _last_scope(model, called, scope + 1, (sg_index, called))
        scopes.append((first, scope))
    return scopes


def _last_scope(model: Model, sg_index: int, scope: int, running: tuple[int, ...]) -> int:
    for op in model.subgraphs[sg_index].operators:
        scope += 1
        for called in _checked_calls(model, sg_index, op, running):
            scope = _last_scope(model, called, scope + 1, (*running, called))
    return scope


def called_subgraphs(op: Operator) -> list[int]:
    fields = _CONTROL_FLOW_SUBGRAPHS.get(op.op, ())
    return [getattr(op.options, f) for f in fields if op.options is not None]


def _checked_calls(model: Model, sg_index: int, op: Operator, running: tuple[int, ...]) -> list[int]:
    """The subgraphs ``op`` calls; ModelError for one the model lacks or one already running
    (TFLite Micro fails on the first and recurses without end on the second)."""
    calls = called_subgraphs(op)
    where = f"subgraph {sg_index} operator {op.index} ({op.op})"
    for called in calls:
        if not 0 < called < len(model.subgraphs):
            raise ModelError(f"{where} calls subgraph {called}, which is not one of the model's "
                             f"subgraphs 1..{len(model.subgraphs) - 1}")
        if called in running:
            raise ModelError(f"{where} calls subgraph {called}, which is already running: "
                             f"TFLite Micro would recurse without end")
    return calls


def offline_planned_variable(model: Model, t, subgraph: int = 0) -> bool:
    """Whether variable tensor ``t`` of ``subgraph`` has an offset in the model's offline plan
    (TFLite Micro then keeps it in the planned head instead of the tail)."""
    offline = _offline_offsets(model)
    return t.is_variable and offline is not None and offline[subgraph][t.index] >= 0


def _offline_offsets(model: Model) -> list[list[int]] | None:
    """Each subgraph's offline offsets, tensor by tensor. The plan lists the tensors of all
    subgraphs one after another, as TFLite Micro numbers them (measured: two body-subgraph
    tensors of a WHILE placed together at their running indices overwrite each other there)."""
    plan = model.offline_memory_allocation
    if plan is None:
        return None
    offsets, start = list(plan.offsets), 0
    per_subgraph = []
    for sg in model.subgraphs:
        per_subgraph.append(offsets[start:start + len(sg.tensors)])
        start += len(sg.tensors)
    return per_subgraph
