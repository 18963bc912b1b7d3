"""The long campaign past the loader: structure-aware mutants of real and generated models
through load, the CLI's info/plan/fit, both backends and TFLite Micro.

    python benchmarks/fuzz_models.py --mutants 100000 --seed 1 --jobs 2 [--max-bytes 400000]

Mutant i of a seed is regenerated with ``python tests/mutant_campaign.py --save I DIR`` (seed 0)
or ``mutant_campaign.mutant(seeds, seed, i)``. Exits 1 if anything is found: an exception outside
microinfer's errors, a crash, a hang, C and NumPy disagreeing, or microinfer and TFLite Micro
disagreeing on a model both run. See tests/mutant_campaign.py.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

import mutant_campaign  # noqa: E402
from shared_paths import SHARED_MODELS  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mutants", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=150.0,
                        help="seconds allowed per mutant (above the reference worker's own 60 s limit)")
    parser.add_argument("--max-bytes", type=int, default=400_000, help="largest seed model")
    parser.add_argument("--full-every", type=int, default=1,
                        help="run the best planner and fit on every Nth mutant (1: all)")
    args = parser.parse_args(argv)
    report = mutant_campaign.campaign(
        args.mutants, campaign_seed=args.seed, jobs=args.jobs, timeout=args.timeout, shared=SHARED_MODELS,
        full_every=args.full_every, max_bytes=args.max_bytes,
        progress=lambda r: print(f"  {r.mutants} mutants, {r.mutants / max(r.seconds, 1e-9):.1f}/s, "
                                 f"{len(r.findings)} findings", flush=True))
    print(mutant_campaign.describe(report))
    for index, kind, detail in report.findings[:100]:
        print(f"--- mutant {index}: {kind}\n{detail}")
    return 1 if report.findings else 0


if __name__ == "__main__":
    sys.exit(main())
