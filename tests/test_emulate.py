"""The C kernels on emulated Cortex-M cores: exact instruction counts, bit-exact outputs.

Truths: hand-written loops whose instruction counts are known by construction; the NumPy kernels
(the spec) for every layer's output; hand-worked instruction classes and cycle sums.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from microinfer import cli
from microinfer.c_backend import unavailable_reason
from microinfer.emulate import EmulationError, core_named, emulate, run_layer
from microinfer.emulate.machine import INSTALL_HINT, LayerProgram, check_toolchain
from microinfer.emulate.timing import Instruction, InstructionMix, _register_count, instruction_class, timing_table
from microinfer.errors import MissingDependencyError, UnsupportedTargetError
from microinfer.testing import build
from microinfer.tflite import load

from conftest import shared_model_path

CORES = ("cortex-m0plus", "cortex-m4f", "cortex-m55")
_MISSING_TOOLS = [t for t in ("arm-none-eabi-gcc", "qemu-system-arm") if shutil.which(t) is None]
requires_toolchain = pytest.mark.skipif(
    bool(_MISSING_TOOLS), reason=f"emulation needs {', '.join(_MISSING_TOOLS)}; {INSTALL_HINT}")
_C_REASON = unavailable_reason()
requires_c = pytest.mark.skipif(_C_REASON is not None, reason=f"C kernel library unavailable: {_C_REASON}")


def _loop_program(iterations: int) -> LayerProgram:
    """A two-instruction loop (SUBS, BNE) run ``iterations`` times, and a 4-byte output."""
    source = f"""#include <stdint.h>
static uint8_t out[4];
const void *const layer_output = out;
const uint32_t layer_output_size = 4u;
extern const uint8_t toy_input[];
int32_t layer_run(void)
{{
    uint32_t n = {iterations}u;
    __asm__ volatile(".syntax unified\\n1: subs %0, %0, #1\\n\\tbne 1b" : "+l"(n) :: "cc");
    for (int i = 0; i < 4; i++) {{
        out[i] = (uint8_t)(toy_input[i] + 1u);
    }}
    return 0;
}}
"""
    return LayerProgram(source, {"toy_input": bytes([1, 2, 3, 250])})


@requires_toolchain
@pytest.mark.parametrize("core,small", [(c, False) for c in CORES] + [("cortex-m0plus", True)])
def test_loop_counts_are_exact(core, small):
    target = core_named(core)
    short, long = (run_layer(_loop_program(n), target, small=small) for n in (1000, 2000))
    assert long.instructions - short.instructions == 2000
    assert short.output == bytes([2, 3, 4, 251])


@requires_toolchain
@pytest.mark.parametrize("core", CORES)
def test_counts_stay_exact_across_systick_wraps(core):
    """About 6 and 18 million instructions: the 24-bit SysTick wraps several times."""
    target = core_named(core)
    short, long = (run_layer(_loop_program(n), target) for n in (3_000_000, 9_000_000))
    assert long.instructions - short.instructions == 12_000_000


@requires_toolchain
@requires_c
@pytest.mark.parametrize("core", CORES)
@pytest.mark.parametrize("name", [
    "CONV_2D/int8/per_channel", "DEPTHWISE_CONV_2D/int8/multiplier1", "DEPTHWISE_CONV_2D/int8/multiplier2",
    "FULLY_CONNECTED/int8/per_channel", "FULLY_CONNECTED/int16x8", "AVERAGE_POOL_2D/int8", "ADD/int8/broadcast",
    "SOFTMAX/int8",
])
def test_layers_bit_exact_with_numpy(name, core):
    result = emulate(load(build(name)), core, seed=3)
    (layer,) = result.layers
    assert layer.covered, layer.reason
    assert layer.bit_exact, f"{layer.mismatches} outputs differ from the NumPy kernel"
    # the block trace (which gives the cycle estimate) sees the instructions SysTick counts, to
    # within blocks QEMU cut short (a few per 100,000)
    assert abs(layer.traced_instructions - layer.instructions) <= max(16, layer.instructions // 1000)
    assert layer.estimated_cycles >= layer.instructions * 0.8


@requires_toolchain
@requires_c
def test_isa_paths_need_fewer_instructions_per_mac():
    """kws_ref_model: layer 0 is a general 10x4 convolution, layer 2 a 1x1 convolution."""
    model = load(shared_model_path("kws_ref_model.tflite"))
    per_mac = {}
    for core in CORES:
        result = emulate(model, core, layers={0, 2})
        assert result.all_bit_exact
        per_mac[core] = [layer.instructions_per_mac for layer in result.covered]
    for m0, m4, m55 in zip(*(per_mac[c] for c in CORES)):
        assert m0 > m4 > m55, per_mac


@requires_toolchain
@requires_c
def test_cli_json(tmp_path, capsys):
    path = tmp_path / "fc.tflite"
    path.write_bytes(build("FULLY_CONNECTED/int8/per_tensor"))
    assert cli.main(["emulate", str(path), "--core", "cortex-m4f", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["bit_exact"] is True and report["core"] == "cortex-m4f"
    assert report["layers"][0]["instructions"] == report["instructions"] > 0


@requires_toolchain
def test_layer_that_does_not_fit_names_the_memory():
    program = LayerProgram("""#include <stdint.h>
static uint8_t out[32768];
const void *const layer_output = out;
const uint32_t layer_output_size = sizeof out;
int32_t layer_run(void) { return 0; }
""", {})
    with pytest.raises(EmulationError, match="does not fit"):
        run_layer(program, core_named("cortex-m0plus"), small=True)  # microbit: 16 KB of RAM


def test_missing_toolchain_says_how_to_install(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda tool: None)
    with pytest.raises(MissingDependencyError, match="apt-get install .*gcc-arm-none-eabi.*qemu-system-arm"):
        check_toolchain()


def test_unknown_core_lists_known_ones():
    with pytest.raises(UnsupportedTargetError, match="cortex-m0plus, cortex-m4f, cortex-m55"):
        core_named("cortex-m3")


def test_instruction_classes():
    def cls(mnemonic, operands=""):
        return instruction_class(Instruction(0, 2, mnemonic, operands, "f"))

    assert [cls("smlad"), cls("sxtb16"), cls("smlal"), cls("muls"), cls("ldrsb.w"), cls("strb"), cls("pop"),
            cls("bne.n"), cls("ble.n"), cls("le"), cls("letp"), cls("bl"), cls("bx"), cls("vmladava.s8"),
            cls("vldrb.s16"), cls("vctp.8"), cls("adds"), cls("bic.w")] == [
        "dsp", "dsp", "long_multiply", "multiply", "load", "store", "load_multiple", "branch", "branch",
        "loop_end", "loop_end", "call", "indirect", "vector_mac", "vector_load", "vector", "alu", "alu"]
    assert _register_count("{r4, r5, r6, lr}") == 4
    assert _register_count("{r4-r7, pc}") == 5


def test_cycle_estimate_adds_up_by_hand():
    m4 = timing_table("cortex-m4f")
    mix = InstructionMix()
    mix.classes.update({"alu": 10, "load": 4, "dsp": 8, "branch": 3, "load_multiple": 1})
    mix.registers = 5
    mix.taken_branches = 2
    # 10*1 + 4*2 + 8*1 + 3*1 + 1*1 + 5 registers*1 + 2 taken*(3 - 1)
    assert m4.estimate(mix) == 10 + 8 + 8 + 3 + 1 + 5 + 4
    assert np.isclose(timing_table("cortex-m55").cycles["loop_end"], 0)


def test_loop_work_counts_taps_inside_the_image():
    """kws layer 1: 3x3 depthwise, SAME, stride 1, on 25x5x64. Taps inside the image per axis:
    rows 23 * 3 + 2 * 2 = 73, columns 3 * 3 + 2 * 2 = 13; two 32-channel blocks."""
    from microinfer.emulate.analytic import loop_constants, loop_work

    sg = load(shared_model_path("kws_ref_model.tflite")).main
    work = loop_work(sg, sg.operators[1], loop_constants()["dsp"])
    assert work.kind == "depthwise_3x3"
    assert work.units["tap"] == 73 * 13 * 2
    assert work.units["mac"] == 73 * 13 * 64
    assert work.units["output"] == 25 * 5 * 64


@requires_toolchain
@requires_c
@pytest.mark.parametrize("core", CORES)
def test_analytic_loop_model_within_15_percent(core):
    """The loop model's instruction count against the emulator's on layers whose shapes were not
    used to read the loop constants (vww's depthwise and 1x1 layers 3 to 7): median within 15%."""
    from microinfer.emulate.analytic import analytic_layer_instructions

    model = load(shared_model_path("vww_96_int8.tflite"))
    result = emulate(model, core, layers={3, 4, 5, 6, 7})
    estimates = analytic_layer_instructions(model, core)
    differences = [abs(estimates[layer.index] / layer.instructions - 1) for layer in result.covered]
    assert len(differences) == 5 and np.median(differences) <= 0.15, differences


def _requantize_program(acc: np.ndarray, multiplier: np.ndarray, shift: np.ndarray) -> LayerProgram:
    """Runs mi_requantize_double (the requantizer every int8 kernel uses) on each triple, then
    mi_requantize_block_s8 (offset -3, clamp to [-100, 120]) over all of them."""
    source = f"""#include <stdint.h>
#include "mi_requantize.h"
extern const int32_t acc_values[], multipliers[], shifts[];
static int32_t out[{acc.size}];
static int8_t block_out[{acc.size}];
static struct {{ int32_t scalar[{acc.size}]; int8_t block[{acc.size}]; }} results;
const void *const layer_output = &results;
const uint32_t layer_output_size = sizeof results;
int32_t layer_run(void)
{{
    const mi_requant quant = {{multipliers, shifts, MI_ROUND_DOUBLE, 0}};
    const mi_activation act = {{-100, 120}};
    for (int i = 0; i < {acc.size}; i++) {{
        out[i] = mi_requantize_double(acc_values[i], multipliers[i], shifts[i]);
    }}
    mi_requantize_block_s8(acc_values, {acc.size}, &quant, 0, -3, act, block_out);
    for (int i = 0; i < {acc.size}; i++) {{
        results.scalar[i] = out[i];
        results.block[i] = block_out[i];
    }}
    return 0;
}}
"""
    blobs = {"acc_values": acc.astype("<i4").tobytes(), "multipliers": multiplier.astype("<i4").tobytes(),
             "shifts": shift.astype("<i4").tobytes()}
    return LayerProgram(source, blobs)


@requires_toolchain
@pytest.mark.parametrize("core", CORES)
def test_requantizer_bit_exact_on_every_core(core):
    """The requantizer compiled for each core (its Arm and Helium paths included) against the NumPy
    spec, TFLite's MultiplyByQuantizedMultiplier with double rounding, extremes included."""
    from microinfer.kernels.fixedpoint import multiply_by_quantized_multiplier

    rng = np.random.default_rng(7)
    n = 3000
    acc = rng.integers(-2**31, 2**31, n, dtype=np.int64)
    acc[:300] = rng.choice([-2**31, 2**31 - 1, -1, 0, 1, 2**30, -2**30], 300)
    multiplier = rng.integers(2**30, 2**31, n, dtype=np.int64)
    multiplier[300:600] = rng.choice([2**30, 2**31 - 1, 0, 1, -1, -2**31, -2**30], 300)
    shift = rng.integers(-31, 31, n, dtype=np.int64)  # a left shift wraps, in the reference too
    expected = multiply_by_quantized_multiplier(acc, multiplier, shift).astype(np.int32)
    measured = run_layer(_requantize_program(acc, multiplier, shift), core_named(core))
    got = np.frombuffer(measured.output[:4 * n], "<i4")
    assert np.array_equal(got, expected), np.flatnonzero(got != expected)[:10]
    block = np.frombuffer(measured.output[4 * n:5 * n], np.int8)
    assert np.array_equal(block, np.clip(expected.astype(np.int64) - 3, -100, 120)), np.flatnonzero(
        block != np.clip(expected.astype(np.int64) - 3, -100, 120))[:10]


@requires_toolchain
@requires_c
def test_a_layer_that_fails_to_run_is_reported_not_bit_exact(monkeypatch):
    from microinfer.emulate import run as emulation_run

    def failing(*args, **kwargs):
        raise EmulationError("mps2-an386: the layer program did not finish in 300 s")

    monkeypatch.setattr(emulation_run, "run_layer", failing)
    result = emulate(load(build("FULLY_CONNECTED/int8/per_tensor")), "cortex-m4f")
    (layer,) = result.layers
    assert layer.covered and not layer.bit_exact and "did not finish" in layer.reason
    assert not result.all_bit_exact
