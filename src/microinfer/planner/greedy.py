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
    """Place buffers in ``order``, each in the lowest gap among time-overlapping placed buffers.

    TFLite Micro scans every placed buffer in address order, skipping those that do not overlap
    in time (quadratic in the buffer count). Only the ones that do overlap decide the result, in
    address order (among equal offsets the order does not matter), so they are looked up by scope
    instead: close to O(n log n) when lifetimes are short, as in long chains.
    """
    offsets = [0] * len(buffers)
    by_scope = _ScopeIndex(buffers)
    for i in order:
        wanted = buffers[i]
        if wanted.offline_offset is not None:
            offset = wanted.offline_offset
        else:
            offset = 0
            for start, end in by_scope.busy(wanted, offsets):
                if start - offset >= wanted.size:
                    break
                offset = max(offset, end)
        offsets[i] = offset
        by_scope.add(i)
    return offsets


class _ScopeIndex:
    """Placed buffers by the scopes they are alive in: the ones overlapping a buffer in time,
    without scanning all placed buffers."""

    def __init__(self, buffers: Sequence[BufferLifetime]):
        self.buffers = buffers
        self.scopes: dict[int, list[int]] = {}

    def add(self, i: int) -> None:
        b = self.buffers[i]
        for t in range(b.first, b.last + 1):
            self.scopes.setdefault(t, []).append(i)

    def overlapping(self, wanted: BufferLifetime) -> set[int]:
        found: set[int] = set()
        for t in range(wanted.first, wanted.last + 1):
            found.update(self.scopes.get(t, ()))
        return found

    def busy(self, wanted: BufferLifetime, offsets: Sequence[int]) -> list[tuple[int, int]]:
        """(start, end) of the placed buffers alive together with ``wanted``, by address."""
        return sorted((offsets[j], offsets[j] + self.buffers[j].size) for j in self.overlapping(wanted))


def arena_size(buffers: Sequence[BufferLifetime], offsets: Sequence[int]) -> int:
    return max((o + b.size for o, b in zip(offsets, buffers)), default=0)


def best_fit_offsets(buffers: Sequence[BufferLifetime], order: Sequence[int]) -> list[int]:
    """Like :func:`first_fit_offsets`, but each buffer takes the smallest gap that holds it."""
    offsets = [0] * len(buffers)
    by_scope = _ScopeIndex(buffers)
    for i in order:
        wanted = buffers[i]
        best, best_gap, cursor = None, None, 0
        for start, end in by_scope.busy(wanted, offsets):
            gap = start - cursor
            if gap >= wanted.size and (best_gap is None or gap < best_gap):
                best, best_gap = cursor, gap
            cursor = max(cursor, end)
        offsets[i] = cursor if best is None else best
        by_scope.add(i)
    return offsets


def live_set_lower_bound(buffers: Sequence[BufferLifetime]) -> int:
    """No plan can be smaller than the most bytes alive at one moment (buffers of the model's
    offline plan count by the bytes they cover together, since that plan may overlap them)."""
    if not buffers:
        return 0
    # online bytes alive at each scope by a difference array; offline ones scope by scope
    scopes = sorted({b.first for b in buffers} | {b.last for b in buffers})
    delta: dict[int, int] = {}
    offline: dict[int, list[BufferLifetime]] = {}
    for b in buffers:
        if b.offline_offset is None:
            delta[b.first] = delta.get(b.first, 0) + b.size
            delta[b.last + 1] = delta.get(b.last + 1, 0) - b.size
        else:
            for t in range(b.first, b.last + 1):
                offline.setdefault(t, []).append(b)
    best, online, changes = 0, 0, sorted(delta)
    k = 0
    for t in scopes:
        while k < len(changes) and changes[k] <= t:
            online += delta[changes[k]]
            k += 1
        best = max(best, online + (_live_bytes(offline[t]) if t in offline else 0))
    return best


def _live_bytes(live: Sequence[BufferLifetime]) -> int:
    online = sum(b.size for b in live if b.offline_offset is None)
    covered, end = 0, 0
    for start, stop in sorted((b.offline_offset, b.offline_offset + b.size) for b in live
                              if b.offline_offset is not None):
        covered += max(0, stop - max(start, end))
        end = max(end, stop)
    return online + covered


def check_plan(buffers: Sequence[BufferLifetime], offsets: Sequence[int]) -> None:
    """Raise ValueError if two buffers alive at the same time share bytes, or a tensor has two
    buffers. Tensors merged into one buffer (its ``aliases``) share its bytes by design: the
    buffer lives from the first one's creation to the last one's last use. Two buffers the
    model's own offline plan places are its author's choice (Vela puts an NPU operator's
    feature maps inside its scratch area): see :func:`offline_overlaps`."""
    seen: set[tuple[int, int]] = set()
    for b in buffers:
        for t in () if b.tensor is None else (b.tensor, *b.aliases):
            if (b.subgraph, t) in seen:
                raise ValueError(f"plan gives tensor {t} of subgraph {b.subgraph} two buffers")
            seen.add((b.subgraph, t))
    # scope by scope, the live buffers by address: each must start at or after the end of every
    # earlier one (online ones; two offline ones may overlap)
    live: dict[int, list[int]] = {}
    for i, b in enumerate(buffers):
        if b.size > 0:
            for t in range(b.first, b.last + 1):
                live.setdefault(t, []).append(i)
    for t in sorted(live):
        end_all = end_online = (-1, None)
        for i in sorted(live[t], key=lambda i: offsets[i]):
            b = buffers[i]
            reach, other = end_all if b.offline_offset is None else end_online
            if other is not None and offsets[i] < reach:
                a, j = buffers[other], other
                raise ValueError(
                    f"plan overlaps: {a.name} [{offsets[j]}, {offsets[j] + a.size}) and {b.name} "
                    f"[{offsets[i]}, {offsets[i] + b.size}) are alive together (scopes {a.first}-{a.last}, "
                    f"{b.first}-{b.last})"
                )
            end = (offsets[i] + b.size, i)
            if end[0] > end_all[0]:
                end_all = end
            if b.offline_offset is None and end[0] > end_online[0]:
                end_online = end


def offline_overlaps(buffers: Sequence[BufferLifetime]) -> list[tuple[BufferLifetime, BufferLifetime]]:
    """Pairs of offline-planned buffers that are alive together and share bytes."""
    offline = sorted((b for b in buffers if b.offline_offset is not None), key=lambda b: b.offline_offset)
    pairs = []
    for i, a in enumerate(offline):
        for b in offline[i + 1:]:
            if b.offline_offset >= a.offline_offset + a.size:
                break
            if overlap_in_time(a, b):
                pairs.append((a, b))
    return pairs


def exact_offsets(
    buffers: Sequence[BufferLifetime],
    upper: int,
    max_steps: int = 20_000,
    max_buffers: int = 12,
) -> tuple[list[int] | None, bool]:
    """Branch and bound over placement orders under first fit, for small graphs.

    Every plan is matched or beaten by first fit in some order (place the buffers of an optimal
    plan in order of their offsets: each lands at or below its offset there), so searching all
    orders is exact. Returns ``(offsets, proven)``: offsets of a plan smaller than ``upper``, or
    None if none was found; ``proven`` is True when the search finished within
    ``max_steps`` placements (the result, or ``upper``, is then optimal; a step budget rather than a
    time budget keeps plans the same on a loaded machine). Buffers with an offline
    offset stay there. Searches nothing (``(None, False)``) above ``max_buffers`` online buffers.
    """
    online = [i for i, b in enumerate(buffers) if b.offline_offset is None]
    if len(online) > max_buffers:
        return None, False
    offsets = [0] * len(buffers)
    placed: list[int] = []
    peak0 = 0
    for i, b in enumerate(buffers):
        if b.offline_offset is not None:
            offsets[i] = b.offline_offset
            placed.append(i)
            peak0 = max(peak0, b.offline_offset + b.size)
    floor = max(peak0, live_set_lower_bound(buffers))
    online.sort(key=lambda i: (-buffers[i].size, i))
    overlaps = {i: {j for j in range(len(buffers)) if j != i and overlap_in_time(buffers[i], buffers[j])}
                for i in range(len(buffers))}
    state = {"best": upper, "offsets": None, "timed_out": False, "steps": 0}
    used = [False] * len(buffers)

    def lowest(i: int) -> int:
        size = buffers[i].size
        busy = sorted((offsets[j], offsets[j] + buffers[j].size) for j in placed if j in overlaps[i])
        offset = 0
        for start, end in busy:
            if start - offset >= size:
                break
            offset = max(offset, end)
        return offset

    def search(depth: int, peak: int, previous: int | None) -> bool:
        state["steps"] += 1
        if state["steps"] > max_steps:
            state["timed_out"] = True
            return True
        if depth == len(online):
            state["best"], state["offsets"] = peak, list(offsets)
            return peak <= floor  # cannot do better: stop
        for i in online:
            if used[i]:
                continue
            # Placing two buffers that never live together commutes: try one order only.
            if previous is not None and i < previous and i not in overlaps[previous]:
                continue
            offset = lowest(i)
            new_peak = max(peak, offset + buffers[i].size)
            if new_peak >= state["best"]:
                continue
            used[i] = True
            offsets[i] = offset
            placed.append(i)
            stop = search(depth + 1, new_peak, i)
            placed.pop()
            used[i] = False
            if stop:
                return True
        return False

    search(0, peak0, None)
    return state["offsets"], not state["timed_out"]
