"""Mutation-fuzz microinfer.load: every mutant must load or raise ModelError, quickly.

    python benchmarks/fuzz_loader.py --mutants 100000 --seed 1 --jobs 2 --timeout 2 --out /tmp/fuzz

Seeds are every model in the shared models directory (MICROINFER_SHARED_MODELS, default
../shared/models) plus small builder-made models. Mutants are generated and loaded in worker
processes; mutant ``i`` is fully determined by ``--seed`` and ``i``, so any failure can be
regenerated. A mutant that raises anything but ModelError, kills its worker (a crash) or exceeds
``--timeout`` seconds is saved to ``--out`` and makes the script exit with status 1.
"""

from __future__ import annotations

import argparse
import collections
import multiprocessing as mp
import multiprocessing.connection
import random
import sys
import time
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

import tflite_mutations as tm  # noqa: E402
from shared_paths import SHARED_MODELS  # noqa: E402

CHUNK = 200  # mutants a worker loads per task


def load_seeds() -> list[tm.Seed]:
    seeds = [tm.make_seed(name, data) for name, data in tm.builder_seeds().items()]
    if SHARED_MODELS.is_dir():
        for path in sorted(SHARED_MODELS.glob("*.tflite")):
            seeds.append(tm.make_seed(path.name, path.read_bytes()))
    return seeds


def mutant(seeds: list[tm.Seed], seed: int, index: int) -> tuple[str, bytes]:
    rng = random.Random(f"{seed}:{index}")
    source = seeds[index % len(seeds)]
    return source.name, tm.mutate(tm.RandomDraw(rng), source, seeds)


# -- worker process ------------------------------------------------------------------------------
_SEEDS: list[tm.Seed] = []


def _init_worker() -> None:
    global _SEEDS
    _SEEDS = load_seeds()


def _worker(conn, seed: int) -> None:
    """Load the mutants the parent sends (lists of indices); report each outcome as it happens."""
    _init_worker()
    while True:
        indices = conn.recv()
        if indices is None:
            return
        for index in indices:
            _, data = mutant(_SEEDS, seed, index)
            conn.send(("start", index))
            try:
                outcome = "ok" if tm.load_and_touch(data) is not None else "ModelError"
                detail = ""
            except BaseException as exc:  # noqa: BLE001 - anything but ModelError is a finding
                outcome = type(exc).__name__
                detail = "".join(traceback.format_exception(exc)[-3:])
            conn.send(("done", index, outcome, detail))


class Worker:
    def __init__(self, ctx, seed: int):
        self.seed = seed
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker, args=(child, seed), daemon=True)
        self.process.start()
        child.close()
        self.pending: list[int] = []  # indices of the current chunk not yet reported
        self.current: int | None = None  # the mutant being loaded
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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mutants", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=2.0, help="seconds allowed per load")
    parser.add_argument("--out", type=Path, default=Path("fuzz_failures"), help="where failing mutants go")
    args = parser.parse_args(argv)

    seeds = load_seeds()
    print(f"seeds: {len(seeds)} models ({', '.join(s.name for s in seeds)})")
    print(f"mutants: {args.mutants}, seed {args.seed}, {args.jobs} jobs, timeout {args.timeout} s")

    ctx = mp.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    todo = collections.deque(
        list(range(i, min(i + CHUNK, args.mutants))) for i in range(0, args.mutants, CHUNK)
    )
    counts: collections.Counter[str] = collections.Counter()
    failures: list[tuple[int, str, str]] = []
    workers = [Worker(ctx, args.seed) for _ in range(args.jobs)]
    for w in workers:
        if todo:
            w.assign(todo.popleft())
    done = 0
    start = last_report = time.perf_counter()

    def fail(index: int, outcome: str, detail: str) -> None:
        failures.append((index, outcome, detail))
        counts[outcome] += 1
        name, data = mutant(seeds, args.seed, index)
        args.out.mkdir(parents=True, exist_ok=True)
        path = args.out / f"{outcome}_{index}_{name}.bin"
        path.write_bytes(data)
        print(f"FAIL mutant {index} (from {name}): {outcome} -> {path}\n{detail}", flush=True)

    while any(w.pending for w in workers):
        busy = [w for w in workers if w.pending]
        ready = mp.connection.wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout=0.1)
        now = time.perf_counter()
        for i, w in enumerate(workers):
            if not w.pending:
                continue
            while w.conn in ready and w.conn.poll():
                try:
                    message = w.conn.recv()
                except (EOFError, OSError):
                    break
                if message[0] == "start":
                    w.current, w.started = message[1], now
                elif message[0] == "done":
                    _, index, outcome, detail = message
                    w.pending.remove(index)
                    w.current = None
                    done += 1
                    if outcome in ("ok", "ModelError"):
                        counts[outcome] += 1
                    else:
                        fail(index, outcome, detail)
                    if not w.pending and todo:
                        w.assign(todo.popleft())
            crashed = not w.process.is_alive()
            timed_out = w.current is not None and now - w.started > args.timeout
            if w.pending and (crashed or timed_out):
                index = w.current if w.current is not None else w.pending[0]
                code = w.process.exitcode
                fail(index, "crash" if crashed else "timeout",
                     f"worker exit code {code}" if crashed else f"no result after {args.timeout} s")
                done += 1
                rest = [j for j in w.pending if j != index]
                w.stop()
                workers[i] = w = Worker(ctx, args.seed)
                if rest:
                    w.assign(rest)
                elif todo:
                    w.assign(todo.popleft())
        if now - last_report > 10:
            last_report = now
            print(f"  {done}/{args.mutants} mutants, {done / (now - start):.0f}/s", flush=True)
    elapsed = time.perf_counter() - start
    for w in workers:
        w.conn.send(None)
        w.process.join(timeout=5)
        w.stop()

    print(f"\n{done} mutants in {elapsed:.1f} s: {done / elapsed:.0f} mutants/s")
    print(f"  loaded OK:  {counts.pop('ok', 0)}")
    print(f"  ModelError: {counts.pop('ModelError', 0)}")
    crashes, timeouts = counts.pop("crash", 0), counts.pop("timeout", 0)
    for name, n in sorted(counts.items()):
        print(f"  {name}: {n}")
    if not counts:
        print("  other exceptions: 0")
    print(f"  crashes:    {crashes}")
    print(f"  timeouts:   {timeouts}")
    if failures:
        print(f"{len(failures)} failing mutants saved in {args.out}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
