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


def _one_layer(op: str, in_shape, out_shape, options, weights=None, second=None, pool=False) -> bytes:
    """A one-operator int8 model with per-channel weights (``weights``: shape, axis) and a bias."""
    from microinfer.tflite import ModelBuilder

    builder = ModelBuilder(description="tests/test_emulate.py")
    g, rng = builder.main, np.random.default_rng(5)
    inputs = [g.add_input("x", in_shape, "int8", scale=0.05, zero_point=-3)]
    if second is not None:
        inputs.append(g.add_input("y", second, "int8", scale=0.08, zero_point=6))
    if weights is not None:
        shape, axis = weights
        scales = rng.uniform(0.002, 0.01, 1 if axis is None else shape[axis]).astype(np.float32)
        inputs.append(g.add_constant("w", rng.integers(-127, 128, shape).astype(np.int8), "int8", scale=scales,
                                     zero_point=0, axis=axis or 0))
        channels = shape[0] if op != "DEPTHWISE_CONV_2D" else shape[3]
        inputs.append(g.add_constant("b", rng.integers(-3000, 3000, channels).astype(np.int32), "int32",
                                     scale=(scales * np.float32(0.05)).astype(np.float32), zero_point=0))
    q = (0.05, -3) if pool else (0.08, 6)
    y = g.add_output("out", out_shape, "int8", scale=q[0], zero_point=q[1])
    g.add_operator(op, inputs, [y], options, version=3 if op == "CONV_2D" else 2)
    return builder.build()


def _kernel_path_cases() -> dict[str, bytes]:
    """Shapes that reach every branch of the Cortex-M paths: channel tails, columns not a multiple of
    the vector width, strides, dilation, padding, several lhs rows, windows beyond 16-bit sums."""
    from microinfer.tflite.options import AddOptions, Conv2DOptions, DepthwiseConv2DOptions, \
        FullyConnectedOptions, Pool2DOptions
    from microinfer.tflite.types import ActivationFunction, Padding

    none, same, valid = ActivationFunction.NONE, Padding.SAME, Padding.VALID
    conv = lambda h, w, cin, cout, k, s, pad, d=1, out=None: _one_layer(  # noqa: E731
        "CONV_2D", (1, h, w, cin), out, Conv2DOptions(pad, s, s, none, d, d), ((cout, k, k, cin), 0))
    dw = lambda h, w, c, k, s, m, d, out: _one_layer(  # noqa: E731
        "DEPTHWISE_CONV_2D", (1, h, w, c), out, DepthwiseConv2DOptions(same, s, s, m, none, d, d),
        ((1, k, k, c * m), 3))
    pool = lambda op, h, w, c, k, s, pad, out: _one_layer(op, (1, h, w, c), out,  # noqa: E731
                                                          Pool2DOptions(pad, s, s, k, k), pool=True)
    return {
        "conv 7x5x5->7 k3 s2 same": conv(7, 5, 5, 7, 3, 2, same, out=(1, 4, 3, 7)),
        "conv 6x6x2->3 k2 dilation 2": conv(6, 6, 2, 3, 2, 1, valid, 2, out=(1, 4, 4, 3)),
        "conv 1x1 5x5x20->9 s2": conv(5, 5, 20, 9, 1, 2, valid, out=(1, 3, 3, 9)),
        "conv 1x1 3x4x3->5": conv(3, 4, 3, 5, 1, 1, valid, out=(1, 3, 4, 5)),
        "fc 3 rows 37->11": _one_layer("FULLY_CONNECTED", (3, 37), (3, 11), FullyConnectedOptions(),
                                       ((11, 37), None)),
        "dw 3x3 7x6x7": dw(7, 6, 7, 3, 1, 1, 1, (1, 7, 6, 7)),
        "dw 3x3 9x9x20 s2": dw(9, 9, 20, 3, 2, 1, 1, (1, 5, 5, 20)),
        "dw 5x5 6x6x8": dw(6, 6, 8, 5, 1, 1, 1, (1, 6, 6, 8)),
        "dw 3x3 8x8x6 dilation 2": dw(8, 8, 6, 3, 1, 1, 2, (1, 8, 8, 6)),
        "avg 17x17x5 k17": pool("AVERAGE_POOL_2D", 17, 17, 5, 17, 17, valid, (1, 1, 1, 5)),
        "avg 6x6x19 k3 s2 same": pool("AVERAGE_POOL_2D", 6, 6, 19, 3, 2, same, (1, 3, 3, 19)),
        "max 5x5x21 k2 s2": pool("MAX_POOL_2D", 5, 5, 21, 2, 2, valid, (1, 2, 2, 21)),
        "add 4x5x6 + 1x1x6": _one_layer("ADD", (1, 4, 5, 6), (1, 4, 5, 6), AddOptions(), second=(1, 1, 1, 6)),
        "add 3x7 + 3x7": _one_layer("ADD", (1, 3, 7), (1, 3, 7), AddOptions(), second=(1, 3, 7)),
    }


@requires_toolchain
@requires_c
@pytest.mark.parametrize("core", CORES)
def test_kernel_paths_bit_exact_on_every_core(core):
    """Every branch of the Cortex-M kernels (tiles and their tails, edges, strides, wide windows)
    gives the NumPy kernels' bits."""
    failures = []
    for name, model in _kernel_path_cases().items():
        (layer,) = emulate(load(model), core, seed=4).layers
        if not (layer.covered and layer.bit_exact):
            failures.append(f"{name}: {layer.reason or f'{layer.mismatches} outputs differ'}")
    assert not failures, failures


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
    rows 23 * 3 + 2 * 2 = 73, columns 3 * 3 + 2 * 2 = 13. The DSP path takes 16 groups of four
    channels per pixel, whole filter rows for the 3 pixels of a row whose taps are all inside
    horizontally, single taps at the 2 edge pixels; the portable path two 32-channel blocks."""
    from microinfer.emulate.analytic import loop_constants, loop_work

    sg = load(shared_model_path("kws_ref_model.tflite")).main
    work = loop_work(sg, sg.operators[1], loop_constants()["dsp"], "dsp")
    assert work.kind == "depthwise_m1"
    assert work.units["row"] == 73 * 3 * 16 and work.units["edge_row"] == 73 * 2 * 16
    assert work.units["row"] * 3 + work.units["edge_tap"] == 73 * 13 * 16
    assert work.units["output"] == 25 * 5 * 64
    portable = loop_work(sg, sg.operators[1], loop_constants()["scalar"], "scalar")
    assert portable.units["tap"] == 73 * 13 * 2 and portable.units["mac"] == 73 * 13 * 64


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


def _fast_requantize_program(acc: np.ndarray, multiplier: np.ndarray, shift: np.ndarray) -> LayerProgram:
    """Runs the short requantizers of mi_requant.fast on each triple: mi_requantize_fast (|acc| <
    2**30, shift <= -1), mi_requantize_fast_checked (any acc) and mi_requantize_fast_unshifted
    (shift 0), then mi_requantize_block_s8 with fast = MI_FAST_CHECKED (offset 5, clamp to
    [-128, 127])."""
    n = acc.size
    source = f"""#include <stdint.h>
#include "mi_requantize.h"
extern const int32_t acc_values[], multipliers[], shifts[];
static struct {{ int32_t fast[{n}]; int32_t checked[{n}]; int32_t unshifted[{n}]; int8_t block[{n}]; }} results;
const void *const layer_output = &results;
const uint32_t layer_output_size = sizeof results;
int32_t layer_run(void)
{{
    const mi_requant quant = {{multipliers, shifts, 0, MI_ROUND_DOUBLE, MI_FAST_CHECKED}};
    const mi_activation act = {{-128, 127}};
    for (int i = 0; i < {n}; i++) {{
        const int32_t bounded = acc_values[i] / 2; /* |acc / 2| < 2**30 */
        results.fast[i] = mi_requantize_fast(bounded, multipliers[i], shifts[i]);
        results.checked[i] = mi_requantize_fast_checked(acc_values[i], multipliers[i], shifts[i]);
        results.unshifted[i] = mi_requantize_fast_unshifted(bounded, multipliers[i]);
    }}
    mi_requantize_block_s8(acc_values, {n}, &quant, 0, 5, act, results.block);
    return 0;
}}
"""
    blobs = {"acc_values": acc.astype("<i4").tobytes(), "multipliers": multiplier.astype("<i4").tobytes(),
             "shifts": shift.astype("<i4").tobytes()}
    return LayerProgram(source, blobs)


@requires_toolchain
@pytest.mark.parametrize("core", CORES)
def test_fast_requantizers_bit_exact_on_every_core(core):
    """The short requantizers (SMMLAR on the DSP cores, 16-bit halves on the M0+, VQRDMULH on
    Helium) against TFLite's double rounding, for multipliers >= 0 and right shifts, boundary
    accumulators and ties included."""
    from microinfer.kernels.fixedpoint import multiply_by_quantized_multiplier

    rng = np.random.default_rng(11)
    n = 3000
    acc = rng.integers(-2**31, 2**31, n, dtype=np.int64)
    acc[:200] = rng.choice([-2**31, 2**31 - 1, -2**30 - 1, -2**30, 2**30, 2**30 - 1, -1, 0, 1], 200)
    acc[200:600] = rng.integers(-3000, 3000, 400)  # small accumulators: the ties of the rounding
    multiplier = rng.integers(2**30, 2**31, n, dtype=np.int64)
    multiplier[600:700] = rng.choice([0, 1, 2**30, 2**31 - 1], 100)
    shift = rng.integers(-31, 0, n, dtype=np.int64)
    shift[700:800] = rng.choice([-1, -2, -31], 100)
    measured = run_layer(_fast_requantize_program(acc, multiplier, shift), core_named(core))
    out = measured.output
    bounded = (acc.astype(np.int64) // 2) + ((acc < 0) & (acc % 2 != 0))  # C's division truncates
    fast = np.frombuffer(out[:4 * n], "<i4")
    assert np.array_equal(fast, multiply_by_quantized_multiplier(bounded, multiplier, shift).astype(np.int32))
    checked = np.frombuffer(out[4 * n:8 * n], "<i4")
    expected = multiply_by_quantized_multiplier(acc, multiplier, shift).astype(np.int32)
    assert np.array_equal(checked, expected), np.flatnonzero(checked != expected)[:10]
    unshifted = np.frombuffer(out[8 * n:12 * n], "<i4")
    assert np.array_equal(unshifted, multiply_by_quantized_multiplier(bounded, multiplier, 0).astype(np.int32))
    block = np.frombuffer(out[12 * n:13 * n], np.int8)
    assert np.array_equal(block, np.clip(expected.astype(np.int64) + 5, -128, 127))


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
def test_svdf_runs_on_the_state_it_read():
    """SVDF reads its state (input 4, a variable tensor) and updates it in place: the emulated layer
    gets that input (not input 1, the weights), in RAM, as it was before the run, and matches the
    NumPy kernel bit for bit."""
    model = load(shared_model_path("keyword_scrambled.tflite"))
    result = emulate(model, "cortex-m4f", layers={1, 3})
    svdf = [layer for layer in result.covered if layer.op == "SVDF"]
    assert len(svdf) == 2 and all(layer.bit_exact for layer in svdf), [layer.reason for layer in svdf]


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


@requires_toolchain
@requires_c
@pytest.mark.parametrize("core", CORES)
def test_fit_prices_microinfer_layers_as_emulate_counts_them(core):
    """Issue 16 on kws_ref_model (every kernel kind but ADD): `microinfer fit --kernels microinfer`
    per layer against the emulated count on the same core, median |error| at most 10% and at least
    90% of layers within 25% (benchmarks/emulate_sweep.py checks all shared models)."""
    from microinfer.cost import estimate

    model = load(shared_model_path("kws_ref_model.tflite"))
    result = emulate(model, core)
    fitted = {layer.index: layer.cost.instructions for layer in estimate(model, core=core, kernels="microinfer").layers}
    errors = [abs(fitted[layer.index] / layer.instructions - 1) for layer in result.covered]
    assert len(errors) == 12
    assert np.median(errors) <= 0.10 and sum(e <= 0.25 for e in errors) >= 0.9 * len(errors), errors
