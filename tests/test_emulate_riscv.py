"""RISC-V (RV32IMC) emulation: microinfer's portable C kernels under qemu-system-riscv32, counted
exactly by minstret, bit-exact against the NumPy kernels."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from microinfer.c_backend import unavailable_reason
from microinfer.emulate import core_named, emulate, run_layer
from microinfer.emulate.machine import RISCV_INSTALL_HINT, LayerProgram
from microinfer.tflite import load

from conftest import shared_model_path

CORE = "rv32imc"
_MISSING = [t for t in ("riscv64-unknown-elf-gcc", "qemu-system-riscv32") if shutil.which(t) is None]
requires_riscv = pytest.mark.skipif(bool(_MISSING), reason=f"emulation needs {', '.join(_MISSING)}; {RISCV_INSTALL_HINT}")
_C_REASON = unavailable_reason()
requires_c = pytest.mark.skipif(_C_REASON is not None, reason=f"C kernel library unavailable: {_C_REASON}")


def _loop_program(iterations: int) -> LayerProgram:
    """A two-instruction loop (ADDI, BNEZ) run ``iterations`` times, and a 4-byte output."""
    source = f"""#include <stdint.h>
static uint8_t out[4];
const void *const layer_output = out;
const uint32_t layer_output_size = 4u;
extern const uint8_t toy_input[];
int32_t layer_run(void)
{{
    uint32_t n = {iterations}u;
    __asm__ volatile(".option push\\n.option norvc\\n1: addi %0, %0, -1\\n\\tbnez %0, 1b\\n.option pop" : "+r"(n));
    for (int i = 0; i < 4; i++) {{
        out[i] = (uint8_t)(toy_input[i] + 1u);
    }}
    return 0;
}}
"""
    return LayerProgram(source, {"toy_input": bytes([1, 2, 3, 250])})


@requires_riscv
def test_loop_counts_are_exact():
    target = core_named(CORE)
    short, long = (run_layer(_loop_program(n), target) for n in (1000, 2000))
    assert long.instructions - short.instructions == 2000
    assert short.output == bytes([2, 3, 4, 251])


@requires_riscv
def test_counts_stay_exact_past_the_low_word():
    """minstret's low word holds 2**32 ns of virtual time, 33.5 million instructions at 128 ns each:
    40 million instructions carry into the high word."""
    target = core_named(CORE)
    short, long = (run_layer(_loop_program(n), target) for n in (1_000_000, 21_000_000))
    assert long.instructions - short.instructions == 40_000_000


@requires_riscv
@requires_c
@pytest.mark.parametrize("name", ["kws_ref_model.tflite", "ad01_int8.tflite"])
def test_layers_bit_exact_with_numpy(name):
    result = emulate(load(shared_model_path(name)), CORE)
    assert result.covered and result.all_bit_exact
    for layer in result.covered:
        assert layer.instructions > 0
        assert abs(layer.traced_instructions - layer.instructions) <= max(16, layer.instructions // 1000)


@requires_riscv
def test_requantizer_bit_exact():
    from test_emulate import _requantize_program
    from microinfer.kernels.fixedpoint import multiply_by_quantized_multiplier

    rng = np.random.default_rng(7)
    n = 2000
    acc = rng.integers(-2**31, 2**31, n, dtype=np.int64)
    acc[:200] = rng.choice([-2**31, 2**31 - 1, -1, 0, 1, 2**30, -2**30], 200)
    multiplier = rng.integers(2**30, 2**31, n, dtype=np.int64)
    shift = rng.integers(-31, 31, n, dtype=np.int64)
    expected = multiply_by_quantized_multiplier(acc, multiplier, shift).astype(np.int32)
    measured = run_layer(_requantize_program(acc, multiplier, shift), core_named(CORE))
    assert np.array_equal(np.frombuffer(measured.output[:4 * n], "<i4"), expected)


def test_loop_work_follows_the_portable_paths():
    """rv32imc runs the host's C paths: FULLY_CONNECTED as one vector-matrix product per row (4
    channels a pass, the rest one at a time, blocks of 64), 1x1 convolutions of up to 8 input
    channels summed pixel by pixel over a transposed filter, the others in 2x4 tiles of two rows."""
    from microinfer.emulate.analytic import loop_constants, loop_work

    constants = loop_constants()["rv32"]
    ad01 = load(shared_model_path("ad01_int8.tflite")).main
    fc = loop_work(ad01, ad01.operators[0], constants, "rv32")  # 640 -> 128
    assert fc.kind == "fully_connected"
    assert (fc.units["group"], fc.units["tile"], fc.units["tile_single"]) == (2, 32, 0)
    assert fc.units["mac"] == 32 * 640 and fc.units["output"] == 128
    vww = load(shared_model_path("vww_96_int8.tflite")).main
    narrow = loop_work(vww, vww.operators[2], constants, "rv32")  # 1x1, 8 -> 16 channels on 48x48
    assert narrow.units["narrow_mac"] == 48 * 48 * 8 * 16 and narrow.units["weight"] == 16 * 8
    assert "tile" not in narrow.units
    kws = load(shared_model_path("kws_ref_model.tflite")).main
    wide = loop_work(kws, kws.operators[2], constants, "rv32")  # 1x1, 64 -> 64 on 25x5
    assert wide.units["tile"] == 62 * 16 and wide.units["tile_single"] == 16  # 62 row pairs, 1 row left
    assert wide.units["widen"] == 63 * 64 and wide.units["mac"] == 62 * 16 * 64


@requires_riscv
@requires_c
def test_analytic_loop_model_within_15_percent():
    """The loop model against the emulator on layers whose shapes the calibration did not see (vww's
    depthwise and 1x1 layers 3 to 7)."""
    from microinfer.emulate.analytic import analytic_layer_instructions

    model = load(shared_model_path("vww_96_int8.tflite"))
    result = emulate(model, CORE, layers={3, 4, 5, 6, 7})
    estimates = analytic_layer_instructions(model, CORE)
    differences = [abs(estimates[layer.index] / layer.instructions - 1) for layer in result.covered]
    assert len(differences) == 5 and np.median(differences) <= 0.15, differences


@requires_riscv
@requires_c
def test_fit_prices_microinfer_layers_as_emulate_counts_them():
    """Issue 16 on the ESP32-C3 (the rv32 path): fit's per-layer instructions against the emulated
    rv32imc counts of kws_ref_model."""
    from microinfer.cost import estimate

    model = load(shared_model_path("kws_ref_model.tflite"))
    result = emulate(model, CORE)
    fitted = {layer.index: layer.cost.instructions for layer in estimate(model, core="esp32c3", kernels="microinfer").layers}
    errors = [abs(fitted[layer.index] / layer.instructions - 1) for layer in result.covered]
    assert len(errors) == 12
    assert np.median(errors) <= 0.10 and sum(e <= 0.25 for e in errors) >= 0.9 * len(errors), errors
