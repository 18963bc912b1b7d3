"""``microinfer fit --kernels microinfer`` against ``microinfer emulate`` on models the loop constants
were not read from: per layer, the instructions the calibrated loop model gives microinfer's C kernel
(src/microinfer/cost/trips.py x targets/emulation/c_kernel_loops.toml, without the interpreter step)
against the count measured on the emulated core.

    PYTHONPATH=src python benchmarks/check_microinfer_loops.py [--models DIR] [--cores ...] [--json FILE]

Default models: the int8 models of ../shared/models/wild whose operators the C kernels cover (none of
them was used to read the loop constants, which come from five layers of the MLPerf Tiny and
micro_speech models). Needs the emulation toolchains (README, "Emulated cores").
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

from microinfer.cost.layers import library_work
from microinfer.emulate import core_named, emulate
from microinfer.errors import MicroinferError
from microinfer.tflite import load
from shared_paths import SHARED_MODELS

CORES = ("cortex-m0plus", "cortex-m4f", "cortex-m55", "rv32imc")
WILD = ("mlonmcu__cnn_s_quantized.tflite", "mlonmcu__micro_kws_m_quantized.tflite",
        "mlonmcu__micro_speech_custom.tflite", "mlonmcu__qnn_model.tflite", "tinymaix__mnist_dw_q.tflite",
        "tinymaix__cifar10_q.tflite", "nuvoton_gsensor__model_CNN_quantized.tflite", "tflm__magic_wand.tflite")


def compare(paths: list[Path], cores) -> list[dict]:
    rows = []
    for path in paths:
        try:
            model = load(path)
        except MicroinferError as error:
            print(f"{path.name}: skipped: {error}", file=sys.stderr)
            continue
        for core in cores:
            isa_path = core_named(core).isa_path
            try:
                result = emulate(model, core)
            except MicroinferError as error:
                print(f"{path.name} on {core}: skipped: {error}", file=sys.stderr)
                continue
            for layer in result.covered:
                found = library_work(model.main, model.main.operators[layer.index], "microinfer", isa_path)
                if found is None or not layer.bit_exact:
                    continue
                work, constants = found
                predicted = sum(n * constants.get(u, 0.0) for u, n in work.units.items())
                rows.append({"model": path.name, "core": core, "index": layer.index, "op": layer.op,
                             "function": work.function, "counted": layer.instructions, "predicted": predicted})
            print(f"{path.name} on {core}: {len(result.covered)} layers", file=sys.stderr)
    return rows


def summary(rows: list[dict], cores) -> list[str]:
    lines = []
    for core in cores:
        errors = [abs(r["predicted"] / r["counted"] - 1) for r in rows if r["core"] == core]
        if errors:
            within = sum(e <= 0.25 for e in errors)
            lines.append(f"{core:14s}: {len(errors)} layers, median |error| {statistics.median(errors):.1%}, "
                         f"{within} within 25% ({within / len(errors):.0%}), worst {max(errors):.0%}")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=Path, nargs="+", help="models (default: the wild int8 models above)")
    parser.add_argument("--cores", nargs="+", default=list(CORES))
    parser.add_argument("--json", type=Path, help="also write every layer's figures to FILE")
    parser.add_argument("--from-json", type=Path, help="re-print a run saved with --json")
    args = parser.parse_args(argv)
    if args.from_json:
        rows = json.loads(args.from_json.read_text())
    else:
        paths = args.models or [SHARED_MODELS / "wild" / name for name in WILD]
        rows = compare([p for p in paths if p.is_file()], args.cores)
        if args.json:
            args.json.write_text(json.dumps(rows, indent=1))
    for r in rows:
        print(f"{r['core']:14s} {r['model'][:34]:34s} {r['index']:3d} {r['function']:16s} {r['counted']:>11,} "
              f"{r['predicted']:>13,.0f} {r['predicted'] / r['counted'] - 1:+7.1%}")
    print("\n".join(summary(rows, args.cores)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
