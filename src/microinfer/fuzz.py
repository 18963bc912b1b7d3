"""Differential fuzzing: microinfer against TFLite Micro, LiteRT, or its own C backend.

A campaign draws single-op models (and small graphs) from :mod:`microinfer.testing.strategies`,
runs each with microinfer and with the implementation it is checked against, and keeps every case
where they differ. Hypothesis then shrinks each failing case to a small model and input that still
fail the same way: the :class:`Finding` is that reproducer.

Against both references, a case where TFLite Micro and LiteRT disagree with each other is a
*reference disagreement*, not a microinfer failure: microinfer reproduces each one in its own mode
(``Interpreter(reference="tflm")`` and ``reference="tflite"``), and the finding says which one(s)
it follows.

The work is split into *units* (one operator, dtype and seed, a few dozen cases each) that worker
processes run independently, each with its own reference worker process; ``jobs`` sets how many.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import reference
from .errors import InvalidInputError, MicroinferError, MissingDependencyError, UnsupportedOpError
from .interpreter import Interpreter

AGAINST = ("tflm", "tflite", "both", "c")
GRAPH = "GRAPH"  # the pseudo-operator of multi-op graphs
# float32: summation order differs between implementations, and a sum that cancels keeps the
# rounding error of its largest terms; an element agrees within FLOAT_RTOL of itself plus
# FLOAT_RTOL of the largest magnitude among the case's inputs and outputs (at least 1).
FLOAT_RTOL = 1e-5
UNIT_CASES = 50
NAMES = {**reference.TITLES, "c": "microinfer's C backend"}

MISMATCH = "mismatch"  # microinfer's output differs from what it is checked against
REFUSED = "refused by reference"  # the reference refuses (or crashes on) a model microinfer runs
CRASH = "microinfer error"  # microinfer raised something other than a clean refusal
DISAGREEMENT = "reference disagreement"  # TFLite Micro and LiteRT differ with each other


class FuzzError(MicroinferError, ValueError):
    """A fuzzing campaign was asked for something it cannot do."""


def _strategies():
    try:
        from .testing import strategies
    except ImportError as exc:  # MissingDependencyError is an ImportError
        raise MissingDependencyError(str(exc)) from None
    return strategies


# -- one case ---------------------------------------------------------------------------------------
@dataclass
class Finding:
    """One case where two implementations differ, with everything needed to reproduce it."""

    kind: str  # MISMATCH, REFUSED, CRASH or DISAGREEMENT
    op: str
    dtype: str
    against: str  # "tflm", "tflite", "c"; "both" for a reference disagreement
    detail: str  # where and by how much, in one line
    model: bytes = field(repr=False)
    inputs: list[np.ndarray] = field(repr=False)
    outputs: dict[str, list[np.ndarray]] = field(default_factory=dict, repr=False)
    follows: tuple[str, ...] = ()  # DISAGREEMENT: the references microinfer reproduces

    @property
    def key(self) -> tuple[str, str, str, str]:
        """Findings with the same key count as one distinct finding."""
        return (self.kind, self.op, self.dtype, self.against)

    @property
    def is_failure(self) -> bool:
        return self.kind != DISAGREEMENT

    @property
    def size(self) -> int:
        return len(self.model) + sum(x.nbytes for x in self.inputs)

    @property
    def slug(self) -> str:
        kind = self.kind.replace(" ", "-")
        return f"{self.op.lower()}-{self.dtype}-{self.against}-{kind}"

    @property
    def follows_text(self) -> str:
        """For a reference disagreement: which references microinfer reproduces, in words."""
        if not self.follows:
            return "microinfer reproduces neither"
        modes = " and ".join(f"{NAMES[r]} with reference={r!r}" for r in self.follows)
        return f"microinfer reproduces {modes}"

    def to_dict(self) -> dict:
        return {"kind": self.kind, "op": self.op, "dtype": self.dtype, "against": self.against,
                "detail": self.detail, "follows": list(self.follows), "model_bytes": len(self.model),
                "input_shapes": [list(x.shape) for x in self.inputs]}


def _largest_magnitude(arrays: Iterable[np.ndarray]) -> float:
    finite = [np.abs(a[np.isfinite(a)]).max() for a in map(np.asarray, arrays)
              if np.issubdtype(a.dtype, np.floating) and np.isfinite(a).any()]
    return float(max(finite, default=0.0))


def _outputs_differ(got: Sequence[np.ndarray], expected: Sequence[np.ndarray],
                    inputs: Sequence[np.ndarray] = ()) -> str | None:
    """``None`` when equal (floats within the FLOAT_RTOL rule), else where and by how much."""
    magnitude = max(1.0, _largest_magnitude(inputs), _largest_magnitude(expected))
    if len(got) != len(expected):
        return f"{len(got)} outputs vs {len(expected)}"
    for i, (g, e) in enumerate(zip(got, expected)):
        g, e = np.asarray(g), np.asarray(e)
        if g.shape != e.shape or g.dtype != e.dtype:
            return f"output {i}: {g.dtype}{list(g.shape)} vs {e.dtype}{list(e.shape)}"
        if np.issubdtype(e.dtype, np.floating):
            a, b = g.astype(np.float64), e.astype(np.float64)
            bad = ~(np.isclose(a, b, rtol=FLOAT_RTOL, atol=FLOAT_RTOL * magnitude) | (np.isnan(a) & np.isnan(b)))
        else:
            a, b = g.astype(np.int64), e.astype(np.int64)
            bad = a != b
        if bad.any():
            first = np.unravel_index(int(np.flatnonzero(bad)[0]), bad.shape)
            worst = float(np.nanmax(np.where(bad, np.abs(a - b), 0)))
            return (f"output {i}: {int(bad.sum())} of {bad.size} elements differ, max |diff| "
                    f"{worst:g}; first at {tuple(int(k) for k in first)}: {a[first]:g} vs {b[first]:g}")
    return None


class CaseChecker:
    """Runs one example with microinfer and with what it is checked against."""

    def __init__(self, against: str, worker: reference.ReferenceWorker | None = None):
        if against not in AGAINST:
            raise ValueError(f"against must be one of {AGAINST}, not {against!r}")
        self.against = against
        self.references = {"both": (reference.TFLM, reference.LITERT), "c": ()}.get(against, (against,))
        require(against)
        self._own_worker = worker is None and bool(self.references)
        self.worker = reference.ReferenceWorker() if self._own_worker else worker

    def close(self) -> None:
        if self._own_worker:
            self.worker.close()

    def check(self, op: str, dtype: str, model: bytes, inputs: list[np.ndarray]) -> tuple[list[Finding], bool]:
        """The findings of one case, and whether anything was compared at all (False when
        microinfer refuses the model in every mode it was to be checked in)."""
        def finding(kind, against, detail, outputs=None, follows=()):
            return Finding(kind, op, dtype, against, detail, model, inputs, outputs or {}, follows)

        with np.errstate(all="ignore"):  # float kernels overflow to inf on purpose, as the references do
            if self.against == "c":
                return self._check_c(model, inputs, finding)
            return self._check_references(model, inputs, finding)

    def _check_references(self, model, inputs, finding) -> tuple[list[Finding], bool]:
        findings, compared, expected, ours = [], False, {}, {}
        for ref in self.references:
            try:
                ours[ref] = Interpreter(model, reference=ref).run(inputs)
            except UnsupportedOpError:
                continue
            except InvalidInputError as exc:  # inputs the reference fails on too (a zero divisor)
                if self._reference_runs(ref, model, inputs):
                    findings.append(finding(CRASH, ref, f"microinfer failed where the reference ran: {exc}"))
                continue
            except Exception as exc:  # noqa: BLE001 - any other exception is a finding
                findings.append(finding(CRASH, ref, f"{type(exc).__name__}: {exc}"))
                continue
            compared = True
            try:
                expected[ref] = self.worker.run(ref, model, inputs).outputs
            except (reference.ReferenceFailure, reference.ReferenceCrash) as exc:
                findings.append(finding(REFUSED, ref, str(exc).splitlines()[0][:200], {"microinfer": ours[ref]}))
                continue
            detail = _outputs_differ(ours[ref], expected[ref], inputs)
            if detail:
                findings.append(finding(MISMATCH, ref, detail, {"microinfer": ours[ref], ref: expected[ref]}))
        if len(expected) == 2:
            detail = _outputs_differ(expected[reference.TFLM], expected[reference.LITERT], inputs)
            if detail:
                follows = tuple(r for r in expected if _outputs_differ(ours[r], expected[r], inputs) is None)
                findings.append(finding(DISAGREEMENT, "both", detail, dict(expected), follows))
        return findings, compared

    def _reference_runs(self, ref: str, model: bytes, inputs) -> bool:
        try:
            self.worker.run(ref, model, inputs)
        except (reference.ReferenceFailure, reference.ReferenceCrash):
            return False
        return True

    def _check_c(self, model, inputs, finding) -> tuple[list[Finding], bool]:
        """The C backend against the NumPy kernels, in both reference modes; a case where no
        operator runs in C (the C kernel falls back to NumPy) is not compared."""
        findings, compared = [], False
        for mode in (reference.TFLM, reference.LITERT):
            try:
                expected = Interpreter(model, reference=mode).run(inputs)
                c = Interpreter(model, backend="c", reference=mode)
            except UnsupportedOpError:
                continue
            if "c" not in getattr(c, "op_backends", ["c"]):
                continue
            compared = True
            try:
                got = [np.array(y) for y in c.run(inputs)]  # C output buffers are reused by the next run
            except Exception as exc:  # noqa: BLE001 - any exception of the C path is a finding
                findings.append(finding(CRASH, "c", f"reference={mode!r}: {type(exc).__name__}: {exc}"))
                break
            detail = _outputs_differ(got, expected, inputs)
            if detail:
                findings.append(finding(MISMATCH, "c", f"reference={mode!r}: {detail}", {"c": got, "numpy": expected}))
                break
        return findings, compared


def require(against: str) -> None:
    """Raise :class:`MissingDependencyError` naming what to install for ``against``."""
    if against == "c":
        if not c_backend_available():
            raise MissingDependencyError(
                f"fuzz --against c needs microinfer's C kernel library: {c_backend_problem()} "
                f"(build it with: python -m microinfer.c_backend.build)")
        return
    for ref in ((reference.TFLM, reference.LITERT) if against == "both" else (against,)):
        if not reference.available(ref):
            raise MissingDependencyError(
                f"fuzz --against {against} needs {NAMES[ref]}: pip install {reference.PACKAGES[ref]}")


def c_backend_available() -> bool:
    """Whether ``Interpreter(..., backend="c")`` can run C kernels here."""
    return c_backend_problem() is None


def c_backend_problem() -> str | None:
    """Why the C backend cannot run here, or ``None``."""
    try:
        from . import c_backend
    except ImportError:
        return "this microinfer has no C backend (microinfer.c_backend)"
    if not c_backend.available():
        return c_backend.unavailable_reason()
    return None


# The dtype labels the C kernels take (int8, and int16 activations with int8 weights).
C_DTYPES = ("int8", "int16x8")


def c_kernel_ops() -> set[str]:
    """The operators the C backend has kernels for (others run in NumPy under backend="c")."""
    from .c_backend import C_KERNELS, ops  # noqa: F401  (importing ops registers the kernels)

    return set(C_KERNELS)


# -- one unit of work: a hypothesis run -----------------------------------------------------------
@dataclass(frozen=True)
class Unit:
    op: str
    dtype: str
    seed: int
    examples: int


@dataclass
class UnitResult:
    unit: Unit
    cases: int = 0
    refused: int = 0  # cases not compared: microinfer refused them (or, for "c", no C kernel ran)
    seconds: float = 0.0
    failure: Finding | None = None  # shrunk
    disagreements: dict[tuple, Finding] = field(default_factory=dict)  # smallest of each key


class _Failed(Exception):
    def __init__(self, finding: Finding):
        super().__init__(finding.detail)
        self.finding = finding


def run_unit(unit: Unit, checker: CaseChecker, shrink: bool = True) -> UnitResult:
    """Check ``unit.examples`` drawn cases; shrink the first failure (hypothesis) to a minimal one."""
    from hypothesis import HealthCheck, Phase, Verbosity, given, seed, settings
    from hypothesis.errors import Flaky

    strategies = _strategies()
    strategy = strategies.small_graphs() if unit.op == GRAPH else strategies.op_examples(unit.op, unit.dtype)
    result = UnitResult(unit)
    target: list[tuple] = []  # the key of the first failure: shrinking keeps to it
    smallest: list[Finding] = []  # the smallest failure seen, should the shrunk one not replay

    @seed(unit.seed)
    @settings(max_examples=unit.examples, deadline=None, database=None, verbosity=Verbosity.quiet,
              phases=[Phase.generate, Phase.shrink] if shrink else [Phase.generate],
              suppress_health_check=list(HealthCheck), report_multiple_bugs=False)
    @given(strategy)
    def property_(example):
        findings, compared = checker.check(example.op, example.dtype, example.model, example.inputs)
        failures = [f for f in findings if f.is_failure and (not target or f.key == target[0])]
        if not target:
            result.cases += 1
            result.refused += not compared
            for f in findings:
                if not f.is_failure:
                    best = result.disagreements.get(f.key)
                    if best is None or f.size < best.size:
                        result.disagreements[f.key] = f
        if failures:
            target[:1] = [failures[0].key]
            if not smallest or failures[0].size < smallest[0].size:
                smallest[:1] = failures[:1]
            raise _Failed(failures[0])

    start = time.perf_counter()
    try:
        property_()
    except _Failed as failed:  # hypothesis re-raises the shrunk example's failure last
        result.failure = failed.finding
    except (Flaky, BaseExceptionGroup):  # a failure that did not replay (a reference crash, say)
        if not smallest:
            raise
        result.failure = smallest[0]
    result.seconds = time.perf_counter() - start
    return result


# -- a campaign ------------------------------------------------------------------------------------
@dataclass
class CampaignReport:
    against: str
    seed: int
    cases: int = 0
    refused: int = 0
    seconds: float = 0.0
    findings: dict[tuple, Finding] = field(default_factory=dict)  # distinct, smallest of each key

    @property
    def failures(self) -> list[Finding]:
        return [f for f in self.findings.values() if f.is_failure]

    @property
    def disagreements(self) -> list[Finding]:
        return [f for f in self.findings.values() if not f.is_failure]

    @property
    def cases_per_second(self) -> float:
        return self.cases / self.seconds if self.seconds else 0.0

    def add(self, result: UnitResult) -> None:
        self.cases += result.cases
        self.refused += result.refused
        found = list(result.disagreements.values()) + ([result.failure] if result.failure else [])
        for f in found:
            best = self.findings.get(f.key)
            if best is None or f.size < best.size:
                self.findings[f.key] = f

    def to_dict(self) -> dict:
        return {"against": self.against, "seed": self.seed, "cases": self.cases, "refused": self.refused,
                "seconds": round(self.seconds, 3), "cases_per_second": round(self.cases_per_second, 1),
                "failures": [f.to_dict() for f in self.failures],
                "disagreements": [f.to_dict() for f in self.disagreements]}


def targets(ops: Iterable[str] = (), dtypes: Iterable[str] = (), graphs: bool | None = None) -> list[tuple[str, str]]:
    """The (operator, dtype) pairs to fuzz: all by default, else those of ``ops`` and ``dtypes``.
    ``graphs``: also small multi-op graphs (default: when no operator is named)."""
    pairs = _strategies().op_dtypes()
    known_ops = {o for o, _ in pairs} | {GRAPH}
    # builtin operators are named in capitals; custom ones (SignalWindow) by their custom code
    by_upper = {o.upper(): o for o in known_ops}
    ops, dtypes = {by_upper.get(o.upper(), o.upper()) for o in ops}, set(dtypes)
    unknown = ops - known_ops
    if unknown:
        raise UnsupportedOpError(f"no generator for {', '.join(sorted(unknown))}; "
                                 f"the operators are {', '.join(sorted(known_ops))}")
    chosen = [(o, d) for o, d in pairs if (not ops or o in ops) and (not dtypes or d in dtypes)]
    if (graphs if graphs is not None else not ops or GRAPH in ops) and (not dtypes or "int8" in dtypes):
        chosen.append((GRAPH, "int8"))
    if not chosen:
        raise UnsupportedOpError(f"no generated models for {sorted(ops)} with dtype {sorted(dtypes)}")
    return chosen


def plan_units(pairs: Sequence[tuple[str, str]], examples: int, seed: int, unit_cases: int = UNIT_CASES) -> list[Unit]:
    """``examples`` cases for each pair, in units of at most ``unit_cases``, each its own seed."""
    units = []
    for op, dtype in pairs:
        for start in range(0, examples, unit_cases):
            digest = hashlib.sha256(f"{seed}/{op}/{dtype}/{start}".encode()).digest()
            units.append(Unit(op, dtype, int.from_bytes(digest[:4], "little"), min(unit_cases, examples - start)))
    return units


_PROCESS_CHECKER: CaseChecker | None = None


def _process_init(against: str) -> None:
    global _PROCESS_CHECKER
    _PROCESS_CHECKER = CaseChecker(against)


def _process_unit(unit: Unit) -> UnitResult:
    return run_unit(unit, _PROCESS_CHECKER)


def campaign(
    against: str,
    ops: Iterable[str] = (),
    dtypes: Iterable[str] = (),
    examples: int = 100,
    seed: int = 0,
    jobs: int = 1,
    progress: Callable[[CampaignReport, int, int], None] | None = None,
) -> CampaignReport:
    """Fuzz every (operator, dtype) of ``ops`` x ``dtypes`` with ``examples`` cases each.

    ``progress(report so far, units done, units in all)`` is called after every unit.
    """
    require(against)
    pairs = targets(ops, dtypes)
    if against == "c":  # only what C kernels exist for (int8, int16): the rest would run in NumPy twice
        with_c = c_kernel_ops()
        pairs = [(op, dtype) for op, dtype in pairs if (op in with_c or op == GRAPH) and dtype in C_DTYPES]
    units = plan_units(pairs, examples, seed)
    report = CampaignReport(against, seed)
    start = time.perf_counter()

    def done(result: UnitResult, count: int) -> None:
        report.add(result)
        report.seconds = time.perf_counter() - start
        if progress:
            progress(report, count, len(units))

    if jobs <= 1:
        checker = CaseChecker(against)
        try:
            for i, unit in enumerate(units, 1):
                done(run_unit(unit, checker), i)
        finally:
            checker.close()
    else:
        with ProcessPoolExecutor(max_workers=jobs, initializer=_process_init, initargs=(against,)) as pool:
            for i, result in enumerate(pool.map(_process_unit, units), 1):
                done(result, i)
    return report


# -- writing reproducers ---------------------------------------------------------------------------
def write_finding(finding: Finding, out: str | os.PathLike) -> Path:
    """``out/<slug>/``: model.tflite, input_<i>.npy, <implementation>_output_<i>.npy, and
    README.txt with the finding and a one-line command that reproduces it."""
    folder = Path(out) / finding.slug
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.tflite").write_bytes(finding.model)
    for i, x in enumerate(finding.inputs):
        np.save(folder / f"input_{i}.npy", x)
    for name, arrays in finding.outputs.items():
        for i, y in enumerate(arrays):
            np.save(folder / f"{name}_output_{i}.npy", np.asarray(y))
    lines = [f"{finding.kind}: {finding.op} {finding.dtype} against {finding.against}",
             finding.detail]
    if not finding.is_failure:
        lines.append(finding.follows_text)
    lines.append("reproduce: " + reproduce_command(finding, folder))
    (folder / "README.txt").write_text("\n".join(lines) + "\n")
    return folder


def reproduce_command(finding: Finding, folder: Path) -> str:
    if finding.against == "c":
        return (f"python -c \"import numpy as np; from microinfer import Interpreter; m='{folder}/model.tflite'; "
                f"x=[np.load('{folder}/input_%d.npy' % i) for i in range({len(finding.inputs)})]; "
                f"print(Interpreter(m).run(x), Interpreter(m, backend='c').run(x))\"")
    against = "both" if finding.against == "both" else finding.against
    return f"microinfer compare {folder}/model.tflite --against {against} --inputs {folder}"
