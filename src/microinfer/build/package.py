"""Lay the generated library out as a folder that drops into a CMake, Make or Arduino project.

    DIR/
      library.properties        Arduino library metadata
      CMakeLists.txt            add_subdirectory(DIR) + target_link_libraries(app NAME)
      Makefile                  make -> libNAME.a
      README.md                 RAM and flash figures, how to call it
      src/NAME.h, src/NAME.c    the model
      src/microinfer_nn/        the kernels the model calls (and what they call), flat

The kernels are copied from ``kernels_c/`` into one flat folder (includes such as
``"support/mi_nn_support.h"`` are rewritten to the flat name), so every ``#include "..."``
resolves next to the including file and no include path needs setting: Arduino adds only
``src/`` to it. Which kernel files a model needs is found by following, from the functions the
generated code calls, the ``mi_*`` functions each kernel file calls.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..c_backend import build as c_build
from .lower import BuildError

KERNELS_FOLDER = "microinfer_nn"
_INCLUDE = re.compile(r'^(\s*#\s*include\s+")([^"]+)(")', re.MULTILINE)
_DEFINITION = re.compile(r"^[A-Za-z_][\w \t\*]*?\b(mi_\w+)\s*\([^;{]*\)\s*\{", re.MULTILINE)
_CALLED = re.compile(r"\b(mi_\w+)\s*\(")
_STATIC = re.compile(r"^\s*static\b")

# Included first by every copied kernel file: picks the kernels' Cortex-M code paths from the
# compiler's own feature macros, as CMSIS-NN does, so that no project needs to define them.
TARGET_HEADER = "mi_nn_target.h"
ISA_AUTODETECT = """/* Added by microinfer build: the Cortex-M code paths follow the compiler's target features
   (-mcpu=cortex-m4 selects the DSP path, -mcpu=cortex-m55 Helium), unless set explicitly. */
#ifndef MI_NN_TARGET_H
#define MI_NN_TARGET_H
#if !defined(ARM_MATH_DSP) && defined(__ARM_FEATURE_DSP) && (__ARM_FEATURE_DSP == 1)
#define ARM_MATH_DSP
#endif
#if !defined(ARM_MATH_MVEI) && defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#define ARM_MATH_MVEI
#endif
#endif
"""


@dataclass(frozen=True)
class KernelFiles:
    sources: list[Path]  # .c files of kernels_c/src the model needs
    headers: list[Path]  # every header they (and the generated code) include


def kernel_files(functions: list[str], root: Path | None = None) -> KernelFiles:
    """The kernel sources defining ``functions`` and everything they call, and their headers."""
    root = root or c_build.kernels_dir()
    sources = c_build.sources(root)
    defined: dict[str, Path] = {}
    calls: dict[Path, set[str]] = {}
    for path in sources:
        text = _without_comments(path.read_text())
        for match in _DEFINITION.finditer(text):
            line_start = text.rfind("\n", 0, match.start()) + 1
            if _STATIC.match(text[line_start:match.end()]):
                continue
            defined.setdefault(match.group(1), path)
        calls[path] = set(_CALLED.findall(text))
    needed: list[Path] = []
    pending = list(functions)
    seen: set[str] = set()
    while pending:
        function = pending.pop()
        if function in seen:
            continue
        seen.add(function)
        path = defined.get(function)
        if path is None:
            continue  # a static helper or a macro-like name: lives in a header
        if path not in needed:
            needed.append(path)
            pending.extend(calls[path])
    missing = [f for f in functions if f not in defined]
    if missing:
        raise BuildError(f"no kernel file defines {', '.join(missing)} under {root / 'src'}")
    headers = _header_closure([root / "include" / "microinfer_nn.h", *needed], root)
    return KernelFiles(sorted(needed), headers)


def _without_comments(text: str) -> str:
    return re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.DOTALL)


def _header_closure(files: list[Path], root: Path) -> list[Path]:
    search = [root / "include", root / "src"]
    found: list[Path] = []
    pending = list(files)
    visited: set[Path] = set()
    while pending:
        path = pending.pop()
        if path in visited:
            continue
        visited.add(path)
        for match in _INCLUDE.finditer(path.read_text()):
            target = _resolve_include(match.group(2), path, search)
            if target is None:
                raise BuildError(f"{path.name} includes {match.group(2)!r}, which is not under {root}")
            if target not in found:
                found.append(target)
            pending.append(target)
    return sorted(found, key=lambda p: p.name)


def _resolve_include(name: str, including: Path, search: list[Path]) -> Path | None:
    for folder in (including.parent, *search):
        candidate = folder / name
        if candidate.is_file():
            return candidate.resolve()
    return None


def _flat_text(path: Path) -> str:
    """The file with quoted includes rewritten to flat names."""
    text = _INCLUDE.sub(lambda m: m.group(1) + Path(m.group(2)).name + m.group(3), path.read_text())
    if path.suffix == ".c":
        text = f'#include "{TARGET_HEADER}"\n' + text
    return text


def write_kernels(folder: Path, files: KernelFiles) -> list[Path]:
    """Copy the kernel files flat into ``folder``; the written paths."""
    folder.mkdir(parents=True, exist_ok=True)
    names: dict[str, Path] = {}
    written = []
    for path in [*files.headers, *files.sources]:
        if path.name in names and names[path.name] != path:
            raise BuildError(f"two kernel files are named {path.name}: {names[path.name]} and {path}")
        names[path.name] = path
        target = folder / path.name
        target.write_text(_flat_text(path))
        written.append(target)
    (folder / TARGET_HEADER).write_text(ISA_AUTODETECT)
    written.append(folder / TARGET_HEADER)
    return written


def cmake_lists(name: str, kernel_sources: list[str]) -> str:
    sources = "\n".join(f"    src/{KERNELS_FOLDER}/{s}" for s in kernel_sources)
    return f"""# {name}: generated by `microinfer build`. In your project:
#   add_subdirectory({name})
#   target_link_libraries(your_app PRIVATE {name})
cmake_minimum_required(VERSION 3.13)
project({name} C)

add_library({name} STATIC
    src/{name}.c
{sources}
)
target_include_directories({name} PUBLIC src)
set_target_properties({name} PROPERTIES C_STANDARD 99 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)
if(CMAKE_C_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options({name} PRIVATE -Wall -Wextra)
endif()
"""


def makefile(name: str, kernel_sources: list[str], cflags: str) -> str:
    objects = " \\\n    ".join([f"src/{name}.o"] + [f"src/{KERNELS_FOLDER}/{s[:-2]}.o" for s in kernel_sources])
    return f"""# {name}: generated by `microinfer build`. `make` builds lib{name}.a with $(CC);
# cross-compile with e.g. `make CC=arm-none-eabi-gcc CFLAGS="-mcpu=cortex-m4 -mthumb -O2"`.
CC ?= cc
AR ?= ar
CFLAGS ?= {cflags}
CFLAGS += -std=c99 -Wall -Wextra -Isrc

OBJECTS = \\
    {objects}

lib{name}.a: $(OBJECTS)
\t$(AR) rcs $@ $(OBJECTS)

%.o: %.c
\t$(CC) $(CFLAGS) -c $< -o $@

clean:
\trm -f lib{name}.a $(OBJECTS)

.PHONY: clean
"""


def library_properties(name: str, model_name: str, version: str) -> str:
    return f"""name={name}
version={version}
author=microinfer build
maintainer=microinfer build
sentence={model_name} as a standalone C library (no interpreter, no malloc), generated by microinfer build.
paragraph=Bit-exact with TensorFlow Lite Micro's reference kernels. Call {name}_invoke() from your sketch.
category=Data Processing
url=https://github.com/
architectures=*
includes={name}.h
"""
