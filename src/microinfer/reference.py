"""The reference interpreters, run in a separate worker process.

TFLite Micro's and LiteRT's Python wheels can abort or corrupt their heap on some models, so
microinfer never loads them into its own process: a :class:`ReferenceWorker` starts
``python -m microinfer._reference_worker`` and exchanges pickled requests over pipes. A crash of
the worker becomes :class:`ReferenceCrash` and the next request starts a fresh worker.

Neither package is a dependency of microinfer; :func:`available` says which are installed.
"""

from __future__ import annotations

import importlib.util
import os
import pickle
import struct
import subprocess
import sys
from dataclasses import dataclass

import numpy as np

from .errors import MicroinferError

TFLM = "tflm"
LITERT = "tflite"
PACKAGES = {TFLM: "tflite-micro", LITERT: "ai-edge-litert"}
TITLES = {TFLM: "TFLite Micro", LITERT: "LiteRT"}  # as messages and reports name them
_MODULES = {TFLM: "tflite_micro", LITERT: "ai_edge_litert"}
# Every arena the worker allocates comes fresh from the kernel, zeroed, instead of reusing the
# heap an earlier model left its activations in: bytes that TFLite Micro reads before writing
# (a CIRCULAR_BUFFER's older slots) then start at zero, as microinfer starts them, instead of
# depending on which models the worker ran before. Setting the threshold also stops glibc from
# raising it after each freed arena.
FRESH_ARENAS = {"MALLOC_MMAP_THRESHOLD_": "65536"}


class ReferenceUnavailable(MicroinferError):
    """The reference interpreter's package is not installed."""


class ReferenceCrash(MicroinferError):
    """The reference interpreter killed its worker process (segfault, abort)."""


class ReferenceFailure(MicroinferError):
    """The reference interpreter refused the model or failed to run it."""


def available(reference: str) -> bool:
    return importlib.util.find_spec(_MODULES[reference]) is not None


def require(reference: str) -> None:
    if not available(reference):
        raise ReferenceUnavailable(
            f"the {reference!r} reference needs the {PACKAGES[reference]!r} package: "
            f"pip install 'microinfer[test]'"
        )


@dataclass
class ReferenceResult:
    outputs: list[np.ndarray]
    tensors: dict[int, np.ndarray] | None = None  # by tensor index, when asked for
    arena: dict[str, int] | None = None  # TFLM: total/head/tail bytes from print_allocations()
    # TFLM: print_allocations()' per-category lines, {category: (used, requested, count)}
    arena_categories: dict[str, tuple[int, int, int]] | None = None


class ReferenceWorker:
    """One long-lived worker process serving reference runs."""

    def __init__(self, timeout: float = 120.0):
        self.timeout = timeout
        self._proc: subprocess.Popen | None = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
            self._proc = None

    def run(
        self,
        reference: str,
        model: bytes,
        inputs: list[np.ndarray],
        *,
        arena_size: int = 4 << 20,
        all_tensors: bool = False,
    ) -> ReferenceResult:
        """Run ``model`` once on ``inputs`` with the reference; outputs in model order."""
        require(reference)
        request = {
            "reference": reference,
            "model": bytes(model),
            "inputs": [np.asarray(x) for x in inputs],
            "arena_size": arena_size,
            "all_tensors": all_tensors,
        }
        reply = self._call(request)
        if "error" in reply:
            raise ReferenceFailure(f"{reference}: {reply['error']}")
        return ReferenceResult(reply["outputs"], reply.get("tensors"), reply.get("arena"),
                               reply.get("arena_categories"))

    def run_steps(self, reference: str, model: bytes, steps: list, *,
                  arena_size: int = 4 << 20) -> list[list[np.ndarray]]:
        """Several invokes of ``model`` on one reference interpreter, so that state (variable
        tensors, resource variables, CALL_ONCE) carries over: each step is ``("invoke",
        inputs)`` or ``("reset",)`` (TFLite Micro's ``reset()``, LiteRT's
        ``reset_all_variables()``). Returns the outputs of each invoke."""
        require(reference)
        steps = [("reset",) if s[0] == "reset" else ("invoke", [np.asarray(x) for x in s[1]])
                 for s in steps]
        request = {"reference": reference, "model": bytes(model), "steps": steps,
                   "arena_size": arena_size}
        reply = self._call(request)
        if "error" in reply:
            raise ReferenceFailure(f"{reference}: {reply['error']}")
        return reply["outputs"]

    def run_many(
        self,
        reference: str,
        model: bytes,
        input_sets: list[list[np.ndarray]],
        *,
        arena_size: int = 4 << 20,
        all_tensors: bool = False,
        isolated: bool = False,
        reset: bool = True,
    ) -> list[ReferenceResult]:
        """Run ``model`` on each input set with one interpreter, its variables reset between
        runs (as a fresh interpreter would start, but for what a reset does not undo: a CALL_ONCE
        that has run, and LiteRT's resource variables); no arena figures. Much faster than ``run``
        per set on large models. ``reset=False`` keeps the state (variable tensors, stateful
        kernels' buffers) from one run to the next: a stream of invokes, as on the device.
        ``isolated``: run in a forked child of the worker, so that a reference crashing on the
        model raises :class:`ReferenceCrash` without losing the worker."""
        require(reference)
        request = {
            "reference": reference,
            "model": bytes(model),
            "input_sets": [[np.asarray(x) for x in inputs] for inputs in input_sets],
            "arena_size": arena_size,
            "all_tensors": all_tensors,
            "isolated": isolated,
            "reset": reset,
        }
        reply = self._call(request)
        if "crash" in reply:
            raise ReferenceCrash(f"the {reference} reference crashed on the model (signal or exit "
                                 f"code {reply['crash']})")
        if "error" in reply:
            raise ReferenceFailure(f"{reference}: {reply['error']}")
        return [ReferenceResult(r["outputs"], r.get("tensors")) for r in reply["runs"]]

    def min_arena(self, model: bytes, low: int = 16, high: int = 8 << 20, *,
                  isolated: bool = False) -> int:
        """Smallest arena (16-byte steps) with which TFLite Micro allocates and invokes ``model``.

        ``isolated``: probe each size in a forked child of the worker, so that a model that
        crashes TFLM when its arena is too small counts as not fitting instead of killing the
        worker.
        """
        require(TFLM)
        request = {"reference": TFLM, "model": bytes(model), "min_arena": (low, high)}
        if isolated:
            request["isolated"] = True
        reply = self._call(request)
        if "error" in reply:
            raise ReferenceFailure(f"{TFLM}: {reply['error']}")
        return reply["min_arena"]

    def _call(self, request: dict) -> dict:
        proc = self._start()
        payload = pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            proc.stdin.write(struct.pack("<Q", len(payload)) + payload)
            proc.stdin.flush()
            header = proc.stdout.read(8)
            if len(header) < 8:
                raise EOFError
            (length,) = struct.unpack("<Q", header)
            return pickle.loads(proc.stdout.read(length))
        except (BrokenPipeError, EOFError, pickle.UnpicklingError):
            code = proc.wait()
            self._proc = None
            raise ReferenceCrash(
                f"the {request['reference']} reference crashed its worker process (exit code {code})"
            ) from None

    def _start(self) -> subprocess.Popen:
        if self._proc is None or self._proc.poll() is not None:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "microinfer._reference_worker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env={**os.environ, **FRESH_ARENAS},
            )
        return self._proc
