"""Static arena planning: the tensor arena TFLite Micro will need, and better plans for it.

    arena = microinfer.plan(model, planner="tflm")   # TFLite Micro's own plan, exactly
    arena.head_bytes, arena.buffers[0].offset

The arena's *head* holds the activations, planned by lifetime (see ``lifetimes.py``); its *tail*
holds what lives as long as the interpreter (TFLite Micro's per-tensor and per-node structures,
kernel data, variable tensors).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..tflite.model import Model
from .greedy import (
    arena_size,
    best_fit_offsets,
    check_plan,
    first_fit_offsets,
    live_set_lower_bound,
    tflm_greedy_offsets,
)
from .lifetimes import BufferLifetime, align, buffer_lifetimes

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

    @property
    def total_bytes(self) -> int | None:
        return None if self.tail_bytes is None else self.head_bytes + self.tail_bytes


def plan_head(model: Model, planner: str = "tflm", scratch=()) -> ArenaPlan:
    """Plan the activation buffers of ``model`` with TFLite Micro's planner or a better one."""
    if planner not in PLANNERS:
        raise ValueError(f"planner must be one of {PLANNERS}, not {planner!r}")
    buffers = buffer_lifetimes(model, scratch)
    offsets = tflm_greedy_offsets(buffers)
    if planner == "best":
        offsets = _best_offsets(buffers, offsets)
    check_plan(buffers, offsets)
    planned = tuple(
        PlannedBuffer(b.name, o, b.size, b.first, b.last, b.tensor, b.subgraph) for b, o in zip(buffers, offsets)
    )
    return ArenaPlan(planner, planned, align(arena_size(buffers, offsets)), live_set_lower_bound(buffers))


def _best_offsets(buffers: list[BufferLifetime], baseline: list[int]) -> list[int]:
    """The smallest of several orderings under first fit and best fit; never worse than TFLM's."""
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
            if arena_size(buffers, candidate) < arena_size(buffers, best):
                best = candidate
    return best


__all__ = ["ArenaPlan", "BufferLifetime", "PlannedBuffer", "buffer_lifetimes", "plan_head"]
