"""Operator reordering: run the main subgraph's operators in another topological order whose
live set peaks lower, then plan that order.

Results stay bit-identical: every operator still reads exactly the values it read before (data
dependencies are kept; operators touching one variable tensor, or a tensor written twice, and
the reads and assignments of resource variables keep their relative order). TFLite Micro runs operators in file order, so a plan for another order
needs the model rewritten in it: :func:`reordered_model`, then ``microinfer.tflite.serialize``.

The search minimises the most bytes alive at one operator under TFLite Micro's lifetime rules
(a tensor lives from the operator that writes it to the last that reads it; graph outputs to the
end; an operator's scratch during it). It is exact (dynamic programming over the sets of
operators already run) while the number of such sets stays within a budget, which covers
graphs whose branches are few and short (residual blocks, small inception modules), and falls
back to greedy orders otherwise. Only models without control flow or an offline plan are
reordered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ..tflite.model import Model
from .lifetimes import align, called_subgraphs

SEARCH_STATES = 50_000  # most steps (sets of operators entered) the exact search may take
RESOURCE_VARIABLE_OPS = frozenset({"READ_VARIABLE", "ASSIGN_VARIABLE"})


def can_reorder(model: Model) -> bool:
    sg = model.main
    return (
        len(sg.operators) > 2
        and model.offline_memory_allocation is None
        and not any(called_subgraphs(op) for op in sg.operators)
    )


def predecessors(model: Model) -> list[set[int]]:
    """For each operator of the main subgraph, the operators that must run before it."""
    sg = model.main
    n = len(sg.operators)
    before: list[set[int]] = [set() for _ in range(n)]
    writers: dict[int, list[int]] = {}
    touching: dict[int, list[int]] = {}
    for op in sg.operators:
        for t in op.outputs:
            writers.setdefault(t, []).append(op.index)
        for t in {*op.inputs, *op.outputs, *op.intermediates} - {-1}:
            touching.setdefault(t, []).append(op.index)
    for op in sg.operators:
        for t in set(op.inputs) - {-1}:
            for w in writers.get(t, ()):
                if w < op.index:
                    before[op.index].add(w)
    for t, ops in touching.items():
        tensor = sg.tensors[t]
        if tensor.is_variable or len(writers.get(t, ())) > 1:
            for a, b in zip(ops, ops[1:]):  # keep the original relative order
                before[b].add(a)
    # reads and assignments of resource variables keep their order (no tensor links them)
    stateful = [op.index for op in sg.operators if op.op in RESOURCE_VARIABLE_OPS]
    for a, b in zip(stateful, stateful[1:]):
        before[b].add(a)
    for i, ps in enumerate(before):
        if any(p >= i for p in ps):
            raise ValueError("operators are not in a topological order")
    return before


def is_topological(model: Model, order: Sequence[int]) -> bool:
    if sorted(order) != list(range(len(model.main.operators))):
        return False
    position = {op: k for k, op in enumerate(order)}
    return all(position[p] < position[i] for i, ps in enumerate(predecessors(model)) for p in ps)


def reordered_model(model: Model, order: Sequence[int], renumber: bool = True) -> Model:
    """``model`` with its main subgraph's operators in ``order`` (original indices), renumbered
    0.. in that order unless ``renumber`` is False. Write it out with
    ``microinfer.tflite.serialize`` for TFLite Micro, which runs operators in file order."""
    order = tuple(order)
    if not is_topological(model, order):
        raise ValueError(f"{order} is not a valid operator order of the main subgraph")
    ops = model.main.operators
    new_ops = tuple(replace(ops[old], index=new) if renumber else ops[old] for new, old in enumerate(order))
    main = replace(model.main, operators=new_ops)
    return replace(model, subgraphs=(main, *model.subgraphs[1:]))


class _Graph:
    """What the search needs: per operator, bytes it creates, bytes it frees, who must precede."""

    def __init__(self, model: Model, scratch: Sequence[tuple[int, int, int]] = ()):
        sg = model.main
        n = len(sg.operators)
        self.n = n
        preceding = predecessors(model)
        self.before = [sum(1 << p for p in ps) for ps in preceding]
        self.needs = [len(set(ps)) for ps in preceding]  # distinct predecessors of each operator
        self.waiting_for: list[list[int]] = [[] for _ in preceding]  # op -> the ops it must precede
        for j, ps in enumerate(preceding):
            for p in set(ps):
                self.waiting_for[p].append(j)
        self.scratch = [0] * n
        for sg_index, op, size in scratch:
            if sg_index == sg.index:
                self.scratch[op] += align(size)
        producer: dict[int, int] = {}
        consumers: dict[int, set[int]] = {}
        for op in sg.operators:
            for t in op.outputs:
                producer.setdefault(t, op.index)
            for t in set(op.inputs) - {-1}:
                consumers.setdefault(t, set()).add(op.index)
        outputs = set(sg.outputs)
        self.created = [0] * n  # bytes of the outputs an operator writes
        self.kept = [0] * n  # of them, bytes still alive after it
        self.last_readers: list[tuple[int, int]] = []  # (readers mask, bytes) of each freeable tensor
        self.frees: list[list[tuple[int, int]]] = [[] for _ in range(n)]  # of them, those each op reads
        self.base = 0  # bytes alive before any operator runs and until their last reader
        self.base_unread = 0  # of them, graph inputs nothing reads: alive at scope 0 only
        for t in sg.tensors:
            if t.is_constant or t.is_variable or t.nbytes == 0:
                continue
            size = align(t.nbytes)
            readers = consumers.get(t.index, set())
            p = producer.get(t.index)
            if p is not None:
                self.created[p] += size
                if t.index in outputs or readers - {p}:
                    self.kept[p] += size
                else:
                    continue
            elif t.index in sg.inputs or t.index in outputs:
                self.base += size
            else:
                continue  # never touched: lifetime (-1, -1)
            if t.index not in outputs:
                mask = sum(1 << r for r in readers if r != p)
                if mask:
                    self.last_readers.append((mask, size))
                    for r in readers:
                        if r != p:
                            self.frees[r].append((mask, size))
                elif p is None:
                    self.base_unread += size

    def step(self, done: int, live: int, op: int) -> tuple[int, int]:
        """Bytes alive while ``op`` runs after ``done``, and after it."""
        during = live + self.created[op] + self.scratch[op]
        after = live + self.kept[op]
        now = done | 1 << op
        for mask, size in self.frees[op]:
            if mask & now == mask:
                after -= size
        return during, after

    def start(self) -> int:
        return self.base - self.base_unread  # unread inputs live at scope 0 only

    def ready(self, done: int) -> list[int]:
        return [i for i in range(self.n) if not done >> i & 1 and self.before[i] & done == self.before[i]]

    def ready_after(self, ready: list[int], done: int, op: int) -> list[int]:
        """``ready(done | 1 << op)`` from ``ready`` (= ``ready(done)``), looking only at the
        operators that wait for ``op``."""
        now = done | 1 << op
        unlocked = [j for j in self.waiting_for[op] if self.before[j] & now == self.before[j]]
        return [r for r in ready if r != op] + unlocked

    def peak(self, order: Sequence[int]) -> int:
        done, live, peak = 0, self.start(), self.base
        for op in order:
            during, live = self.step(done, live, op)
            peak = max(peak, during)
            done |= 1 << op
        return peak


def memory_order(
    model: Model,
    scratch: Sequence[tuple[int, int, int]] = (),
    max_states: int = SEARCH_STATES,
) -> tuple[tuple[int, ...], int, int]:
    """The operator order with the lowest live-set peak found: ``(order, its peak, the original
    order's peak)``. The original order is returned when nothing beats it."""
    graph = _Graph(model, scratch)
    original = tuple(range(graph.n))
    best, best_peak = original, graph.peak(original)
    for candidate in (_greedy(graph, key) for key in _GREEDY_KEYS):
        peak = graph.peak(candidate)
        if peak < best_peak:
            best, best_peak = candidate, peak
    exact = _exact(graph, max_states)
    if exact is not None and graph.peak(exact) < best_peak:
        best, best_peak = exact, graph.peak(exact)
    return best, best_peak, graph.peak(original)


_GREEDY_KEYS = (
    lambda during, after, live, op: (during, after - live, op),  # lowest peak now, then most freed
    lambda during, after, live, op: (after - live, during, op),  # most bytes freed
    lambda during, after, live, op: (max(during, 0), op),  # lowest peak now, then file order
)


def _greedy(graph: _Graph, key) -> tuple[int, ...]:
    """Run, at each step, the ready operator ``key`` likes best. The ready set is kept up to date
    as operators finish (counting each one's unfinished predecessors), not recomputed."""
    done, live, order = 0, graph.start(), []
    waiting = list(graph.needs)
    ready = {i for i in range(graph.n) if not waiting[i]}
    for _ in range(graph.n):
        choice = min(ready, key=lambda op: key(*graph.step(done, live, op), live, op))
        _, live = graph.step(done, live, choice)
        done |= 1 << choice
        order.append(choice)
        ready.discard(choice)
        for successor in graph.waiting_for[choice]:
            waiting[successor] -= 1
            if not waiting[successor]:
                ready.add(successor)
    return tuple(order)


def _exact(graph: _Graph, max_states: int) -> tuple[int, ...] | None:
    """Dynamic programming over sets of operators already run (the live bytes depend on the set
    only): the smallest peak from each set to the end. None when over budget."""
    import sys

    if graph.n + 50 > sys.getrecursionlimit():
        return None
    full = (1 << graph.n) - 1
    memo: dict[int, tuple[int, int]] = {full: (0, -1)}  # set -> (peak from here, next operator)

    class _Abort(Exception):
        pass

    steps = 0

    def solve(done: int, live: int, ready: list[int]) -> int:
        nonlocal steps
        hit = memo.get(done)
        if hit is not None:
            return hit[0]
        steps += 1
        if steps > max_states:
            raise _Abort
        best, choice = None, -1
        for op in ready:
            during, after = graph.step(done, live, op)
            if best is not None and during >= best:
                continue
            peak = max(during, solve(done | 1 << op, after, graph.ready_after(ready, done, op)))
            if best is None or peak < best:
                best, choice = peak, op
        memo[done] = (best, choice)
        return best

    try:
        solve(0, graph.start(), graph.ready(0))
    except _Abort:
        return None
    order, done = [], 0
    while done != full:
        op = memo[done][1]
        order.append(op)
        done |= 1 << op
    return tuple(order)
