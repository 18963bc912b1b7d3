"""The C kernel tests again, against a build with AddressSanitizer and UndefinedBehaviorSanitizer.

The instrumented library is loaded through MICROINFER_KERNELS_LIB in a subprocess (libasan
preloaded, since python itself is not instrumented); any out-of-bounds access, signed overflow
or bad shift aborts that run and fails this test.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from microinfer.c_backend import build, loader

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parents[1]
SKIP = {"test_sanitizers.py", "test_shared_models_c.py"}


def _runtime(compiler: str, name: str) -> str | None:
    result = subprocess.run([*compiler.split(), f"-print-file-name={name}"], capture_output=True, text=True)
    path = result.stdout.strip()
    return path if result.returncode == 0 and os.path.isabs(path) and os.path.exists(path) else None


def test_c_kernel_tests_pass_under_asan_and_ubsan(tmp_path):
    compiler = build.compiler()
    if compiler is None:
        pytest.skip("no C compiler")
    if not build.kernels_dir().is_dir():
        pytest.skip(f"C sources not found at {build.kernels_dir()}")
    asan = _runtime(compiler, "libasan.so")
    if asan is None:
        pytest.skip(f"{compiler} has no AddressSanitizer runtime")
    try:
        library = build.build_library(tmp_path / loader.LIBRARY_NAME, sanitize=True)
    except RuntimeError as error:
        pytest.skip(f"sanitizer build unsupported here: {error}")
    tests = sorted(str(p) for p in TESTS.glob("test_*.py") if p.name not in SKIP)
    env = {
        **os.environ,
        loader.ENV_VAR: str(library),
        "LD_PRELOAD": asan,
        "ASAN_OPTIONS": "detect_leaks=0:abort_on_error=1",
        "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1",
        "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")]),
    }
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", *tests],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
    )
    report = (result.stdout + result.stderr)[-6000:]
    assert result.returncode == 0, report
    assert "skipped" not in result.stdout.splitlines()[-1], report  # the C tests really ran
    for marker in ("AddressSanitizer", "runtime error:"):
        assert marker not in result.stderr, report


ALLOWED_UNDEFINED = {"memcpy", "memset"}  # besides the compiler's own __aeabi_* helpers


def test_kernels_compile_for_cortex_m0plus(tmp_path):
    """Every kernel file is plain C99 a Cortex-M compiler accepts (the smallest core: no DSP
    extension), with no libc beyond memcpy/memset."""
    import shutil

    cpu = "cortex-m0plus"
    cc = shutil.which("arm-none-eabi-gcc")
    nm = shutil.which("arm-none-eabi-nm")
    if cc is None or nm is None:
        pytest.skip("arm-none-eabi-gcc not installed")
    root = build.kernels_dir()
    undefined = set()
    for source in build.sources(root):
        obj = tmp_path / (source.stem + ".o")
        result = subprocess.run([cc, f"-mcpu={cpu}", "-mthumb", "-O2", "-std=c99", "-pedantic", "-ffreestanding",
                                 "-Wall", "-Wextra", "-Werror", f"-I{root / 'include'}", f"-I{root / 'src'}", "-c",
                                 str(source), "-o", str(obj)], capture_output=True, text=True)
        assert result.returncode == 0, f"{source.name} for {cpu}:\n{result.stderr}"
        symbols = subprocess.run([nm, "-u", str(obj)], capture_output=True, text=True).stdout.split()
        undefined |= {s for s in symbols if s != "U"}
    assert {s for s in undefined if not s.startswith(("mi_", "__aeabi_"))} <= ALLOWED_UNDEFINED
