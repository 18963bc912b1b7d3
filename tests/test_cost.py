"""The cost model: cost values add up, loop counts turn into the hand-worked instruction totals,
and the predictions reproduce published measurements (latency, kernel-library ratios, memory
effects)."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from conftest import SHARED_MODELS, shared_model_path
from microinfer import ModelBuilder, load
from microinfer.cost import Cost, estimate
from microinfer.cost.layers import geometry
from microinfer.cost.loops import LIBRARIES, Mix
from microinfer.examples import EXAMPLES
from microinfer.tflite.options import FullyConnectedOptions
from microinfer.tflite.types import ActivationFunction

ANCHORS = SHARED_MODELS.parent / "anchors" / "latency_published.csv"


def test_costs_add_and_scale():
    a = Cost(cycles=100, instructions=80, macs=10, stall_cycles=5, bytes_read={"flash": 10})
    b = Cost(cycles=50, instructions=40, macs=6, bytes_read={"flash": 2, "sram": 8})
    s = a + b
    assert (s.cycles, s.instructions, s.macs, s.stall_cycles) == (150, 120, 16, 5)
    assert s.bytes_read == {"flash": 12, "sram": 8}
    assert (2 * b).bytes_read == {"flash": 4, "sram": 16} and (b * 2).cycles == 100
    assert s.cycles_per_mac == 150 / 16


def test_mix_turns_classes_into_cycles():
    mix = Mix(per=16, load=1, load_seq=5, simd=4, mac=8, alu=7, branch=1)
    cm4 = {"load": 2, "load_seq": 2, "simd": 1, "mac": 1, "alu": 1, "branch": 3}
    assert mix.instructions == 26 / 16
    assert mix.cycles(cm4) == (2 + 10 + 4 + 8 + 7 + 3) / 16


def _fully_connected(depth: int, units: int) -> bytes:
    builder = ModelBuilder()
    g = builder.main
    rng = np.random.default_rng(0)
    x = g.add_input("x", (1, depth), "int8", scale=0.05, zero_point=-3)
    w = g.add_constant("w", rng.integers(-127, 128, (units, depth), dtype=np.int8), scale=0.01, zero_point=0)
    b = g.add_constant("b", rng.integers(-100, 100, units, dtype=np.int32), scale=0.0005, zero_point=0)
    y = g.add_output("y", (1, units), "int8", scale=0.08, zero_point=6)
    g.add_operator("FULLY_CONNECTED", [x, w, b], [y],
                   FullyConnectedOptions(fused_activation_function=ActivationFunction.NONE), version=4)
    return builder.build()


def test_fully_connected_instructions_from_trip_counts():
    """CMSIS-NN DSP FC, 256 x 64: arm_fully_connected_s8 runs one call, one batch row, 16,384 MACs
    (depth 256, a multiple of the loop's 4) and 64 requantized outputs; each unit costs the
    instructions targets/loops/cmsis-nn.toml holds, plus one interpreter step of 585 instructions.
    Cycles: each unit's instructions at the cycles per instruction of its loop's class mix."""
    from microinfer.cost.loops import CMSIS_NN_DSP, OP_OVERHEAD, loop_table

    result = estimate(_fully_connected(256, 64), core="cortex-m4f", kernels="cmsis-nn")
    (layer,) = result.layers
    assert layer.cost.macs == 16_384
    assert (layer.kernel, layer.source) == ("arm_fully_connected_s8", "calibrated")
    c = loop_table("cmsis-nn")["dsp"]["arm_fully_connected_s8"]
    units = {"call": 1, "row": 1, "mac": 16_384, "output": 64}
    assert layer.cost.instructions == pytest.approx(sum(n * c[u] for u, n in units.items()) + 585)
    cpi = {"alu": 1, "mul": 1, "mac": 1, "simd": 1, "load": 2, "load_seq": 2, "store": 1, "branch": 3, "call": 6}
    kernel = CMSIS_NN_DSP["fully_connected"]
    per = {u: kernel.drivers[d].cycles(cpi) / kernel.drivers[d].instructions
           for u, d in (("call", "op"), ("row", "op"), ("mac", "mac"), ("output", "output"))}
    per["row"] = OP_OVERHEAD.cycles(cpi) / OP_OVERHEAD.instructions  # no pixel loop in this kernel: generic mix
    expected = sum(n * c[u] * per[u] for u, n in units.items()) + OP_OVERHEAD.cycles(cpi)
    assert layer.cost.cycles == pytest.approx(expected)
    assert result.latency_ms == pytest.approx(layer.cost.cycles / 120e3)  # default clock 120 MHz


def test_layer_costs_sum_to_the_model():
    result = estimate(EXAMPLES["person-detect"](), "nucleo-l4r5zi")
    total = sum(layer.cost.cycles for layer in result.layers)
    assert result.cycles == round(total)
    assert result.cost.macs == 7_157_888  # TFLM person_detect MACs (anchors README)
    shares = [layer["share"] for layer in result.to_dict()["layers"]]
    assert sum(shares) == pytest.approx(1, abs=1e-3)


def test_geometry_of_a_pointwise_conv():
    model = load(EXAMPLES["person-detect"]())
    sg = model.main
    g = geometry(sg, sg.operators[2])  # 1x1 conv 8 -> 16 channels on 48x48
    assert g.kind == "conv_1x1"
    assert g.work["mac"] == 48 * 48 * 16 * 8 and g.work["output"] == 48 * 48 * 16
    assert g.weight_bytes == 16 * 8 + 16 * 4


def test_every_library_path_prices_every_kernel_kind_on_its_cores():
    model = EXAMPLES["person-detect"]()
    for board, kernels in [("raspberry-pi-pico", "cmsis-nn"), ("nucleo-l4r5zi", "cmsis-nn"),
                           ("alif-ensemble-e7", "cmsis-nn"), ("esp32-devkitc", "esp-nn"),
                           ("esp32-s3-eye", "esp-nn"), ("nucleo-h743zi2", "tflm-reference")]:
        result = estimate(model, board, kernels=kernels)
        assert result.cycles > result.cost.macs * 0.1 > 0
    assert {lib for lib, _ in LIBRARIES} == {"tflm-reference", "cmsis-nn", "esp-nn"}


@functools.cache
def _shared(name: str):
    return load(shared_model_path(name))


@pytest.mark.parametrize("board", ["nucleo-l4r5zi", "nucleo-h743zi2", "arduino-nano-33-ble-sense"])
def test_reference_kernels_are_10_to_35_times_slower_than_cmsis_nn(board):
    """Published on Cortex-M4/M7 for convolutional models: person_detect 13.0 s vs 0.39 s on an
    STM32F413 (33x), MCUNet models 10-12x on an STM32H743."""
    models = [load(EXAMPLES["person-detect"]())]
    if SHARED_MODELS.is_dir():
        models += [_shared("vww_96_int8.tflite"), _shared("pretrainedResnet_quant.tflite"),
                   _shared("kws_ref_model.tflite")]
    for model in models:
        ratio = estimate(model, board, kernels="tflm-reference").cycles / estimate(model, board, kernels="cmsis-nn").cycles
        assert 10 <= ratio <= 35, ratio


def test_weights_in_flash_cost_20_to_25_percent_on_stm32():
    """Bosch, MLPerf Tiny v1.2: the AD autoencoder with weights in internal flash instead of RAM
    runs 20-25% slower on STM32L4R5 (and U575/H7A3/F746)."""
    model = _shared("ad01_int8.tflite")
    flash = estimate(model, "nucleo-l4r5zi", weights_in="flash")
    ram = estimate(model, "nucleo-l4r5zi", weights_in="sram")
    assert 1.15 <= flash.latency_ms / ram.latency_ms <= 1.30
    assert ram.cost.stall_cycles == 0 and flash.cost.bytes_read["flash"] == flash.cost.macs
    assert "model copied to RAM" in [line.what for line in ram.ram.lines]


def test_arena_in_external_ram_costs_15_to_25_percent():
    """STM32H747 (Arduino GIGA), VWW with CMSIS-NN: 51.4 ms with the arena in SRAM, 63.8 ms in SDRAM
    (+24%); ESP32-S3 person detection: 47 ms in internal RAM, 54 ms in PSRAM (+15%)."""
    vww = _shared("vww_96_int8.tflite")
    sdram = estimate(vww, "arduino-giga-r1", arena_in="sdram").latency_ms
    sram = estimate(vww, "arduino-giga-r1", arena_in="sram").latency_ms
    assert 1.10 <= sdram / sram <= 1.35
    person = EXAMPLES["person-detect"]()
    psram = estimate(person, "esp32-s3-eye", arena_in="psram").latency_ms
    internal = estimate(person, "esp32-s3-eye", arena_in="sram").latency_ms
    assert 1.05 <= psram / internal <= 1.35


def test_median_error_against_published_latencies_within_25_percent():
    if not ANCHORS.is_file():
        pytest.skip(f"{ANCHORS} not found")
    shared_model_path("vww_96_int8.tflite")
    from microinfer.cost.calibration import median_abs_error, predict_all

    predictions = [p for p in predict_all(ANCHORS, SHARED_MODELS) if p.shared_model and not p.skipped]
    assert len(predictions) >= 20
    assert {p.target for p in predictions} >= {"nucleo-l4r5zi", "ek-ra6m4", "numaker-m467hj", "arduino-giga-r1"}
    assert median_abs_error(predictions) <= 0.25


def _row(**fields) -> dict:
    row = dict(benchmark="KWS DS-CNN", board="", mcu="", core="Cortex-M4F", clock_mhz="", framework="",
               latency_ms="100", energy_uj="")
    row.update(fields)
    return row


@pytest.mark.parametrize("fields, expected", [
    (dict(board="NUCLEO-L4R5ZI", framework="TFLM + CMSIS-NN"), ("nucleo-l4r5zi", "cmsis-nn", None, "")),
    (dict(board="Arduino Giga R1", framework="TFLM (cmsis_nn kernels), arena external SDRAM"),
     ("arduino-giga-r1", "cmsis-nn", "sdram", "")),
    (dict(mcu="STM32F746NG", clock_mhz="216", core="Cortex-M7", framework="TFLM reference kernels"),
     ("cortex-m7@216", "tflm-reference", None, "")),
    (dict(mcu="STM32F413ZH", framework="TFLM + CMSIS-NN"), (None, None, None, "no clock given")),
    (dict(core="RISC-V RV32IMC", clock_mhz="160", framework="TFLM + ESP-NN"), (None, None, None, "core not modelled")),
    (dict(benchmark="MobileNetV3-Small", board="NUCLEO-L4R5ZI", framework="TFLM + CMSIS-NN"),
     (None, None, None, "model not available")),
    (dict(board="NUCLEO-L4R5ZI", framework="TFLM + Gecko SDK (MVP accel)"), (None, None, None, "kernel library")),
])
def test_published_rows_map_to_targets(fields, expected):
    from microinfer.cost.calibration import plan_row

    planned = plan_row(_row(**fields))
    target, kernels, arena_in, skipped = expected
    if skipped:
        assert skipped in planned.skipped
    else:
        assert (planned.target, planned.kernels, planned.arena_in, planned.skipped) == (target, kernels, arena_in, "")
