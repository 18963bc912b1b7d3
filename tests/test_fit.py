"""`microinfer fit` and estimate(): verdicts consistent with the arena planner, energy and battery
life worked by hand, the command line's outputs and errors."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from microinfer import ModelBuilder, plan
from microinfer.cli import main
from microinfer.cost import estimate, estimate_all_boards
from microinfer.errors import UnsupportedTargetError
from microinfer.examples import EXAMPLES
from microinfer.targets import board_names, builtin_dir, read_toml
from microinfer.tflite.options import Conv2DOptions
from microinfer.tflite.types import ActivationFunction, Padding


def _pointwise(side: int, channels: int = 8) -> bytes:
    """One 1x1 convolution over a side x side x channels int8 image: the arena holds input and
    output, 2 * side^2 * channels bytes."""
    builder = ModelBuilder()
    g = builder.main
    rng = np.random.default_rng(0)
    x = g.add_input("x", (1, side, side, channels), "int8", scale=0.05, zero_point=-3)
    w_scales = np.full(channels, 0.01, np.float32)
    w = g.add_constant("w", rng.integers(-127, 128, (channels, 1, 1, channels), dtype=np.int8),
                       scale=w_scales, zero_point=np.zeros(channels), axis=0)
    b = g.add_constant("b", np.zeros(channels, np.int32), scale=0.05 * w_scales, zero_point=np.zeros(channels))
    y = g.add_output("y", (1, side, side, channels), "int8", scale=0.08, zero_point=6)
    g.add_operator("CONV_2D", [x, w, b], [y], Conv2DOptions(padding=Padding.VALID, stride_w=1, stride_h=1,
                   fused_activation_function=ActivationFunction.NONE), version=3)
    return builder.build()


def _board_file(name: str) -> dict:
    return read_toml(builtin_dir() / "boards" / f"{name}.toml")


@pytest.mark.parametrize("side, fits", [(64, True), (112, True), (128, False), (256, False)])
def test_ram_verdict_follows_the_planner(side, fits):
    """Nano 33 BLE Sense, 256 KB: arena (TFLM planner, arm32, CMSIS-NN) + stack + runtime vs RAM."""
    model = _pointwise(side)
    board = _board_file("arduino-nano-33-ble-sense")
    arena = plan(model, "tflm", abi="arm32", kernels="cmsis-nn", core="cortex-m4f").min_working_arena_bytes
    need = arena + board["stack_bytes"] + board["runtime_ram_bytes"]
    result = estimate(model, "arduino-nano-33-ble-sense")
    assert result.arena_bytes == arena and result.ram.total == need
    assert result.ram.margin == board["memory"]["sram"]["size_kib"] * 1024 - need
    assert result.fits is fits and (result.ram.margin >= 0) is fits
    if not fits:
        assert any("boards with room" in tip for tip in result.suggestions)


def test_does_not_fit_names_the_shortfall_on_the_command_line(tmp_path, capsys):
    path = tmp_path / "big.tflite"
    path.write_bytes(_pointwise(160))
    assert main(["fit", str(path), "--board", "arduino-nano-33-ble-sense"]) == 0
    out = capsys.readouterr().out
    result = estimate(path, "arduino-nano-33-ble-sense")
    assert f"DOES NOT FIT: RAM short by {-result.ram.margin:,} B" in out
    assert "try: boards with room for it:" in out and "nucleo-l4r5zi" in out
    huge = estimate(_pointwise(256), "nucleo-l4r5zi")
    assert "arduino-giga-r1 (arena in sdram)" in huge.suggestions[-1]


def test_flash_verdict_counts_model_code_and_firmware():
    model = EXAMPLES["person-detect"]()
    result = estimate(model, "raspberry-pi-pico")
    flash = {line.what: line.bytes for line in result.flash.lines}
    assert flash["model (.tflite)"] == len(model)
    assert result.flash.total == sum(flash.values())
    assert result.flash.margin == 2048 * 1024 - result.flash.total


def test_energy_and_battery_life_by_hand():
    model = EXAMPLES["magic-wand"]()
    result = estimate(model, "arduino-nano-33-ble-sense", rate_per_s=2, battery="CR2032")
    ms = result.latency_ms
    assert result.energy_uj == pytest.approx(3.0 * 3.3 * ms)  # V x mA x ms = uJ
    duty = 2 * ms / 1000
    average_ma = 3.3 * duty + 0.0032 * (1 - duty)
    assert result.battery_life.hours == pytest.approx(235 / average_ma)


def test_rate_beyond_the_latency_has_no_battery_life():
    result = estimate(EXAMPLES["person-detect"](), "raspberry-pi-pico", kernels="tflm-reference", rate_per_s=50)
    assert result.battery_life.hours is None


def test_core_and_clock_without_a_board_scale_latency():
    model = EXAMPLES["magic-wand"]()
    slow = estimate(model, core="cortex-m4f", clock_mhz=50)
    fast = estimate(model, core="cortex-m4f", clock_mhz=100)
    assert slow.cycles == fast.cycles and slow.latency_ms == pytest.approx(2 * fast.latency_ms)
    assert slow.fits and slow.energy_uj is None


def test_bad_targets_raise_clear_errors():
    model = EXAMPLES["magic-wand"]()
    with pytest.raises(UnsupportedTargetError, match="known boards"):
        estimate(model, "no-such-board")
    with pytest.raises(UnsupportedTargetError, match="does not run on esp32"):
        estimate(model, "esp32-devkitc", kernels="cmsis-nn")
    with pytest.raises(UnsupportedTargetError, match="has no memory region 'sdram'"):
        estimate(model, "nucleo-l4r5zi", arena_in="sdram")
    with pytest.raises(UnsupportedTargetError, match="a board or a core"):
        estimate(model)


def test_fit_json_has_the_documented_fields(tmp_path, capsys):
    path = tmp_path / "wand.tflite"
    path.write_bytes(EXAMPLES["magic-wand"]())
    assert main(["fit", str(path), "--board", "nucleo-l4r5zi", "--rate", "3600/h", "--battery", "2xAA", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    for key in ("fits", "latency_ms", "cycles", "ram_bytes", "flash_bytes", "energy_uj", "layers"):
        assert key in data
    assert data["battery"]["rate_per_s"] == 1 and data["estimate"] is True
    assert sum(layer["cycles"] for layer in data["layers"]) == pytest.approx(data["cycles"], abs=len(data["layers"]))


def test_fit_table_and_csv(tmp_path, capsys):
    path = tmp_path / "wand.tflite"
    path.write_bytes(EXAMPLES["magic-wand"]())
    out_csv = tmp_path / "layers.csv"
    assert main(["fit", str(path), "--core", "cortex-m0plus", "--clock-mhz", "48", "--csv", str(out_csv)]) == 0
    out = capsys.readouterr().out
    assert "FITS" in out and "latency: est." in out and "est. cycles" in out
    rows = list(csv.DictReader(out_csv.open()))
    assert [r["op"] for r in rows][:2] == ["CONV_2D", "MAX_POOL_2D"]


def test_all_boards_ranks_fitting_boards_first(tmp_path, capsys):
    results = estimate_all_boards(_pointwise(160))
    verdicts = [r.fits for r in results]
    assert verdicts == sorted(verdicts, reverse=True) and True in verdicts and False in verdicts
    fitting = [r.latency_ms for r in results if r.fits]
    assert fitting == sorted(fitting)
    path = tmp_path / "m.tflite"
    path.write_bytes(_pointwise(64))
    assert main(["fit", str(path), "--all-boards", "--csv", str(tmp_path / "boards.csv")]) == 0
    assert "raspberry-pi-pico" in capsys.readouterr().out
    assert len(list(csv.DictReader((tmp_path / "boards.csv").open()))) == len(results)


def test_cli_errors_exit_2(tmp_path, capsys):
    path = tmp_path / "wand.tflite"
    path.write_bytes(EXAMPLES["magic-wand"]())
    assert main(["fit", str(path), "--board", "nucleo-x"]) == 2
    assert "unknown board 'nucleo-x'; known boards:" in capsys.readouterr().err
    assert main(["fit", str(path), "--board", "nucleo-l4r5zi", "--rate", "fast"]) == 2
    assert "--rate 'fast'" in capsys.readouterr().err
    assert main(["fit", str(path), "--board", "nucleo-l4r5zi", "--battery", "D-cell"]) == 2
    assert "known batteries" in capsys.readouterr().err


def test_user_targets_dir_on_the_command_line(tmp_path, capsys):
    (tmp_path / "boards").mkdir()
    text = (builtin_dir() / "boards" / "nucleo-l4r5zi.toml").read_text()
    (tmp_path / "boards" / "my-l4.toml").write_text(text.replace('name = "nucleo-l4r5zi"', 'name = "my-l4"')
                                                   .replace("clock_mhz = 120", "clock_mhz = 60"))
    path = tmp_path / "wand.tflite"
    path.write_bytes(EXAMPLES["magic-wand"]())
    assert main(["fit", str(path), "--board", "my-l4", "--targets", str(tmp_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["clock_mhz"] == 60


def test_memory_placement_from_the_command_line(tmp_path, capsys):
    path = tmp_path / "person.tflite"
    path.write_bytes(EXAMPLES["person-detect"]())
    runs = {}
    for arena in ("sram", "psram"):
        assert main(["fit", str(path), "--board", "esp32-s3-eye", "--arena-in", arena, "--json"]) == 0
        runs[arena] = json.loads(capsys.readouterr().out)
    assert runs["psram"]["arena_in"] == "psram" and runs["psram"]["latency_ms"] > runs["sram"]["latency_ms"]
    assert runs["psram"]["ram"]["regions"]["psram"]["used"] == runs["psram"]["arena_bytes"]
    assert main(["fit", str(path), "--board", "esp32-s3-eye", "--weights-in", "tcm"]) == 2
    assert "has no memory region 'tcm'" in capsys.readouterr().err


def test_fit_all_boards_json_is_one_object(tmp_path, capsys):
    path = tmp_path / "wand.tflite"
    path.write_bytes(EXAMPLES["magic-wand"]())
    assert main(["fit", str(path), "--all-boards", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["model"] == "wand.tflite"
    assert sorted(b["board"] for b in data["boards"]) == board_names()


def test_bare_core_has_no_memory_margins(tmp_path, capsys):
    path = tmp_path / "wand.tflite"
    path.write_bytes(EXAMPLES["magic-wand"]())
    assert main(["fit", str(path), "--core", "cortex-m4f"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[1] == "FITS: a bare core's memory has no size limit (give a --board for RAM and flash margins)"
    result = estimate(EXAMPLES["magic-wand"](), core="cortex-m4f")
    used = result.arena_bytes + 4096  # arena + the bare core's stack, nothing else
    assert f"sram: {used:,} B ({used / 1024:.1f} KiB) used (a bare core's memory has no size limit)" in out
    assert "1,099,511" not in out


def test_an_operator_without_a_kernel_is_noted():
    builder = ModelBuilder()
    g = builder.main
    x = g.add_input("x", (1, 8), "int8", scale=0.05, zero_point=-3)
    y = g.add_output("y", (1, 8), "int8", scale=0.05, zero_point=-3)
    g.add_operator("SKIP_GRAM", [x], [y], None)
    result = estimate(builder.build(), core="cortex-m4f")
    assert any(note.startswith("SKIP_GRAM: microinfer has no kernel") for note in result.notes)
    assert not estimate(EXAMPLES["magic-wand"](), core="cortex-m4f").notes


def test_all_boards_plan_each_core_and_abi_once(monkeypatch):
    """Boards that share a core and ABI share one arena plan; the figures stay each board's own."""
    import sys

    module = sys.modules["microinfer.cost.estimate"]
    calls = []

    def counting_plan(model, planner, **options):
        calls.append((planner, tuple(sorted(options.items()))))
        return plan(model, planner, **options)

    monkeypatch.setattr(module, "plan", counting_plan)
    monkeypatch.setattr(module, "_PLANS", type(module._PLANS)())
    model = _pointwise(96)
    results = estimate_all_boards(model)
    assert len(calls) == len(set(calls)) < len(results)
    for result in results:
        module._PLANS.clear()
        alone = estimate(model, result.board.name)
        assert (alone.arena_bytes, alone.ram.fits) == (result.arena_bytes, result.ram.fits)
