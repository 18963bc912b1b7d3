"""TFLite Micro's greedy memory planner, reproduced exactly, and a best-fit alternative.

TFLite Micro places buffers largest first. It fills its sort array with the online-planned buffers
from the back, so before its stable sort they stand in reverse order: buffers of equal size are
placed last-added first. Offline-planned buffers come first, unsorted, at their given offsets. Each buffer goes
into the first gap, in address order, between buffers whose lifetimes overlap its own, that is
large enough; otherwise after the last of them.
"""

from __future__ import annotations

from collections.abc import Sequence

from .lifetimes import BufferLifetime


def overlap_in_time(a: BufferLifetime, b: BufferLifetime) -> bool:
    return a.first <= b.last and b.first <= a.last


def tflm_greedy_offsets(buffers: Sequence[BufferLifetime]) -> list[int]:
    """Offsets TFLite Micro's GreedyMemoryPlanner gives ``buffers`` (in the order given)."""
    offline = [i for i, b in enumerate(buffers) if b.offline_offset is not None]
    online = [i for i, b in enumerate(buffers) if b.offline_offset is None][::-1]
    online.sort(key=lambda i: -buffers[i].size)  # stable: ties keep the reversed order
    return first_fit_offsets(buffers, offline + online)


def first_fit_offsets(buffers: Sequence[BufferLifetime], order: Sequence[int]) -> list[int]:
    """Place buffers in ``order``, each in the lowest gap among time-overlapping placed buffers."""
    offsets = [0] * len(buffers)
    placed: list[int] = []  # indices, kept sorted by offset
    for i in order:
        wanted = buffers[i]
        if wanted.offline_offset is not None:
            offset = wanted.offline_offset
        else:
            offset = 0
            for j in placed:
                other = buffers[j]
                if not overlap_in_time(wanted, other):
                    continue
                if offsets[j] - offset >= wanted.size:
                    break
                offset = max(offset, offsets[j] + other.size)
        offsets[i] = offset
        _insert_sorted(placed, i, offsets)
    return offsets


def _insert_sorted(placed: list[int], i: int, offsets: list[int]) -> None:
    # TFLite Micro inserts after every entry with an offset <= the new one.
    position = len(placed)
    for k, j in enumerate(placed):
        if offsets[j] > offsets[i]:
            position = k
            break
    placed.insert(position, i)


def arena_size(buffers: Sequence[BufferLifetime], offsets: Sequence[int]) -> int:
    return max((o + b.size for o, b in zip(offsets, buffers)), default=0)


def best_fit_offsets(buffers: Sequence[BufferLifetime], order: Sequence[int]) -> list[int]:
    """Like :func:`first_fit_offsets`, but each buffer takes the smallest gap that holds it."""
    offsets = [0] * len(buffers)
    placed: list[int] = []
    for i in order:
        wanted = buffers[i]
        busy = sorted(
            (offsets[j], offsets[j] + buffers[j].size) for j in placed if overlap_in_time(wanted, buffers[j])
        )
        best, best_gap, cursor = None, None, 0
        for start, end in busy:
            gap = start - cursor
            if gap >= wanted.size and (best_gap is None or gap < best_gap):
                best, best_gap = cursor, gap
            cursor = max(cursor, end)
        offsets[i] = cursor if best is None else best
        placed.append(i)
    return offsets


def live_set_lower_bound(buffers: Sequence[BufferLifetime]) -> int:
    """No plan can be smaller than the most bytes alive at one moment."""
    scopes = {b.first for b in buffers} | {b.last for b in buffers}
    return max((sum(b.size for b in buffers if b.first <= t <= b.last) for t in scopes), default=0)


def check_plan(buffers: Sequence[BufferLifetime], offsets: Sequence[int]) -> None:
    """Raise ValueError if two buffers alive at the same time share bytes."""
    for i, a in enumerate(buffers):
        for j in range(i + 1, len(buffers)):
            b = buffers[j]
            if overlap_in_time(a, b) and offsets[i] < offsets[j] + b.size and offsets[j] < offsets[i] + a.size:
                raise ValueError(
                    f"plan overlaps: {a.name} [{offsets[i]}, {offsets[i] + a.size}) and {b.name} "
                    f"[{offsets[j]}, {offsets[j] + b.size}) are alive together (scopes {a.first}-{a.last}, "
                    f"{b.first}-{b.last})"
                )
