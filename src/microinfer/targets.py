"""Microcontrollers as data: cores, boards and batteries read from TOML files.

The built-in files live in the repository's ``targets/`` directory (installed as
``microinfer/_targets``). Users add their own by pointing ``MICROINFER_TARGETS`` (a path list) or
``targets_dirs=`` at directories laid out the same way: ``cores/NAME.toml``, ``boards/NAME.toml``,
``batteries.toml``. A user's file of the same name replaces the built-in one.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

from .errors import MicroinferError, UnsupportedTargetError

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ENV_VAR = "MICROINFER_TARGETS"
UNLIMITED_BYTES = 1 << 40  # the size of a bare core's memories (core_board): no limit in practice


class TargetFileError(MicroinferError, ValueError):
    """A target TOML file is malformed or misses a key; the message names the file and the key."""


@dataclass(frozen=True)
class Core:
    name: str
    architecture: str
    abi: str
    default_clock_mhz: float
    kernel_libraries: tuple[str, ...]
    cycles: dict[str, float]  # cycles per instruction of each class, in a kernel's steady state
    kernel_paths: dict[str, str]  # kernel library -> its code path on this core (dsp, mve, pie...)
    pipeline: dict = field(default_factory=dict)
    source: Path | None = None

    def kernel_path(self, kernels: str) -> str:
        """The code path ``kernels`` takes on this core (for TFLM's reference kernels: the emulated
        core whose count of their loops it takes)."""
        if kernels not in self.kernel_libraries:
            raise UnsupportedTargetError(
                f"kernel library {kernels!r} does not run on {self.name}; "
                f"choose one of {', '.join(self.kernel_libraries)}")
        return self.kernel_paths[kernels]


@dataclass(frozen=True)
class MemoryRegion:
    name: str
    kind: str  # "flash", "ram", "external-ram"
    size_bytes: int
    line_bytes: int = 4
    miss_cycles: float = 0.0  # core cycles a read waits for one line that is not cached
    cache_bytes: int = 0  # cache in front of this region usable for data
    runtime_bytes: int = 0  # what the firmware itself occupies here (flash: RTOS, HAL, runtime)

    def stall_cycles(self, bytes_read: float, bytes_touched: float) -> float:
        """Cycles spent waiting for this memory while a layer reads ``bytes_read`` bytes of a
        ``bytes_touched``-byte working set: a set that fits the cache misses once per line, a
        larger one misses on every pass."""
        if self.miss_cycles == 0:
            return 0.0
        missed = bytes_touched if bytes_touched <= self.cache_bytes else bytes_read
        return missed / self.line_bytes * self.miss_cycles


@dataclass(frozen=True)
class Board:
    name: str
    title: str
    mcu: str
    core: Core
    clock_mhz: float
    supply_v: float
    stack_bytes: int
    runtime_ram_bytes: int
    weights_in: str
    arena_in: str
    memory: dict[str, MemoryRegion]
    active_ma: float | None = None
    sleep_ua: float | None = None
    sleep_mode: str = ""
    source: Path | None = None

    def region(self, name: str) -> MemoryRegion:
        try:
            return self.memory[name]
        except KeyError:
            raise UnsupportedTargetError(
                f"board {self.name} has no memory region {name!r}; it has {', '.join(self.memory)}") from None

    @property
    def flash_region(self) -> MemoryRegion:
        """The non-volatile memory firmware and model are flashed to."""
        return next(r for r in self.memory.values() if r.kind == "flash")


@dataclass(frozen=True)
class Battery:
    name: str
    capacity_mah: float
    voltage_v: float


# -- where the files are ------------------------------------------------------------------------------
def builtin_dir() -> Path:
    installed = Path(__file__).resolve().parent / "_targets"
    return installed if installed.is_dir() else Path(__file__).resolve().parents[2] / "targets"


def search_dirs(targets_dirs=None) -> list[Path]:
    """User directories first (argument, then ``MICROINFER_TARGETS``), the built-in one last."""
    if isinstance(targets_dirs, (str, os.PathLike)):
        targets_dirs = [targets_dirs]
    dirs = [Path(d) for d in (targets_dirs or [])]
    for directory in dirs:
        if not directory.is_dir():
            raise TargetFileError(f"{directory}: no such targets directory (it should hold cores/ and boards/)")
    dirs += [Path(d) for d in os.environ.get(ENV_VAR, "").split(os.pathsep) if d]
    return dirs + [builtin_dir()]


def _names(kind: str, targets_dirs) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for directory in reversed(search_dirs(targets_dirs)):
        for path in sorted((directory / kind).glob("*.toml")):
            found[path.stem] = path
    return dict(sorted(found.items()))


def core_names(targets_dirs=None) -> list[str]:
    return list(_names("cores", targets_dirs))


def board_names(targets_dirs=None) -> list[str]:
    return list(_names("boards", targets_dirs))


# -- reading ------------------------------------------------------------------------------------------
def read_toml(path: Path) -> dict:
    """A TOML file as a dict; a missing, unreadable or malformed file is a TargetFileError naming it."""
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise TargetFileError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise TargetFileError(f"{path}: not UTF-8 text (byte {exc.start}); TOML files are UTF-8") from None
    except OSError as exc:
        raise TargetFileError(f"{path}: cannot read: {exc.strerror}") from None


class _Fields:
    """Typed access to one TOML table, naming file and key in every error."""

    def __init__(self, table: dict, path: Path, prefix: str = ""):
        self.table, self.path, self.prefix = table, path, prefix

    def get(self, key: str, kind, default=...):
        if key not in self.table:
            if default is ...:
                raise TargetFileError(f"{self.path}: missing key {self.prefix}{key}")
            return default
        value = self.table[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
            raise TargetFileError(
                f"{self.path}: key {self.prefix}{key} must be {_kind_name(kind)}, not {value!r}")
        if kind is float and not math.isfinite(value):
            raise TargetFileError(f"{self.path}: key {self.prefix}{key} must be a finite number, got {value!r}")
        if kind in (int, float) and value < 0:
            raise TargetFileError(f"{self.path}: key {self.prefix}{key} must not be negative, got {value!r}")
        return value

    def table_of(self, key: str) -> "_Fields":
        return _Fields(self.get(key, dict), self.path, f"{self.prefix}{key}.")


def _kind_name(kind) -> str:
    return {int: "an integer", float: "a number", str: "a string", list: "a list", dict: "a table"}.get(kind, str(kind))


def _positive(fields: _Fields, key: str, kind=float, default=...):
    value = fields.get(key, kind, default)
    if value is not None and value <= 0:
        raise TargetFileError(f"{fields.path}: key {fields.prefix}{key} must be positive, got {value!r}")
    return value


def _target_file(kind: str, name: str, targets_dirs) -> tuple[Path, _Fields]:
    """The fields of ``kind/name.toml`` (kind: "cores" or "boards"); unknown names list the known."""
    known = _names(kind, targets_dirs)
    if name not in known:
        raise UnsupportedTargetError(f"unknown {kind[:-1]} {name!r}; known {kind}: {', '.join(known)}")
    path = known[name]
    return path, _Fields(read_toml(path), path)


def load_core(name: str, targets_dirs=None) -> Core:
    path, f = _target_file("cores", name, targets_dirs)
    cycles_table = f.table_of("cycles")
    cycles = {key: cycles_table.get(key, float) for key in cycles_table.table}
    for required in ("alu", "mul", "mac", "simd", "load", "load_seq", "store", "branch", "call"):
        cycles_table.get(required, float)
    cycles.setdefault("jump", cycles["branch"])  # a taken branch outside a loop's back edge
    if "vector" in f.table:
        cycles.update(vector_cycles(f.table_of("vector")))
    libraries = tuple(f.get("kernel_libraries", list))
    paths = {lib: f.get(lib.replace("-", "_") + "_path", str) for lib in libraries if lib != "tflm-reference"}
    if "tflm-reference" in libraries:
        # the emulated core whose count of the reference loops this core takes (targets/loops/tflm-reference.toml)
        paths["tflm-reference"] = f.get("tflm_reference_path", str, "cortex-m4f")
    return Core(
        name=f.get("name", str),
        architecture=f.get("architecture", str),
        abi=f.get("abi", str),
        default_clock_mhz=_positive(f, "default_clock_mhz"),
        kernel_libraries=libraries,
        cycles=cycles,
        kernel_paths=paths,
        pipeline=f.get("pipeline", dict, {}),
        source=path,
    )


def vector_cycles(v: _Fields) -> dict[str, float]:
    """Cycles per vector instruction class from a core's [vector] table (Helium): an instruction of
    ``beats`` beats issues over beats / beats_per_cycle cycles; the beats of a vector load that
    overlap the neighbouring arithmetic instruction (``load_overlap_beats``: the load/store unit and
    the MAC/ALU unit work in parallel) cost nothing, nor do those of arithmetic hidden behind a
    load (``alu_overlap_beats``)."""
    beats = _positive(v, "beats", float)
    per_cycle = _positive(v, "beats_per_cycle", float)
    load_overlap = v.get("load_overlap_beats", float, 0.0)
    alu_overlap = v.get("alu_overlap_beats", float, 0.0)
    if load_overlap > beats or alu_overlap > beats:
        raise TargetFileError(f"{v.path}: overlapping beats cannot exceed the instruction's {beats:g} beats")
    return {"vector_load": (beats - load_overlap) / per_cycle,
            "vector_mac": (beats - alu_overlap) / per_cycle,
            "vector_alu": (beats - alu_overlap) / per_cycle}


def load_board(name: str, targets_dirs=None) -> Board:
    path, f = _target_file("boards", name, targets_dirs)
    memory_table = f.table_of("memory")
    memory = {key: _region(key, memory_table.table_of(key)) for key in memory_table.table}
    power = f.table_of("power") if "power" in f.table else _Fields({}, path, "power.")
    board = Board(
        name=f.get("name", str),
        title=f.get("title", str),
        mcu=f.get("mcu", str),
        core=load_core(f.get("core", str), targets_dirs),
        clock_mhz=_positive(f, "clock_mhz"),
        supply_v=_positive(f, "supply_v"),
        stack_bytes=f.get("stack_bytes", int),
        runtime_ram_bytes=f.get("runtime_ram_bytes", int, 0),
        weights_in=f.get("weights_in", str),
        arena_in=f.get("arena_in", str),
        memory=memory,
        active_ma=power.get("active_ma", float, None),
        sleep_ua=power.get("sleep_ua", float, None),
        sleep_mode=power.get("sleep_mode", str, ""),
        source=path,
    )
    for key in ("weights_in", "arena_in"):
        if getattr(board, key) not in memory:
            raise TargetFileError(f"{path}: key {key} names {getattr(board, key)!r}, which is not a [memory.*] table")
    if not any(r.kind == "flash" for r in memory.values()):
        raise TargetFileError(f"{path}: no [memory.*] table of kind = \"flash\"")
    return board


def _region(name: str, f: _Fields) -> MemoryRegion:
    kind = f.get("kind", str)
    if kind not in ("flash", "ram", "external-ram"):
        raise TargetFileError(f"{f.path}: key {f.prefix}kind must be flash, ram or external-ram, not {kind!r}")
    return MemoryRegion(
        name=name,
        kind=kind,
        size_bytes=round(_positive(f, "size_kib") * 1024),
        line_bytes=_positive(f, "line_bytes", int, 4),
        miss_cycles=f.get("miss_cycles", float, 0.0),
        cache_bytes=f.get("cache_bytes", int, 0),
        runtime_bytes=f.get("runtime_bytes", int, 0),
    )


def load_batteries(targets_dirs=None) -> dict[str, Battery]:
    batteries: dict[str, Battery] = {}
    for directory in reversed(search_dirs(targets_dirs)):
        path = directory / "batteries.toml"
        if path.is_file():
            for name, table in read_toml(path).items():
                f = _Fields(table, path, f"{name}.") if isinstance(table, dict) else None
                if f is None:
                    raise TargetFileError(f"{path}: {name} must be a table [{name}]")
                batteries[name] = Battery(name, _positive(f, "capacity_mah"), _positive(f, "voltage_v"))
    return batteries


def load_battery(name: str, targets_dirs=None) -> Battery:
    batteries = load_batteries(targets_dirs)
    try:
        return batteries[name]
    except KeyError:
        raise UnsupportedTargetError(f"unknown battery {name!r}; known batteries: {', '.join(batteries)}") from None


def core_board(core: str, clock_mhz: float | None = None, targets_dirs=None) -> Board:
    """A bare board around ``core``: all memory on-chip, unlimited and without wait states,
    no power figures. For estimates by core and clock alone."""
    c = load_core(core, targets_dirs)
    unlimited = UNLIMITED_BYTES
    return Board(
        name=f"{c.name}@{clock_mhz or c.default_clock_mhz:g}MHz", title=f"bare {c.name}", mcu="-", core=c,
        clock_mhz=clock_mhz or c.default_clock_mhz, supply_v=3.3, stack_bytes=4096, runtime_ram_bytes=0,
        weights_in="flash", arena_in="sram",
        memory={"flash": MemoryRegion("flash", "flash", unlimited), "sram": MemoryRegion("sram", "ram", unlimited)},
    )
