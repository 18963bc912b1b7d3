"""One self-contained HTML report a person reads (``microinfer report``), and the HTML that
notebooks show for microinfer's results (``_repr_html_``).

The file needs no network and no script: styles are inline, charts are inline SVG. Sections: the
model summary, the per-layer table (with latency and quantization error when known), the arena
layout over time, per-layer latency on the chosen board(s), the fit verdict with its margins, and
the quantization error per layer against a float model.
"""

from __future__ import annotations

import datetime
import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .info import ModelInfo, describe
from .tflite import Model, load

STYLE = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:2em auto;max-width:1200px;
color:#1d2330;padding:0 1em}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ccd;
padding-bottom:.2em}.sub{color:#667}
table.mi{border-collapse:collapse;font-size:.85em;margin:.6em 0}table.mi th,table.mi td{padding:.25em .6em;
border-bottom:1px solid #e3e6ee;text-align:left;vertical-align:top}table.mi th{background:#f3f5f9}
table.mi td.num,table.mi th.num{text-align:right;font-variant-numeric:tabular-nums}
.fits{color:#0a7a32;font-weight:600}.nofit{color:#b3261e;font-weight:600}.jump{color:#b3261e;font-weight:600}
.note{color:#556;font-size:.85em}.cards{display:flex;flex-wrap:wrap;gap:.8em}.card{background:#f3f5f9;
border-radius:6px;padding:.5em .9em}.card b{display:block;font-size:1.2em}svg text{font-family:inherit}
"""
PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f",
           "#bab0ac")


@dataclass
class Report:
    """Everything one report shows; :func:`render` turns it into HTML."""

    name: str
    info: ModelInfo
    plan: object  # ArenaPlan
    labels: dict = field(default_factory=dict)  # scope -> what runs there
    fits: list = field(default_factory=list)  # FitResult per board, best first
    layer_error: object | None = None  # LayerErrorReport
    float_name: str | None = None
    notes: list[str] = field(default_factory=list)

    def _repr_html_(self) -> str:
        return render(self, standalone=False)


def build_report(model: Model | bytes, name: str = "model.tflite", *, float_model: bytes | None = None,
                 float_name: str | None = None, boards: Sequence[str] = (), all_boards: bool = False,
                 inputs: Sequence[Sequence] | None = None, labels: Sequence[int] | None = None,
                 planner: str = "tflm", jobs: int | None = None, targets_dirs=None,
                 progress: Callable[[int, int], None] | None = None) -> Report:
    """Gather a report: plan, fit on ``boards`` (or every board), per-layer error against
    ``float_model`` over ``inputs`` (20 random input sets when None). ``progress(done, total)``
    counts the stages."""
    from .cost import estimate, estimate_all_boards
    from .planner import plan as plan_arena
    from .planner.render import scope_labels

    data = model if isinstance(model, (bytes, bytearray)) else None
    model = model if isinstance(model, Model) else load(model)
    stages = 2 + (1 if (boards or all_boards) else 0) + (1 if float_model is not None else 0)
    done = 0

    def step():
        nonlocal done
        done += 1
        if progress:
            progress(done, stages)

    report = Report(name, describe(model), plan_arena(model, planner), scope_labels(model), float_name=float_name)
    step()
    if all_boards:
        report.fits = estimate_all_boards(model, targets_dirs=targets_dirs, planner=planner, model_name=name)
    else:
        report.fits = [estimate(model, board, targets_dirs=targets_dirs, planner=planner, model_name=name)
                       for board in boards]
    if boards or all_boards:
        step()
    else:
        report.notes.append("No board chosen: pass --board B or --all-boards for latency and the fit verdict.")
    if float_model is not None:
        from .compare import random_inputs
        from .layer_error import layer_errors
        from .tflite import serialize

        quantized = bytes(data) if data is not None else serialize(model)
        sets = inputs if inputs is not None else random_inputs(quantized, 20, 0)
        if inputs is None:
            report.notes.append("Quantization error over 20 random input sets (pass --inputs for your data).")
        report.layer_error = layer_errors(quantized, float_model, sets, labels=labels, jobs=jobs)
        step()
    step()
    return report


# -- rendering --------------------------------------------------------------------------------------
def render(report: Report, standalone: bool = True) -> str:
    parts = [f"<h1>{_e(report.name)}</h1>",
             f"<div class='sub'>microinfer report, {datetime.date.today().isoformat()}</div>",
             _summary(report.info, report.plan)]
    parts += ["<h2>Layers</h2>", _layer_table(report)]
    parts += ["<h2>Arena layout over time</h2>", arena_html(report.plan, report.labels)]
    if report.fits:
        parts += ["<h2>Fit verdict</h2>", _fit_table(report.fits)]
        best = report.fits[0]
        parts += [f"<h2>Latency per layer on {_e(best.board.title)}</h2>", latency_svg(best)]
    if report.layer_error is not None:
        parts += [f"<h2>Quantization error per layer (against {_e(report.float_name or 'the float model')})</h2>",
                  layer_error_html(report.layer_error)]
    parts += [f"<p class='note'>{_e(n)}</p>" for n in report.notes]
    body = "\n".join(parts)
    if not standalone:
        return f"<div><style>{STYLE}</style>{body}</div>"
    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<title>{_e(report.name)}: microinfer report</title><style>{STYLE}</style></head>"
            f"<body>\n{body}\n</body></html>\n")


def _summary(info: ModelInfo, plan) -> str:
    cards = [("size", _bytes(info.size_bytes)), ("operators", f"{len(info.layers):,}"),
             ("MACs", f"{info.macs:,}"), ("parameters", f"{info.parameters:,}"),
             ("arena head", _bytes(plan.head_bytes))]
    if plan.total_bytes is not None:
        cards.append(("arena total", _bytes(plan.total_bytes)))
    io = "".join(f"<tr><td>{kind}</td><td>{_e(t.name)}</td><td>{'x'.join(map(str, t.shape))}</td><td>{t.dtype}</td>"
                 f"</tr>" for kind, ts in (("input", info.inputs), ("output", info.outputs)) for t in ts)
    histogram = ", ".join(f"{op} x{n}" for op, n in info.op_histogram.items())
    return ("<div class='cards'>" + "".join(f"<div class='card'>{k}<b>{v}</b></div>" for k, v in cards) + "</div>"
            f"<table class='mi'><tr><th></th><th>tensor</th><th>shape</th><th>type</th></tr>{io}</table>"
            f"<p class='note'>operators: {_e(histogram)}</p>")


def _layer_table(report: Report) -> str:
    latency = {}
    if report.fits:
        best = report.fits[0]
        latency = {layer.index: layer.cost.cycles / (best.board.clock_mhz * 1e3) for layer in best.layers}
    error = {}
    if report.layer_error is not None:
        for layer in report.layer_error.layers:
            if layer.match.op_index is not None:
                error.setdefault(layer.match.op_index, layer)
    head = ["#", "op", "inputs", "outputs", "weights", "params", "MACs"]
    if latency:
        head.append(f"est. ms ({_e(report.fits[0].board.name)})")
    if error:
        head += ["SNR dB", "dB lost"]
    rows = []
    for layer in report.info.layers:
        cells = [str(layer.index), f"{_e(layer.op)} v{layer.version}", _io(layer.inputs), _io(layer.outputs),
                 _e(layer.weight_quantization), f"{layer.parameters:,}", f"{layer.macs:,}"]
        if latency:
            cells.append(f"{latency.get(layer.index, 0):.3f}")
        if error:
            e = error.get(layer.index)
            cells += ["-", "-"] if e is None else [_db(e.snr_db), _db(e.db_lost) + (" &#9650;" if e.jump else "")]
        rows.append(cells)
    numeric = {0, 5, 6, 7, 8, 9}
    return _table(head, rows, numeric)


def arena_html(plan, labels: dict | None = None) -> str:
    figures = [("head (activations)", plan.head_bytes), ("lower bound", plan.lower_bound_bytes)]
    if plan.tail_bytes is not None:
        figures += [("tail (persistent)", plan.tail_bytes), ("total", plan.total_bytes)]
    if plan.min_working_arena_bytes is not None:
        figures.append(("smallest working arena", plan.min_working_arena_bytes))
    text = "".join(f"<tr><td>{k}</td><td class='num'>{_bytes(v)}</td></tr>" for k, v in figures)
    return (arena_svg(plan, labels) + f"<table class='mi'>{text}</table>"
            f"<p class='note'>planner {_e(plan.planner)}, ABI {_e(plan.abi)}; {len(plan.buffers):,} buffers. "
            f"Each rectangle is a buffer: from the scope that creates it to the last that reads it (across), "
            f"at its offset in the arena (up).</p>")


def arena_svg(plan, labels: dict | None = None, width: int = 1100, height: int = 360) -> str:
    buffers = [b for b in plan.buffers if b.size and b.first >= 0]
    if not buffers:
        return "<p class='note'>No activation buffers.</p>"
    first = min(b.first for b in buffers)
    last = max(b.last for b in buffers)
    top = max(plan.head_bytes, max(b.offset + b.size for b in buffers), 1)
    left, right, bottom, upper = 120, 10, 30, 10
    w, h = width - left - right, height - upper - bottom
    sx = w / (last - first + 1)
    sy = h / top
    shapes = []
    for i, b in enumerate(buffers):
        x = left + (b.first - first) * sx
        y = upper + h - (b.offset + b.size) * sy
        title = f"{b.name}: {b.size:,} B at {b.offset:,}, scopes {b.first}..{b.last}"
        shapes.append(f"<rect x='{x:.2f}' y='{y:.2f}' width='{max(0.5, (b.last - b.first + 1) * sx):.2f}' "
                      f"height='{max(0.5, b.size * sy):.2f}' fill='{PALETTE[i % len(PALETTE)]}' stroke='#333' "
                      f"stroke-width='0.3'><title>{_e(title)}</title></rect>")
    y_head = upper + h - plan.head_bytes * sy
    axis = [f"<line x1='{left}' y1='{upper + h}' x2='{left + w}' y2='{upper + h}' stroke='#333'/>",
            f"<line x1='{left}' y1='{upper}' x2='{left}' y2='{upper + h}' stroke='#333'/>",
            f"<line x1='{left}' y1='{y_head:.2f}' x2='{left + w}' y2='{y_head:.2f}' stroke='#000' "
            f"stroke-dasharray='4 3'/>",
            f"<text x='{left - 4}' y='{y_head + 4:.2f}' font-size='10' text-anchor='end'>{_bytes(plan.head_bytes)}"
            f"</text>",
            f"<text x='{left - 4}' y='{upper + h}' font-size='10' text-anchor='end'>0</text>",
            f"<text x='{left}' y='{height - 8}' font-size='10'>scope {first}"
            f"{' (' + _e(labels.get(first, '')) + ')' if labels else ''}</text>",
            f"<text x='{left + w}' y='{height - 8}' font-size='10' text-anchor='end'>scope {last}"
            f"{' (' + _e(labels.get(last, '')) + ')' if labels else ''}</text>"]
    return (f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {height}' width='100%' role='img' "
            f"aria-label='arena layout'>{''.join(axis)}{''.join(shapes)}</svg>")


def _fit_table(results) -> str:
    rows = []
    for r in results:
        verdict = "<span class='fits'>FITS</span>" if r.fits else "<span class='nofit'>DOES NOT FIT</span>"
        energy = "-" if r.energy_uj is None else f"{r.energy_uj:,.1f}"
        rows.append([_e(r.board.name), verdict, _margin(r.ram.margin), _margin(r.flash.margin),
                     f"{r.latency_ms:,.3f}", energy, _e(r.kernels), f"{r.board.clock_mhz:g}"])
    return _table(["board", "verdict", "RAM margin", "flash margin", "est. latency ms", "est. energy uJ",
                   "kernels", "MHz"], rows, {2, 3, 4, 5, 7}) + \
        "<p class='note'>Estimates (microinfer's cost model); the arena is TFLite Micro's, planned exactly.</p>"


def latency_svg(result, width: int = 1100) -> str:
    layers = list(result.layers)
    if not layers:
        return ""
    cycles = [layer.cost.cycles for layer in layers]
    total = sum(cycles) or 1
    peak = max(cycles) or 1
    row = 16
    left, right = 230, 120
    w = width - left - right
    height = row * len(layers) + 10
    bars = []
    for k, (layer, c) in enumerate(zip(layers, cycles)):
        y = 5 + k * row
        ms = c / (result.board.clock_mhz * 1e3)
        bars.append(f"<text x='{left - 6}' y='{y + 11}' font-size='10' text-anchor='end'>{layer.index} "
                    f"{_e(layer.op)}</text><rect x='{left}' y='{y + 2}' width='{max(0.5, w * c / peak):.2f}' "
                    f"height='{row - 4}' fill='#4e79a7'><title>{c:,.0f} cycles, {ms:.3f} ms</title></rect>"
                    f"<text x='{left + w * c / peak + 4:.2f}' y='{y + 11}' font-size='10'>{ms:.3f} ms "
                    f"({c / total:.1%})</text>")
    return (f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {height}' width='100%' role='img' "
            f"aria-label='latency per layer'>{''.join(bars)}</svg>"
            f"<p class='note'>est. {result.latency_ms:,.3f} ms = {result.cycles:,} cycles at "
            f"{result.board.clock_mhz:g} MHz, kernels {_e(result.kernels)}.</p>")


def layer_error_html(report) -> str:
    """The per-layer quantization error: an SNR chart in operator order and the ranked table."""
    layers = [layer for layer in report.layers if layer.match.op_index is not None]
    chart = _snr_svg(layers)
    rows = [[str(layer.rank), str(layer.match.op_index), _e(layer.match.op), _e(_short(layer.match.name)),
             layer.match.how, f"{layer.rmse:.4g}", f"{layer.max_abs:.4g}", _db(layer.snr_db),
             _db(layer.db_lost) + (" <span class='jump'>&#9650; jump</span>" if layer.jump else ""),
             f"{layer.cosine:.5f}", "-" if layer.rmse_steps is None else f"{layer.rmse_steps:.2f}"]
            for layer in report.ranked]
    table = _table(["rank", "#", "op", "tensor", "matched", "RMSE", "max err", "SNR dB", "dB lost", "cosine",
                    "RMSE/step"], rows, {0, 1, 5, 6, 7, 8, 9, 10})
    counts = ", ".join(f"{n} by {k}" for k, n in report.matched_by.items())
    text = [f"<p class='note'>{report.samples:,} input sets; tensors matched: {counts}. Ranked by the SNR each "
            f"operator loses itself (dB lost); a jump loses 6 dB or more.</p>"]
    if report.accuracy is not None:
        a = report.accuracy
        text.append(f"<p>accuracy over {a.samples:,} labelled inputs: quantized <b>{a.quantized:.2%}</b>, float "
                    f"<b>{a.float:.2%}</b>, agreement <b>{a.agreement:.2%}</b></p>")
        if a.classes <= 20:
            text.append(_confusion("quantized model (rows: label)", a.confusion_quantized)
                        + _confusion("float model (rows: label)", a.confusion_float)
                        + _confusion("agreement (rows: float, columns: quantized)", a.confusion_agreement))
    elif report.agreement is not None:
        text.append(f"<p>top-1 agreement of the two models: <b>{report.agreement:.1%}</b></p>")
    return chart + table + "".join(text)


def _snr_svg(layers, width: int = 1100, height: int = 220) -> str:
    values = [layer.snr_db for layer in layers if math.isfinite(layer.snr_db)]
    if not values:
        return ""
    top = max(max(values), 1.0)
    left, bottom, upper = 50, 30, 10
    w, h = width - left - 10, height - bottom - upper
    step = w / max(1, len(layers))
    bars = []
    for k, layer in enumerate(layers):
        snr = layer.snr_db if math.isfinite(layer.snr_db) else top
        bh = max(0.0, snr) / top * h
        colour = "#e15759" if layer.jump else "#59a14f"
        bars.append(f"<rect x='{left + k * step + 1:.2f}' y='{upper + h - bh:.2f}' width='{max(0.5, step - 2):.2f}' "
                    f"height='{bh:.2f}' fill='{colour}'><title>op {layer.match.op_index} {_e(layer.match.op)}: SNR "
                    f"{_db(layer.snr_db)} dB, dB lost {_db(layer.db_lost)}</title></rect>")
    axis = (f"<line x1='{left}' y1='{upper + h}' x2='{left + w}' y2='{upper + h}' stroke='#333'/>"
            f"<text x='{left - 4}' y='{upper + 8}' font-size='10' text-anchor='end'>{top:.0f} dB</text>"
            f"<text x='{left - 4}' y='{upper + h}' font-size='10' text-anchor='end'>0</text>"
            f"<text x='{left}' y='{height - 8}' font-size='10'>SNR per operator output, in operator order "
            f"(red: a jump)</text>")
    return (f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {height}' width='100%' role='img' "
            f"aria-label='SNR per layer'>{axis}{''.join(bars)}</svg>")


def _confusion(title: str, matrix) -> str:
    head = "".join(f"<th class='num'>{c}</th>" for c in range(matrix.shape[1]))
    body = "".join(f"<tr><th>{r}</th>" + "".join(f"<td class='num'>{v:,}</td>" for v in row) + "</tr>"
                   for r, row in enumerate(matrix))
    return f"<p class='note'>{_e(title)}</p><table class='mi'><tr><th></th>{head}</tr>{body}</table>"


# -- notebook display of single results -------------------------------------------------------------
def model_html(model: Model) -> str:
    info = describe(model)
    rows = [[str(layer.index), f"{_e(layer.op)} v{layer.version}", _io(layer.inputs), _io(layer.outputs),
             f"{layer.parameters:,}", f"{layer.macs:,}"] for layer in info.layers]
    summary = (f"<p><b>{len(info.layers):,} operators</b>, {_bytes(info.size_bytes)}, {info.macs:,} MACs, "
               f"{info.parameters:,} parameters</p>")
    return f"<div><style>{STYLE}</style>{summary}{_table(['#', 'op', 'inputs', 'outputs', 'params', 'MACs'], rows, {0, 4, 5})}</div>"


def plan_html(plan) -> str:
    return f"<div><style>{STYLE}</style>{arena_html(plan)}</div>"


def fit_html(result) -> str:
    return (f"<div><style>{STYLE}</style><p>{_e(result.model)} on <b>{_e(result.board.title)}</b></p>"
            f"{_fit_table([result])}{latency_svg(result)}</div>")


def comparison_html(report) -> str:
    parts = []
    for ref, result in report.references.items():
        rows = [[str(layer.op_index), _e(layer.op), _e(f"{layer.tensor_index} {_short(layer.tensor_name)}"),
                 f"{layer.mismatches:,} / {layer.total:,}", str(layer.max_abs_diff)] for layer in result.layers]
        verdict = "identical" if result.identical else f"first diverging layer: op {result.first_diverging_layer}"
        parts.append(f"<p>against <b>{_e(ref)}</b> (microinfer as {_e(result.microinfer_reference)}), "
                     f"{report.runs:,} inputs: {verdict}</p>"
                     + _table(["#", "op", "output tensor", "mismatching / total", "max abs diff"], rows, {0, 3, 4}))
    return f"<div><style>{STYLE}</style>{''.join(parts)}</div>"


def quantization_error_html(error) -> str:
    rows = [[str(o.index), _e(_short(o.name)), f"{o.rmse:.4g}", f"{o.mae:.4g}", f"{o.max_abs:.4g}",
             f"{o.relative_l2:.4g}", f"{o.cosine:.6f}", "-" if o.top1_agreement is None else f"{o.top1_agreement:.1%}"]
            for o in error.outputs]
    return (f"<div><style>{STYLE}</style><p>{error.runs:,} inputs</p>"
            + _table(["#", "output", "RMSE", "MAE", "max abs", "rel. L2", "cosine", "top-1 agree"], rows,
                     set(range(8)) - {1}) + "</div>")


# -- helpers ----------------------------------------------------------------------------------------
def _table(head, rows, numeric=frozenset()) -> str:
    th = "".join(f"<th class='num'>{h}</th>" if i in numeric else f"<th>{h}</th>" for i, h in enumerate(head))
    body = "".join("<tr>" + "".join(f"<td class='num'>{c}</td>" if i in numeric else f"<td>{c}</td>"
                                    for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f"<table class='mi'><tr>{th}</tr>{body}</table>"


def _io(tensors) -> str:
    return "<br>".join(f"{'x'.join(map(str, t.shape)) or 'scalar'}:{t.dtype}" for t in tensors if not t.constant)


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _bytes(n: int) -> str:
    return f"{n:,} B" if n < 1024 else f"{n:,} B ({n / 1024:.1f} KiB)"


def _margin(n: int) -> str:
    return f"{n:,} B" if n >= 0 else f"<span class='nofit'>short by {-n:,} B</span>"


def _db(value) -> str:
    if value is None:
        return "-"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:.1f}"


def _short(text: str, width: int = 48) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."
