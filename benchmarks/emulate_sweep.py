"""Every C-covered layer of every shared model on the emulated cores (three Cortex-M, one RV32IMC).

Checks each layer's output bit for bit against the NumPy kernels, and prints the measured
instructions per MAC by core and op type, the analytic model's per-layer instruction estimate
next to the measured count (median relative difference per core), and the instructions
``microinfer fit --kernels microinfer`` prices each layer at on the core (or, for rv32imc, on the
ESP32-C3, whose ISA path it is) against the same measured counts: issue 16's acceptance, median
|error| at most 10% per core and at least 90% of layers within 25%.

    PYTHONPATH=src python benchmarks/emulate_sweep.py [--models DIR] [--json FILE] [--from-json FILE]

Needs arm-none-eabi-gcc and qemu-system-arm (see README, "Emulated Cortex-M cores"). About three
minutes on one core of a 2-core machine; ``--from-json`` re-prints a saved sweep without emulating.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

from microinfer.emulate import emulate
from microinfer.emulate.analytic import analytic_layer_instructions, cost_model_instructions, layer_kinds
from microinfer.errors import MicroinferError
from microinfer.render import table, thousands
from microinfer.tflite import load
from shared_paths import SHARED_MODELS

CORES = ("cortex-m0plus", "cortex-m4f", "cortex-m55", "rv32imc")
FIT_CORES = {"cortex-m0plus": "cortex-m0plus", "cortex-m4f": "cortex-m4f", "cortex-m55": "cortex-m55",
             "rv32imc": "esp32c3"}  # the core `fit` prices for each emulated one (the same ISA path)


def sweep(models: list[Path], cores=CORES) -> list[dict]:
    rows = []
    for path in models:
        model = load(path)
        for core in cores:
            started = time.perf_counter()
            try:
                result = emulate(model, core)
            except MicroinferError as error:
                print(f"{path.name} on {core}: skipped: {error}", file=sys.stderr)
                continue
            for layer in result.covered:
                rows.append({"model": path.name, "core": core, **layer.__dict__})
            print(f"{path.name} on {core}: {len(result.covered)} layers, {time.perf_counter() - started:.1f} s",
                  file=sys.stderr)
    return rows


def per_mac_table(rows: list[dict]) -> str:
    sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        if row["macs"]:
            kind = row["kind"]
            sums[kind, row["core"]][0] += row["instructions"]
            sums[kind, row["core"]][1] += row["macs"]
    ops = sorted({op for op, _ in sums})
    body = [[op] + [f"{sums[op, c][0] / sums[op, c][1]:.2f}" if sums[op, c][1] else "-" for c in CORES]
            for op in ops]
    return table(("kernel kind (all layers of all models)", *CORES), body, right=tuple(range(1, len(CORES) + 1)))


def add_analytic(rows: list[dict], models: Path) -> None:
    """Each row gains the analytic model's instruction estimate and the layer's kernel kind."""
    cache = {}
    for row in rows:
        key = row["model"], row["core"]
        if key not in cache:
            model = load(models / row["model"])
            cache[key] = (analytic_layer_instructions(model, row["core"]), cost_model_instructions(model, row["core"]),
                          layer_kinds(model))
        estimates, cmsis_nn, kinds = cache[key]
        row["analytic_instructions"] = estimates[row["index"]]
        row["cost_model_instructions"] = cmsis_nn[row["index"]]
        row["kind"] = kinds[row["index"]]


def add_fit(rows: list[dict], models: Path) -> None:
    """Each row gains the instructions ``microinfer fit --kernels microinfer`` prices the layer at
    (None where fit refuses the model: microinfer build has no kernel for one of its operators)."""
    from microinfer.cost import estimate

    cache = {}
    for row in rows:
        key = row["model"], row["core"]
        if key not in cache:
            try:
                result = estimate(load(models / row["model"]), core=FIT_CORES[row["core"]], kernels="microinfer")
                cache[key] = {layer.index: layer.cost.instructions for layer in result.layers}
            except MicroinferError as error:
                print(f"fit {row['model']} on {FIT_CORES[row['core']]}: {error}", file=sys.stderr)
                cache[key] = {}
        row["fit_instructions"] = cache[key].get(row["index"])


def fit_summary(rows: list[dict]) -> tuple[str, dict[str, tuple[float, float]]]:
    """Per core: layers, median |fit - measured| / measured, share within 25%, and whether both
    bounds of issue 16 hold."""
    errors = defaultdict(list)
    for row in rows:
        if row.get("fit_instructions") is not None:
            errors[row["core"]].append(abs(row["fit_instructions"] / row["instructions"] - 1))
    figures = {core: (statistics.median(e), sum(x <= 0.25 for x in e) / len(e)) for core, e in errors.items()}
    body = [(core, FIT_CORES[core], len(errors[core]), f"{100 * figures[core][0]:.1f}%",
             f"{100 * figures[core][1]:.0f}%", "yes" if figures[core][0] <= 0.10 and figures[core][1] >= 0.9 else "NO")
            for core in CORES if core in figures]
    text = table(("emulated core", "fit core", "layers", "median |error|", "within 25%", "meets issue 16"), body,
                 right=(2, 3, 4))
    return text, figures


def analytic_table(rows: list[dict]) -> tuple[str, str]:
    """Per layer: measured, the C-kernel loop model, and the cost model's CMSIS-NN loops; and per
    core the median |difference| of each."""
    body, errors, cmsis_errors = [], defaultdict(list), defaultdict(list)
    for row in rows:
        estimate, cmsis_nn = row["analytic_instructions"], row["cost_model_instructions"]
        if estimate is None:
            continue
        error = estimate / row["instructions"] - 1
        errors[row["core"]].append(abs(error))
        cmsis_text = "-"
        if cmsis_nn:
            cmsis_error = cmsis_nn / row["instructions"] - 1
            cmsis_errors[row["core"]].append(abs(cmsis_error))
            cmsis_text = f"{thousands(round(cmsis_nn))} ({100 * cmsis_error:+.0f}%)"
        body.append((row["model"], row["index"], row["op"], row["core"], thousands(row["instructions"]),
                     thousands(round(estimate)), f"{100 * error:+.1f}%", cmsis_text))
    layers = table(("model", "#", "op", "core", "measured", "C-kernel loop model", "difference",
                    "cost model, CMSIS-NN loops"), body, right=(1, 4, 5, 6, 7))
    summary = table(("core", "layers", "median |difference|", "within 15%", "CMSIS-NN loops: median |difference|"),
                    [(core, len(errors[core]), f"{100 * statistics.median(errors[core]):.1f}%",
                      sum(e <= 0.15 for e in errors[core]),
                      f"{100 * statistics.median(cmsis_errors[core]):.0f}%" if cmsis_errors[core] else "-")
                     for core in CORES if errors[core]], right=(1, 2, 3, 4))
    return layers, summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=Path, default=SHARED_MODELS, help="folder of .tflite models")
    parser.add_argument("--json", type=Path, help="also write every layer's figures to FILE")
    parser.add_argument("--from-json", type=Path, help="print a sweep saved with --json instead of running one")
    parser.add_argument("--cores", nargs="+", default=list(CORES), help="emulated cores (default: all)")
    args = parser.parse_args(argv)
    if args.from_json:
        rows = json.loads(args.from_json.read_text())
    else:
        rows = sweep(sorted(args.models.glob("*.tflite")), args.cores)
        if args.json:
            args.json.write_text(json.dumps(rows, indent=1))
    add_analytic(rows, args.models)
    exact = sum(row["bit_exact"] for row in rows)
    print(f"{exact} of {len(rows)} emulated layers bit-identical to the NumPy kernels\n")
    print("Measured instructions per MAC (sum over layers):\n")
    print(per_mac_table(rows))
    layers, summary = analytic_table(rows)
    print("\nAnalytic instruction estimate vs measured, per layer:\n")
    print(layers)
    print("\n" + summary)
    add_fit(rows, args.models)
    fit_text, _ = fit_summary(rows)
    print("\n`microinfer fit --kernels microinfer` per layer vs measured (median <= 10%, >= 90% within 25%):\n")
    print(fit_text)
    return 0 if exact == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
