"""How much of the real-model corpus microinfer runs, per reference, against the live references.

    python benchmarks/corpus_survey.py [--runs 5] [--json out.json] [DIR ...]

Default directories: the shared models and their wild/ folder (MICROINFER_SHARED_MODELS). For
each model and each reference (TFLite Micro, LiteRT BUILTIN_REF): does it load, does the reference
run it, does microinfer build an interpreter for it, and are outputs and intermediates identical
(float32 within 1e-5 relative) on ``--runs`` seeded inputs. Prints one line per model that is not
bit-exact wherever the reference runs it, then the table the closing notes quote:
models, loaded, reference runs, microinfer runs, bit-exact.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from shared_paths import SHARED_MODELS

from microinfer import Interpreter, load
from microinfer.errors import MicroinferError
from microinfer.reference import ReferenceCrash, ReferenceFailure, ReferenceWorker
from microinfer.testing import random_inputs

REFERENCES = ("tflm", "tflite")


@dataclass
class Outcome:
    model: str
    loaded: bool = False
    reference_runs: dict[str, bool] = field(default_factory=dict)
    microinfer_runs: dict[str, bool] = field(default_factory=dict)
    bit_exact: dict[str, bool] = field(default_factory=dict)
    why: dict[str, str] = field(default_factory=dict)


def survey_model(path: Path, worker: ReferenceWorker, runs: int) -> Outcome:
    outcome = Outcome(path.name)
    data = path.read_bytes()
    try:
        model = load(data)
    except MicroinferError as exc:
        outcome.why["load"] = str(exc).splitlines()[0]
        return outcome
    outcome.loaded = True
    rng = np.random.default_rng(20261201)
    input_sets = [random_inputs(model, rng) for _ in range(runs)]
    every_tensor = sum((t.nbytes + 15) // 16 * 16 for sg in model.subgraphs for t in sg.tensors if not t.is_constant)
    for ref in REFERENCES:
        try:
            expected = worker.run_many(ref, data, input_sets, all_tensors=True, arena_size=(8 << 20) + 2 * every_tensor)
            outcome.reference_runs[ref] = True
        except (ReferenceFailure, ReferenceCrash) as exc:
            outcome.reference_runs[ref] = False
            expected = None
            outcome.why[f"{ref} reference"] = str(exc).splitlines()[0][:160]
        try:
            interpreter = Interpreter(model, reference=ref)
            outcome.microinfer_runs[ref] = True
        except MicroinferError as exc:
            outcome.microinfer_runs[ref] = False
            outcome.why[f"{ref} microinfer"] = str(exc).splitlines()[-1].strip()[:160]
            continue
        if expected is not None:
            outcome.bit_exact[ref] = _same(model, interpreter, input_sets, expected)
    return outcome


def _same(model, interpreter, input_sets, expected) -> bool:
    internal = {i for op in model.main.operators for i in op.intermediates}
    for inputs, reference in zip(input_sets, expected):
        interpreter.reset_variables()
        try:
            interpreter.run(inputs, intermediates=True)
        except MicroinferError:
            return False
        got = interpreter.tensor_values()
        for t in model.main.tensors:
            if t.is_constant or t.index in internal or t.index not in reference.tensors or t.index not in got:
                continue
            a, b = got[t.index], np.asarray(reference.tensors[t.index])
            if a.size != b.size:
                return False
            b = b.reshape(a.shape)
            if np.issubdtype(a.dtype, np.floating):
                if not np.allclose(a, b, rtol=1e-5, atol=1e-5, equal_nan=True):
                    return False
            elif not np.array_equal(a, b):
                return False
    return True


def table(outcomes: list[Outcome]) -> str:
    lines = ["reference   models  loaded  reference runs  microinfer runs  bit-exact",
             "---------   ------  ------  --------------  ---------------  ---------"]
    for ref in REFERENCES:
        runs = [o for o in outcomes if o.reference_runs.get(ref)]
        ours = [o for o in runs if o.microinfer_runs.get(ref)]
        exact = [o for o in ours if o.bit_exact.get(ref)]
        lines.append(f"{ref:10s}  {len(outcomes):6d}  {sum(o.loaded for o in outcomes):6d}  "
                     f"{len(runs):14d}  {len(ours):15d}  {len(exact):9d}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dirs", nargs="*", type=Path, default=[SHARED_MODELS, SHARED_MODELS / "wild"])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    paths = sorted(p for d in args.dirs for p in d.glob("*.tflite"))
    outcomes = []
    with ReferenceWorker() as worker:
        for path in paths:
            outcome = survey_model(path, worker, args.runs)
            outcomes.append(outcome)
            gaps = [ref for ref in REFERENCES if outcome.reference_runs.get(ref) and not outcome.bit_exact.get(ref)]
            extra = [ref for ref in REFERENCES if outcome.loaded and not outcome.reference_runs.get(ref)
                     and outcome.microinfer_runs.get(ref)]
            if gaps or extra or not outcome.loaded:
                print(f"{path.name}: not bit-exact under {gaps or '-'}; runs what the reference refuses under "
                      f"{extra or '-'}; {outcome.why}", flush=True)
    print()
    print(table(outcomes))
    if args.json:
        args.json.write_text(json.dumps([asdict(o) for o in outcomes], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
