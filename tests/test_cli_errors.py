"""Bad input to every command: one line `microinfer <command>: error: ...` on stderr, exit code 2,
no traceback, and nothing half-done on stdout. Exit code 1 is for a result that is a failure
(compare, like fuzz and emulate)."""

from __future__ import annotations

import os

import pytest

from microinfer.cli import main
from microinfer.examples import build_magic_wand


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli_errors")
    (folder / "model.tflite").write_bytes(build_magic_wand())
    (folder / "text.tflite").write_text("hello\n")
    (folder / "a_folder").mkdir()
    return folder


def _error(capsys, argv: list[str]) -> str:
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in captured.err, captured.err
    assert lines[0].startswith(f"microinfer {argv[0]}: error: "), lines[0]
    assert captured.out == ""
    return lines[0]


@pytest.mark.parametrize("command", [["info"], ["plan"], ["fit", "--board", "nucleo-l4r5zi"],
                                     ["emulate", "--core", "cortex-m4f"], ["compare"]])
@pytest.mark.parametrize("name, says", [("missing.tflite", "No such file"), ("text.tflite", "not a TFLite model"),
                                        ("a_folder", "Is a directory")])
def test_unreadable_models_are_named(capsys, files, command, name, says):
    line = _error(capsys, [command[0], str(files / name), *command[1:]])
    assert says in line
    assert name in line or says == "not a TFLite model"


@pytest.mark.parametrize("command", [["info"], ["plan"], ["fit", "--board", "nucleo-l4r5zi"]])
def test_devices_and_pipes_are_not_read(capsys, tmp_path, command):
    """/dev/zero never ends and a pipe may never be written: neither is read at all."""
    pipe = tmp_path / "pipe.tflite"
    os.mkfifo(pipe)
    for path in ("/dev/zero", str(pipe)):
        line = _error(capsys, [command[0], path, *command[1:]])
        assert "not a regular file" in line and path in line


@pytest.mark.parametrize("argv, says", [
    (["example", "magic-wand", "-o", "{missing}/x.tflite"], "cannot write '{missing}/x.tflite'"),
    (["fit", "{model}", "--board", "nucleo-l4r5zi", "--csv", "{missing}/x.csv"], "cannot write '{missing}/x.csv'"),
    (["fit", "{model}", "--all-boards", "--csv", "{missing}/x.csv"], "cannot write '{missing}/x.csv'"),
])
def test_unwritable_outputs_are_named(capsys, files, argv, says):
    values = {"missing": str(files / "no_such_folder"), "model": str(files / "model.tflite")}
    line = _error(capsys, [a.format(**values) for a in argv])
    assert says.format(**values) in line


def test_unwritable_png_is_named(capsys, files):
    pytest.importorskip("matplotlib")
    missing = files / "no_such_folder" / "plan.png"
    assert f"cannot write '{missing}'" in _error(capsys, ["plan", str(files / "model.tflite"), "--png", str(missing)])


@pytest.mark.parametrize("options, says", [
    (["--board", "nucleo-l4r5zi", "--clock-mhz", "0"], "clock must be a positive, finite number of MHz, got 0.0"),
    (["--core", "cortex-m4f", "--clock-mhz", "-80"], "clock must be a positive, finite number of MHz, got -80.0"),
    (["--all-boards", "--clock-mhz", "80"], "--clock-mhz: only with --board or --core, not with --all-boards"),
    (["--all-boards", "--arena-in", "psram"], "--arena-in: only with --board or --core"),
    (["--board", "nucleo-l4r5zi", "--rate", "nan"], "--rate 'nan': expected a finite number"),
    (["--board", "nucleo-l4r5zi", "--rate", "2/min"], "the unit must be /s or /h"),
    (["--board", "no-such-board"], "unknown board 'no-such-board'; known boards: alif-ensemble-e7"),
    (["--core", "cortex-m3"], "unknown core 'cortex-m3'; known cores: cortex-m0plus"),
    (["--board", "nucleo-l4r5zi", "--arena-in", "psram"], "board nucleo-l4r5zi has no memory region 'psram'"),
    (["--board", "nucleo-l4r5zi", "--battery", "AAAA"], "unknown battery 'AAAA'; known batteries: CR2032"),
    (["--core", "cortex-m4f", "--kernels", "esp-nn"], "kernel library 'esp-nn' does not run on cortex-m4f"),
    (["--core", "cortex-m4f", "--clock-mhz", "inf"], "clock must be a positive, finite number of MHz, got inf"),
    (["--board", "nucleo-l4r5zi", "--rate", "1/"], "--rate '1/': the unit must be /s or /h"),
    (["--board", "nucleo-l4r5zi", "--battery", ""], "unknown battery ''"),
    (["--board", "nucleo-l4r5zi", "--arena-in", "flash"], "the tensor arena must be in RAM, and region 'flash'"),
])
def test_fit_refuses_bad_options(capsys, files, options, says):
    assert says in _error(capsys, ["fit", str(files / "model.tflite"), *options])


def test_fit_names_a_missing_targets_directory(capsys, files):
    missing = files / "no_such_targets"
    line = _error(capsys, ["fit", str(files / "model.tflite"), "--board", "x", "--targets", str(missing)])
    assert f"{missing}: no such targets directory" in line


def test_emulate_names_the_known_cores_before_needing_the_toolchain(capsys, files):
    line = _error(capsys, ["emulate", str(files / "model.tflite"), "--core", "cortex-m3"])
    assert line.endswith("unknown emulated core 'cortex-m3'; known emulated cores: cortex-m0plus, cortex-m4f, "
                         "cortex-m55, rv32imc")


def test_fuzz_error_is_not_prefixed_twice(capsys):
    line = _error(capsys, ["fuzz", "--op", "NOT_AN_OP"])
    assert line.startswith("microinfer fuzz: error: no generator for NOT_AN_OP; the operators are ABS, ADD, ")



@pytest.mark.parametrize("ran_as, code", [("tflm", 1), ("tflite", 0)])
def test_compare_exits_1_when_microinfer_differs_from_the_reference_it_reproduces(capsys, files, monkeypatch,
                                                                                   ran_as, code):
    from microinfer import compare

    def one_differing_layer(model_bytes, against, inputs, microinfer_reference=None):
        layer = compare.LayerDiff(0, "CONV_2D", 3, "conv", "int8", mismatches=2, total=10, max_abs_diff=1)
        return compare.ComparisonReport(1, {"tflm": compare.ReferenceComparison("tflm", ran_as, 1, [layer])})

    monkeypatch.setattr(compare, "require_references", lambda against: None)
    monkeypatch.setattr(compare, "compare", one_differing_layer)
    assert main(["compare", str(files / "model.tflite")]) == code
    assert "first diverging layer: op 0 (CONV_2D)" in capsys.readouterr().out


@pytest.mark.parametrize("argv, says", [
    (["compare", "{model}", "--random", "1", "--seed", "-1"], "argument --seed: a seed is 0 or more, not -1"),
    (["fuzz", "--op", "ADD", "--seed", "-3"], "argument --seed: a seed is 0 or more, not -3"),
    (["plan", "{model}", "--png", "{out}/layout.foo"], "the file must end in .png, .svg, .pdf"),
])
def test_bad_option_values_are_one_line_errors(capsys, files, tmp_path, argv, says):
    values = {"model": str(files / "model.tflite"), "out": str(tmp_path)}
    argv = [a.format(**values) for a in argv]
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own refusals exit 2 with one usage line
        code = exc.code
    assert code == 2
    assert says in capsys.readouterr().err


def test_png_without_a_suffix_is_written_as_png(capsys, files, tmp_path):
    assert main(["plan", str(files / "model.tflite"), "--png", str(tmp_path / "layout")]) == 0
    assert (tmp_path / "layout.png").is_file()
    assert f"wrote {tmp_path / 'layout.png'}" in capsys.readouterr().out


@pytest.mark.parametrize("content, says", [
    (b"name = \"x\"\nclock_mhz = \xff\n", "not UTF-8 text"),
    (b"clock_mhz = nan\n", "must be a finite number, got nan"),
])
def test_target_files_with_bad_values_are_named(tmp_path, content, says):
    from microinfer import targets

    path = tmp_path / "boards" / "bad.toml"
    path.parent.mkdir()
    path.write_bytes(content)
    with pytest.raises(targets.TargetFileError, match=says):
        fields = targets._Fields(targets.read_toml(path), path)
        fields.get("clock_mhz", float)
