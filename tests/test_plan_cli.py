"""`microinfer plan`: the buffer table, the timeline, JSON and PNG against hand-worked plans."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

import microinfer
from microinfer.cli import main
from microinfer.errors import MissingDependencyError
from microinfer.examples import build_magic_wand
from microinfer.planner import plan_head
from microinfer.planner import render
from microinfer.testing import OP_CASES, model_with_metadata, multi_subgraph_model
from microinfer.tflite import ModelBuilder
from microinfer.tflite.options import FullyConnectedOptions

from conftest import shared_model_path

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def chain_model() -> bytes:
    """Three fully connected layers, 32 -> 16 -> 32 -> 32 int8 values (weights are constants,
    so only the four activations are planned, each a multiple of 16 bytes, so not padded).

    Scope 0 creates the input t0; operator k runs in scope k + 1 and creates t(k+1); the graph
    output t3 is created by the operator that writes it:

        buffer  bytes  scopes
        t0      32     0..1
        t1      16     1..2
        t2      32     2..3
        t3      32     3..3

    Bytes alive per scope: 32, 48, 48, 64, so no plan is below 64 bytes.

    TFLite Micro sorts largest first, ties in reverse order of addition: t3, t2, t0, t1.
    t3 -> 0. t2 is alive with t3 -> 32. t0 is alive with neither -> 0. t1 is alive with t0 (at 0)
    and t2 (at 32): no 16-byte gap below 64 -> 64. Head 80: TFLite Micro wastes 16 bytes.
    A better plan: t0 -> 0, t1 -> 32, t2 -> 0, t3 -> 32. Head 64, the lower bound.
    """
    builder = ModelBuilder()
    g = builder.main
    x = g.add_input("t0", (1, 32), "int8", scale=0.1, zero_point=0)
    previous, width = x, 32
    for k, units in enumerate((16, 32, 32), start=1):
        w = g.add_constant(f"w{k}", np.ones((units, width), np.int8), scale=0.01, zero_point=0)
        add = g.add_output if k == 3 else g.add_tensor
        y = add(f"t{k}", (1, units), "int8", scale=0.1, zero_point=0)
        g.add_operator("FULLY_CONNECTED", [previous, w, -1], [y], FullyConnectedOptions(), version=4)
        previous, width = y, units
    return builder.build()


CHAIN_LIFETIMES = {"t0": (32, 0, 1), "t1": (16, 1, 2), "t2": (32, 2, 3), "t3": (32, 3, 3)}
CHAIN_TFLM_OFFSETS = {"t0": 0, "t1": 64, "t2": 32, "t3": 0}
CHAIN_BEST_OFFSETS = {"t0": 0, "t1": 32, "t2": 0, "t3": 32}
# Head 80 bytes over 80 columns: one byte per column. A = t0, B = t1, C = t2, D = t3.
CHAIN_TFLM_ROWS = {
    0: "A" * 32 + "." * 48,
    1: "A" * 32 + "." * 32 + "B" * 16,
    2: "." * 32 + "C" * 32 + "B" * 16,
    3: "D" * 32 + "C" * 32 + "." * 16,
}
CHAIN_LIVE = {0: 32, 1: 48, 2: 48, 3: 64}


@pytest.fixture
def chain_file(tmp_path):
    path = tmp_path / "chain.tflite"
    path.write_bytes(chain_model())
    return path


@pytest.fixture
def magic_wand_file(tmp_path):
    path = tmp_path / "magic_wand.tflite"
    path.write_bytes(build_magic_wand())
    return path


def run_json(capsys, *argv) -> dict:
    assert main(["plan", "--json", *map(str, argv)]) == 0
    return json.loads(capsys.readouterr().out)


def run_text(capsys, *argv) -> str:
    assert main(["plan", *map(str, argv)]) == 0
    return capsys.readouterr().out


# -- hand-worked truths --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "planner, offsets, head", [("tflm", CHAIN_TFLM_OFFSETS, 80), ("best", CHAIN_BEST_OFFSETS, 64)]
)
def test_chain_json_matches_hand_worked_plan(capsys, chain_file, planner, offsets, head):
    report = run_json(capsys, chain_file, "--planner", planner)
    assert report["planner"] == planner and report["abi"] == "x86_64"
    assert report["head_bytes"] == head
    assert report["lower_bound_bytes"] == 64
    assert report["tflm_head_bytes"] == 80
    got = {b["name"]: (b["size"], b["first"], b["last"]) for b in report["buffers"]}
    assert got == CHAIN_LIFETIMES
    assert {b["name"]: b["offset"] for b in report["buffers"]} == offsets
    assert [b["tensor"] for b in report["buffers"]] == [0, 2, 4, 6]  # weights sit in between
    # tail and working arena are checked against the live interpreter in test_arena_tail.py
    assert report["total_bytes"] == report["head_bytes"] + report["tail_bytes"]
    assert report["min_working_arena_bytes"] >= report["total_bytes"]


def test_chain_timeline_matches_hand_drawing():
    plan = plan_head(microinfer.load(chain_model()), "tflm")
    assert render.timeline_rows(plan) == CHAIN_TFLM_ROWS
    assert render.live_bytes(plan) == CHAIN_LIVE


def test_chain_text_output(capsys, chain_file):
    out = run_text(capsys, chain_file)
    lines = out.splitlines()
    assert lines[0] == "model:    chain.tflite, 4 planned buffers"
    assert lines[1].startswith("planner:  tflm (TFLite Micro's")
    assert lines[2] == "target:   ABI x86_64, kernels tflm-reference"
    # the buffer table: id, name, tensor, bytes, offset, end, scopes
    table = [line.split() for line in lines[4:10]]
    assert table[0] == ["id", "buffer", "tensor", "bytes", "offset", "end", "scopes"]
    assert table[2:] == [
        ["A", "t0", "0", "32", "0", "32", "0..1"],
        ["B", "t1", "2", "16", "64", "80", "1..2"],
        ["C", "t2", "4", "32", "32", "64", "2..3"],
        ["D", "t3", "6", "32", "0", "32", "3..3"],
    ]
    # the timeline: scope, what runs, the row, bytes live; the peak marked
    for scope, row in CHAIN_TFLM_ROWS.items():
        step = "inputs" if scope == 0 else f"op {scope - 1} FULLY_CONNECTED"
        matching = [line for line in lines if line.lstrip().startswith(f"{scope}  {step}")]
        assert len(matching) == 1, scope
        fields = matching[0].split("|")
        assert fields[1] == row
        assert fields[2].split()[0] == str(CHAIN_LIVE[scope])
        assert fields[2].endswith("peak") == (scope == 3)
    assert "head (activations):      80 B" in out
    assert "lower bound:             64 B, the most bytes alive at once" in out
    assert "No plan with this operator order can be smaller than the lower bound." in out
    for line in ("tail (persistent):       ", "total arena:             ",
                 "smallest working arena:  "):
        assert line in out
    assert "reduction" not in out


def test_best_prints_tflm_head_and_reduction(capsys, chain_file):
    out = run_text(capsys, chain_file, "--planner", "best")
    assert "planner:  best" in out
    assert "head (activations):      64 B" in out
    assert "TFLite Micro's head:     80 B" in out
    assert "reduction:               16 B (20.0%)" in out
    assert "this plan reaches it" in out


def test_magic_wand_head_is_its_first_convolution_and_input(capsys, magic_wand_file):
    """conv1 writes 200x3x8 = 4,800 bytes while reading the 600-byte input (608 aligned): the
    lower bound is 5,408 bytes, and TFLite Micro's plan reaches it."""
    report = run_json(capsys, magic_wand_file)
    assert report["lower_bound_bytes"] == report["head_bytes"] == 4800 + 608
    out = run_text(capsys, magic_wand_file)
    assert "op 0 CONV_2D" in out and "op 7 SOFTMAX" in out
    assert "head (activations):      5,408 B (5.3 KiB)" in out


def test_column_shared_by_small_buffers_is_marked():
    # At the softmax the two last 16-byte buffers share the first 67.6-byte column.
    plan = plan_head(microinfer.load(build_magic_wand()), "tflm")
    rows = render.timeline_rows(plan)
    assert rows[8] == "+" + "." * 79


# -- properties on every builder-made model ------------------------------------------------------
MODELS = {
    **{case.name: case.build for case in OP_CASES},
    "magic_wand": build_magic_wand,
    "chain": chain_model,
    "multi_subgraph": multi_subgraph_model,
    "offline_plan": model_with_metadata,
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_json_is_consistent(name, tmp_path, capsys):
    path = tmp_path / "model.tflite"
    path.write_bytes(MODELS[name]())
    reports = {planner: run_json(capsys, path, "--planner", planner) for planner in ("tflm", "best")}
    assert reports["best"]["head_bytes"] <= reports["tflm"]["head_bytes"]
    for report in reports.values():
        assert report["tflm_head_bytes"] == reports["tflm"]["head_bytes"]
        assert report["lower_bound_bytes"] <= report["head_bytes"]
        buffers = report["buffers"]
        assert {"name", "tensor", "offset", "size", "first", "last"} <= set(buffers[0])
        for b in buffers:
            assert 0 <= b["offset"] and b["offset"] + b["size"] <= report["head_bytes"]
            assert b["size"] % 16 == 0 and b["first"] <= b["last"]
        for i, a in enumerate(buffers):
            for b in buffers[i + 1:]:
                alive_together = a["first"] <= b["last"] and b["first"] <= a["last"]
                share_bytes = a["offset"] < b["offset"] + b["size"] and b["offset"] < a["offset"] + a["size"]
                assert not (alive_together and share_bytes), (a, b)
        scopes = {t for b in buffers for t in (b["first"], b["last"])}
        live = max(sum(b["size"] for b in buffers if b["first"] <= t <= b["last"]) for t in scopes)
        assert live == report["lower_bound_bytes"]


@pytest.mark.parametrize("name", ["magic_wand", "multi_subgraph", "CONCATENATION/int8", "SPLIT/int8"])
def test_every_live_buffer_shows_in_the_timeline(name):
    if name not in MODELS:
        pytest.skip(f"no model {name}")
    plan = plan_head(microinfer.load(MODELS[name]()), "tflm")
    for t, row in render.timeline_rows(plan).items():
        assert len(row) == render.TIMELINE_WIDTH
        for i, b in enumerate(plan.buffers):
            if b.first <= t <= b.last and b.size:
                assert render.mark(i) in row or render.SHARED in row, (t, b.name)


def test_scope_labels_follow_operators():
    labels = render.scope_labels(microinfer.load(chain_model()))
    assert labels == {-1: "never used", 0: "inputs", 1: "op 0 FULLY_CONNECTED", 2: "op 1 FULLY_CONNECTED",
                      3: "op 2 FULLY_CONNECTED"}


def test_short_names():
    fused = "model/activation_2/Relu;model/batch_normalization_2/FusedBatchNormV3;model/conv2d_1/BiasAdd"
    assert render.short_name(fused) == "model/activation_2/Relu"
    long = "functional_1/very_long_block_name/depthwise_conv2d_12/Relu6"
    assert render.short_name(long, 32) == "..." + long[-29:]
    assert len(render.short_name(long, 32)) == 32
    assert render.short_name("t0") == "t0"


def test_empty_plan_renders():
    from microinfer.planner import ArenaPlan

    plan = ArenaPlan("tflm", (), 0, 0)
    assert "no buffers" in render.format_plan(plan, "empty.tflite")
    assert render.plan_dict(plan)["buffers"] == []


def test_tail_fields_render_when_present():
    from dataclasses import replace

    plan = replace(plan_head(microinfer.load(chain_model()), "tflm"), tail_bytes=1000, min_working_arena_bytes=1100)
    text = render.summary(plan)
    assert "tail (persistent):       1,000 B" in text
    assert "total arena:             1,080 B (1.1 KiB)" in text
    assert "smallest working arena:  1,100 B (1.1 KiB)" in text
    d = render.plan_dict(plan)
    assert (d["tail_bytes"], d["total_bytes"], d["min_working_arena_bytes"]) == (1000, 1080, 1100)


# -- PNG -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("planner", ["tflm", "best"])
def test_png_is_written(tmp_path, capsys, magic_wand_file, planner):
    pytest.importorskip("matplotlib")
    png = tmp_path / "arena.png"
    out = run_text(capsys, magic_wand_file, "--planner", planner, "--png", png)
    assert f"wrote {png}" in out
    data = png.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 10_000


def test_png_with_json_keeps_stdout_json(tmp_path, capsys, chain_file):
    pytest.importorskip("matplotlib")
    png = tmp_path / "arena.png"
    assert main(["plan", str(chain_file), "--json", "--png", str(png)]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["head_bytes"] == 80
    assert f"wrote {png}" in captured.err
    assert png.read_bytes().startswith(PNG_SIGNATURE)


def test_png_without_matplotlib_says_what_to_install(tmp_path, capsys, chain_file, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib...` fail
    png = tmp_path / "arena.png"
    with pytest.raises(MissingDependencyError, match=r"pip install 'microinfer\[plot\]'"):
        render.write_png(plan_head(microinfer.load(chain_model())), png)
    assert main(["plan", str(chain_file), "--png", str(png)]) == 2
    captured = capsys.readouterr()
    assert "pip install 'microinfer[plot]'" in captured.err
    assert captured.out == "" and not png.exists()


# -- targets not supported -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "options, named, supported",
    [(["--abi", "arm32", "--kernels", "cmsis-nn"], "'cmsis-nn'", "cortex-m4f"),  # no core
     (["--abi", "arm32", "--kernels", "cmsis-nn", "--core", "cortex-m4"], "'cortex-m4'", "cortex-m4f"),
     (["--kernels", "cmsis-nn", "--core", "cortex-m4f"], "'cmsis-nn'", "arm32"),  # x86_64
     (["--core", "cortex-m4f"], "'cortex-m4f'", "cmsis-nn")],  # a core without CMSIS-NN
)
def test_unsupported_targets_say_what_is_supported(capsys, chain_file, options, named, supported):
    assert main(["plan", str(chain_file), *options]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err
    assert err.startswith("microinfer plan: error: ")
    assert named in err and supported in err


def test_cmsis_nn_figures_are_labelled_estimates(capsys, chain_file):
    assert main(["plan", str(chain_file), "--abi", "arm32", "--kernels", "cmsis-nn",
                 "--core", "cortex-m4f"]) == 0
    out = capsys.readouterr().out
    assert "target:   ABI arm32, kernels cmsis-nn, core cortex-m4f" in out
    assert "estimates for arm32" in out and "not measured on a device" in out
    assert main(["plan", str(chain_file), "--abi", "arm32", "--kernels", "cmsis-nn",
                 "--core", "cortex-m55", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["kernels"] == "cmsis-nn" and data["core"] == "cortex-m55" and data["exact"] is False


def test_arm32_figures_are_labelled_estimates(capsys, chain_file):
    assert main(["plan", str(chain_file), "--abi", "arm32"]) == 0
    out = capsys.readouterr().out
    assert "estimates for arm32" in out and "not measured on a device" in out


def test_unknown_choices_are_refused_by_argparse(capsys, chain_file):
    for options in (["--abi", "riscv"], ["--kernels", "xnnpack"], ["--planner", "optimal"]):
        with pytest.raises(SystemExit) as exit_:
            main(["plan", str(chain_file), *options])
        assert exit_.value.code == 2
        assert "invalid choice" in capsys.readouterr().err


# -- shared models (published and measured figures) ----------------------------------------------
def test_vww_tflm_and_best_heads(capsys):
    path = shared_model_path("vww_96_int8.tflite")
    tflm = run_json(capsys, path)
    best = run_json(capsys, path, "--planner", "best")
    assert tflm["head_bytes"] == 73_728
    assert best["head_bytes"] <= 55_296
    out = run_text(capsys, path, "--planner", "best")
    assert "TFLite Micro's head:     73,728 B (72.0 KiB)" in out
    saved = 73_728 - best["head_bytes"]
    assert f"reduction:               {saved:,} B ({100 * saved / 73_728:.1f}%)" in out


def test_person_detect_cli_reproduces_the_published_cortex_m4_arena(tmp_path, capsys):
    # TFLite Micro's benchmarking README: person_detect, CMSIS-NN, Cortex-M4, its tool's 100
    # resource-variable slots: head 55,296 + tail 29,140 = 84,436 bytes
    model = tmp_path / "person_detect.tflite"
    assert main(["example", "person-detect", "-o", str(model)]) == 0
    capsys.readouterr()
    assert main(["plan", str(model), "--abi", "arm32", "--kernels", "cmsis-nn", "--core", "cortex-m4f",
                 "--resource-variables", "100", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["head_bytes"], report["tail_bytes"], report["total_bytes"]) == (55_296, 29_140, 84_436)


def test_one_buffer_is_one_planned_buffer(tmp_path, capsys):
    builder = ModelBuilder()
    g = builder.main
    x = g.add_input("x", (1, 4), "int8", scale=0.1, zero_point=0)
    g.outputs.append(x)  # no operator: the input is the output, one buffer
    path = tmp_path / "identity.tflite"
    path.write_bytes(builder.build())
    assert main(["plan", str(path)]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "model:    identity.tflite, 1 planned buffer"
