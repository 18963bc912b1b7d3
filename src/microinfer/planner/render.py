"""An arena plan for people and for programs: a buffer table, an ASCII timeline, JSON, a picture.

Pure functions: they return strings or dicts (or write the PNG they are asked for) and never print.

    text = format_plan(plan, "model.tflite", labels=scope_labels(model))
    json.dumps(plan_dict(plan))
    write_png(plan, "arena.png")

The timeline draws one row per allocation scope and spreads the head over ``width`` columns; every
buffer has its own mark (the ``id`` column of the table), ``.`` is free space. A column shows the
buffer that holds most of its bytes; a buffer too small to win a column takes one from a buffer
that shows in others, and where that is impossible the column is drawn ``+`` (several buffers).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from ..errors import MissingDependencyError
from ..render import counted, size, table, thousands
from ..tflite.model import Model
from . import ArenaPlan, PlannedBuffer
from .lifetimes import called_subgraphs

MARKS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
FREE = "."
SHARED = "+"  # a column shared by buffers too small to draw apart
TIMELINE_WIDTH = 80
NAME_WIDTH = 32
NEVER = -1  # the lifetime of a tensor nothing touches (an uncalled subgraph's, say)

PLANNER_DESCRIPTIONS = {
    "tflm": "TFLite Micro's greedy planner, reproduced exactly",
    "best": "smallest of several first-fit and best-fit orders and, for small graphs, an exact "
            "search, with aliasing and in-place operators where allowed; never larger than TFLite Micro's",
}


def mark(index: int) -> str:
    """The character buffer ``index`` is drawn with (marks repeat after 62 buffers)."""
    return MARKS[index % len(MARKS)]


def short_name(name: str, width: int = NAME_WIDTH) -> str:
    """A tensor name fit for a table: the first of the names the converter fused with ``;``,
    and, if still too long, its end (the most specific part), after ``...``."""
    first = name.split(";", 1)[0] or name
    return first if len(first) <= width else "..." + first[-(width - 3):]


def scope_labels(model: Model) -> dict[int, str]:
    """What happens at each allocation scope: the graph inputs (scope 0), then each operator,
    numbered as in ``microinfer info`` (``sg1 op 0 ADD`` inside a called subgraph)."""
    labels: dict[int, str] = {NEVER: "never used"}

    def walk(sg_index: int, scope: int) -> int:
        prefix = f"sg{sg_index} " if sg_index else ""
        labels.setdefault(scope, f"sg{sg_index} inputs" if sg_index else "inputs")
        for op in model.subgraphs[sg_index].operators:
            scope += 1
            labels[scope] = f"{prefix}op {op.index} {op.op}"
            for called in called_subgraphs(op):
                scope = walk(called, scope + 1)
        return scope

    walk(0, 0)
    return labels


def _tensor(b: PlannedBuffer, subgraphs: bool) -> str:
    if b.tensor is None:
        return "scratch"
    tensors = "=".join(str(t) for t in (b.tensor, *b.aliases))  # aliased tensors share the buffer
    return f"{b.subgraph}:{tensors}" if subgraphs else tensors


def _scopes(b: PlannedBuffer) -> str:
    return "never" if b.first == NEVER else f"{b.first}..{b.last}"


def buffer_table(plan: ArenaPlan, name_width: int = NAME_WIDTH) -> str:
    """One row per planned buffer: its timeline mark, name, tensor, bytes, place and lifetime."""
    subgraphs = any(b.subgraph for b in plan.buffers)
    rows = [
        (
            mark(i),
            short_name(b.name, name_width),
            _tensor(b, subgraphs),
            thousands(b.size),
            thousands(b.offset),
            thousands(b.end),
            _scopes(b),
        )
        for i, b in enumerate(plan.buffers)
    ]
    headers = ("id", "buffer", "subgraph:tensor" if subgraphs else "tensor", "bytes", "offset", "end", "scopes")
    return table(headers, rows, right=(2, 3, 4, 5))


def live_bytes(plan: ArenaPlan) -> dict[int, int]:
    """Bytes alive at each scope, from the first scope any buffer lives in to the last."""
    scopes = _scope_range(plan.buffers)
    return {t: sum(b.size for b in plan.buffers if b.first <= t <= b.last) for t in scopes}


def _scope_range(buffers: Sequence[PlannedBuffer]) -> range:
    if not buffers:
        return range(0)
    return range(min(b.first for b in buffers), max(b.last for b in buffers) + 1)


def timeline_rows(plan: ArenaPlan, width: int = TIMELINE_WIDTH) -> dict[int, str]:
    """Each scope's row of ``width`` characters: the address space from 0 to the head."""
    head = max(plan.head_bytes, max((b.end for b in plan.buffers), default=0))
    rows = {}
    for t in _scope_range(plan.buffers):
        live = [i for i, b in enumerate(plan.buffers) if b.first <= t <= b.last and b.size]
        rows[t] = _row(plan.buffers, live, head, width)
    return rows


def _row(buffers: Sequence[PlannedBuffer], live: list[int], head: int, width: int) -> str:
    # Column c holds bytes [c * head / width, (c + 1) * head / width); scaled by width to stay exact.
    owner: list[int | None] = [None] * width
    share = [0] * width
    best_column: dict[int, tuple[int, int]] = {}  # buffer -> (its largest share, that column)
    for i in live:
        start, end = buffers[i].offset * width, buffers[i].end * width
        for c in range(start // head, min(width, -(-end // head))):
            bytes_here = min(end, (c + 1) * head) - max(start, c * head)
            if bytes_here > share[c]:
                owner[c], share[c] = i, bytes_here
            if bytes_here > best_column.get(i, (0, 0))[0]:
                best_column[i] = (bytes_here, c)
    shown = set(owner)
    crowded: set[int] = set()
    for i in live:  # a buffer too small to win a column takes its best one from a buffer shown twice
        if i not in shown and i in best_column:
            c = best_column[i][1]
            if owner[c] is None or owner.count(owner[c]) > 1:
                owner[c] = i
                shown.add(i)
            else:
                crowded.add(c)
    return "".join(
        SHARED if c in crowded else FREE if o is None else mark(o) for c, o in enumerate(owner)
    )


def timeline(
    plan: ArenaPlan, labels: Mapping[int, str] | None = None, width: int = TIMELINE_WIDTH
) -> str:
    """The arena over time: a row per scope, the address space across, and bytes live per row."""
    if not plan.buffers:
        return "(no buffers to plan)"
    labels = labels or {}
    rows = timeline_rows(plan, width)
    live = live_bytes(plan)
    peak = max(live.values())
    label_width = max([len("step")] + [len(labels.get(t, "")) for t in rows])
    scope_width = max(len("scope"), *(len(str(t)) for t in rows))
    live_width = max(len("live bytes"), len(thousands(peak)))
    pad = " " * (scope_width + 2 + label_width + 2)
    left, right = "0", thousands(max(plan.head_bytes, max(b.end for b in plan.buffers)))
    axis = left + right.rjust(width - len(left))
    lines = [
        f"{'scope'.rjust(scope_width)}  {'step'.ljust(label_width)}  |{'address'.center(width)}|  "
        f"{'live bytes'.rjust(live_width)}",
        f"{pad} {axis}",
    ]
    for t, row in rows.items():
        note = "  peak" if live[t] == peak else ""
        lines.append(
            f"{str(t).rjust(scope_width)}  {labels.get(t, '').ljust(label_width)}  |{row}|  "
            f"{thousands(live[t]).rjust(live_width)}{note}"
        )
    return "\n".join(lines)


def summary(plan: ArenaPlan, baseline: ArenaPlan | None = None) -> str:
    """Head, lower bound, tail, total and smallest working arena; with ``baseline`` (TFLite
    Micro's plan), its head and how much smaller this plan's is."""

    def bytes_or_not(n: int | None) -> str:
        return "not computed" if n is None else size(n)

    lines = [("head (activations)", size(plan.head_bytes))]
    if plan.lower_bound_same_buffers_bytes is None:
        lines.append(("lower bound", f"{size(plan.lower_bound_bytes)}, the most bytes alive at once"))
    else:
        allowed = "/".join(plan.transforms)
        lines += [
            ("lower bound (same buffers)",
             f"{size(plan.lower_bound_same_buffers_bytes)}, the most bytes alive at once in TFLite Micro's buffers"),
            (f"lower bound (with {allowed})",
             f"{size(plan.lower_bound_bytes)}, the most bytes alive at once in the buffers planned here"),
        ]
    if baseline is not None and baseline is not plan:
        saved = baseline.head_bytes - plan.head_bytes
        percent = 100 * saved / baseline.head_bytes if baseline.head_bytes else 0.0
        lines += [
            ("TFLite Micro's head", size(baseline.head_bytes)),
            ("reduction", f"{thousands(saved)} B ({percent:.1f}%)"),
        ]
    lines += [
        ("tail (persistent)", bytes_or_not(plan.tail_bytes)),
        ("total arena", bytes_or_not(plan.total_bytes)),
        ("smallest working arena", bytes_or_not(plan.min_working_arena_bytes)),
    ]
    key_width = max(len(k) for k, _ in lines if not k.startswith("lower bound (")) + 1
    text = [f"{(k + ':').ljust(key_width)}  {v}" for k, v in lines]
    bound = "No plan with this operator order can be smaller than the lower bound"
    if plan.buffers and plan.head_bytes == plan.lower_bound_bytes:
        bound += "; this plan reaches it"
    elif plan.optimal:
        bound += "; an exact search proved this plan the smallest of its buffers"
    merged = [b for b in plan.buffers if b.aliases]
    if merged:
        shared = sum(len(b.aliases) for b in merged)
        bound += (f". {shared} tensor{'s' if shared > 1 else ''} share{'' if shared > 1 else 's'} "
                  "the buffer of an input that dies where it is written (aliasing, in-place operators)")
    text.append(bound + ".")
    if plan.operator_order is not None:
        text.append("Operators run in the order " + " ".join(str(i) for i in plan.operator_order)
                    + ": TFLite Micro needs the model rewritten in it (microinfer.reordered_model).")
    if plan.tail_bytes is not None:
        text.append(_provenance(plan))
    text.extend(f"Note: {note}." for note in plan.notes)
    return "\n".join(text)


def _provenance(plan: ArenaPlan) -> str:
    if plan.abi == "x86_64" and plan.exact:
        return "Tail and working arena: TFLite Micro's host build (x86_64) exactly, as its interpreter reports."
    if plan.abi == "x86_64":
        return ("Tail and working arena: TFLite Micro's host build (x86_64) replayed; estimates "
                "where the notes below say so.")
    return (
        f"Tail and working arena are estimates for {plan.abi}: TFLite Micro's allocation sequence "
        "replayed with that ABI's struct sizes, not measured on a device"
        + ("" if plan.exact else "; some struct sizes are guesses") + "."
    )


def format_plan(
    plan: ArenaPlan,
    model_name: str,
    *,
    kernels: str = "tflm-reference",
    core: str | None = None,
    baseline: ArenaPlan | None = None,
    labels: Mapping[int, str] | None = None,
    width: int = TIMELINE_WIDTH,
) -> str:
    """Everything ``microinfer plan`` prints: header, buffer table, timeline and summary."""
    description = PLANNER_DESCRIPTIONS.get(plan.planner)
    target = f"ABI {plan.abi}, kernels {kernels}" + (f", core {core}" if core else "")
    per_column = max(plan.head_bytes, 1) / width
    return "\n".join(
        [
            f"model:    {model_name}, {counted(len(plan.buffers), 'planned buffer')}",
            f"planner:  {plan.planner}" + (f" ({description})" if description else ""),
            f"target:   {target}",
            "",
            buffer_table(plan),
            "",
            f"Arena over time: a row per allocation scope, {width} columns of address space "
            f"({per_column:,.1f} B each),",
            f"each buffer drawn with its id; '{FREE}' is free, '{SHARED}' several small buffers.",
            "",
            timeline(plan, labels, width),
            "",
            summary(plan, baseline),
        ]
    )


def plan_dict(
    plan: ArenaPlan,
    *,
    model: str | None = None,
    kernels: str = "tflm-reference",
    core: str | None = None,
    baseline: ArenaPlan | None = None,
) -> dict:
    """The plan as one JSON-ready dict (full tensor names, all sizes in bytes)."""
    tflm = plan if plan.planner == "tflm" else baseline
    return {
        "model": model,
        "planner": plan.planner,
        "abi": plan.abi,
        "kernels": kernels,
        "core": core,
        "head_bytes": plan.head_bytes,
        "tail_bytes": plan.tail_bytes,
        "total_bytes": plan.total_bytes,
        "min_working_arena_bytes": plan.min_working_arena_bytes,
        "exact": plan.exact and plan.abi == "x86_64",
        "lower_bound_bytes": plan.lower_bound_bytes,
        "lower_bound_same_buffers_bytes": plan.lower_bound_same_buffers_bytes,
        "transforms": list(plan.transforms),
        "optimal": plan.optimal,
        "operator_order": None if plan.operator_order is None else list(plan.operator_order),
        "notes": list(plan.notes),
        "tflm_head_bytes": None if tflm is None else tflm.head_bytes,
        "buffers": [
            {
                "name": b.name,
                "tensor": b.tensor,
                "subgraph": b.subgraph,
                "offset": b.offset,
                "size": b.size,
                "first": b.first,
                "last": b.last,
                "aliases": list(b.aliases),
            }
            for b in plan.buffers
        ],
    }


def write_png(
    plan: ArenaPlan,
    path: str | Path,
    *,
    title: str | None = None,
    labels: Mapping[int, str] | None = None,
    baseline: ArenaPlan | None = None,
) -> None:
    """Draw the layout to ``path``: scope across, address up, one labelled rectangle per buffer.

    Needs matplotlib (``pip install 'microinfer[plot]'``).
    """
    try:
        from matplotlib import colormaps
        from matplotlib.figure import Figure
        from matplotlib.patches import Rectangle
        from matplotlib.ticker import FuncFormatter
    except ImportError as exc:
        raise MissingDependencyError(
            "drawing the arena needs matplotlib: pip install 'microinfer[plot]'"
        ) from exc

    scopes = _scope_range(plan.buffers) or range(1)
    head = max(plan.head_bytes, max((b.end for b in plan.buffers), default=0), 1)
    top = max(head, baseline.head_bytes if baseline is not None else 0)
    figure = Figure(figsize=(max(8.0, min(20.0, 0.45 * len(scopes) + 3)), 7.0), layout="constrained")
    axes = figure.add_subplot()
    palette = colormaps["tab20"]
    boxes = []
    for i, b in enumerate(plan.buffers):
        if b.size:
            box = Rectangle((b.first - 0.45, b.offset), b.last - b.first + 0.9, b.size,
                            facecolor=palette(i % 20), edgecolor="black", linewidth=0.6)
            axes.add_patch(box)
            boxes.append((i, b, box))
    axes.axhline(plan.head_bytes, color="black", linestyle="--", linewidth=1)
    axes.annotate(
        f"head {plan.head_bytes:,} B", (scopes[0] - 0.5, plan.head_bytes), xytext=(2, 3),
        textcoords="offset points", fontsize=8,
    )
    if plan.lower_bound_bytes < plan.head_bytes:
        axes.axhline(plan.lower_bound_bytes, color="gray", linestyle=":", linewidth=1)
        axes.annotate(
            f"lower bound {plan.lower_bound_bytes:,} B", (scopes[0] - 0.5, plan.lower_bound_bytes),
            xytext=(2, -10), textcoords="offset points", fontsize=8, color="gray",
        )
    if baseline is not None and baseline is not plan and baseline.head_bytes != plan.head_bytes:
        axes.axhline(baseline.head_bytes, color="tab:red", linestyle="--", linewidth=1)
        axes.annotate(
            f"TFLite Micro head {baseline.head_bytes:,} B", (scopes[0] - 0.5, baseline.head_bytes),
            xytext=(2, 3), textcoords="offset points", fontsize=8, color="tab:red",
        )
    axes.set_xlim(scopes[0] - 0.5, scopes[-1] + 0.5)
    axes.set_ylim(0, top * 1.06)
    axes.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    axes.set_ylabel("arena offset (bytes)")
    axes.set_xlabel("allocation scope")
    if labels and len(scopes) <= 40:
        axes.set_xticks(list(scopes))
        axes.set_xticklabels([f"{t} {labels.get(t, '')}".strip() for t in scopes], rotation=60, ha="right",
                             fontsize=7)
    axes.set_title(title or f"arena head, planner {plan.planner}: {plan.head_bytes:,} B")
    axes.grid(axis="y", linewidth=0.3)
    _label_boxes(figure, axes, boxes)
    figure.savefig(path, dpi=110)


def _label_boxes(figure, axes, boxes) -> None:
    """Label each rectangle with its id and name (across, or else upright), or else its id alone,
    whichever fits inside it."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(figure)
    canvas.draw()  # settles the layout, so that sizes on screen are final
    renderer = canvas.get_renderer()
    for i, b, box in boxes:
        room = box.get_window_extent(renderer)
        centre = (b.first + (b.last - b.first) / 2, b.offset + b.size / 2)
        named = f"{mark(i)} {short_name(b.name, 24)}"
        for label, rotation in ((named, 0), (named, 90), (mark(i), 0)):
            text = axes.text(*centre, label, ha="center", va="center", fontsize=7, rotation=rotation)
            extent = text.get_window_extent(renderer)
            if extent.width <= room.width - 2 and extent.height <= room.height - 1:
                break
            text.remove()


__all__ = [
    "buffer_table",
    "format_plan",
    "live_bytes",
    "mark",
    "plan_dict",
    "scope_labels",
    "short_name",
    "summary",
    "timeline",
    "timeline_rows",
    "write_png",
]
