"""``microinfer build``: a .tflite model as a standalone C99 library, measured and verified.

    result = microinfer.build.build("vww_96_int8.tflite", "vww", core="cortex-m4f", verify=True)
    result.bit_exact, result.ram_bytes, result.tflm_arena_bytes

The library (``generate.py``) is the model's kernel calls with every parameter from microinfer's
prepare step, one static arena planned by ``plan`` (best by default), weights as const arrays and
only the kernels it calls. For a core, the library is compiled with arm-none-eabi-gcc, linked
into a test program and run under QEMU: flash and RAM come from the linked image, the peak stack
from painting it, instructions from the emulated core's counter. ``verify`` runs it on seeded
inputs and checks every output bit against microinfer's interpreter.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import MissingDependencyError
from ..planner import plan as plan_arena
from ..tflite import Model, load
from .generate import HOST, GeneratedFolder, generate_library
from .lower import BuildError, BuildRefusedError
from .readme import readme
from .verify import ImageSize, LayerInstructions, Verification, expected_outputs, seeded_inputs, verify_core, \
    verify_host

__all__ = ["BuildError", "BuildRefusedError", "BuildResult", "HOST", "build", "cores"]


def cores() -> list[str]:
    """``host`` and the emulated cores a library can be built and measured for."""
    from ..emulate import load_cores

    try:
        return [HOST, *sorted(load_cores())]
    except MissingDependencyError:
        return [HOST]


@dataclass
class BuildResult:
    model: str
    core: str
    planner: str
    folder: Path
    name: str
    arena_bytes: int
    state_bytes: int
    constant_bytes: int
    operators: list[tuple[int, str, list[str]]]  # (operator index, op, kernel functions) in run order
    all_operators: list[str]  # every operator of the model, by index
    folded: list[int]
    aliased: list[int]
    tflm_arena_bytes: int | None
    tflm_head_bytes: int | None
    tflm_tail_bytes: int | None
    tflm_target: str
    measurement: Verification | None = None  # the measured run (or the verification)
    verified: bool = False  # outputs were checked against the interpreter
    notes: list[str] = field(default_factory=list)

    @property
    def bit_exact(self) -> bool | None:
        return self.measurement.bit_exact if self.verified and self.measurement else None

    @property
    def verified_inputs(self) -> int:
        return self.measurement.inputs if self.verified and self.measurement else 0

    @property
    def size(self) -> ImageSize | None:
        return self.measurement.size if self.measurement else None

    @property
    def instructions(self) -> int | None:
        return self.measurement.instructions if self.measurement else None

    @property
    def ram_bytes(self) -> int | None:
        s = self.size
        return None if s is None or s.stack is None else s.ram

    @property
    def ram_ratio(self) -> float | None:
        if self.ram_bytes is None or not self.tflm_arena_bytes:
            return None
        return self.ram_bytes / self.tflm_arena_bytes

    def layer_instructions(self) -> list[LayerInstructions]:
        return self.measurement.layers if self.measurement else []

    def _layers(self, counted: dict[int, int]) -> list[dict]:
        """Every operator in run order; folded and aliased ones run no code (0 instructions)."""
        measured = self.instructions is not None
        rows = [{"index": index, "op": op, "runs": "kernel" if functions else "copy", "kernels": functions,
                 "instructions": counted.get(index)} for index, op, functions in self.operators]
        for index in self.folded:
            rows.append({"index": index, "op": self.all_operators[index], "runs": "folded (generation time)",
                         "kernels": [], "instructions": 0 if measured else None})
        for index in self.aliased:
            rows.append({"index": index, "op": self.all_operators[index], "runs": "alias (no code)",
                         "kernels": [], "instructions": 0 if measured else None})
        return rows

    def to_dict(self) -> dict:
        s = self.size
        counted = {layer.index: layer.instructions for layer in self.layer_instructions()}
        return {
            "model": self.model, "core": self.core, "planner": self.planner,
            "bit_exact": self.bit_exact, "verified_inputs": self.verified_inputs,
            "instructions": self.instructions,
            "layers": self._layers(counted),
            "flash_bytes": None if s is None else s.flash,
            "flash_model_bytes": None if s is None else s.model_flash,
            "flash_kernel_bytes": None if s is None else s.kernel_flash,
            "ram_bytes": self.ram_bytes,
            "data_bytes": None if s is None else s.data,
            "bss_bytes": None if s is None else s.bss,
            "arena_bytes": self.arena_bytes,
            "state_bytes": self.state_bytes,
            "stack_bytes": None if s is None else s.stack,
            "tflm_arena_bytes": self.tflm_arena_bytes,
            "tflm_head_bytes": self.tflm_head_bytes,
            "tflm_tail_bytes": self.tflm_tail_bytes,
            "tflm_target": self.tflm_target,
            "ram_ratio": None if self.ram_ratio is None else round(self.ram_ratio, 4),
            "folder": str(self.folder), "name": self.name,
            "folded_operators": self.folded, "aliased_operators": self.aliased,
            "warnings": [] if self.measurement is None else self.measurement.warnings,
            "mismatches": [] if self.measurement is None else self.measurement.mismatches,
            "notes": self.notes,
        }


def _tflm_arena(model: Model, core: str) -> tuple[int | None, int | None, int | None, str]:
    """TFLite Micro's arena for the same target: arm32 with CMSIS-NN for a Cortex-M core, the
    reference kernels with 32-bit pointers for a RISC-V core (RV32's ILP32 lays TFLite Micro's
    structs out as arm32 does), the x86_64 reference kernels for the host (head + tail)."""
    from ..planner.cmsis_nn import CORES as CMSIS_CORES

    if core in CMSIS_CORES:
        arena = plan_arena(model, "tflm", abi="arm32", kernels="cmsis-nn", core=core)
        target = f"TFLite Micro, arm32, CMSIS-NN for {core}"
    elif core != HOST:
        arena = plan_arena(model, "tflm", abi="arm32")
        target = f"TFLite Micro, 32-bit, reference kernels for {core}"
    else:
        arena = plan_arena(model, "tflm")
        target = "TFLite Micro, x86_64, reference kernels"
    return arena.total_bytes, arena.head_bytes, arena.tail_bytes, target


def build(model: Model | bytes | str | os.PathLike, folder: str | os.PathLike, core: str = HOST,
          planner: str = "best", name: str | None = None, verify: bool = False, inputs: int = 20, seed: int = 0,
          measure: bool = True, sanitize: bool = False, layers: bool = True,
          progress=None) -> BuildResult:
    """Write the library for ``model`` into ``folder`` and measure it on ``core``.

    ``measure``: compile and run it once (host: section sizes only; a core: under QEMU, flash, RAM,
    peak stack and instructions, per layer with ``layers``). ``verify``: run ``inputs`` seeded
    input sets and compare every output with microinfer's interpreter. ``sanitize`` (host): build
    with AddressSanitizer and UndefinedBehaviorSanitizer."""
    if core not in cores():
        from ..errors import UnsupportedTargetError

        raise UnsupportedTargetError(f"unknown core {core!r}; choose one of {', '.join(cores())}")
    path = None if isinstance(model, (Model, bytes)) else Path(model)
    loaded = model if isinstance(model, Model) else load(model)
    model_name = path.name if path is not None else "model"
    say = progress or (lambda text: None)
    say("generating the library")
    from .generate import default_name

    generated = generate_library(loaded, folder, name=name or default_name(path), planner=planner,
                                 model_name=model_name)
    tflm = _tflm_arena(loaded, core)
    result = BuildResult(model_name, core, generated.planner, generated.folder, generated.name,
                         generated.library.arena_bytes, generated.library.state_bytes,
                         generated.library.constant_bytes, generated.library.layers,
                         [op.op for op in loaded.main.operators], generated.lowered.folded,
                         generated.lowered.aliased, *tflm)
    if verify or measure:
        count = max(int(inputs), 1) if verify else 1
        input_sets = seeded_inputs(loaded, count, seed)
        expected = expected_outputs(loaded, input_sets) if verify else None
        say(f"compiling and running on {core}" + (f" ({count} input sets)" if verify else ""))
        try:
            result.measurement = _measure(generated, core, input_sets, expected, sanitize, layers)
            result.verified = verify
        except MissingDependencyError as error:
            if verify:
                raise
            result.notes.append(f"not measured: {error}")
    _write_readme(generated, result)
    return result


def _measure(generated: GeneratedFolder, core: str, input_sets, expected, sanitize: bool, layers: bool):
    if core == HOST:
        measured = verify_host(generated, input_sets, expected or _no_check(generated, input_sets), sanitize=sanitize)
    else:
        measured = verify_core(generated, core, input_sets, expected or _no_check(generated, input_sets),
                               layers=layers)
    if expected is None:
        measured.mismatches = []
    return measured


def _no_check(generated: GeneratedFolder, input_sets) -> list[list[np.ndarray]]:
    """Placeholders of the right sizes when outputs are not checked."""
    return [[np.zeros(o.shape, _dtype(o.ctype)) for o in generated.library.outputs] for _ in input_sets]


def _dtype(ctype: str):
    return {"int8_t": np.int8, "uint8_t": np.uint8, "int16_t": np.int16, "uint16_t": np.uint16, "int32_t": np.int32,
            "uint32_t": np.uint32, "float": np.float32, "int64_t": np.int64, "uint64_t": np.uint64,
            "double": np.float64}[ctype]


def _write_readme(generated: GeneratedFolder, result: BuildResult) -> None:
    try:
        (generated.folder / "README.md").write_text(readme(generated, result))
    except OSError as error:
        raise BuildError(f"cannot write {generated.folder / 'README.md'}: {error.strerror or error}") from None
