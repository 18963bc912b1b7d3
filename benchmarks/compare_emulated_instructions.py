"""Per-layer instruction estimates of the cost model against instruction counts measured on an
emulated core (the JSON that ``microinfer emulate MODEL --core CORE --json`` prints).

    microinfer emulate model.tflite --core cortex-m4f --json > emulated.json
    PYTHONPATH=src python benchmarks/compare_emulated_instructions.py model.tflite emulated.json

Prints est. vs counted instructions per layer and the median absolute error over the layers the
emulator ran; the loop constants to adjust live in ``src/microinfer/cost/loops.py``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

from microinfer.cost import estimate
from microinfer.render import table, thousands


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("emulated", type=Path, help="JSON from microinfer emulate --json")
    parser.add_argument("--kernels", default="cmsis-nn")
    args = parser.parse_args()
    emulated = json.loads(args.emulated.read_text())
    result = estimate(args.model, core=emulated["core"], kernels=args.kernels)
    rows, errors = [], []
    for layer, counted in zip(result.layers, emulated["layers"]):
        if not counted.get("covered", True):
            rows.append([layer.index, layer.op, thousands(round(layer.cost.instructions)), "-", "-", layer.kind])
            continue
        error = layer.cost.instructions / counted["instructions"] - 1
        errors.append(abs(error))
        rows.append([layer.index, layer.op, thousands(round(layer.cost.instructions)),
                     thousands(counted["instructions"]), f"{error:+.0%}", layer.kind])
    print(f"{args.model.name} on {emulated['core']} ({emulated.get('isa_path', '?')} path), kernels {args.kernels}")
    print(table(["#", "op", "est. instructions", "counted", "error", "loops.py kernel"], rows, right=(0, 2, 3, 4)))
    if errors:
        print(f"\nmedian |error| over {len(errors)} layers: {statistics.median(errors):.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
