"""Build one bare-metal program per layer and run it on an emulated Cortex-M core under QEMU.

QEMU has no timing model, but with ``-icount shift=7`` every instruction advances virtual time by
128 ns, so the guest's SysTick counts instructions exactly. The harness in
``targets/emulation/harness.c`` reads SysTick around the layer and writes the layer's output to a
file through semihosting.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..c_backend import build
from ..errors import MicroinferError, MissingDependencyError, UnsupportedTargetError
from ..targets import TargetFileError, read_toml

INSTALL_HINT = (
    "install them with: apt-get install -y --no-install-recommends "
    "gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm"
)
RISCV_INSTALL_HINT = (
    "install them with: apt-get install -y --no-install-recommends "
    "qemu-system-misc gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf"
)
_REPOSITORY = build.kernels_dir().parent  # the source checkout: kernels_c/ and targets/ side by side
NANOSECONDS_PER_INSTRUCTION = 128  # -icount shift=7
SYSTICK_RELOAD_TICKS = 1 << 24
SYSTICK_HANDLER_INSTRUCTIONS = 5  # ldr, ldr, adds, str, bx: counted inside the region on each wrap
QEMU_TIMEOUT_SECONDS = 300


class EmulationError(MicroinferError):
    """A layer program failed to build or to run on the emulated core."""


@dataclass(frozen=True)
class AddressRange:
    """Where a machine's code or RAM sits in its address map (not a board's memory,
    :class:`microinfer.targets.MemoryRegion`)."""

    origin: int
    length: int


@dataclass(frozen=True)
class EmulatedMachine:
    """A QEMU machine: where code and RAM are, and how fast its SysTick runs."""

    name: str
    systick_hz: int
    code: AddressRange
    ram: AddressRange
    counter: str = "systick"  # "systick": SysTick under -icount (Cortex-M); "minstret": the RISC-V CSR
    qemu: str = "qemu-system-arm"
    qemu_args: tuple[str, ...] = ()

    def instructions(self, ticks: int) -> int:
        return round(ticks * 1e9 / (self.systick_hz * NANOSECONDS_PER_INSTRUCTION))


@dataclass(frozen=True)
class EmulatedCore:
    """A core as compiled for (flags, ISA path) and the machines that emulate it."""

    name: str
    cflags: tuple[str, ...]
    isa_path: str
    machine: EmulatedMachine
    small_machine: EmulatedMachine | None = None
    objdump_architecture: str = ""  # when the ELF attributes do not select the right decoder (MVE)
    arch: str = "arm"  # "arm" or "riscv"
    toolchain: str = "arm-none-eabi-"  # prefix of gcc, ar, objdump
    startup: str = "startup.c"  # in targets/emulation/

    @property
    def install_hint(self) -> str:
        return RISCV_INSTALL_HINT if self.arch == "riscv" else INSTALL_HINT


def emulation_dir() -> Path:
    return Path(os.environ.get("MICROINFER_EMULATION_DIR", _REPOSITORY / "targets" / "emulation"))


def kernels_dir() -> Path:
    return Path(os.environ.get("MICROINFER_KERNELS_SRC", build.kernels_dir()))


def cache_dir() -> Path:
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "microinfer" / "emulate"
    return Path(os.environ.get("MICROINFER_EMULATE_CACHE", default))


def load_cores() -> dict[str, EmulatedCore]:
    path = emulation_dir() / "machines.toml"
    if not path.is_file():
        raise MissingDependencyError(
            f"emulation files not found at {path}: emulation runs from a source checkout "
            "(set MICROINFER_EMULATION_DIR to its targets/emulation folder)"
        )
    table = read_toml(path)
    try:
        return {name: _core(name, entry) for name, entry in table["cores"].items()}
    except (KeyError, TypeError, AttributeError) as exc:
        raise TargetFileError(f"{path}: malformed core entry, missing or wrong key {exc}") from None


def core_named(name: str) -> EmulatedCore:
    cores = load_cores()
    if name not in cores:
        raise UnsupportedTargetError(f"unknown emulated core {name!r}; known emulated cores: {', '.join(sorted(cores))}")
    return cores[name]


def _core(name: str, entry: dict) -> EmulatedCore:
    run = dict(counter=entry.get("counter", "systick"), qemu=entry.get("qemu", "qemu-system-arm"),
               qemu_args=tuple(entry.get("qemu_args", ())))
    machine = EmulatedMachine(entry["machine"], entry["systick_hz"], _region(entry["code"]), _region(entry["ram"]), **run)
    small = None
    if "small_machine" in entry:
        small = EmulatedMachine(entry["small_machine"], entry["small_systick_hz"],
                                _region(entry["small_code"]), _region(entry["small_ram"]), **run)
    return EmulatedCore(name, tuple(entry["cflags"]), entry["isa_path"], machine, small,
                        entry.get("objdump_architecture", ""), entry.get("arch", "arm"),
                        entry.get("toolchain", "arm-none-eabi-"), entry.get("startup", "startup.c"))


def _region(entry: dict) -> AddressRange:
    return AddressRange(int(entry["origin"]), int(entry["length"]))


def check_toolchain(core: EmulatedCore | None = None) -> None:
    """Raise MissingDependencyError naming what is missing (for ``core``, default the Arm cores) and
    how to install it."""
    tools = (f"{core.toolchain}gcc", core.machine.qemu) if core else ("arm-none-eabi-gcc", "qemu-system-arm")
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        hint = core.install_hint if core else INSTALL_HINT
        raise MissingDependencyError(f"emulation needs {' and '.join(missing)}, not found on PATH; {hint}")


@dataclass(frozen=True)
class LayerProgram:
    """One layer as C: ``source`` defines ``layer_run``, ``layer_output`` and ``layer_output_size``.

    ``blobs`` are constant arrays (weights, inputs) placed in code memory under the given symbol names.
    """

    source: str
    blobs: dict[str, bytes]


@dataclass(frozen=True)
class LayerMeasurement:
    """What one run gave: the layer's instruction count and output; when traced, the blocks run
    (whole program) and the program's disassembly, from which the instruction mix follows."""

    instructions: int
    output: bytes
    trace: BlockTrace | None = None
    disassembly: str = ""


def run_layer(program: LayerProgram, core: EmulatedCore, small: bool = False, trace: bool = False) -> LayerMeasurement:
    """Build ``program`` for ``core`` and run it once under QEMU (``trace``: also record the blocks run)."""
    check_toolchain(core)
    machine = core.small_machine if small and core.small_machine else core.machine
    library = kernel_library(core)
    with tempfile.TemporaryDirectory(prefix="microinfer-emulate-") as folder:
        work = Path(folder)
        elf = _link_layer(program, core, machine, library, work)
        block_trace = BlockTrace() if trace else None
        stderr = _run_qemu(machine, elf, work, block_trace)
        output_path = work / "layer_output.bin"
        if "EMU-DONE" not in stderr or not output_path.is_file():
            raise EmulationError(f"layer program did not finish on {machine.name} ({core.name}): {stderr.strip()[-400:]}")
        disassembly = _disassembly(elf, core) if trace else ""
        return LayerMeasurement(_layer_instructions(stderr, machine), output_path.read_bytes(), block_trace, disassembly)


def _compile_flags(core: EmulatedCore) -> list[str]:
    return [*core.cflags, "-O2", "-std=c99", "-ffreestanding", "-fno-builtin",
            "-ffunction-sections", "-fdata-sections", "-Wall",
            f"-I{emulation_dir()}", f"-I{kernels_dir() / 'include'}", f"-I{kernels_dir() / 'src'}"]


def kernel_library(core: EmulatedCore) -> Path:
    """The kernels (and harness runtime) compiled for ``core``, cached by a hash of sources and flags."""
    runtime = [emulation_dir() / core.startup, emulation_dir() / "harness.c"]
    sources = runtime + build.sources(kernels_dir())
    headers = sorted((kernels_dir()).rglob("*.h")) + [emulation_dir() / "emu.h"]
    digest = hashlib.sha256(" ".join(_compile_flags(core)).encode())
    for path in sources + headers:
        digest.update(str(path).encode())
        digest.update(path.read_bytes())
    archive = cache_dir() / core.name / f"kernels-{digest.hexdigest()[:16]}.a"
    if archive.is_file():
        return archive
    archive.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="microinfer-kernels-") as folder:
        objects = []
        for number, source in enumerate(sources):
            obj = Path(folder) / f"{number}_{source.stem}.o"
            _tool([f"{core.toolchain}gcc", *_compile_flags(core), "-c", str(source), "-o", str(obj)],
                  f"compiling {source.name}")
            objects.append(str(obj))
        partial = archive.with_suffix(f".{os.getpid()}.tmp")
        _tool([f"{core.toolchain}ar", "rcs", str(partial), *objects], "archiving the kernels")
        partial.replace(archive)
    return archive


def _link_layer(program: LayerProgram, core: EmulatedCore, machine: EmulatedMachine,
                library: Path, work: Path) -> Path:
    (work / "layer.c").write_text(program.source)
    (work / "blobs.S").write_text(_blob_assembly(program.blobs, work))
    (work / "layer.ld").write_text(_linker_script(machine))
    elf = work / "layer.elf"
    command = [f"{core.toolchain}gcc", *_compile_flags(core), "-nostdlib", "-nostartfiles",
               "-Wl,--gc-sections", "-T", str(work / "layer.ld"),
               "-Wl,--whole-archive", str(library), "-Wl,--no-whole-archive",
               str(work / "layer.c"), str(work / "blobs.S"), "-lgcc", "-o", str(elf)]
    _tool(command, f"linking the layer program for {core.name} ({machine.name})")
    return elf


def _blob_assembly(blobs: dict[str, bytes], work: Path) -> str:
    lines = []
    for symbol, data in blobs.items():
        path = work / f"{symbol}.bin"
        path.write_bytes(data)
        lines += [f"    .section .rodata.{symbol}, \"a\"", "    .balign 16", f"    .global {symbol}",
                  f"{symbol}:", f"    .incbin \"{path}\""]
    return "\n".join(lines) + "\n"


def _linker_script(machine: EmulatedMachine) -> str:
    template = (emulation_dir() / "emulation.ld.in").read_text()
    values = {"CODE_ORIGIN": machine.code.origin, "CODE_LENGTH": machine.code.length,
              "RAM_ORIGIN": machine.ram.origin, "RAM_LENGTH": machine.ram.length}
    for key, value in values.items():
        template = template.replace(f"@{key}@", f"{value:#x}")
    return template


def _tool(command: list[str], what: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        message = (done.stderr or done.stdout).strip()
        if "will not fit in region" in message or "overflowed by" in message:
            raise EmulationError(f"{what}: the layer does not fit the machine's memory: {message[-300:]}")
        raise EmulationError(f"{what} failed: {message[-800:]}")


def _run_qemu(machine: EmulatedMachine, elf: Path, work: Path, trace: BlockTrace | None) -> str:
    command = [machine.qemu, "-M", machine.name, *machine.qemu_args, "-nographic", "-monitor", "none",
               "-serial", "none", "-semihosting-config", "enable=on,target=native", "-icount", "shift=7",
               "-kernel", str(elf)]
    reader = None
    if trace is not None:
        # Every translated and executed block is logged (chaining off) into a pipe, counted on the fly.
        fifo = work / "blocks.fifo"
        os.mkfifo(fifo)
        command += ["-d", "in_asm,exec,nochain", "-D", str(fifo)]
        reader = threading.Thread(target=_read_block_trace, args=(fifo, trace), daemon=True)
        reader.start()
    try:
        done = subprocess.run(command, capture_output=True, text=True, cwd=work, timeout=QEMU_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        raise EmulationError(f"{machine.name}: the layer program did not finish in {QEMU_TIMEOUT_SECONDS} s") from None
    finally:
        if reader is not None:
            _finish_reader(reader, work / "blocks.fifo")
    if done.returncode != 0:
        raise EmulationError(f"{machine.name}: QEMU exited with status {done.returncode}: {done.stderr.strip()[-400:]}")
    return done.stderr + done.stdout


_TRACE_LINE = re.compile(rb"^Trace \d+: (0x[0-9a-f]+) \[[0-9a-f]+/([0-9a-f]+)/")
_TRANSLATED_LINE = re.compile(rb"^0x([0-9a-f]+):")


@dataclass
class BlockTrace:
    """Translation blocks as QEMU cut them (``blocks[id]``: function, instruction addresses) and how
    often each ran after which (``transitions[previous id, id]``; -1 before the first)."""

    blocks: dict[int, tuple[str, tuple[int, ...]]] = field(default_factory=dict)
    transitions: Counter = field(default_factory=Counter)


def _read_block_trace(fifo: Path, trace: BlockTrace) -> None:
    """Parse QEMU's ``-d in_asm,exec,nochain`` log: each "IN:" listing is the block whose "Trace"
    line follows it; a block is known by its host address from then on (until re-translated)."""
    current: dict[bytes, int] = {}
    pending: tuple[str, list[int]] | None = None
    previous = -1
    with open(fifo, "rb") as log:
        for line in log:
            if line.startswith(b"Trace"):
                match = _TRACE_LINE.match(line)
                if not match:
                    continue
                host = match.group(1)
                if pending is not None or host not in current:
                    function, addresses = pending or ("?", [int(match.group(2), 16)])
                    current[host] = len(trace.blocks)
                    trace.blocks[current[host]] = (function, tuple(addresses))
                    pending = None
                block = current[host]
                trace.transitions[previous, block] += 1
                previous = block
            elif line.startswith(b"IN:"):
                pending = (line[3:].strip().decode(errors="replace"), [])
            elif pending is not None and line.startswith(b"0x"):
                match = _TRANSLATED_LINE.match(line)
                if match:
                    pending[1].append(int(match.group(1), 16))


def _finish_reader(reader: threading.Thread, fifo: Path) -> None:
    if reader.is_alive():
        try:  # QEMU never opened the pipe: open it once for writing so that the reader ends
            with open(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK), "wb"):
                pass
        except OSError:
            pass
    reader.join(timeout=60)


def _disassembly(elf: Path, core: EmulatedCore) -> str:
    architecture = ["-m", core.objdump_architecture] if core.objdump_architecture else []
    done = subprocess.run([f"{core.toolchain}objdump", "-d", "--no-show-raw-insn", *architecture, str(elf)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise EmulationError(f"disassembling {elf.name} failed: {done.stderr.strip()[-300:]}")
    return done.stdout


_COUNT_LINE = re.compile(r"^(EMU-[A-Z-]+) ([0-9a-f]{8}) ([0-9a-f]{8})$", re.MULTILINE)


def _layer_instructions(stderr: str, machine: EmulatedMachine) -> int:
    counts = {label: (int(wraps, 16), int(left, 16)) for label, wraps, left in _COUNT_LINE.findall(stderr)}
    try:
        empty = _elapsed(machine, counts["EMU-EMPTY-START"], counts["EMU-EMPTY-END"])
        layer = _elapsed(machine, counts["EMU-LAYER-START"], counts["EMU-LAYER-END"])
    except KeyError as exc:
        raise EmulationError(f"{machine.name}: the layer program reported no count {exc}") from None
    return layer - empty


def _elapsed(machine: EmulatedMachine, start: tuple[int, int], end: tuple[int, int]) -> int:
    if machine.counter == "minstret":
        # (high word, low word) of minstret, which QEMU under -icount derives from virtual time:
        # NANOSECONDS_PER_INSTRUCTION per retired instruction
        elapsed = ((end[0] << 32) | end[1]) - ((start[0] << 32) | start[1])
        return round(elapsed / NANOSECONDS_PER_INSTRUCTION)
    wraps = end[0] - start[0]
    ticks = wraps * SYSTICK_RELOAD_TICKS + start[1] - end[1]
    return machine.instructions(ticks) - wraps * SYSTICK_HANDLER_INSTRUCTIONS
