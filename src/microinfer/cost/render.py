"""A FitResult as a table for people, JSON for programs and CSV for spreadsheets."""

from __future__ import annotations

import csv
import io
import json

from ..render import size, table, thousands
from ..targets import UNLIMITED_BYTES
from .estimate import FitResult
from .layers import SOURCES

LAYER_COLUMNS = ("index", "op", "macs", "cycles", "instructions", "stall_cycles", "cycles_per_mac", "share", "source",
                 "kernel")
SUMMARY_COLUMNS = ("board", "core", "clock_mhz", "kernels", "fits", "latency_ms", "cycles", "ram_bytes",
                   "ram_margin_bytes", "flash_bytes", "flash_margin_bytes", "energy_uj")


def to_json(result: FitResult) -> str:
    return json.dumps(result.to_dict(), indent=1)


def layers_csv(result: FitResult) -> str:
    """One row per layer, every figure an estimate."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(LAYER_COLUMNS)
    for layer in result.to_dict()["layers"]:
        writer.writerow([layer[c] for c in LAYER_COLUMNS])
    return out.getvalue()


def summary_csv(results: list[FitResult]) -> str:
    """One row per board."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(SUMMARY_COLUMNS)
    for result in results:
        d = result.to_dict()
        writer.writerow([d[c] for c in SUMMARY_COLUMNS])
    return out.getvalue()


def _budget(title: str, budget) -> list[str]:
    rows = [[line.what, line.region, size(line.bytes)] for line in budget.lines]
    lines = [title, table(["", "region", "bytes"], rows, right=(2,))]
    for region, used in budget.used.items():
        if used and budget.capacity[region] >= UNLIMITED_BYTES:
            lines.append(f"{region}: {size(used)} used (a bare core's memory has no size limit)")
        elif used:
            free = budget.capacity[region] - used
            lines.append(f"{region}: {size(used)} used of {size(budget.capacity[region])}, "
                         f"{'free' if free >= 0 else 'SHORT by'} {size(abs(free))}")
    return lines


def verdict(result: FitResult) -> str:
    if result.fits and min(result.ram.capacity.values()) >= UNLIMITED_BYTES:
        return "FITS: a bare core's memory has no size limit (give a --board for RAM and flash margins)"
    if result.fits:
        return f"FITS: est. RAM margin {size(result.ram.margin)}, est. flash margin {size(result.flash.margin)}"
    short = []
    if not result.ram.fits:
        short.append(f"RAM short by {size(-result.ram.margin)} (est.)")
    if not result.flash.fits:
        short.append(f"flash short by {size(-result.flash.margin)} (est.)")
    return "DOES NOT FIT: " + ", ".join(short)


def fit_table(result: FitResult) -> str:
    b = result.board
    c = result.cost
    lines = [
        f"{result.model} on {b.title} ({b.core.name} at {b.clock_mhz:g} MHz), kernels {result.kernels} "
        + (f"(loops as counted on an emulated {result.kernel_path})" if result.kernels == "tflm-reference"
           else f"({result.kernel_path} path)"),
        verdict(result),
    ]
    lines += [f"  try: {tip}" for tip in result.suggestions]
    lines.append("")
    if result.kernels == "microinfer":
        arena = "the generated library" + ("; measured" if "ram" in result.measured else "; stack and runtime est.")
        code = "measured" if "flash" in result.measured else "code sizes est."
    else:
        arena = "TFLite Micro's arena" + ("" if result.arena_exact else ", est. for this ABI and kernel library")
        arena += "; stack and runtime est."
        code = "code sizes est."
    lines += _budget(f"RAM ({arena}):", result.ram)
    lines.append("")
    lines += _budget(f"flash ({code}):", result.flash)
    lines.append("")
    lines.append(f"latency: est. {result.latency_ms:,.2f} ms = {thousands(result.cycles)} cycles "
                 f"({thousands(round(c.instructions))} instructions"
                 f"{' (measured)' if 'instructions' in result.measured else ''}, {thousands(round(c.stall_cycles))} "
                 f"memory-stall cycles, {thousands(c.macs)} MACs, "
                 f"{(c.cycles / c.macs if c.macs else 0):.2f} cycles/MAC)")
    if result.energy_uj is not None:
        lines.append(f"energy: est. {result.energy_uj:,.1f} uJ per inference "
                     f"({b.active_ma:g} mA at {b.supply_v:g} V while running)")
    life = result.battery_life
    if life is not None:
        if life.hours is None:
            lines.append(f"battery: {life.rate_per_s:g} inferences/s cannot be sustained (est. latency too long)")
        else:
            lines.append(f"battery: est. {life.hours:,.0f} h ({life.hours / 24:,.1f} days) on {life.battery.name} "
                         f"at {life.rate_per_s:g} inferences/s (average {life.average_ma:.4g} mA, "
                         f"sleep: {b.sleep_mode or 'sleep'} {b.sleep_ua:g} uA)")
    lines += [f"note: {n}" for n in result.notes]
    lines.append("")
    lines.append(layer_table(result))
    return "\n".join(lines)


def layer_table(result: FitResult) -> str:
    total = result.cost.cycles
    rows = []
    for layer in result.layers:
        c = layer.cost
        rows.append([layer.index, layer.op, thousands(c.macs), thousands(round(c.cycles)),
                     thousands(round(c.instructions)), f"{c.cycles / c.macs:.2f}" if c.macs else "-",
                     f"{c.cycles / total:.1%}" if total else "-", layer.source,
                     layer.kernel if layer.source in ("measured", "emulated", "calibrated") else ""])
    used = [s for s in SOURCES if any(layer.source == s for layer in result.layers)]
    legend = ["instructions from: " + "; ".join(f"{s} = {SOURCES[s]}" for s in used),
              "each layer's instructions include about 600 for the interpreter's step around the kernel; "
              "cycles are est. from the core's cycles per instruction class"]
    return table(["#", "op", "MACs", "est. cycles", "instr.", "est. cycles/MAC", "est. share", "instr. from",
                  "kernel function"], rows, right=(2, 3, 4, 5, 6)) + "\n" + "\n".join(legend)


def ranking_table(results: list[FitResult]) -> str:
    rows = []
    for rank, r in enumerate(results, 1):
        rows.append([rank, r.board.name, r.board.core.name, f"{r.board.clock_mhz:g}", r.kernels,
                     "yes" if r.fits else "NO", f"{r.latency_ms:,.2f}", size(r.ram.total), f"{r.ram.margin:,}",
                     size(r.flash.total), "-" if r.energy_uj is None else f"{r.energy_uj:,.1f}"])
    return table(["#", "board", "core", "MHz", "kernels", "fits", "est. ms", "est. RAM", "est. RAM margin B",
                  "est. flash", "est. uJ"], rows, right=(0, 3, 6, 7, 8, 9, 10))
