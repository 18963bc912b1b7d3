"""Compile the generated library into a test program, run it on seeded inputs (natively, or on an
emulated Cortex-M core under QEMU) and check every output bit for bit against microinfer's
interpreter; measure the image (flash, RAM, peak stack) and count instructions, per layer and in
total, on emulated cores.

Two programs are built for a core: the *plain* one, the library exactly as a user gets it, which
runs every input, is measured from its linker map (flash = .text + .rodata + .data, RAM = .data +
.bss, model and kernel parts separately) and paints the stack before the first invoke and scans it
after (the peak stack of an invoke); and the *counting* one, compiled with the per-layer hook,
which reads the SysTick instruction counter after every layer of the first input.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..c_backend import build as c_build
from ..emulate import machine as emu
from ..errors import MissingDependencyError
from .generate import GeneratedFolder
from .lower import BuildError

HOST_FLAGS = ("-std=c99", "-O2", "-Wall", "-Wextra")
SANITIZE_FLAGS = ("-std=c99", "-O1", "-g", "-fno-omit-frame-pointer", "-fsanitize=address,undefined",
                  "-fno-sanitize-recover=undefined", "-Wall", "-Wextra")
CORE_FLAGS = ("-O2", "-std=c99", "-ffreestanding", "-fno-builtin", "-ffunction-sections",
              "-fdata-sections", "-Wall", "-Wextra")
RUN_TIMEOUT_SECONDS = 1800
STACK_PAINT = 0xA5A5A5A5


@dataclass
class ImageSize:
    """Sizes of the linked library (harness excluded), bytes."""

    model_flash: int  # the generated NAME.c: code, constants and parameters
    kernel_flash: int  # the kernels (and the compiler's runtime helpers they pull in)
    data: int  # .data of the library (in RAM and, as its initial copy, in flash)
    bss: int  # .bss of the library: the arena and any state
    stack: int | None  # peak stack of one invoke (painted), None where not measured

    @property
    def flash(self) -> int:
        return self.model_flash + self.kernel_flash

    @property
    def ram(self) -> int:
        return self.data + self.bss + (self.stack or 0)


@dataclass(frozen=True)
class LayerInstructions:
    index: int  # the model's operator index
    op: str
    instructions: int


@dataclass
class Verification:
    target: str  # "host" or a core
    inputs: int
    mismatches: list[str] = field(default_factory=list)  # one line per differing output
    warnings: list[str] = field(default_factory=list)  # compiler warnings
    size: ImageSize | None = None
    instructions: int | None = None  # one invoke, emulated cores only
    layers: list[LayerInstructions] = field(default_factory=list)
    sanitized: bool = False

    @property
    def bit_exact(self) -> bool:
        return not self.mismatches


# -- inputs and expected outputs ------------------------------------------------------------------

def seeded_inputs(model, count: int, seed: int = 0) -> list[list[np.ndarray]]:
    """``count`` input sets over each input's full range (floats in [-1, 1]), from one seed."""
    from ..testing.op_models import random_inputs

    rng = np.random.default_rng(seed)
    return [random_inputs(model, rng) for _ in range(count)]


def expected_outputs(model, input_sets: list[list[np.ndarray]], reference: str = "tflm") -> list[list[np.ndarray]]:
    """What microinfer's interpreter (the NumPy kernels, the spec) gives, run after run (state
    carries over, as in the library)."""
    from ..interpreter import Interpreter

    interpreter = Interpreter(model, reference=reference)
    return [[np.array(o) for o in interpreter.run(inputs)] for inputs in input_sets]


def _write_inputs(path: Path, input_sets: list[list[np.ndarray]]) -> None:
    with open(path, "wb") as f:
        for inputs in input_sets:
            for x in inputs:
                f.write(np.ascontiguousarray(x).tobytes())


def _compare(folder: GeneratedFolder, raw: bytes, expected: list[list[np.ndarray]]) -> list[str]:
    outputs = folder.library.outputs
    per_set = sum(o.nbytes for o in outputs)
    if len(raw) != per_set * len(expected):
        return [f"the program wrote {len(raw)} bytes of outputs, expected {per_set * len(expected)}"]
    problems = []
    at = 0
    for k, wanted in enumerate(expected):
        for io, e in zip(outputs, wanted):
            got = np.frombuffer(raw[at:at + io.nbytes], dtype=e.dtype).reshape(e.shape)
            at += io.nbytes
            differ = np.flatnonzero(got.reshape(-1).view(np.uint8 if e.dtype.itemsize == 1 else f"u{e.dtype.itemsize}")
                                    != e.reshape(-1).view(np.uint8 if e.dtype.itemsize == 1 else f"u{e.dtype.itemsize}"))
            if differ.size:
                first = int(differ[0])
                problems.append(f"input set {k}, output {io.position} ({io.name}): {differ.size} of {e.size} "
                                f"elements differ, first at {first}: library {got.reshape(-1)[first]} vs "
                                f"interpreter {e.reshape(-1)[first]}")
    return problems


# -- host -----------------------------------------------------------------------------------------

def _host_harness(folder: GeneratedFolder) -> str:
    name = folder.name
    lib = folder.library
    declarations, reads, writes = [], [], []
    for io in lib.inputs:
        declarations.append(f"static {io.ctype} in{io.position}[{max(io.nbytes // _size(io.ctype), 1)}];")
        reads.append(f"        if (fread(in{io.position}, 1, {io.nbytes}u, in) != {io.nbytes}u) {{ return 3; }}")
    for io in lib.outputs:
        declarations.append(f"static {io.ctype} out{io.position}[{max(io.nbytes // _size(io.ctype), 1)}];")
        writes.append(f"        if (fwrite(out{io.position}, 1, {io.nbytes}u, out) != {io.nbytes}u) {{ return 4; }}")
    arguments = ", ".join([f"in{io.position}" for io in lib.inputs] + [f"out{io.position}" for io in lib.outputs])
    return "\n".join([
        "/* microinfer build --verify: the host test program. */",
        "#include <stdio.h>",
        "#include <stdlib.h>",
        f'#include "{name}.h"',
        "",
        *declarations,
        "",
        "int main(int argc, char **argv)",
        "{",
        "    FILE *in, *out;",
        "    long sets, k;",
        "    if (argc != 4) {",
        "        return 2;",
        "    }",
        "    in = fopen(argv[1], \"rb\");",
        "    out = fopen(argv[2], \"wb\");",
        "    sets = strtol(argv[3], 0, 10);",
        "    if (in == 0 || out == 0) {",
        "        return 2;",
        "    }",
        "    for (k = 0; k < sets; k++) {",
        "        int status;",
        *reads,
        f"        status = {name}_invoke({arguments});",
        "        if (status != 0) {",
        "            fprintf(stderr, \"invoke returned %d\\n\", status);",
        "            return 5;",
        "        }",
        *writes,
        "    }",
        "    fclose(in);",
        "    return fclose(out) == 0 ? 0 : 4;",
        "}",
        "",
    ])


def _size(ctype: str) -> int:
    return {"int8_t": 1, "uint8_t": 1, "int16_t": 2, "uint16_t": 2, "int32_t": 4, "uint32_t": 4, "float": 4,
            "int64_t": 8, "uint64_t": 8, "double": 8}[ctype]


def _warnings(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if "warning:" in line]


def _run(command: list[str], what: str, cwd: Path | None = None, timeout: float | None = None) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, cwd=cwd, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise BuildError(f"{what}: did not finish in {timeout:.0f} s") from None
    if done.returncode != 0:
        message = (done.stderr or done.stdout).strip()
        raise BuildError(f"{what} failed (status {done.returncode}): {message[-1500:]}")
    return done.stderr + done.stdout


def verify_host(folder: GeneratedFolder, input_sets: list[list[np.ndarray]], expected: list[list[np.ndarray]],
                sanitize: bool = False) -> Verification:
    """Compile the library with the system C compiler and run it on every input set."""
    cc = c_build.compiler()
    if cc is None:
        raise MissingDependencyError("--verify on the host needs a C compiler (set CC, or install gcc or clang)")
    result = Verification("host", len(input_sets), sanitized=sanitize)
    flags = SANITIZE_FLAGS if sanitize else HOST_FLAGS
    with tempfile.TemporaryDirectory(prefix="microinfer-build-") as tmp:
        work = Path(tmp)
        (work / "harness.c").write_text(_host_harness(folder))
        objects, log = [], ""
        for source in [*folder.c_sources(), work / "harness.c"]:
            obj = work / f"{len(objects)}_{source.stem}.o"
            log += _run([*shlex.split(cc), *flags, f"-I{folder.src}", "-c", str(source), "-o", str(obj)],
                        f"compiling {source.name} for the host")
            objects.append(obj)
        result.warnings = _warnings(log)
        program = work / "verify"
        _run([*shlex.split(cc), *flags, *map(str, objects), "-o", str(program)], "linking the host test program")
        # sizes of an instrumented build say nothing about the library
        result.size = None if sanitize else _host_size(objects[:len(folder.c_sources())], folder)
        _write_inputs(work / "inputs.bin", input_sets)
        _run([str(program), str(work / "inputs.bin"), str(work / "outputs.bin"), str(len(input_sets))],
             "running the host test program", cwd=work, timeout=RUN_TIMEOUT_SECONDS)
        result.mismatches = _compare(folder, (work / "outputs.bin").read_bytes(), expected)
    return result


def _host_size(objects: list[Path], folder: GeneratedFolder) -> ImageSize | None:
    """Section sizes of the host objects (``size -A``): flash-like and RAM-like parts; no stack."""
    if shutil.which("size") is None:
        return None
    model = {"flash": 0, "data": 0, "bss": 0}
    kernels = {"flash": 0, "data": 0, "bss": 0}
    for obj in objects:
        part = model if obj.stem.split("_", 1)[1] == folder.name else kernels
        done = subprocess.run(["size", "-A", str(obj)], capture_output=True, text=True)
        for line in done.stdout.splitlines():
            fields = line.split()
            if len(fields) < 2 or not fields[1].isdigit():
                continue
            section, size = fields[0], int(fields[1])
            if section.startswith((".text", ".rodata")):
                part["flash"] += size
            elif section.startswith(".data"):
                part["data"] += size
                part["flash"] += size
            elif section.startswith(".bss"):
                part["bss"] += size
    return ImageSize(model["flash"], kernels["flash"], model["data"] + kernels["data"], model["bss"] + kernels["bss"],
                     None)


# -- emulated cores -------------------------------------------------------------------------------

_CORE_HARNESS = r"""/* microinfer build --verify: the test program for an emulated core. Inputs are read from the
   host through semihosting straight into the arena, outputs are written back to a file. */
#include <stddef.h>
#include <stdint.h>
#include "emu.h"
#include "@NAME@.h"

#define SYS_OPEN 0x01
#define SYS_CLOSE 0x02
#define SYS_WRITE 0x05
#define SYS_READ 0x06

extern uint32_t __bss_end;

@DECLARATIONS@

static int semihost(int operation, const void *argument)
{
    return emu_semihost(operation, argument);
}

static uint32_t length_of(const char *text)
{
    uint32_t n = 0u;
    while (text[n] != '\0') {
        n++;
    }
    return n;
}

static int open_file(const char *path, uint32_t mode)
{
    uint32_t args[3];
    args[0] = (uint32_t)path;
    args[1] = mode;
    args[2] = length_of(path);
    return semihost(SYS_OPEN, args);
}

static int transfer(int operation, int handle, void *data, uint32_t size)
{
    uint32_t args[3];
    args[0] = (uint32_t)handle;
    args[1] = (uint32_t)data;
    args[2] = size;
    return semihost(operation, args) == 0 ? 0 : -1;
}

static void print_count(const char *label, uint32_t index, const emu_count *count)
{
    emu_print(label);
    emu_print_hex(index);
    emu_print(" ");
    emu_print_hex(count->wraps);
    emu_print(" ");
    emu_print_hex(count->ticks_left);
    emu_print("\n");
}

#ifdef @UPPER@_LAYER_HOOKS
/* marks[0] and marks[1]: two hooks in a row (the cost of one); then one mark per layer run */
static emu_count marks[@UPPER@_LAYER_COUNT + 2];
static int32_t mark_layers[@UPPER@_LAYER_COUNT + 2];
static uint32_t mark_count;

void @NAME@_layer_hook(int32_t layer)
{
    if (mark_count < @UPPER@_LAYER_COUNT + 2u) {
        emu_counter_read(&marks[mark_count]);
        mark_layers[mark_count] = layer;
        mark_count++;
    }
}
#endif

static uint32_t stack_pointer(void)
{
    uint32_t sp;
#if defined(__riscv)
    __asm__ volatile("mv %0, sp" : "=r"(sp));
#else
    __asm__ volatile("mov %0, sp" : "=r"(sp));
#endif
    return sp;
}

void *memmove(void *destination, const void *source, size_t size);

__attribute__((optimize("no-tree-loop-distribute-patterns"))) void *memmove(void *destination, const void *source,
                                                                            size_t size)
{
    unsigned char *to = destination;
    const unsigned char *from = source;
    if (to < from) {
        while (size-- != 0u) {
            *to++ = *from++;
        }
    } else {
        while (size-- != 0u) {
            to[size] = from[size];
        }
    }
    return destination;
}

int main(void)
{
    emu_count warmup, empty_start, empty_end, start, end;
    uint32_t k, sp = 0u, lowest = 0u;
    int in, out;
    in = open_file("inputs.bin", 1u);  /* rb */
    out = open_file("outputs.bin", 5u); /* wb */
    if (in < 0 || out < 0) {
        emu_print("EMU-ERROR cannot open the input or output file\n");
        return 1;
    }
    emu_counter_start();
    emu_counter_read(&warmup);
    emu_counter_read(&empty_start);
    emu_counter_read(&empty_end);
    print_count("EMU-EMPTY-START ", 0u, &empty_start);
    print_count("EMU-EMPTY-END ", 0u, &empty_end);
    for (k = 0u; k < @SETS@u; k++) {
        int status;
@READS@
        if (k == 0u) {
            /* paint the free RAM below the stack, from the end of .bss to just below here */
            volatile uint32_t *word = (volatile uint32_t *)(((uint32_t)&__bss_end + 15u) & ~15u);
            sp = stack_pointer();
            while ((uint32_t)word < sp - 64u) {
                *word++ = 0x@PAINT@u;
            }
        }
#ifdef @UPPER@_LAYER_HOOKS
        mark_count = 0u;
        @NAME@_layer_hook(-1);
        @NAME@_layer_hook(-1);
        status = @NAME@_invoke(@ARGUMENTS@);
        start = marks[0];
        end = marks[1];
#else
        emu_counter_read(&start);
        status = @NAME@_invoke(@ARGUMENTS@);
        emu_counter_read(&end);
#endif
        if (status != 0) {
            emu_print("EMU-ERROR invoke returned a nonzero status\n");
            return 1;
        }
        if (k == 0u) {
            volatile uint32_t *word = (volatile uint32_t *)(((uint32_t)&__bss_end + 15u) & ~15u);
            while ((uint32_t)word < sp - 64u && *word == 0x@PAINT@u) {
                word++;
            }
            lowest = (uint32_t)word;
            print_count("EMU-INVOKE-START ", 0u, &start);
            print_count("EMU-INVOKE-END ", 0u, &end);
            emu_print("EMU-STACK ");
            emu_print_hex(sp - lowest);
            emu_print("\n");
#ifdef @UPPER@_LAYER_HOOKS
            {
                uint32_t m;
                for (m = 0u; m < mark_count; m++) {
                    print_count("EMU-MARK ", (uint32_t)mark_layers[m], &marks[m]);
                }
            }
#endif
        }
@WRITES@
    }
    semihost(SYS_CLOSE, &in);
    semihost(SYS_CLOSE, &out);
    emu_print("EMU-DONE\n");
    return 0;
}
"""


def _core_harness(folder: GeneratedFolder, sets: int) -> str:
    name, lib = folder.name, folder.library
    declarations, reads, writes = [], [], []
    for io in lib.inputs:
        reads.append(f"        if (transfer(SYS_READ, in, {name}_input{io.position}(), {io.nbytes}u) != 0) {{ "
                     f"emu_print(\"EMU-ERROR short read\\n\"); return 1; }}")
    for io in lib.outputs:
        declarations.append(f"static {io.ctype} out{io.position}[{max(io.nbytes // _size(io.ctype), 1)}];")
        writes.append(f"        if (transfer(SYS_WRITE, out, out{io.position}, {io.nbytes}u) != 0) {{ "
                      f"emu_print(\"EMU-ERROR short write\\n\"); return 1; }}")
    arguments = ", ".join([f"{name}_input{io.position}()" for io in lib.inputs] +
                          [f"out{io.position}" for io in lib.outputs])
    text = _CORE_HARNESS
    for key, value in {"@DECLARATIONS@": "\n".join(declarations), "@READS@": "\n".join(reads),
                       "@WRITES@": "\n".join(writes), "@ARGUMENTS@": arguments, "@SETS@": str(sets),
                       "@NAME@": name, "@UPPER@": name.upper(), "@PAINT@": f"{STACK_PAINT:08X}"}.items():
        text = text.replace(key, value)
    return text


_COUNT = re.compile(r"^(EMU-[A-Z-]+) ([0-9a-f]{8}) ([0-9a-f]{8}) ([0-9a-f]{8})$", re.MULTILINE)
_STACK = re.compile(r"^EMU-STACK ([0-9a-f]{8})$", re.MULTILINE)


def _compile_core(folder: GeneratedFolder, core: emu.EmulatedCore, work: Path, harness: Path, hooks: bool):
    thumb = ("-mthumb",) if core.toolchain.startswith("arm") else ()
    flags = [*core.cflags, *thumb, *CORE_FLAGS, f"-I{folder.src}", f"-I{emu.emulation_dir()}"]
    if hooks:
        flags.append(f"-D{folder.name.upper()}_LAYER_HOOKS")
    objects, log = {}, ""
    sources = {"model": [folder.source_path], "kernels": list(folder.kernel_sources),
               "harness": [emu.emulation_dir() / core.startup, harness]}
    folder_objects = work / ("hooked" if hooks else "plain")
    folder_objects.mkdir(exist_ok=True)
    for part, files in sources.items():
        for source in files:
            obj = folder_objects / f"{part}__{source.stem}.o"
            log += _run([f"{core.toolchain}gcc", *flags, "-c", str(source), "-o", str(obj)],
                        f"compiling {source.name} for {core.name}")
            objects[obj] = part
    return objects, log, flags


def _link_core(objects: dict[Path, str], flags: list[str], core: emu.EmulatedCore, work: Path, tag: str) -> Path:
    machine = core.machine
    script = work / "image.ld"
    script.write_text(emu._linker_script(machine))
    elf = work / f"{tag}.elf"
    _run([f"{core.toolchain}gcc", *flags, "-nostdlib", "-nostartfiles", "-Wl,--gc-sections", "-T", str(script),
          f"-Wl,-Map={work / (tag + '.map')}", *map(str, objects), "-lgcc", "-o", str(elf)],
         f"linking the test program for {core.name} ({machine.name})")
    return elf


def _qemu(core: emu.EmulatedCore, elf: Path, work: Path) -> str:
    machine = core.machine
    command = [machine.qemu, "-M", machine.name, *machine.qemu_args, "-nographic", "-monitor", "none", "-serial", "none",
               "-semihosting-config", "enable=on,target=native", "-icount", "shift=7", "-kernel", str(elf)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, cwd=work, timeout=RUN_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        raise BuildError(f"{machine.name}: the test program did not finish in {RUN_TIMEOUT_SECONDS} s") from None
    text = done.stderr + done.stdout
    if done.returncode != 0 or "EMU-DONE" not in text:
        raise BuildError(f"the test program did not finish on {machine.name} ({core.name}): {text.strip()[-600:]}")
    return text


def _counts(text: str) -> dict[str, list[tuple[int, tuple[int, int]]]]:
    found: dict[str, list] = {}
    for label, index, wraps, left in _COUNT.findall(text):
        found.setdefault(label, []).append((int(index, 16), (int(wraps, 16), int(left, 16))))
    return found


def _map_sizes(map_text: str, parts: dict[str, str]) -> dict[str, dict[str, int]]:
    """Bytes of each output section (.text, .rodata, .data, .bss, ...) per part, from a GNU ld map.
    ``parts`` maps object file names to "model", "kernels" or "harness"; archive members (libgcc)
    count as "kernels" (the runtime helpers the kernels need)."""
    body = map_text.split("Linker script and memory map", 1)[-1]
    lines = body.splitlines()
    sizes: dict[str, dict[str, int]] = {}
    section = None
    pending = None
    entry = re.compile(r"^ (\S+)\s+0x([0-9a-fA-F]+)\s+0x([0-9a-fA-F]+)\s+(\S.*)$")
    continuation = re.compile(r"^\s+0x([0-9a-fA-F]+)\s+0x([0-9a-fA-F]+)\s+(\S.*)$")
    output = re.compile(r"^(\.[\w.]+)(\s+0x[0-9a-fA-F]+\s+0x[0-9a-fA-F]+.*)?$")
    for line in lines:
        top = output.match(line)
        if top:
            section = top.group(1)
            pending = None
            continue
        if section is None:
            continue
        match = entry.match(line)
        if match:
            name, size, where = match.group(1), int(match.group(3), 16), match.group(4).strip()
            pending = None
        elif pending is not None and continuation.match(line):
            match = continuation.match(line)
            name, size, where = pending, int(match.group(2), 16), match.group(3).strip()
            pending = None
        else:
            bare = re.match(r"^ (\.\S+|COMMON)\s*$", line)
            pending = bare.group(1) if bare else None
            continue
        if name.startswith("*") or size == 0:
            continue
        part = "kernels" if "(" in where and where.endswith(")") else parts.get(Path(where).name, "harness")
        bucket = sizes.setdefault(part, {})
        bucket[section] = bucket.get(section, 0) + size
    return sizes


def _image_size(map_text: str, objects: dict[Path, str], stack: int | None) -> ImageSize:
    sizes = _map_sizes(map_text, {obj.name: part for obj, part in objects.items()})

    def flash(part: str) -> int:
        s = sizes.get(part, {})
        return sum(v for k, v in s.items() if k in (".text", ".rodata", ".data", ".ARM.exidx"))

    def ram(part: str, section: str) -> int:
        return sizes.get("model", {}).get(section, 0) + sizes.get("kernels", {}).get(section, 0) \
            if part == "library" else sizes.get(part, {}).get(section, 0)

    return ImageSize(flash("model"), flash("kernels"), ram("library", ".data"), ram("library", ".bss"), stack)


def verify_core(folder: GeneratedFolder, core_name: str, input_sets: list[list[np.ndarray]],
                expected: list[list[np.ndarray]], layers: bool = True) -> Verification:
    """Build the library for an emulated core, run every input set under QEMU, measure and count."""
    core = emu.core_named(core_name)
    emu.check_toolchain(core)
    result = Verification(core_name, len(input_sets))
    with tempfile.TemporaryDirectory(prefix="microinfer-build-") as tmp:
        work = Path(tmp)
        _write_inputs(work / "inputs.bin", input_sets)
        harness = work / "harness.c"
        harness.write_text(_core_harness(folder, len(input_sets)))
        objects, log, flags = _compile_core(folder, core, work, harness, hooks=False)
        result.warnings = [w for w in _warnings(log) if "harness" not in w and core.startup not in w]
        elf = _link_core(objects, flags, core, work, "plain")
        text = _qemu(core, elf, work)
        result.mismatches = _compare(folder, (work / "outputs.bin").read_bytes(), expected)
        counts = _counts(text)
        empty = _elapsed(core, counts, "EMU-EMPTY-START", "EMU-EMPTY-END")
        result.instructions = _elapsed(core, counts, "EMU-INVOKE-START", "EMU-INVOKE-END") - empty
        stack = _STACK.search(text)
        result.size = _image_size((work / "plain.map").read_text(), objects,
                                  int(stack.group(1), 16) if stack else None)
        if layers:
            (work / "inputs.bin").unlink()
            _write_inputs(work / "inputs.bin", input_sets[:1])
            harness.write_text(_core_harness(folder, 1))
            objects, _, flags = _compile_core(folder, core, work, harness, hooks=True)
            (work / "outputs.bin").unlink()
            text = _qemu(core, _link_core(objects, flags, core, work, "hooked"), work)
            result.layers = _layer_counts(folder, core, _counts(text).get("EMU-MARK", []))
    return result


def _elapsed(core: emu.EmulatedCore, counts, start: str, end: str) -> int:
    try:
        return emu._elapsed(core.machine, counts[start][0][1], counts[end][0][1])
    except (KeyError, IndexError):
        raise BuildError(f"{core.name}: the test program reported no {start}/{end} count") from None


def _layer_counts(folder: GeneratedFolder, core: emu.EmulatedCore, marks) -> list[LayerInstructions]:
    """Instructions between successive layer marks, minus one hook's own cost (measured by the
    two marks the harness takes in a row before the invoke)."""
    if len(marks) < 3:
        return []
    readings = [reading for _, reading in marks]
    overhead = emu._elapsed(core.machine, readings[0], readings[1])
    ops = {original: op for original, op, _ in folder.library.layers}
    layers = []
    for (index, _), a, b in zip(marks[2:], readings[1:], readings[2:]):
        layers.append(LayerInstructions(index, ops.get(index, "?"), max(emu._elapsed(core.machine, a, b) - overhead, 0)))
    return layers
