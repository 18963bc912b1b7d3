"""microinfer's C kernels against Arm's CMSIS-NN on the emulated Cortex-M cores, layer by layer.

CMSIS-NN's instruction counts are the anchor file ``../shared/anchors/cmsis_nn_instructions.csv``
(measured under the same emulation: QEMU ``-icount shift=7``, SysTick around the one kernel call;
its README says how). This runs ``microinfer emulate`` on the same layers of the same models and
prints, per layer, both counts and their ratio, then the ratio of the totals per model and core.
A layer is flagged when it is above 1.1x and more than 100,000 instructions.

    PYTHONPATH=src python benchmarks/emulate_vs_cmsis_nn.py [--core cortex-m55] [--model kws_ref_model]
        [--json FILE] [--from-json FILE]

Needs arm-none-eabi-gcc and qemu-system-arm (README, "Emulated Cortex-M cores"); about 6 minutes
for the four MLPerf Tiny models on the three cores. ``--json`` saves the rows, ``--from-json``
re-prints saved rows without emulating (several files: later ones replace earlier rows).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

from microinfer.emulate import emulate
from microinfer.render import table, thousands
from shared_paths import SHARED, SHARED_MODELS

ANCHORS = Path(os.environ.get("MICROINFER_SHARED_ANCHORS", SHARED / "anchors")) / "cmsis_nn_instructions.csv"
CORES = ("cortex-m0plus", "cortex-m4f", "cortex-m55")
FLAG_RATIO = 1.1
FLAG_INSTRUCTIONS = 100_000


def read_anchors(path: Path) -> dict[tuple[str, str], dict[int, dict]]:
    """(model file, core) -> layer index -> the anchor row."""
    anchors: dict[tuple[str, str], dict[int, dict]] = defaultdict(dict)
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            anchors[row["model"], row["core"]][int(row["layer"])] = row
    return anchors


def measure(anchors, models: Path, names: list[str], cores: list[str]) -> list[dict]:
    """Emulates the anchor layers of each (model, core); one row per layer."""
    rows = []
    for (model, core), layers in sorted(anchors.items()):
        if Path(model).stem not in names or core not in cores:
            continue
        started = time.perf_counter()
        result = emulate(models / model, core, layers=set(layers))
        for layer in result.layers:
            if layer.index not in layers:
                continue
            anchor = layers[layer.index]
            rows.append({"model": model, "core": core, "layer": layer.index, "op": layer.op,
                         "shape": anchor["shape"], "cmsis_nn_function": anchor["cmsis_nn_function"],
                         "cmsis_nn": int(anchor["instructions"]), "microinfer": layer.instructions,
                         "covered": layer.covered, "bit_exact": layer.bit_exact, "reason": layer.reason})
        print(f"{model} on {core}: {len(layers)} layers, {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return rows


def flagged(row: dict) -> bool:
    return (row["microinfer"] > FLAG_RATIO * row["cmsis_nn"]
            and max(row["microinfer"], row["cmsis_nn"]) > FLAG_INSTRUCTIONS)


def layer_table(rows: list[dict]) -> str:
    body = []
    for row in rows:
        ratio = row["microinfer"] / row["cmsis_nn"] if row["covered"] else None
        body.append((Path(row["model"]).stem, row["core"], row["layer"], row["op"], row["shape"],
                     row["cmsis_nn_function"], thousands(row["microinfer"]) if row["covered"] else "-",
                     thousands(row["cmsis_nn"]), f"{ratio:.2f}" if ratio else "-",
                     ("" if row["bit_exact"] else "NOT BIT-EXACT ") + ("over" if flagged(row) else "")))
    return table(("model", "core", "#", "op", "shape", "CMSIS-NN kernel", "microinfer", "CMSIS-NN", "ratio", ""),
                 body, right=(2, 6, 7, 8))


def summary_table(rows: list[dict], cores: list[str]) -> str:
    sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        for key in ((Path(row["model"]).stem, row["core"]), ("all four", row["core"])):
            sums[key][0] += row["microinfer"]
            sums[key][1] += row["cmsis_nn"]
    models = sorted({m for m, _ in sums if m != "all four"}) + ["all four"]
    body = [[model] + [f"{sums[model, c][0] / sums[model, c][1]:.3f}" if sums[model, c][1] else "-" for c in cores]
            for model in models]
    return table(("instructions, microinfer / CMSIS-NN", *cores), body, right=tuple(range(1, len(cores) + 1)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=Path, default=SHARED_MODELS, help="folder of .tflite models")
    parser.add_argument("--anchors", type=Path, default=ANCHORS, help="CMSIS-NN's counts (CSV)")
    parser.add_argument("--model", action="append", help="only this model (file stem; repeatable)")
    parser.add_argument("--core", action="append", choices=CORES, help="only this core (repeatable)")
    parser.add_argument("--json", type=Path, help="also write the rows to FILE")
    parser.add_argument("--from-json", type=Path, nargs="+", help="print rows saved with --json instead")
    args = parser.parse_args(argv)
    anchors = read_anchors(args.anchors)
    names = args.model or sorted({Path(m).stem for m, _ in anchors})
    cores = args.core or list(CORES)
    if args.from_json:
        merged = {}
        for path in args.from_json:
            for row in json.loads(path.read_text()):
                merged[row["model"], row["core"], row["layer"]] = row
        rows = [r for r in merged.values() if Path(r["model"]).stem in names and r["core"] in cores]
    else:
        rows = measure(anchors, args.models, names, cores)
        if args.json:
            args.json.write_text(json.dumps(rows, indent=1))
    rows.sort(key=lambda r: (r["model"], CORES.index(r["core"]), r["layer"]))
    print(layer_table(rows))
    print()
    print(summary_table(rows, [c for c in CORES if c in cores]))
    over = [r for r in rows if flagged(r)]
    exact = sum(r["bit_exact"] for r in rows)
    print(f"\n{len(over)} layers above {FLAG_RATIO}x with more than {thousands(FLAG_INSTRUCTIONS)} instructions; "
          f"{exact} of {len(rows)} layers bit-identical to the NumPy kernels")
    return 0 if exact == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
