"""Loading the C kernel library: the environment override, and a clear error when it is missing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from microinfer.c_backend import build, loader

from .c_check import requires_c

SRC = Path(__file__).resolve().parents[2] / "src"

PROBE = """
import numpy as np
import microinfer
from microinfer.testing import build
from microinfer import Interpreter
from microinfer.c_backend import KernelLibraryError
model = build("FULLY_CONNECTED/int8/per_tensor")
x = np.zeros((2, 16), np.int8)
assert Interpreter(model).run([x])[0].shape == (2, 5)
auto = Interpreter(model, backend="auto")
print("auto", auto.backend)
try:
    Interpreter(model, backend="c")
except KernelLibraryError as error:
    print("error", error)
"""


def run_probe(library: str) -> str:
    env = {**os.environ, loader.ENV_VAR: library, "PYTHONPATH": str(SRC)}
    result = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_missing_library_keeps_numpy_working_and_explains(tmp_path):
    out = run_probe(str(tmp_path / "nowhere" / loader.LIBRARY_NAME))
    assert "auto numpy" in out
    assert "does not exist" in out and "python -m microinfer.c_backend.build" in out


def test_unloadable_library_is_reported(tmp_path):
    bogus = tmp_path / loader.LIBRARY_NAME
    bogus.write_bytes(b"not an ELF file")
    out = run_probe(str(bogus))
    assert "auto numpy" in out and "failed to load" in out


@requires_c
def test_environment_override_is_used(tmp_path):
    if build.compiler() is None:
        pytest.skip("no C compiler")
    copy = build.build_library(tmp_path / loader.LIBRARY_NAME)
    out = run_probe(str(copy))
    assert "auto c" in out and "error" not in out
