"""A seeded long fuzzing campaign: every operator and dtype against TFLite Micro and LiteRT.

    PYTHONPATH=src python benchmarks/fuzz_kernels.py --jobs 2 --out fuzz-long

1,450 cases for each of the 71 (operator, dtype) pairs and the small graphs is 104,400 cases (a
little fewer run: a unit of work stops at its first mismatch, which it then shrinks).
Prints cases per second, the distinct mismatches and reference disagreements found, and writes a
reproducer of each into --out. Not collected by pytest (the name does not start with test_).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from microinfer import fuzz


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=1450, help="cases per operator and dtype")
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--against", default="both", choices=fuzz.AGAINST)
    parser.add_argument("--out", default="fuzz-long")
    args = parser.parse_args()
    start = time.perf_counter()

    def progress(report, done, total):
        if done % 20 == 0 or done == total:
            print(f"{done}/{total} units, {report.cases} cases, {report.cases_per_second:.0f}/s, "
                  f"{len(report.failures)} mismatches, {len(report.disagreements)} disagreements",
                  file=sys.stderr, flush=True)

    report = fuzz.campaign(args.against, examples=args.examples, seed=args.seed, jobs=args.jobs,
                           progress=progress)
    for finding in report.findings.values():
        fuzz.write_finding(finding, args.out)
    summary = report.to_dict()
    summary["wall_seconds"] = round(time.perf_counter() - start, 1)
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
