"""Targets as data: the built-in TOML files, user directories and errors for bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from microinfer.errors import UnsupportedTargetError
from microinfer.targets import (
    TargetFileError,
    board_names,
    builtin_dir,
    core_names,
    load_battery,
    load_board,
    load_core,
    tomllib,
)

CORES = ("cortex-m0plus", "cortex-m4f", "cortex-m7", "cortex-m33", "cortex-m55", "cortex-m85", "esp32", "esp32s3",
         "esp32c3", "esp32c6")

# board -> (core, MHz, KiB of the largest on-chip RAM region or total internal RAM, KiB of flash)
# as the issue and the boards' datasheets state them
BOARDS = {
    "arduino-nano-33-ble-sense": ("cortex-m4f", 64, 256, 1024),
    "raspberry-pi-pico": ("cortex-m0plus", 133, 264, 2048),
    "nucleo-l4r5zi": ("cortex-m4f", 120, 640, 2048),
    "nrf5340-dk": ("cortex-m33", 128, 512, 1024),
    "esp32-devkitc": ("esp32", 240, 520, 4096),
    "esp32-s3-eye": ("esp32s3", 240, 512, 8192),
}


def test_every_builtin_core_loads():
    assert set(CORES) <= set(core_names())
    for name in CORES:
        core = load_core(name)
        assert core.name == name and core.default_clock_mhz > 0
        assert "tflm-reference" in core.kernel_libraries


def test_required_boards_have_the_published_facts():
    for name, (core, mhz, ram_kib, flash_kib) in BOARDS.items():
        board = load_board(name)
        assert (board.core.name, board.clock_mhz) == (core, mhz)
        assert board.region(board.arena_in).size_bytes == ram_kib * 1024
        assert board.flash_region.size_bytes == flash_kib * 1024
        assert board.active_ma > 0 and board.sleep_ua > 0


def test_every_board_loads_and_each_core_has_a_board():
    names = board_names()
    assert len(names) >= 8
    cores = {load_board(n).core.name for n in names}
    assert {"cortex-m7", "cortex-m55", "cortex-m33"} <= cores
    s3 = load_board("esp32-s3-eye")
    assert s3.memory["psram"].kind == "external-ram" and s3.memory["psram"].size_bytes == 8 << 20


def _hardware_files():
    root = builtin_dir()
    return sorted([*root.glob("cores/*.toml"), *root.glob("boards/*.toml"), root / "batteries.toml"])


def test_every_target_file_names_its_sources():
    for path in _hardware_files():
        assert "Source" in path.read_text(), f"{path} does not say where its figures come from"


def test_unknown_board_and_core_list_the_known_ones():
    with pytest.raises(UnsupportedTargetError, match="known boards: .*nucleo-l4r5zi"):
        load_board("nucleo-f000")
    with pytest.raises(UnsupportedTargetError, match="known cores: .*cortex-m4f"):
        load_core("cortex-m99")
    with pytest.raises(UnsupportedTargetError, match="known batteries: .*CR2032"):
        load_battery("D-cell")


def _user_dir(tmp_path: Path, board_text: str) -> Path:
    (tmp_path / "boards").mkdir()
    (tmp_path / "boards" / "my-board.toml").write_text(board_text)
    return tmp_path


GOOD_BOARD = (builtin_dir() / "boards" / "nucleo-l4r5zi.toml").read_text().replace(
    'name = "nucleo-l4r5zi"', 'name = "my-board"')


def test_user_directory_adds_a_board(tmp_path, monkeypatch):
    user = _user_dir(tmp_path, GOOD_BOARD.replace("clock_mhz = 120", "clock_mhz = 80"))
    assert load_board("my-board", [user]).clock_mhz == 80
    monkeypatch.setenv("MICROINFER_TARGETS", str(user))
    assert "my-board" in board_names()


def test_malformed_toml_names_the_file(tmp_path):
    user = _user_dir(tmp_path, "name = [unclosed")
    with pytest.raises(TargetFileError, match="my-board.toml: not valid TOML"):
        load_board("my-board", [user])


@pytest.mark.parametrize("edit, key", [
    (("clock_mhz = 120", ""), "missing key clock_mhz"),
    (("clock_mhz = 120", 'clock_mhz = "fast"'), "key clock_mhz must be a number"),
    (("miss_cycles = 5 ", "miss_cycles = -5 "), "key memory.flash.miss_cycles must not be negative"),
    (('kind = "ram"', 'kind = "magnetic"'), "key memory.sram.kind must be flash, ram or external-ram"),
    (('arena_in = "sram"', 'arena_in = "dtcm"'), "key arena_in names 'dtcm'"),
    (("active_ma = 13.2", "active_ma = true"), "key power.active_ma must be a number"),
])
def test_bad_values_name_file_and_key(tmp_path, edit, key):
    text = GOOD_BOARD.replace(*edit)
    assert text != GOOD_BOARD
    user = _user_dir(tmp_path, text)
    with pytest.raises(TargetFileError, match=f"my-board.toml: {key}"):
        load_board("my-board", [user])


def test_core_file_missing_a_cycle_class(tmp_path):
    (tmp_path / "cores").mkdir()
    text = (builtin_dir() / "cores" / "cortex-m4f.toml").read_text().replace("mac = 1.0", "")
    (tmp_path / "cores" / "cortex-m4f.toml").write_text(text)
    with pytest.raises(TargetFileError, match="cortex-m4f.toml: missing key cycles.mac"):
        load_core("cortex-m4f", [tmp_path])


def test_builtin_files_are_plain_toml():
    for path in _hardware_files():
        with open(path, "rb") as f:
            tomllib.load(f)
