"""Cycle ESTIMATES from emulated runs: the executed instruction mix times a per-core timing table.

QEMU counts instructions but has no timing model. A traced run logs every translation block it
translates and executes; with the program's disassembly that gives how often each instruction
ran, and whether each conditional branch was taken. ``targets/emulation/timing.toml`` gives cycles per instruction
class for each core.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from ..errors import UnsupportedTargetError
from ..targets import TargetFileError, read_toml
from .machine import LayerMeasurement, emulation_dir

HARNESS_FUNCTIONS = re.compile(r"^(emu_.*|main|print_count|semihost|vector_table)$")
_CONDITIONS = ("eq", "ne", "cs", "hs", "cc", "lo", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le")
_CONDITIONAL_BRANCHES = {f"b{c}" for c in _CONDITIONS} | {"cbz", "cbnz", "le", "letp"}
_CLASS_PREFIXES = (  # first match wins
    (("smull", "umull", "smlal", "umlal"), "long_multiply"),
    (("mul", "mla", "mls"), "multiply"),
    (("smla", "smul", "smua", "smus", "smls", "smmul", "smmla", "sxtb16", "sxtab16", "uxtb16", "pkh",
      "sadd", "ssub", "qadd", "qsub", "qdadd", "qdsub", "shadd", "shsub", "sel", "usad"), "dsp"),
    (("sdiv", "udiv"), "divide"),
    (("ldm", "pop"), "load_multiple"),
    (("stm", "push"), "store_multiple"),
    (("ldr", "ldrex"), "load"),
    (("str",), "store"),
    (("vldr", "vld", "vpop"), "vector_load"),
    (("vstr", "vst", "vpush"), "vector_store"),
    (("vmla", "vmls", "vfma", "vfms", "vrmla", "vmlsdav"), "vector_mac"),
    (("letp", "le"), "loop_end"),
    (("dls", "wls"), "loop_start"),
    (("v",), "vector"),
)
TIMING_KEYS = ("alu", "multiply", "long_multiply", "dsp", "divide", "load", "store", "load_multiple",
               "store_multiple", "per_register", "branch", "branch_taken", "call", "indirect", "vector",
               "vector_load", "vector_store", "vector_mac", "loop_end", "loop_start", "other")


@dataclass(frozen=True)
class Instruction:
    address: int
    size: int
    mnemonic: str
    operands: str
    function: str

    @property
    def base(self) -> str:
        return self.mnemonic.split(".")[0]


@dataclass
class InstructionMix:
    """Executed instructions of the layer by class, registers moved by multiple loads/stores, and
    taken branches. ``instructions`` is their total, to check against the SysTick count."""

    classes: Counter = field(default_factory=Counter)
    registers: int = 0
    taken_branches: int = 0

    @property
    def instructions(self) -> int:
        return sum(self.classes.values())


@dataclass(frozen=True)
class TimingTable:
    core: str
    cycles: dict[str, float]
    source: str

    def estimate(self, mix: InstructionMix) -> int:
        total = sum(count * self.cycles[name] for name, count in mix.classes.items())
        total += mix.registers * self.cycles["per_register"]
        total += mix.taken_branches * (self.cycles["branch_taken"] - self.cycles["branch"])
        return round(total)


def timing_table(core: str) -> TimingTable:
    path = emulation_dir() / "timing.toml"
    table = read_toml(path)
    if core not in table:
        raise UnsupportedTargetError(f"{path}: no timing table for {core!r}; known: {', '.join(sorted(table))}")
    entry = table[core]
    missing = [key for key in TIMING_KEYS if key not in entry]
    if missing:
        raise TargetFileError(f"{path}: [{core}] lacks {', '.join(missing)}")
    return TimingTable(core, {key: float(entry[key]) for key in TIMING_KEYS}, str(entry.get("source", "")))


_RISCV_BRANCHES = {"beq", "bne", "blt", "bge", "bltu", "bgeu", "beqz", "bnez", "blez", "bgez", "bltz", "bgtz", "bgt",
                   "ble", "bgtu", "bleu", "j", "c.j", "c.beqz", "c.bnez"}


def riscv_instruction_class(instruction: Instruction) -> str:
    base = instruction.mnemonic.removeprefix("c.")
    if base in ("jal", "call", "tail") or instruction.mnemonic == "c.jal":
        return "call"
    if base in ("jalr", "jr", "ret"):
        return "indirect"
    if instruction.mnemonic in _RISCV_BRANCHES or base in _RISCV_BRANCHES:
        return "branch"
    if base in ("lb", "lbu", "lh", "lhu", "lw", "lwsp"):
        return "load"
    if base in ("sb", "sh", "sw", "swsp"):
        return "store"
    if base in ("mulh", "mulhu", "mulhsu"):
        return "long_multiply"
    if base == "mul":
        return "multiply"
    if base in ("div", "divu", "rem", "remu"):
        return "divide"
    return "alu"


def instruction_class(instruction: Instruction, arch: str = "arm") -> str:
    if arch == "riscv":
        return riscv_instruction_class(instruction)
    base = instruction.base
    if base == "bl":
        return "call"
    if base in ("bx", "blx"):
        return "indirect"
    if base in ("b", "tbb", "tbh") or base in _CONDITIONAL_BRANCHES - {"le", "letp"}:
        return "branch"
    for prefixes, name in _CLASS_PREFIXES:
        if base.startswith(prefixes):
            return name
    return "alu"


def parse_disassembly(text: str) -> list[Instruction]:
    instructions = []
    function = ""
    for line in text.splitlines():
        header = re.match(r"^[0-9a-f]+ <(.+)>:$", line)
        if header:
            function = header.group(1)
            continue
        match = re.match(r"^\s*([0-9a-f]+):\t(\S+)(?:\t(.*))?$", line)
        if match and not match.group(2).startswith("."):
            operands = (match.group(3) or "").split("@")[0].split(";")[0].strip()
            instructions.append(Instruction(int(match.group(1), 16), 0, match.group(2), operands, function))
    sized = []
    for instruction, following in zip(instructions, instructions[1:] + [None]):
        size = (following.address - instruction.address) if following else 2
        sized.append(Instruction(instruction.address, size if size in (2, 4) else 4, instruction.mnemonic,
                                 instruction.operands, instruction.function))
    return sized


def instruction_mix(measurement: LayerMeasurement, arch: str = "arm") -> InstructionMix:
    """The layer's executed instructions (harness functions excluded), from a traced run."""
    by_address = {i.address: i for i in parse_disassembly(measurement.disassembly)}
    trace = measurement.trace
    blocks = {}
    for block, (function, addresses) in trace.blocks.items():
        if not HARNESS_FUNCTIONS.match(function):
            # QEMU lists a 32-bit instruction its disassembler does not know (MVE) as two halves.
            blocks[block] = [by_address[a] for a in addresses if a in by_address]
    mix = InstructionMix()
    for (previous, block), times in trace.transitions.items():
        instructions = blocks.get(block)
        if instructions is not None:
            for instruction in instructions:
                name = instruction_class(instruction, arch)
                mix.classes[name] += times
                if name in ("load_multiple", "store_multiple"):
                    mix.registers += times * _register_count(instruction.operands)
        before = blocks.get(previous)
        if before and _taken(before[-1], trace.blocks[block][1][0] if trace.blocks[block][1] else -1, arch):
            mix.taken_branches += times
    return mix


def _taken(last: Instruction, next_start: int, arch: str = "arm") -> bool:
    if instruction_class(last, arch) != "branch":
        return False
    return next_start != last.address + last.size


def _register_count(operands: str) -> int:
    inside = operands[operands.find("{") + 1:operands.find("}")]
    count = 0
    for part in filter(None, (p.strip() for p in inside.split(","))):
        if "-" in part:
            low, high = (int(re.sub(r"\D", "", r) or 0) for r in part.split("-"))
            count += high - low + 1
        else:
            count += 1
    return count
