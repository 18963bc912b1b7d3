"""``microinfer fit --kernels microinfer``: a board's budget for the library ``microinfer build``
generates, estimated, or measured (``--measure``: built and run on the emulated core).

Estimated: the arena is the library's own plan (exact: no interpreter tail, the C kernels' scratch
sizes), instructions per layer come from the cost model's calibrated loops of microinfer's C
kernels on the core's ISA path (or from ``microinfer emulate``'s counts, when given), flash from
the library's constants plus a code estimate. A model ``microinfer build`` cannot generate is
refused (BuildRefusedError) with the operators it lacks.
Measured: flash, RAM (.data + .bss + the painted peak stack) and instructions per layer from the
built image on the emulated core with the same ISA path (Cortex-M7/M33 run the M4F's DSP path,
Cortex-M85 the M55's Helium path). Cycles are always estimates: each layer's instructions times the
cycles per instruction the cost model gives the same layer's CMSIS-NN loops on this core (QEMU has
no timing model).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from ..cost.estimate import BudgetLine, FitResult, MemoryBudget, _battery_life, _main_ram
from ..cost.layers import layer_cost
from ..cost.loops import CODE_BYTES
from ..errors import UnsupportedTargetError
from ..targets import Board
from ..tflite import Model

MICROINFER = "microinfer"
EMULATED_FOR_PATH = {"scalar": "cortex-m0plus", "dsp": "cortex-m4f", "mve": "cortex-m55", "rv32": "rv32imc"}
CALL_CODE_BYTES = 48  # the generated code of one kernel call (arguments, status check), est.


def isa_path(board: Board) -> str:
    """The code path microinfer's kernels take on the board's core (its core file says)."""
    return board.core.kernel_path(MICROINFER)


def microinfer_fit(model: Model, board: Board, planner: str, weights_in: str, arena_in: str, measure: bool,
                   name: str, rate_per_s=None, battery=None, targets_dirs=None,
                   emulated: dict[int, tuple[float, str]] | None = None) -> FitResult:
    """``emulated``: per operator, the instructions ``microinfer emulate`` counted (they replace
    the loop model's estimate of those layers)."""
    from . import build
    from .emit import generate
    from .lower import layout, lower

    path = isa_path(board)
    sg = model.main
    notes: list[str] = []
    measured: list[str] = []
    if measure:
        core = EMULATED_FOR_PATH[path]
        if board.core.architecture.lower().startswith("xtensa") or board.core.name.startswith("esp32"):
            raise UnsupportedTargetError(f"--measure runs on emulated Cortex-M cores; {board.core.name} has none")
        with tempfile.TemporaryDirectory(prefix="microinfer-fit-") as folder:
            result = build(model, Path(folder) / "library", core=core, planner=planner)
        size = result.size
        if size is None or size.stack is None:
            raise UnsupportedTargetError("--measure: the library could not be run on the emulated core: "
                                         + "; ".join(result.notes))
        arena = result.arena_bytes
        counted = {layer.index: layer.instructions for layer in result.layer_instructions()}
        instructions = {index: counted.get(index) for index, _, _ in result.operators}
        instructions.update({index: 0 for index in (*result.folded, *result.aliased)})
        ram_lines = [BudgetLine("microinfer library: .data + .bss (arena, state)", arena_in, size.data + size.bss),
                     BudgetLine("stack of an invoke (painted)", _main_ram(board, arena_in), size.stack),
                     BudgetLine("application stack (board file)", _main_ram(board, arena_in), board.stack_bytes),
                     BudgetLine("runtime (RTOS, drivers, heap)", _main_ram(board, arena_in), board.runtime_ram_bytes)]
        flash_lines = [BudgetLine("model: weights, parameters, calls (generated C)", board.flash_region.name,
                                  size.model_flash),
                       BudgetLine("kernel code (microinfer)", board.flash_region.name, size.kernel_flash)]
        where = core if core == board.core.name else f"{core}, the same {path} code path as {board.core.name}"
        measured = ["arena", "ram", "flash", "instructions"]
        notes.append(f"measured on the emulated {where}: RAM, flash and instructions per layer; cycles, "
                     "latency and energy are estimates")
    else:
        lowered = lower(model)
        plan = layout(lowered, planner)
        library = generate(lowered, plan, "model", name)
        arena = plan.bytes
        instructions = {index: 0 for index in (*lowered.folded, *lowered.aliased)}
        kinds_code = CODE_BYTES["cmsis-nn"]
        from ..cost.estimate import used_kernel_kinds

        kernel_code = sum(kinds_code.get(kind, kinds_code["simple"]) for kind in used_kernel_kinds(model))
        calls = sum(len(layer.calls) for layer in lowered.layers)
        ram_lines = [BudgetLine(f"microinfer library arena (planner {plan.plan.planner})", arena_in, arena),
                     BudgetLine("stack", _main_ram(board, arena_in), board.stack_bytes),
                     BudgetLine("runtime (RTOS, drivers, heap)", _main_ram(board, arena_in), board.runtime_ram_bytes)]
        flash_lines = [BudgetLine("model: weights and parameters (generated C)", board.flash_region.name,
                                  library.constant_bytes + CALL_CODE_BYTES * calls),
                       BudgetLine("kernel code (microinfer, est.)", board.flash_region.name, kernel_code)]
        notes.append("arena: the generated library's own plan (no interpreter tail); `--measure` builds it and "
                     "measures RAM, flash and instructions on the emulated core")
    flash_lines.append(BudgetLine("firmware (RTOS, HAL, startup)", board.flash_region.name,
                                  board.flash_region.runtime_bytes))
    if board.memory[weights_in].kind != "flash":
        ram_lines.append(BudgetLine("weights copied to RAM", weights_in, sum(
            line.bytes for line in flash_lines[:1])))
    ram = MemoryBudget(tuple(ram_lines), {n: r.size_bytes for n, r in board.memory.items() if r.kind != "flash"})
    flash = MemoryBudget(tuple(flash_lines), {board.flash_region.name: board.flash_region.size_bytes})
    layers = []
    for op in sg.operators:
        count = instructions.get(op.index)
        if count is None and op.index in (emulated or {}):
            count, source = emulated[op.index][0], "emulated"
        else:
            source = "measured"
        layers.append(layer_cost(sg, op, board, MICROINFER, weights_in, arena_in, count, source))
    result = FitResult(name, board, MICROINFER, path, planner, weights_in, arena_in, arena, True, ram, flash,
                       tuple(layers), notes=tuple(notes), measured=tuple(measured))
    life = _battery_life(result, rate_per_s, battery, targets_dirs)
    return FitResult(**{**result.__dict__, "battery_life": life})
