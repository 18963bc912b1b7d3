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
    """No plan can be smaller than the most bytes alive at one moment (buffers of the model's
    offline plan count by the bytes they cover together, since that plan may overlap them)."""
    scopes = {b.first for b in buffers} | {b.last for b in buffers}
    return max((_live_bytes([b for b in buffers if b.first <= t <= b.last]) for t in scopes), default=0)


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
    for i, a in enumerate(buffers):
        for j in range(i + 1, len(buffers)):
            b = buffers[j]
            if a.offline_offset is not None and b.offline_offset is not None:
                continue
            if overlap_in_time(a, b) and offsets[i] < offsets[j] + b.size and offsets[j] < offsets[i] + a.size:
                raise ValueError(
                    f"plan overlaps: {a.name} [{offsets[i]}, {offsets[i] + a.size}) and {b.name} "
                    f"[{offsets[j]}, {offsets[j] + b.size}) are alive together (scopes {a.first}-{a.last}, "
                    f"{b.first}-{b.last})"
                )


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
