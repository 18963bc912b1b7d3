"""Static arena planning: the tensor arena TFLite Micro will need, and better plans for it.

    arena = microinfer.plan(model, planner="tflm")   # TFLite Micro's own plan, exactly
    arena.head_bytes, arena.buffers[0].offset

The arena's *head* holds the activations, planned by lifetime (see ``lifetimes.py``); its *tail*
holds what lives as long as the interpreter (TFLite Micro's per-tensor and per-node structures,
kernel data, variable tensors).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, replace

from ..errors import UnsupportedTargetError
from ..validation import check_structure
from ..tflite import load
from ..tflite.model import Model
from . import tail
from .aliasing import DEPTHWISE_OPS, depthwise_scratch_bytes, merged_buffers, merges
from .greedy import (
    arena_size,
    best_fit_offsets,
    check_plan,
    exact_offsets,
    first_fit_offsets,
    live_set_lower_bound,
    offline_overlaps,
    tflm_greedy_offsets,
)
from .lifetimes import BufferLifetime, align, buffer_lifetimes, operator_scopes
from .reorder import can_reorder, memory_order, reordered_model

PLANNERS = ("tflm", "best")


@dataclass(frozen=True)
class PlannedBuffer:
    name: str
    offset: int
    size: int
    first: int
    last: int
    tensor: int | None
    subgraph: int
    aliases: tuple[int, ...] = ()  # further tensors sharing this buffer (aliasing, in place)

    @property
    def end(self) -> int:
        return self.offset + self.size


@dataclass(frozen=True)
class ArenaPlan:
    planner: str
    buffers: tuple[PlannedBuffer, ...]
    head_bytes: int
    lower_bound_bytes: int  # most bytes alive at one moment: no plan of this op order is smaller
    tail_bytes: int | None = None  # persistent allocations, when the ABI's accounting is known
    abi: str = "x86_64"
    min_working_arena_bytes: int | None = None  # smallest arena that allocates and runs
    exact: bool = True  # False where some struct size of the ABI is an estimate
    # best only: the bound for TFLite Micro's buffers, before aliasing and in-place merging
    # (``lower_bound_bytes`` is the bound for the buffers planned here, merged or not)
    lower_bound_same_buffers_bytes: int | None = None
    # what best was allowed to do: "alias", "in-place", "in-place-depthwise", "reorder"
    transforms: tuple[str, ...] = ()
    optimal: bool = False  # an exact search proved no plan of these buffers is smaller
    # best only: the order the main subgraph's operators must run in for this plan (original
    # operator indices), when it differs from the model's; TFLite Micro needs the model
    # rewritten in that order (``reordered_model``)
    operator_order: tuple[int, ...] | None = None
    notes: tuple[str, ...] = ()  # what the figures leave out or assume, one sentence each

    @property
    def total_bytes(self) -> int | None:
        return None if self.tail_bytes is None else self.head_bytes + self.tail_bytes

    def _repr_html_(self) -> str:
        """The arena layout as an SVG chart and the figures, for notebooks."""
        from ..report import plan_html

        return plan_html(self)


ABIS = ("x86_64", "arm32")
KERNEL_LIBRARIES = ("tflm-reference", "cmsis-nn")


def plan(
    model: Model | str | os.PathLike | bytes,
    planner: str = "tflm",
    abi: str = "x86_64",
    kernels: str = "tflm-reference",
    alias: bool = True,
    in_place: bool = True,
    core: str | None = None,
    in_place_depthwise: bool = True,
    reorder: bool = True,
    resource_variables: int | None = None,
    progress: Callable[[int, int | None], None] | None = None,
) -> ArenaPlan:
    """The whole TFLite Micro arena for ``model``: head planned by ``planner``, persistent tail
    and the smallest working arena, for an ABI (``x86_64`` host, ``arm32`` targets).

    With ``planner="tflm"`` and ``abi="x86_64"`` every figure equals what TFLite Micro's host
    build reports (tested against the live interpreter). ``planner="best"`` plans the same
    buffers better; TFLite Micro can use such a plan as offline-planned offsets. With ``alias``
    and ``in_place`` (on by default; ``best`` only) it may also let a RESHAPE/SQUEEZE/EXPAND_DIMS
    output share its dying input's buffer and elementwise operators overwrite a dying input (see
    ``aliasing.py``); results stay bit-identical, but TFLite Micro itself does not alias, so such
    a plan is for runtimes that do (microinfer's arena mode runs it). ``in_place_depthwise`` lets
    a shape-preserving DEPTHWISE_CONV_2D overwrite its dying input, planning the per-channel
    temporary such a kernel needs as scratch (TinyEngine's trick; ``aliasing.py``), and
    ``reorder`` lets the main subgraph's operators run in another topological order with a lower
    peak (``operator_order``; ``reorder.py``), kept only when the plan is strictly smaller.

    ``kernels="cmsis-nn"`` accounts for TFLite Micro's CMSIS-NN kernels on ``core`` (one of
    ``cmsis_nn.CORES``; required): their scratch buffers (head) and OpData (tail). Only for
    ``abi="arm32"``, and an estimate (``exact`` is False): the rules are read from the CMSIS-NN
    and TFLM sources, not measured on a device here; they reproduce every arena figure of TFLM's
    one published Cortex-M4 run (person_detect, ``tests/test_cmsis_nn_arena.py``).

    ``resource_variables``: the slots of the ``MicroResourceVariables`` the application creates
    and hands the interpreter (two tail allocations; TFLM's generic benchmark tool creates 100,
    its examples none). By default (None) as TFLite Micro's Python interpreter does: one slot
    per distinct shared_name of the model's VAR_HANDLEs, none for a model without them.

    ``progress(done, None)`` is called after each placement the ``best`` planner tries.
    """
    if abi not in ABIS:
        raise UnsupportedTargetError(f"ABI {abi!r} is not supported; choose one of {', '.join(ABIS)}")
    if kernels not in KERNEL_LIBRARIES:
        raise UnsupportedTargetError(
            f"kernel library {kernels!r}: microinfer knows the arena needs of "
            f"{', '.join(KERNEL_LIBRARIES)} so far"
        )
    target = {}
    if kernels == "cmsis-nn":
        from . import cmsis_nn

        cmsis_nn.isa(core)  # a missing or unknown core is refused first
        if abi != "arm32":
            raise UnsupportedTargetError(
                f"kernel library 'cmsis-nn' runs on Arm Cortex-M: plan it with abi='arm32', not {abi!r}")
        target = dict(kernels=kernels, core=core)
    elif core is not None:
        raise UnsupportedTargetError(
            f"core {core!r}: a core only selects CMSIS-NN scratch sizes; use kernels='cmsis-nn' "
            f"(kernel libraries: {', '.join(KERNEL_LIBRARIES)})")
    model = model if isinstance(model, Model) else load(model)
    check_structure(model)
    scratch = tail.subgraph_scratch_requests(model, abi=abi, **target)
    head = plan_head(model, planner, scratch, alias=alias, in_place=in_place,
                     in_place_depthwise=in_place_depthwise, reorder=reorder, progress=progress)
    if resource_variables is not None and (not isinstance(resource_variables, int) or resource_variables < 0):
        raise UnsupportedTargetError(
            f"resource_variables (MicroResourceVariables slots) must be a count >= 0, "
            f"not {resource_variables!r}")
    allocations = tail.persistent_allocations(model, abi, resource_variables=resource_variables,
                                              **target)
    unknown = tail.unmodelled_operators(model)
    from_source = sorted({op.op for sg in model.subgraphs for op in sg.operators} & tail.FROM_SOURCE)
    return replace(
        head,
        tail_bytes=sum(a.used for a in allocations),
        abi=abi,
        min_working_arena_bytes=tail.min_working_arena_bytes(
            model, head.head_bytes, abi, resource_variables=resource_variables, **target),
        # CMSIS-NN figures are never exact: rules read from source, not measured
        exact=all(a.exact for a in allocations) and not target and not unknown and not from_source,
        notes=head.notes + _operator_notes(unknown, from_source) + _refusal_notes(model),
    )


def _refusal_notes(model: Model) -> tuple[str, ...]:
    """What keeps microinfer (with TFLite Micro's rules) from running the model, when anything
    does: the plan is then what TFLite Micro would lay out if it prepared the model."""
    from ..validation import refusals

    problems = refusals(model)
    if not problems:
        return ()
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return (f"microinfer refuses to run this model with reference='tflm': {problems[0]}{more}; "
            f"TFLite Micro may refuse it too",)


def _operator_notes(unknown: list[str], from_source: list[str]) -> tuple[str, ...]:
    notes = []
    if unknown:
        notes.append(f"{', '.join(unknown)}: microinfer does not know what TFLite Micro's kernel "
                     f"allocates for it (OpData, scratch); counted as nothing, so the tail and "
                     f"working arena may be low")
    if from_source:
        npu = [name for name in from_source if name in tail.NPU_OPERATORS]
        notes.append(f"{', '.join(from_source)}: its kernel's allocations are read from TFLite "
                     f"Micro's source, not measured"
                     + ("; the NPU's own work is not estimated" if npu else ""))
    return tuple(notes)


def plan_head(
    model: Model,
    planner: str = "tflm",
    scratch=(),
    alias: bool = True,
    in_place: bool = True,
    in_place_depthwise: bool = True,
    reorder: bool = True,
    progress: Callable[[int, int | None], None] | None = None,
) -> ArenaPlan:
    """Plan the activation buffers of ``model`` with TFLite Micro's planner or a better one.

    ``alias``, ``in_place``, ``in_place_depthwise`` and ``reorder`` apply to ``planner="best"``
    only; ``"tflm"`` is always exactly TFLite Micro's plan."""
    if planner not in PLANNERS:
        raise ValueError(f"planner must be one of {PLANNERS}, not {planner!r}")
    buffers = buffer_lifetimes(model, scratch)
    offsets = tflm_greedy_offsets(buffers)
    notes = _offline_notes(buffers)
    if planner == "tflm":
        return replace(_planned(planner, buffers, offsets), notes=notes)
    same_bound = live_set_lower_bound(buffers)
    allowed = (("alias", alias), ("in-place", in_place), ("in-place-depthwise", in_place_depthwise),
               ("reorder", reorder))
    transforms = tuple(name for name, on in allowed if on)
    options = dict(alias=alias, in_place=in_place, in_place_depthwise=in_place_depthwise,
                   tick=_ticker(progress))
    buffers, offsets, optimal = _best_of_order(model, buffers, offsets, **options)
    order = None
    if reorder and can_reorder(model):
        candidate, _, _ = memory_order(model, scratch)
        if candidate != tuple(range(len(candidate))):
            position = {old: new for new, old in enumerate(candidate)}
            moved_scratch = sorted(((sg, position[op] if sg == model.main.index else op, size)
                                    for sg, op, size in scratch), key=lambda r: (r[0], r[1]))
            moved = reordered_model(model, candidate)
            moved_buffers = buffer_lifetimes(moved, moved_scratch)
            found = _best_of_order(moved, moved_buffers, tflm_greedy_offsets(moved_buffers), **options)
            if arena_size(found[0], found[1]) < arena_size(buffers, offsets):
                buffers, offsets, optimal = found
                buffers = [_original_operator(b, candidate) for b in buffers]
                order = candidate
    return replace(
        _planned(planner, buffers, offsets),
        notes=notes,
        lower_bound_same_buffers_bytes=same_bound if transforms else None,
        transforms=transforms,
        optimal=optimal,
        operator_order=order,
    )


def _offline_notes(buffers: list[BufferLifetime]) -> tuple[str, ...]:
    planned = [b for b in buffers if b.offline_offset is not None]
    if not planned:
        return ()
    notes = [f"{len(planned)} buffers are placed by the model's own offline plan "
             f"(OfflineMemoryAllocation metadata), which TFLite Micro honours"]
    overlaps = offline_overlaps(buffers)
    if overlaps:
        a, b = overlaps[0]
        notes.append(f"the offline plan overlaps buffers that are alive together ({a.name} and "
                     f"{b.name}, and {len(overlaps) - 1} more pairs): its author's choice, kept "
                     f"as is")
    return tuple(notes)


def _original_operator(b: BufferLifetime, order: tuple[int, ...]) -> BufferLifetime:
    """A scratch buffer of a reordered plan, named after its operator's original index."""
    if b.operator is None or b.subgraph != 0:
        return b
    old = order[b.operator]
    return replace(b, operator=old, name=b.name.replace(f"op {b.operator}", f"op {old}", 1))


def _ticker(progress) -> Callable[[], None]:
    count = [0]

    def tick() -> None:
        count[0] += 1
        if progress:
            progress(count[0], None)

    return tick


def _best_of_order(model: Model, buffers: list[BufferLifetime], baseline: list[int],
                   tick: Callable[[], None] = lambda: None, **options):
    """The best plan of the buffers of ``model``'s operator order: unmerged, or with the merges
    ``options`` allow (with and without in-place depthwise convolutions, whose temporaries cost
    scratch). Ties go to in-place depthwise last and other merges first."""
    offsets, optimal = _best_offsets(buffers, baseline, tick)
    candidates = [(arena_size(buffers, offsets), 1, buffers, offsets, optimal)]
    pairs = merges(model, buffers, **options)
    subsets = [(0, pairs)]
    if any(kind == DEPTHWISE for *_, kind in pairs):
        subsets = [(2, pairs), (0, [p for p in pairs if p[2] != DEPTHWISE])]
    for rank, subset in subsets:
        if not subset:
            continue
        merged = merged_buffers(buffers, subset, model.main.index) + _depthwise_scratch(model, buffers, subset)
        merged_offsets, merged_optimal = _best_offsets(merged, tflm_greedy_offsets(merged), tick)
        candidates.append((arena_size(merged, merged_offsets), rank, merged, merged_offsets, merged_optimal))
    _, _, buffers, offsets, optimal = min(candidates, key=lambda c: c[:2])
    return buffers, offsets, optimal


DEPTHWISE = "in-place-depthwise"


def _depthwise_scratch(model: Model, buffers, pairs) -> list[BufferLifetime]:
    """The per-channel temporary of each in-place depthwise convolution, alive while it runs."""
    sg = model.main
    scopes = operator_scopes(model, sg.index)
    writer: dict[int, int] = {}  # the depthwise writing each tensor (a malformed model may write one twice)
    for op in sg.operators:
        if op.op in DEPTHWISE_OPS:
            for t in op.outputs:
                writer.setdefault(t, op.index)
    extra = []
    for _, out, kind in pairs:
        if kind != DEPTHWISE:
            continue
        op = writer[out]
        first, last = scopes[op]
        extra.append(BufferLifetime(f"depthwise temporary of op {op}", align(depthwise_scratch_bytes(model, op)),
                                    first, last, sg.index, operator=op))
    return extra


def _planned(planner: str, buffers: list[BufferLifetime], offsets: list[int]) -> ArenaPlan:
    check_plan(buffers, offsets)
    planned = tuple(
        PlannedBuffer(b.name, o, b.size, b.first, b.last, b.tensor, b.subgraph, b.aliases)
        for b, o in zip(buffers, offsets)
    )
    return ArenaPlan(planner, planned, align(arena_size(buffers, offsets)), live_set_lower_bound(buffers))


EXACT_SEARCH_BUFFERS = 12  # exact search for graphs with at most this many buffers to place
EXACT_SEARCH_STEPS = 20_000  # placements one exact search may try


def _best_offsets(buffers: list[BufferLifetime], baseline: list[int],
                  tick: Callable[[], None] = lambda: None) -> tuple[list[int], bool]:
    """The smallest of several orderings under first fit and best fit, then, for small graphs,
    an exact search for a smaller plan; never worse than ``baseline``. Returns the offsets and
    whether they are proven optimal."""
    n = range(len(buffers))
    online = [i for i in n if buffers[i].offline_offset is None]
    offline = [i for i in n if buffers[i].offline_offset is not None]
    orderings = [
        lambda i: (-buffers[i].size, i),
        lambda i: (-buffers[i].size * (buffers[i].last - buffers[i].first + 1), i),
        lambda i: (-(buffers[i].last - buffers[i].first), -buffers[i].size),
        lambda i: (buffers[i].first, -buffers[i].size),
        lambda i: (-buffers[i].last, -buffers[i].size),
    ]
    best = baseline
    for key in orderings:
        order = offline + sorted(online, key=key)
        for place in (first_fit_offsets, best_fit_offsets):
            candidate = place(buffers, order)
            tick()
            if arena_size(buffers, candidate) < arena_size(buffers, best):
                best = candidate
    size = arena_size(buffers, best)
    if size <= live_set_lower_bound(buffers):
        return best, True
    found, proven = exact_offsets(buffers, size, EXACT_SEARCH_STEPS, EXACT_SEARCH_BUFFERS)
    if found is not None and arena_size(buffers, found) < size:
        best = found
    return best, proven


__all__ = ["ArenaPlan", "BufferLifetime", "PlannedBuffer", "buffer_lifetimes", "plan", "plan_head",
           "reordered_model"]
