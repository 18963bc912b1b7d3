"""Instructions per loop unit of CMSIS-NN's kernels, read off the instruction counts measured on
emulated cores (../shared/anchors/cmsis_nn_instructions.csv), and how well they predict layers they
were not fitted on.

For every anchor row, ``microinfer.cost.trips.cmsis_nn_work`` names the CMSIS-NN function TFLite
Micro calls and how often each of its loops runs (call, pixel, tap, im2col, mac, output, ...). Per
code path (scalar = Cortex-M0+, dsp = Cortex-M4F, mve = Cortex-M55) and function, the instructions
per unit are the non-negative least-squares fit of the measured counts (relative errors, with a weak
pull towards the loop's reading from source, the prior below, so that a unit the layers do not
separate keeps a sensible value).

Held out: each model's layers are predicted with constants fitted on the other three models only
(leave one model out); a function seen in one model only is then predicted from its prior, scaled
like the path's fitted functions. ``--write`` writes the constants fitted on all rows to
``targets/loops/cmsis-nn.toml``.

    PYTHONPATH=src python benchmarks/fit_cmsis_nn_loops.py [--write] [--verbose]
"""

from __future__ import annotations

import argparse
import csv
import statistics
from collections import defaultdict
from pathlib import Path

import numpy as np

from microinfer.cost.trips import cmsis_nn_work, signature
from microinfer.tflite import load
from shared_paths import SHARED, SHARED_MODELS

ANCHORS = SHARED / "anchors" / "cmsis_nn_instructions.csv"
TOML = Path(__file__).resolve().parents[1] / "targets" / "loops" / "cmsis-nn.toml"
MEASURED = TOML.with_name("cmsis-nn-measured.toml")
PATHS = {"cortex-m0plus": "scalar", "cortex-m4f": "dsp", "cortex-m55": "mve"}
CALIBRATION_MODELS = ("kws_ref_model.tflite", "pretrainedResnet_quant.tflite")  # every function runs in one of them
PULL = 0.005
# A call's fixed work (argument checks, setup) shows only in the smallest layers, where it competes with
# every other unit: keep it near its reading unless many layers say otherwise.
CALL_PULL = 0.5  # weight of the prior against one layer's relative error

# Instructions per unit as read from CMSIS-NN's loops (src/microinfer/cost/loops.py before calibration):
# the starting point and the value of a unit no layer measures.
PRIORS = {
    # scalar (ARMv6-M): a 2x2 tile of MULS/ADDS with low-register moves, about 6.5 instructions per MAC;
    # requantization with the 32x32->64-bit multiply done in software (__aeabi_lmul), about 70 per output
    "scalar": {"call": 300, "row": 20, "pixel": 40, "tap": 20, "im2col": 4, "im2col_padding": 1, "mac": 6.5,
               "mac_slow": 6.5, "output": 70, "window": 3.5, "element": 20},
    # dsp: SXTB16 + SMLAD tiles, 1.6 per MAC with their spills; SMULL-based requantization, about 35 per output
    "dsp": {"call": 250, "row": 20, "pixel": 30, "tap": 15, "im2col": 3, "im2col_padding": 0.5, "mac": 1.6,
            "mac_slow": 3, "output": 35, "window": 1.1, "element": 12},
    # mve: 5 VLDRB + 4 VMLADAVA + loop end and address updates per 64 MACs (0.19); four outputs requantized
    # per vector pass with their scalar stores and moves out of the accumulators, about 12 per output
    "mve": {"call": 250, "row": 20, "pixel": 30, "tap": 10, "im2col": 0.2, "im2col_padding": 0.1, "mac": 0.19,
            "mac_slow": 0.3, "output": 12, "window": 0.2, "element": 5},
}
FUNCTION_PRIORS = {  # units whose cost differs by function from the path's default
    # the exponential and the division of gemmlowp's fixed-point softmax, per element and per row
    "arm_softmax_s8": {"scalar": {"element": 300, "row": 200}, "dsp": {"element": 100, "row": 100},
                       "mve": {"element": 100, "row": 100}},
    # both inputs rescaled and the sum requantized: three requantizations per element (four lanes on MVE)
    "arm_elementwise_add_s8": {"scalar": {"element": 215}, "dsp": {"element": 70}, "mve": {"element": 12}},
    # one channel at a time on ARMv6-M: the 9 taps reloaded per channel
    "arm_depthwise_conv_3x3_s8": {"scalar": {"mac": 20, "output": 100}, "dsp": {"mac": 2}},
    # arm_nn_vec_mat_mult_t_s8's 4-row MVE loop as arm-none-eabi-gcc 12.2 -Ofast compiles it: 29 instructions
    # per 64 MACs (VCTP, the predicate moved out and back, a VPST before each of the 5 predicated VLDRB,
    # pointers reloaded from the stack, 4 VMLADAVA, LE)
    "arm_fully_connected_s8": {"mve": {"mac": 0.45, "output": 15}},
}


def prior(path: str, function: str, unit: str) -> float:
    return FUNCTION_PRIORS.get(function, {}).get(path, {}).get(unit, PRIORS[path][unit])


def anchor_rows(models_dir: Path) -> list[dict]:
    """Anchor rows with their loop units (function checked against the measured dispatch)."""
    models = {}
    rows = []
    with open(ANCHORS, newline="") as f:
        for row in csv.DictReader(f):
            model = models.get(row["model"]) or models.setdefault(row["model"], load(models_dir / row["model"]))
            sg = model.main
            path = PATHS[row["core"]]
            work = cmsis_nn_work(sg, sg.operators[int(row["layer"])], path)
            if work is None or work.function != row["cmsis_nn_function"]:
                raise SystemExit(f"{row['model']} layer {row['layer']} on {row['core']}: the trip model says "
                                 f"{work and work.function}, CMSIS-NN ran {row['cmsis_nn_function']}")
            rows.append({"model": row["model"], "layer": int(row["layer"]), "op": row["op"], "core": row["core"],
                         "path": path, "function": work.function, "units": work.units,
                         "measured": int(row["instructions"])})
    return rows


def fit(rows: list[dict], path: str, function: str) -> dict[str, float]:
    """Non-negative instructions per unit minimising the relative error, pulled towards the prior."""
    units = sorted({u for r in rows for u in r["units"]})
    priors = np.array([prior(path, function, u) for u in units], float)
    a = np.array([[r["units"].get(u, 0.0) / r["measured"] for u in units] for r in rows])
    b = np.ones(len(rows))
    # unknowns scaled by their prior, so the pull is on relative deviations
    a_scaled = a * priors
    pull = np.diag([np.sqrt(CALL_PULL if u == "call" else PULL) for u in units])
    a_full = np.vstack([a_scaled, pull])
    b_full = np.concatenate([b, np.diag(pull)])
    free = np.ones(len(units), bool)
    x = np.zeros(len(units))
    for _ in range(len(units) + 1):  # active set: drop negative unknowns to zero and solve again
        solution, *_ = np.linalg.lstsq(a_full[:, free], b_full, rcond=None)
        x = np.zeros(len(units))
        x[free] = solution
        if (x >= 0).all():
            break
        free &= x > 0
    return {u: float(v * p) for u, v, p in zip(units, x, priors)}


def predict(constants: dict[str, float], row: dict) -> float:
    return sum(n * constants.get(u, prior(row["path"], row["function"], u)) for u, n in row["units"].items())


def held_out(rows: list[dict]) -> list[tuple[dict, float]]:
    """Each row predicted by constants fitted without its model."""
    out = []
    for model in sorted({r["model"] for r in rows}):
        train = [r for r in rows if r["model"] != model]
        for path in PATHS.values():
            fitted = {}
            for function in sorted({r["function"] for r in train if r["path"] == path}):
                fitted[function] = fit([r for r in train if r["path"] == path and r["function"] == function],
                                       path, function)
            # a function no other model runs: its prior, scaled by how the path's fitted functions
            # compare with their priors
            ratios = [predict(fitted[r["function"]], r) / predict({}, r) for r in train
                      if r["path"] == path and r["function"] in fitted]
            scale = statistics.median(ratios) if ratios else 1.0
            for r in rows:
                if r["model"] == model and r["path"] == path:
                    c = fitted.get(r["function"])
                    out.append((r, predict(c, r) if c is not None else predict({}, r) * scale))
    return out


def split(rows: list[dict], calibration: tuple[str, ...]) -> list[tuple[dict, float]]:
    """Rows of the models outside ``calibration`` predicted by constants fitted on those inside."""
    out = []
    train = [r for r in rows if r["model"] in calibration]
    for r in rows:
        if r["model"] in calibration:
            continue
        group = [t for t in train if t["path"] == r["path"] and t["function"] == r["function"]]
        out.append((r, predict(fit(group, r["path"], r["function"]), r) if group else predict({}, r)))
    return out


def summary(pairs: list[tuple[dict, float]]) -> list[str]:
    lines = []
    for core, path in PATHS.items():
        these = [(r, p) for r, p in pairs if r["core"] == core]
        errors = [abs(p / r["measured"] - 1) for r, p in these]
        total_p = sum(p for _, p in these)
        total_m = sum(r["measured"] for r, _ in these)
        within = sum(e <= 0.25 for e in errors)
        lines.append(f"{core:14s} ({path}): total {total_p / total_m:.3f}x of measured; per layer median |error| "
                     f"{statistics.median(errors):.1%}, {within} of {len(errors)} within 25% "
                     f"({within / len(errors):.0%}), worst {max(errors):.0%}")
    return lines


def toml_text(rows: list[dict]) -> str:
    lines = ["# Instructions per loop unit of CMSIS-NN's kernels, per code path (scalar: Cortex-M0/M0+; dsp:",
             "# Cortex-M4/M7/M33; mve: Cortex-M55/M85), fitted to the instruction counts measured on emulated",
             "# cores (shared/anchors/cmsis_nn_instructions.csv: CMSIS-NN at 99f736a, arm-none-eabi-gcc 12.2 -Ofast).",
             "# Generated by benchmarks/fit_cmsis_nn_loops.py --write; the units and how often each runs per layer are",
             "# in src/microinfer/cost/trips.py (cmsis_nn_work). `layers` = anchor rows the fit used.", ""]
    for path in PATHS.values():
        for function in sorted({r["function"] for r in rows if r["path"] == path}):
            group = [r for r in rows if r["path"] == path and r["function"] == function]
            constants = fit(group, path, function)
            lines.append(f"[{path}.{function}]")
            lines.append(f"layers = {len(group)}")
            lines += [f"{u} = {v:.4g}" for u, v in constants.items()]
            lines.append("")
    return "\n".join(lines)


def measured_text(rows: list[dict]) -> str:
    """The measured layers themselves, keyed by kernel function and loop units: fit uses a measured
    count for any layer whose loops are the same (and says so)."""
    lines = ["# Instructions CMSIS-NN executed for the layers of shared/anchors/cmsis_nn_instructions.csv, keyed by",
             "# kernel function and loop units (src/microinfer/cost/trips.py): microinfer fit uses the count of a",
             "# layer whose loops are the same and marks it `measured`. Generated by",
             "# benchmarks/fit_cmsis_nn_loops.py --write.", ""]
    for path in PATHS.values():
        lines.append(f"[{path}]")
        seen = {}
        for r in rows:
            if r["path"] == path:
                seen.setdefault(signature(r["function"], r["units"]), []).append(r["measured"])
        lines += [f'"{key}" = {round(statistics.mean(counts))}' for key, counts in sorted(seen.items())]
        lines.append("")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=Path, default=SHARED_MODELS)
    parser.add_argument("--write", action="store_true", help=f"write {TOML.relative_to(TOML.parents[2])}")
    parser.add_argument("--verbose", action="store_true", help="print every held-out layer")
    args = parser.parse_args(argv)
    rows = anchor_rows(args.models)
    pairs = held_out(rows)
    if args.verbose:
        for r, p in pairs:
            print(f"{r['core']:14s} {r['model'][:22]:22s} {r['layer']:3d} {r['function']:28s} "
                  f"{r['measured']:>10,} {p:>12,.0f} {p / r['measured'] - 1:+.1%}")
    pairs_split = split(rows, CALIBRATION_MODELS)
    print(f"held out: {', '.join(sorted({r['model'] for r, _ in pairs_split}))} predicted by constants fitted on "
          f"{', '.join(CALIBRATION_MODELS)}:")
    print("\n".join("  " + line for line in summary(pairs_split)))
    print("held out, leave one model out (each model predicted by constants fitted on the other three):")
    print("\n".join("  " + line for line in summary(pairs)))
    everything = []
    for path in PATHS.values():
        for function in sorted({r["function"] for r in rows if r["path"] == path}):
            group = [r for r in rows if r["path"] == path and r["function"] == function]
            c = fit(group, path, function)
            everything += [(r, predict(c, r)) for r in group]
    print("fitted on all rows (what targets/loops/cmsis-nn.toml holds):")
    print("\n".join("  " + line for line in summary(everything)))
    if args.write:
        TOML.parent.mkdir(parents=True, exist_ok=True)
        TOML.write_text(toml_text(rows))
        MEASURED.write_text(measured_text(rows))
        print(f"wrote {TOML} and {MEASURED.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
