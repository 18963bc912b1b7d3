"""`microinfer build` on every shared model the C kernels cover, on the host and every emulated core:
bit-exactness on 20 seeded inputs, RAM against TFLite Micro's arena (arm32, CMSIS-NN, same core),
flash, stack and instructions. The full sweep of issue 14's acceptance (CI runs one model per core).

    python benchmarks/build_sweep.py [--inputs 20] [--cores host,cortex-m0plus,...] [--json FILE]

Models: ../shared/models/*.tflite and `microinfer example person-detect`; models the C kernels do
not cover are listed with the reason and skipped.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from microinfer.build import BuildRefusedError, build, cores
from microinfer.examples import EXAMPLES

sys.path.insert(0, str(Path(__file__).parent))
from shared_paths import SHARED_MODELS  # noqa: E402

# issue 14: RAM at most this times TFLite Micro's arena (arm32, CMSIS-NN) on these models, for the
# Cortex-M cores (a RISC-V core is compared with TFLite Micro's reference kernels, shown, not judged)
RAM_TARGETS = {"vww_96_int8": 0.75, "ad01_int8": 0.75, "person_detect": 0.75, "kws_ref_model": 0.95,
               "pretrainedResnet_quant": 0.95}


def models(folder: Path) -> list[Path]:
    paths = sorted(SHARED_MODELS.glob("*.tflite"))
    example = folder / "person_detect.tflite"
    example.write_bytes(EXAMPLES["person-detect"](seed=0))
    return paths + [example]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=20)
    parser.add_argument("--cores", default=",".join(cores()))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    rows, failures = [], 0
    header = f"{'model':<24} {'core':<14} {'exact':<5} {'RAM B':>8} {'TFLM B':>8} {'ratio':>6} {'target':>6} " \
             f"{'stack':>6} {'flash B':>9} {'model':>9} {'kernels':>8} {'instructions':>13} {'s':>5}"
    print(header)
    with tempfile.TemporaryDirectory(prefix="microinfer-sweep-") as tmp:
        folder = Path(tmp)
        for path in models(folder):
            for core in args.cores.split(","):
                started = time.time()
                try:
                    result = build(path, folder / f"{path.stem}-{core}", core=core, verify=True, inputs=args.inputs)
                except BuildRefusedError as refused:
                    print(f"{path.stem:<24} refused: {refused.problems[0]}")
                    break
                d = result.to_dict()
                d["seconds"] = round(time.time() - started, 1)
                rows.append(d)
                target = RAM_TARGETS.get(path.stem) if core.startswith("cortex-m") else None
                ratio = result.ram_ratio
                ok = result.bit_exact and not d["warnings"] and (target is None or ratio <= target)
                failures += not ok
                size = result.size
                print(f"{path.stem:<24} {core:<14} {str(result.bit_exact):<5} "
                      f"{_n(result.ram_bytes if core != 'host' else size.data + size.bss):>8} "
                      f"{_n(result.tflm_arena_bytes):>8} {'' if ratio is None else f'{ratio:.2f}':>6} "
                      f"{'' if target is None else f'{target:.2f}':>6} {_n(size.stack):>6} {_n(size.flash):>9} "
                      f"{_n(size.model_flash):>9} {_n(size.kernel_flash):>8} {_n(result.instructions):>13} "
                      f"{d['seconds']:>5}" + ("" if ok else "  FAIL"), flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    print(f"{len(rows)} builds, {failures} failing")
    return 1 if failures else 0


def _n(value) -> str:
    return "-" if value is None else f"{value:,}"


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
