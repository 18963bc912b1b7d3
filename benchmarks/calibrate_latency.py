"""Predicted vs published latency for every row of ../shared/anchors/latency_published.csv whose
model microinfer can load and whose core targets/ describes.

    PYTHONPATH=src python benchmarks/calibrate_latency.py [--anchors CSV] [--more CSV] [--models DIR]

Prints one line per row (predicted, measured, error) and the median absolute error over the rows
whose model is in the shared models directory (the acceptance figure, bound: 25%), and over all
predicted rows. ``--more`` (default benchmarks/latency_published_more.csv) adds published rows kept in
this repository, each with its source: they are printed and summed up separately, so that the shared
figure stays comparable from one version to the next.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from microinfer.cost.calibration import median_abs_error, predict_all
from microinfer.render import table
from shared_paths import SHARED, SHARED_MODELS



def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--anchors", type=Path, default=SHARED / "anchors" / "latency_published.csv")
    parser.add_argument("--models", type=Path,
                        default=SHARED_MODELS)
    parser.add_argument("--more", type=Path, default=Path(__file__).with_name("latency_published_more.csv"))
    args = parser.parse_args()
    predictions = predict_all(args.anchors, args.models)
    print(prediction_table(predictions))
    shared = [p for p in predictions if p.shared_model and not p.skipped]
    predicted = [p for p in predictions if not p.skipped]
    print(f"\nmedian |error|, MLPerf Tiny models in ../shared/models: {median_abs_error(shared):.1%} "
          f"over {len(shared)} rows (bound 25%)")
    print(f"median |error|, every predicted row: {median_abs_error(predicted):.1%} over {len(predicted)} rows")
    energy = [abs(p.energy_error) for p in predicted if p.energy_error is not None]
    if energy:
        print(f"median |error| of energy per inference (datasheet or measured current x est. latency): "
              f"{statistics.median(energy):.1%} over {len(energy)} rows")
    if args.more.is_file():
        more = [p for p in predict_all(args.more, args.models) if not p.skipped]
        print(f"\nmore published rows ({args.more.name}):")
        print(prediction_table(more))
        if more:
            print(f"median |error| over these {len(more)} rows: {median_abs_error(more):.1%}")
    return 0 if median_abs_error(shared) <= 0.25 else 1


def prediction_table(predictions) -> str:
    rows = []
    for p in predictions:
        r = p.row
        name = f"{r['benchmark'][:28]} / {r['submitter'][:14]}"
        if p.skipped:
            rows.append([name, r["mcu"][:18], "-", "-", r["latency_ms"], "-", f"skipped: {p.skipped}"])
            continue
        where = p.target + (f" (arena {p.arena_in})" if p.arena_in else "")
        energy = "-" if p.energy_error is None else f"{p.predicted_uj:,.0f} / {float(r['energy_uj']):,.0f} ({p.energy_error:+.0%})"
        rows.append([name, where, p.kernels, f"{p.predicted_ms:.2f}", r["latency_ms"], f"{p.error:+.0%}", energy])
    return table(["row", "target", "kernels", "est. ms", "measured ms", "error", "est. / measured uJ (error)"],
                 rows, right=(3, 4, 5))


if __name__ == "__main__":
    sys.exit(main())
