"""The campaign past the loader: every mutant through every command, in crash-proof workers.

Shared by tests/test_model_mutations.py (a CI share) and benchmarks/fuzz_models.py (the long
campaign). Mutant ``i`` of a campaign is ``model_mutations.mutate(Random(f"{seed}:{i}"), seed
model i % len(seeds))``, so any finding can be regenerated from its index.

What each mutant goes through (``check``): ``load``; the CLI's ``info``, ``plan`` (both
planners) and ``fit``; ``Interpreter`` with the NumPy backend and with the C backend, both run on
the same seeded inputs; TFLite Micro on the same inputs. Findings:

- ``exception``: anything other than a microinfer error (``MicroinferError``) escaped a stage;
- ``crash`` / ``timeout``: the worker died (a signal) or a mutant took longer than allowed;
- ``c-vs-numpy``: the two backends disagree;
- ``tflm-mismatch``: TFLite Micro ran the mutant, microinfer ran it too, and they disagree;
- ``internal-error``: a kernel constraint raised while checking (reported inside a refusal).

Outcomes that are not failures are counted: loaded or refused at load, refused by microinfer
while TFLite Micro runs the model (``refused-runs-in-tflm``) and run by microinfer while TFLite
Micro refuses it (``runs-refused-by-tflm``).
"""

from __future__ import annotations

import contextlib
import functools
import io
import multiprocessing as mp
import multiprocessing.connection
import os
import random
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from flatbuffers.builder import BuilderSizeError

import microinfer
from microinfer import cli
from microinfer.errors import MicroinferError
from microinfer.kernels.registry import INTERNAL_ERROR
from microinfer.testing import OP_CASES, random_inputs
from microinfer.tflite import load
from microinfer.tflite.writer import serialize

import model_mutations

MAX_INPUT_BYTES = 64 << 20  # larger model inputs are not drawn (see _run_everything)
FAILURES = ("exception", "crash", "timeout", "c-vs-numpy", "tflm-mismatch", "internal-error")
BOARD = "nucleo-l4r5zi"


@dataclass
class Seed:
    name: str
    model: microinfer.Model


def seeds(shared_models: Path | None = None, max_bytes: int = 400_000) -> list[Seed]:
    """Catalogue single-op models, then the shared and wild models up to ``max_bytes``. (A mutant
    WHILE loop may never end: microinfer stops it with an error, the reference worker stops
    TFLite Micro after a minute.)"""
    found = [Seed(f"catalogue:{c.name}", load(c.build())) for c in OP_CASES]
    if shared_models is not None and shared_models.is_dir():
        for path in sorted([*shared_models.glob("*.tflite"), *shared_models.glob("wild/*.tflite")]):
            if path.stat().st_size > max_bytes:
                continue
            try:
                found.append(Seed(path.name, load(path)))
            except MicroinferError:
                continue
    return found


def mutant(all_seeds: list[Seed], campaign_seed: int, index: int) -> tuple[str, bytes | None]:
    """The seed name and bytes of mutant ``index`` (None when the writer cannot write it)."""
    rng = random.Random(f"{campaign_seed}:{index}")
    source = all_seeds[index % len(all_seeds)]
    try:
        return source.name, serialize(model_mutations.mutate(rng, source.model))
    except (ValueError, TypeError, OverflowError, KeyError, IndexError, AttributeError, BuilderSizeError):
        return source.name, None  # a mutation the writer cannot express (or a file over 2 GiB): not a finding


# -- one mutant --------------------------------------------------------------------------------------
@dataclass
class Result:
    outcome: str  # "load-refused", "ok", or a finding kind
    detail: str = ""
    notes: list[str] = field(default_factory=list)  # non-failure categories seen


class _Escaped(Exception):
    """An exception that is not a microinfer error left a stage."""


def _stage(name: str, fn: Callable):
    """Run ``fn``; a microinfer error returns it, anything else becomes _Escaped."""
    try:
        return fn(), None
    except MicroinferError as exc:
        return None, exc
    except Exception as exc:  # noqa: BLE001 - this is what the campaign looks for
        raise _Escaped(f"{name}: {type(exc).__name__}: {exc}\n"
                       + "".join(traceback.format_exception(exc)[-4:])) from None


def _cli(argv: list[str]) -> None:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = cli.main(argv)
    if code not in (0, 1, 2):
        raise RuntimeError(f"microinfer {' '.join(argv[:1])} exited {code}")


def check(data: bytes, worker, tmpdir: Path, full: bool = True) -> Result:
    """Everything a user could do with the mutant, and what TFLite Micro does with it (without
    ``full``, the CLI runs only info and TFLite Micro's plan: the slow best planner and fit are
    left out)."""
    try:
        model, error = _stage("load", lambda: load(data))
        if error is not None:
            return Result("load-refused")
        path = tmpdir / "mutant.tflite"
        path.write_bytes(data)
        commands = [["info", str(path)], ["plan", str(path)]]
        if full:
            commands += [["plan", str(path), "--planner", "best"], ["fit", str(path), "--board", BOARD]]
        for argv in commands:
            _stage(" ".join(argv[:1] + argv[2:]), lambda argv=argv: _cli(argv))
        return _run_everything(data, model, worker)
    except _Escaped as exc:
        return Result("exception", str(exc))


def _run_everything(data: bytes, model, worker) -> Result:
    notes: list[str] = []
    if sum(t.nbytes for t in model.main.input_tensors()) > MAX_INPUT_BYTES:
        # microinfer refuses such a model in a second (validation); drawing gigabytes of random
        # input for TFLite Micro would only time the campaign out
        _stage("Interpreter(numpy)", lambda: microinfer.Interpreter(model))
        return Result("ok", "", ["inputs too large to draw"])
    inputs, error = _stage("inputs", lambda: random_inputs(model, np.random.default_rng(0)))
    numpy_out, refusal = None, error
    if inputs is not None:
        interpreter, refusal = _stage("Interpreter(numpy)", lambda: microinfer.Interpreter(model))
        if refusal is not None and INTERNAL_ERROR in str(refusal):
            return Result("internal-error", str(refusal))
        if interpreter is not None:
            numpy_out, refusal = _stage("run(numpy)", lambda: interpreter.run(inputs))
    if numpy_out is not None and _c_available():
        c_interpreter, _ = _stage("Interpreter(c)", lambda: microinfer.Interpreter(model, backend="c"))
        if c_interpreter is not None:
            c_out, _ = _stage("run(c)", lambda: c_interpreter.run(inputs))
            if c_out is None or not _same(numpy_out, c_out):
                return Result("c-vs-numpy", "C backend and NumPy differ" if c_out is not None
                              else "C backend failed where NumPy ran")
    tflm_out = _tflm(worker, data, inputs) if inputs is not None else None
    if tflm_out is not None and numpy_out is not None and not _same(numpy_out, tflm_out):
        return Result("tflm-mismatch", "microinfer and TFLite Micro differ")
    if tflm_out is not None and numpy_out is None:
        notes.append(f"refused-runs-in-tflm: {str(refusal).splitlines()[-1][:160] if refusal else ''}")
    if tflm_out is None and numpy_out is not None:
        notes.append("runs-refused-by-tflm")
    return Result("ok", notes=notes)


_C_AVAILABLE: bool | None = None


def _c_available() -> bool:
    global _C_AVAILABLE
    if _C_AVAILABLE is None:
        from microinfer import c_backend

        _C_AVAILABLE = c_backend.available()
    return _C_AVAILABLE


def _tflm(worker, data: bytes, inputs) -> list[np.ndarray] | None:
    from microinfer.reference import ReferenceCrash, ReferenceFailure

    try:  # one interpreter, no arena report: the fastest way to the outputs
        return worker.run_many("tflm", data, [inputs], arena_size=16 << 20, isolated=True)[0].outputs
    except (ReferenceFailure, ReferenceCrash):
        return None


def _same(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        x, y = np.asarray(x), np.asarray(y)
        if x.size != y.size or x.dtype != y.dtype:
            return False
        x, y = x.reshape(-1), y.reshape(-1)
        if np.issubdtype(x.dtype, np.floating):
            if not np.allclose(x, y, rtol=1e-5, atol=1e-5, equal_nan=True):
                return False
        elif not np.array_equal(x, y):
            return False
    return True


# -- the pool of crash-proof workers -----------------------------------------------------------------
def _worker(conn, shared: str | None, campaign_seed: int, full_every: int, max_bytes: int) -> None:
    from microinfer.reference import ReferenceWorker

    cli._parser = functools.lru_cache(maxsize=1)(cli._parser)  # argparse parsers are reusable

    all_seeds = seeds(Path(shared) if shared else None, max_bytes)
    with ReferenceWorker() as ref, tempfile.TemporaryDirectory() as tmp:
        while True:
            indices = conn.recv()
            if indices is None:
                return
            for index in indices:
                conn.send(("start", index))
                _, data = mutant(all_seeds, campaign_seed, index)
                full = index % full_every == 0
                result = Result("unwritable") if data is None else check(data, ref, Path(tmp), full)
                conn.send(("done", index, result))


@dataclass
class Report:
    mutants: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    notes: dict[str, int] = field(default_factory=dict)
    findings: list[tuple[int, str, str]] = field(default_factory=list)  # (index, kind, detail)
    seconds: float = 0.0

    def count(self, key: str, table: dict | None = None) -> None:
        table = self.counts if table is None else table
        table[key] = table.get(key, 0) + 1


def campaign(mutants: int, campaign_seed: int = 0, jobs: int = 2, timeout: float = 150.0,
             shared: Path | None = None, full_every: int = 1, max_bytes: int = 400_000, chunk: int = 50,
             progress: Callable[[Report], None] | None = None) -> Report:
    """Run ``mutants`` mutants in ``jobs`` worker processes; a worker that dies or overruns
    ``timeout`` seconds on a mutant is replaced, and the mutant recorded as a crash or timeout."""
    ctx = mp.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    todo = [list(range(i, min(i + chunk, mutants))) for i in range(0, mutants, chunk)]
    todo.reverse()
    report = Report()
    start = last = time.perf_counter()
    args = (str(shared) if shared else None, campaign_seed, full_every, max_bytes)
    workers = [_Worker(ctx, args) for _ in range(jobs)]
    for w in workers:
        if todo:
            w.assign(todo.pop())
    while any(w.pending for w in workers):
        busy = [w for w in workers if w.pending]
        ready = mp.connection.wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout=0.5)
        now = time.perf_counter()
        for k, w in enumerate(workers):
            if not w.pending:
                continue
            while w.conn in ready and w.conn.poll():
                try:
                    message = w.conn.recv()
                except (EOFError, OSError):
                    break
                if message[0] == "start":
                    w.current, w.started = message[1], now
                    continue
                _, index, result = message
                w.pending.remove(index)
                w.current = None
                _record(report, index, result)
                if not w.pending and todo:
                    w.assign(todo.pop())
            crashed = not w.process.is_alive()
            overrun = w.current is not None and now - w.started > timeout
            if w.pending and (crashed or overrun):
                index = w.current if w.current is not None else w.pending[0]
                detail = f"worker exit code {w.process.exitcode}" if crashed else f"over {timeout} s"
                _record(report, index, Result("crash" if crashed else "timeout", detail))
                rest = [j for j in w.pending if j != index]
                w.stop()
                workers[k] = w = _Worker(ctx, args)
                if rest:
                    w.assign(rest)
                elif todo:
                    w.assign(todo.pop())
        if progress is not None and now - last > 10:
            last = now
            report.seconds = now - start
            progress(report)
    for w in workers:
        w.finish()
    report.seconds = time.perf_counter() - start
    return report


def _record(report: Report, index: int, result: Result) -> None:
    report.mutants += 1
    report.count(result.outcome)
    for note in result.notes:
        report.count(note, report.notes)
    if result.outcome in FAILURES:
        report.findings.append((index, result.outcome, result.detail))


class _Worker:
    def __init__(self, ctx, args):
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker, args=(child, *args), daemon=True)
        self.process.start()
        child.close()
        self.pending: list[int] = []
        self.current: int | None = None
        self.started = 0.0

    def assign(self, indices: list[int]) -> None:
        self.pending = list(indices)
        self.current = None
        self.conn.send(indices)

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.conn.close()

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.send(None)
        self.process.join(timeout=10)
        self.stop()


def describe(report: Report) -> str:
    lines = [f"{report.mutants} mutants in {report.seconds:.0f} s "
             f"({report.mutants / max(report.seconds, 1e-9):.1f}/s)"]
    lines += [f"  {k}: {v}" for k, v in sorted(report.counts.items())]
    for k, v in sorted(report.notes.items(), key=lambda kv: -kv[1])[:40]:
        lines.append(f"    note {v:6d}  {k}")
    return "\n".join(lines)


def _main(argv: list[str]) -> int:
    """python tests/mutant_campaign.py N            run N mutants and print the findings
       python tests/mutant_campaign.py --save I DIR write mutant I to DIR/mutant_I.tflite"""
    shared_dir = Path(os.environ.get("MICROINFER_SHARED_MODELS",
                                     Path(__file__).resolve().parents[2] / "shared" / "models"))
    if argv[:1] == ["--save"]:
        index, out = int(argv[1]), Path(argv[2])
        name, data = mutant(seeds(shared_dir), 0, index)
        out.mkdir(parents=True, exist_ok=True)
        (out / f"mutant_{index}.tflite").write_bytes(data)
        print(f"mutant {index} (from {name}) -> {out / f'mutant_{index}.tflite'}")
        return 0
    count = int(argv[0]) if argv else 200
    result = campaign(count, shared=shared_dir, progress=lambda r: print(describe(r), flush=True))
    print(describe(result))
    for index, kind, detail in result.findings[:50]:
        print(f"--- mutant {index}: {kind}\n{detail}")
    return 1 if result.findings else 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
