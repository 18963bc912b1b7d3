"""Does a model fit a board, how fast and how frugally does it run: one estimate, one result object."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from ..errors import UnsupportedTargetError
from ..planner import plan
from ..planner.cmsis_nn import CORES as CMSIS_NN_CORES
from ..targets import Battery, Board, core_board, load_battery, load_board, board_names
from ..tflite import load
from ..tflite.model import Model
from .layers import NPU_OPERATORS, LayerCost, model_layer_costs
from .loops import CODE_BYTES, RUNTIME_CODE_BYTES
from .value import Cost, total

KERNEL_LIBRARIES = ("tflm-reference", "cmsis-nn", "esp-nn", "microinfer")  # microinfer: `microinfer build`'s library


@dataclass(frozen=True)
class BudgetLine:
    what: str
    region: str
    bytes: int


@dataclass(frozen=True)
class MemoryBudget:
    """Bytes needed per memory region, line by line, against each region's size."""

    lines: tuple[BudgetLine, ...]
    capacity: dict[str, int]  # region -> bytes

    @property
    def used(self) -> dict[str, int]:
        used = {r: 0 for r in self.capacity}
        for line in self.lines:
            used[line.region] = used.get(line.region, 0) + line.bytes
        return used

    @property
    def total(self) -> int:
        return sum(line.bytes for line in self.lines)

    @property
    def margin(self) -> int:
        """Smallest free space over the regions used (negative: short by that much)."""
        return min(self.capacity[r] - n for r, n in self.used.items() if n)

    @property
    def fits(self) -> bool:
        return self.margin >= 0

    def to_dict(self) -> dict:
        return {"bytes": self.total, "margin_bytes": self.margin, "fits": self.fits,
                "regions": {r: {"used": n, "size": self.capacity[r]} for r, n in self.used.items() if n},
                "breakdown": [{"what": x.what, "region": x.region, "bytes": x.bytes} for x in self.lines]}


@dataclass(frozen=True)
class BatteryLife:
    battery: Battery
    rate_per_s: float
    average_ma: float
    hours: float | None  # None: the board cannot run that many inferences per second


@dataclass(frozen=True)
class FitResult:
    model: str
    board: Board
    kernels: str
    kernel_path: str
    planner: str
    weights_in: str
    arena_in: str
    arena_bytes: int
    arena_exact: bool
    ram: MemoryBudget
    flash: MemoryBudget
    layers: tuple[LayerCost, ...]
    suggestions: tuple[str, ...] = ()
    battery_life: BatteryLife | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    measured: tuple[str, ...] = ()  # figures measured rather than estimated ("ram", "flash", "instructions", ...)

    @property
    def cost(self) -> Cost:
        return total(layer.cost for layer in self.layers)

    @property
    def fits(self) -> bool:
        return self.ram.fits and self.flash.fits

    @property
    def cycles(self) -> int:
        return round(self.cost.cycles)

    @property
    def latency_ms(self) -> float:
        return self.cost.cycles / (self.board.clock_mhz * 1e3)

    @property
    def energy_uj(self) -> float | None:
        """Active power at the clock times latency (V x mA x ms = uJ)."""
        if self.board.active_ma is None:
            return None
        return self.board.supply_v * self.board.active_ma * self.latency_ms

    def _repr_html_(self) -> str:
        """The verdict, margins and per-layer latency chart, for notebooks."""
        from ..report import fit_html

        return fit_html(self)

    def to_dict(self) -> dict:
        c = self.cost
        life = self.battery_life
        return {
            "model": self.model, "board": self.board.name, "core": self.board.core.name,
            "clock_mhz": self.board.clock_mhz, "kernels": self.kernels, "kernel_path": self.kernel_path,
            "planner": self.planner, "estimate": not self.measured, "measured": list(self.measured),
            "fits": self.fits, "latency_ms": round(self.latency_ms, 4), "cycles": self.cycles,
            "instructions": round(c.instructions), "stall_cycles": round(c.stall_cycles), "macs": c.macs,
            "ram_bytes": self.ram.total, "flash_bytes": self.flash.total,
            "ram_margin_bytes": self.ram.margin, "flash_margin_bytes": self.flash.margin,
            "arena_bytes": self.arena_bytes, "arena_exact": self.arena_exact,
            "weights_in": self.weights_in, "arena_in": self.arena_in,
            "ram": self.ram.to_dict(), "flash": self.flash.to_dict(),
            "energy_uj": None if self.energy_uj is None else round(self.energy_uj, 3),
            "battery": None if life is None else {
                "name": life.battery.name, "rate_per_s": life.rate_per_s,
                "average_ma": round(life.average_ma, 6),
                "hours": None if life.hours is None else round(life.hours, 1)},
            "suggestions": list(self.suggestions), "notes": list(self.notes),
            "layers": [layer.to_dict(c.cycles) for layer in self.layers],
        }


def estimate(
    model: Model | str | os.PathLike | bytes,
    board: str | Board | None = None,
    *,
    core: str | None = None,
    clock_mhz: float | None = None,
    kernels: str | None = None,
    planner: str = "tflm",
    weights_in: str | None = None,
    arena_in: str | None = None,
    rate_per_s: float | None = None,
    battery: str | Battery | None = None,
    targets_dirs=None,
    model_name: str | None = None,
    emulated: dict | None = None,
    measure: bool = False,
) -> FitResult:
    """Estimate RAM, flash, latency, energy and battery life of ``model`` on a board.

    Give ``board`` (a name from ``targets/boards``) or ``core`` (a name from ``targets/cores``, with
    an optional ``clock_mhz``; memory then has no size limit and no wait states). ``kernels``
    defaults to the fastest library for the core (CMSIS-NN on Cortex-M, ESP-NN on ESP32).
    ``weights_in`` / ``arena_in`` name the board's memory regions that hold the weights and the
    arena (defaults from the board file). Every figure except the arena is an estimate.
    ``emulated``: what ``microinfer emulate --json`` printed for this model on a core of the same ISA
    path (with ``kernels="microinfer"``): its layers' instruction counts replace the loop model's.
    """
    the_board = _board(board, core, clock_mhz, targets_dirs)
    library = kernels or _default_library(the_board)
    if library not in KERNEL_LIBRARIES:
        raise UnsupportedTargetError(f"unknown kernel library {library!r}; choose one of {', '.join(KERNEL_LIBRARIES)}")
    if measure and library != "microinfer":
        raise UnsupportedTargetError("measuring builds microinfer's own library: use kernels='microinfer' "
                                     "(--kernels microinfer)")
    if library == "microinfer":
        from ..build.fit import microinfer_fit

        name = model_name or (str(model) if isinstance(model, (str, os.PathLike)) else "model")
        loaded = model if isinstance(model, Model) else load(model)
        weights_in = weights_in or the_board.weights_in
        arena_in = arena_in or the_board.arena_in
        the_board.region(weights_in), the_board.region(arena_in)
        counted = _emulated_counts(emulated, the_board, library) if emulated else None
        return microinfer_fit(loaded, the_board, planner, weights_in, arena_in, measure, name, rate_per_s, battery,
                              targets_dirs, counted)
    path = the_board.core.kernel_path(library)
    weights_in = weights_in or the_board.weights_in
    arena_in = arena_in or the_board.arena_in
    the_board.region(weights_in)  # unknown names are refused here
    if the_board.region(arena_in).kind == "flash":
        ram = ", ".join(name for name, r in the_board.memory.items() if r.kind != "flash")
        raise UnsupportedTargetError(f"the tensor arena must be in RAM, and region {arena_in!r} of board "
                                     f"{the_board.name} is flash; its RAM regions: {ram}")
    name = model_name or (str(model) if isinstance(model, (str, os.PathLike)) else "model")
    model = model if isinstance(model, Model) else load(model)

    arena, exact, notes = _arena(model, the_board, library, planner)
    notes += _unknown_op_notes(model)
    ram = _ram_budget(model, the_board, arena, weights_in, arena_in)
    flash = _flash_budget(model, the_board, library)
    counted = _emulated_counts(emulated, the_board, library) if emulated else None
    layers = tuple(model_layer_costs(model, the_board, library, weights_in, arena_in, counted))
    result = FitResult(name, the_board, library, path, planner, weights_in, arena_in, arena, exact, ram, flash,
                       layers, notes=notes)
    suggestions = _suggestions(result, model, targets_dirs) if not result.fits else ()
    life = _battery_life(result, rate_per_s, battery, targets_dirs)
    return FitResult(**{**result.__dict__, "suggestions": suggestions, "battery_life": life})


def _emulated_counts(emulated: dict, board: Board, library: str) -> dict[int, tuple[float, str]]:
    """Operator index -> (instructions, "emulated") from ``microinfer emulate --json`` output."""
    if library != "microinfer":
        raise UnsupportedTargetError("emulated counts are microinfer's C kernels': use them with kernels='microinfer'")
    path = board.core.kernel_path("microinfer")
    if emulated.get("isa_path") != path:
        raise UnsupportedTargetError(
            f"the emulated counts are of the {emulated.get('isa_path')!r} path ({emulated.get('core')}); "
            f"{board.core.name} runs the {path!r} path")
    return {layer["index"]: (float(layer["instructions"]), "emulated") for layer in emulated.get("layers", ())
            if layer.get("covered") and layer.get("bit_exact") and layer.get("instructions")}


def estimate_all_boards(model, *, kernels: str | None = None, targets_dirs=None, progress=None,
                        **options) -> list[FitResult]:
    """Every board, best first: boards the model fits, by latency, then the others.
    ``progress(done, total)`` is called after each board."""
    model = model if isinstance(model, Model) else load(model)
    results = []
    names = board_names(targets_dirs)
    for count, name in enumerate(names, 1):
        board = load_board(name, targets_dirs)
        library = kernels if kernels in board.core.kernel_libraries or kernels == "microinfer" else None
        results.append(estimate(model, board, kernels=library, targets_dirs=targets_dirs, **options))
        if progress:
            progress(count, len(names))
    return sorted(results, key=lambda r: (not r.fits, r.latency_ms))


def _board(board, core, clock_mhz, targets_dirs) -> Board:
    if isinstance(board, Board):
        return board
    if (board is None) == (core is None):
        raise UnsupportedTargetError("give a board or a core (with an optional clock), not both or neither")
    if clock_mhz is not None and not 0 < clock_mhz < float("inf"):
        raise UnsupportedTargetError(f"clock must be a positive, finite number of MHz, got {clock_mhz!r}")
    if board is not None:
        the_board = load_board(board, targets_dirs)
        if clock_mhz:
            the_board = Board(**{**the_board.__dict__, "clock_mhz": float(clock_mhz)})
        return the_board
    return core_board(core, clock_mhz, targets_dirs)


def _default_library(board: Board) -> str:
    for library in ("cmsis-nn", "esp-nn"):
        if library in board.core.kernel_libraries:
            return library
    return "tflm-reference"


# Boards share cores and ABIs: `fit --all-boards` plans each (planner, ABI, kernels, core) once.
# Keyed by the model's identity; the entry holds the model, so the identity is not reused while
# it is cached. Models are immutable.
_PLANS: OrderedDict = OrderedDict()
_PLANS_KEPT = 32
_PLANS_LOCK = threading.Lock()


def _plan_once(model: Model, planner: str, abi: str, kernels: str | None, core: str | None):
    key = (id(model), planner, abi, kernels, core)
    with _PLANS_LOCK:
        if key in _PLANS:
            _PLANS.move_to_end(key)
            return _PLANS[key][1]
    options = {"kernels": kernels, "core": core} if kernels else {}
    arena_plan = plan(model, planner, abi=abi, **options)
    with _PLANS_LOCK:
        _PLANS[key] = (model, arena_plan)
        while len(_PLANS) > _PLANS_KEPT:
            _PLANS.popitem(last=False)
    return arena_plan


def _arena(model: Model, board: Board, library: str, planner: str) -> tuple[int, bool, tuple[str, ...]]:
    """TFLite Micro's arena for the core's ABI and kernels (the smallest working arena)."""
    notes = []
    if library == "cmsis-nn" and board.core.name in CMSIS_NN_CORES:
        arena_plan = _plan_once(model, planner, board.core.abi, "cmsis-nn", board.core.name)
    else:
        arena_plan = _plan_once(model, planner, board.core.abi, None, None)
        if library == "esp-nn":
            notes.append("arena: TFLite Micro reference kernels' arena; ESP-NN's scratch buffers are not counted")
        if library == "microinfer":
            notes.append("arena: TFLite Micro reference kernels' arena; the C kernels' scratch buffers are not counted")
    notes.extend(f"arena: {note}" for note in arena_plan.notes)
    arena = arena_plan.min_working_arena_bytes or arena_plan.total_bytes
    return arena, arena_plan.exact, tuple(notes)


def _unknown_op_notes(model: Model) -> tuple[str, ...]:
    """Operators microinfer has no kernel for are priced as a generic element-wise loop, and NPU
    operators not at all: say so."""
    from ..kernels import REGISTRY

    names = {op.op for op in model.main.operators if op.op not in REGISTRY}
    notes = []
    npu = sorted(names & NPU_OPERATORS)
    if npu:
        notes.append(f"{', '.join(npu)}: runs on the NPU, whose time and energy are not estimated; "
                     "latency and energy cover the CPU operators only")
    unknown = sorted(names - NPU_OPERATORS)
    if unknown:
        notes.append(f"{', '.join(unknown)}: microinfer has no kernel (and no loop model) for it; its "
                     "cycles are a generic element-wise loop's, a rough est.")
    return tuple(notes)


def _main_ram(board: Board, arena_in: str) -> str:
    if board.memory[arena_in].kind == "ram":
        return arena_in
    return next(name for name, r in board.memory.items() if r.kind == "ram")


def _ram_budget(model: Model, board: Board, arena: int, weights_in: str, arena_in: str) -> MemoryBudget:
    main = _main_ram(board, arena_in)
    lines = [BudgetLine("tensor arena (TFLite Micro)", arena_in, arena),
             BudgetLine("stack", main, board.stack_bytes),
             BudgetLine("runtime (RTOS, drivers, heap)", main, board.runtime_ram_bytes)]
    if board.memory[weights_in].kind != "flash":
        lines.append(BudgetLine("model copied to RAM", weights_in, model.size_bytes))
    ram_regions = {n: r.size_bytes for n, r in board.memory.items() if r.kind != "flash"}
    return MemoryBudget(tuple(lines), ram_regions)


def used_kernel_kinds(model: Model) -> list[str]:
    from .layers import geometry

    sg = model.main
    return sorted({geometry(sg, op).kind for op in sg.operators})


def _flash_budget(model: Model, board: Board, library: str) -> MemoryBudget:
    flash = board.flash_region
    code = CODE_BYTES[library]
    kernels_code = sum(code.get(kind, code["simple"]) for kind in used_kernel_kinds(model))
    lines = (BudgetLine("model (.tflite)", flash.name, model.size_bytes),
             BudgetLine(f"kernel code ({library})", flash.name, kernels_code),
             BudgetLine("TFLite Micro runtime code", flash.name, RUNTIME_CODE_BYTES),
             BudgetLine("firmware (RTOS, HAL, startup)", flash.name, flash.runtime_bytes))
    return MemoryBudget(lines, {flash.name: flash.size_bytes})


def _suggestions(result: FitResult, model: Model, targets_dirs) -> tuple[str, ...]:
    tips = []
    if not result.ram.fits:
        if result.planner == "tflm":
            best, _, _ = _arena(model, result.board, result.kernels, "best")
            saved = result.arena_bytes - best
            if saved > 0:
                verdict = "enough" if saved >= -result.ram.margin else "not enough"
                tips.append(f"--planner best: arena {best:,} B ({saved:,} B less; {verdict} on its own)")
        external = [n for n, r in result.board.memory.items() if r.kind == "external-ram" and n != result.arena_in]
        for name in external:
            tips.append(f"arena in external RAM '{name}' (slower: est. +15-25% latency)")
    others = []
    for name in board_names(targets_dirs):
        if name == result.board.name:
            continue
        board = load_board(name, targets_dirs)
        need_flash = result.flash.total - result.board.flash_region.runtime_bytes + board.flash_region.runtime_bytes
        if board.flash_region.size_bytes < need_flash:
            continue
        ram = max((r.size_bytes for r in board.memory.values() if r.kind == "ram"), default=0)
        if ram >= result.arena_bytes + board.stack_bytes + board.runtime_ram_bytes:
            others.append(name)
            continue
        external = [n for n, r in board.memory.items() if r.kind == "external-ram" and r.size_bytes >= result.arena_bytes]
        if external:
            others.append(f"{name} (arena in {external[0]})")
    if others:
        tips.append("boards with room for it: " + ", ".join(others))
    return tuple(tips)


def _battery_life(result: FitResult, rate_per_s, battery, targets_dirs) -> BatteryLife | None:
    if battery is None and rate_per_s is None:
        return None
    board = result.board
    if board.active_ma is None or board.sleep_ua is None:
        raise UnsupportedTargetError(f"board {board.name} has no [power] figures; battery life needs active_ma and sleep_ua")
    the_battery = battery if isinstance(battery, Battery) else load_battery(
        "CR2032" if battery is None else battery, targets_dirs)
    rate = 1.0 if rate_per_s is None else float(rate_per_s)
    if rate <= 0:
        raise UnsupportedTargetError(f"rate must be positive (inferences per second), got {rate!r}")
    duty = rate * result.latency_ms / 1000
    if duty > 1:
        return BatteryLife(the_battery, rate, board.active_ma, None)
    average = board.active_ma * duty + board.sleep_ua / 1000 * (1 - duty)
    return BatteryLife(the_battery, rate, average, the_battery.capacity_mah / average)
