"""MAC counts and layer summaries, against published figures and hand-worked cases."""

from __future__ import annotations

import json

import numpy as np
import pytest

import microinfer
from microinfer.cli import main
from microinfer.examples import build_magic_wand
from microinfer.info import describe
from microinfer.tflite import ModelBuilder
from microinfer.tflite.options import (
    Conv2DOptions,
    DepthwiseConv2DOptions,
    FullyConnectedOptions,
    TransposeConvOptions,
)
from microinfer.tflite.types import Padding

from conftest import shared_model_path

# MLPerf Tiny's published MAC counts of its int8 reference models.
PUBLISHED_MACS = {
    "kws_ref_model.tflite": 2_656_768,
    "vww_96_int8.tflite": 7_489_664,
    "pretrainedResnet_quant.tflite": 12_501_632,
    "ad01_int8.tflite": 264_192,
}


@pytest.mark.parametrize("name", sorted(PUBLISHED_MACS))
def test_mlperf_tiny_macs_match_published_figures(name):
    info = describe(microinfer.load(shared_model_path(name)))
    assert info.macs == PUBLISHED_MACS[name]


@pytest.mark.parametrize("name", sorted(PUBLISHED_MACS))
def test_cli_json_reports_published_macs(name, capsys):
    assert main(["info", "--json", str(shared_model_path(name))]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["model"] == name
    assert report["macs"] == PUBLISHED_MACS[name]
    assert sum(layer["macs"] for layer in report["layers"]) == PUBLISHED_MACS[name]
    for layer in report["layers"]:
        assert {"index", "op", "macs", "inputs", "outputs"} <= set(layer)


def _single_op(op, in_shape, weight_shape, out_shape, options, extra_inputs=()):
    builder = ModelBuilder()
    g = builder.main
    x = g.add_input("x", in_shape, "float32")
    w = g.add_constant("w", np.zeros(weight_shape, np.float32))
    y = g.add_output("y", out_shape, "float32")
    inputs = [x, w, -1] if op != "TRANSPOSE_CONV" else [g.add_constant("s", np.array(out_shape, np.int32)), w, x]
    g.add_operator(op, inputs, [y], options)
    return describe(microinfer.load(builder.build())).layers[0]


def test_conv_macs_hand_worked():
    # 1x8x8x6 input, 4 filters of 3x3x6, stride 2 SAME -> 1x4x4x4: 4*4*4 outputs x 3*3*6 taps
    layer = _single_op("CONV_2D", (1, 8, 8, 6), (4, 3, 3, 6), (1, 4, 4, 4),
                       Conv2DOptions(padding=Padding.SAME, stride_w=2, stride_h=2))
    assert layer.macs == 4 * 4 * 4 * 3 * 3 * 6
    assert layer.parameters == 4 * 3 * 3 * 6


def test_grouped_conv_macs_use_filter_depth():
    # 2 groups: the filter sees IC/groups = 3 channels
    layer = _single_op("CONV_2D", (1, 5, 5, 6), (4, 1, 1, 3), (1, 5, 5, 4),
                       Conv2DOptions(padding=Padding.VALID, stride_w=1, stride_h=1))
    assert layer.macs == 5 * 5 * 4 * 1 * 1 * 6 // 2


def test_depthwise_macs_with_multiplier():
    # 3 input channels, depth multiplier 2 -> 6 output channels, 3x3 VALID on 6x6 -> 4x4
    layer = _single_op("DEPTHWISE_CONV_2D", (1, 6, 6, 3), (1, 3, 3, 6), (1, 4, 4, 6),
                       DepthwiseConv2DOptions(padding=Padding.VALID, stride_w=1, stride_h=1, depth_multiplier=2))
    assert layer.macs == 4 * 4 * 6 * 3 * 3


def test_fully_connected_macs_count_the_batch():
    layer = _single_op("FULLY_CONNECTED", (3, 10), (7, 10), (3, 7), FullyConnectedOptions())
    assert layer.macs == 3 * 7 * 10


def test_transpose_conv_macs_count_over_the_input():
    # input 1x3x3x2, 5 filters of 2x2x2, stride 2 -> 1x6x6x5; every input pixel feeds 2*2*5 outputs
    layer = _single_op("TRANSPOSE_CONV", (1, 3, 3, 2), (5, 2, 2, 2), (1, 6, 6, 5),
                       TransposeConvOptions(padding=Padding.VALID, stride_w=2, stride_h=2))
    assert layer.macs == 3 * 3 * 2 * 2 * 2 * 5


def test_info_table_for_the_example_model(tmp_path, capsys):
    path = tmp_path / "wand.tflite"
    assert main(["example", "magic-wand", "-o", str(path)]) == 0
    capsys.readouterr()
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    # conv1: 200x3 outputs x 8 filters x 4x3 taps x 1 channel = 57,600
    assert "57,600" in out
    assert "CONV_2D v3" in out and "per-channel(axis 0)" in out
    assert "inputs:  accelerometer 1x200x3x1 int8" in out


def test_example_model_is_deterministic_and_valid():
    first, second = build_magic_wand(seed=0), build_magic_wand(seed=0)
    assert first == second
    model = microinfer.load(first)
    assert [op.op for op in model.main.operators] == [
        "CONV_2D", "MAX_POOL_2D", "CONV_2D", "MAX_POOL_2D", "RESHAPE",
        "FULLY_CONNECTED", "FULLY_CONNECTED", "SOFTMAX",
    ]


@pytest.mark.reference
def test_example_model_runs_on_both_references(reference_worker):
    data = build_magic_wand()
    x = np.random.default_rng(0).integers(-128, 128, (1, 200, 3, 1), dtype=np.int8)
    for ref in ("tflm", "tflite"):
        (probabilities,) = reference_worker.run(ref, data, [x]).outputs
        assert probabilities.shape == (1, 4) and probabilities.dtype == np.int8


def test_cli_reports_bad_files_without_traceback(tmp_path, capsys):
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"\x00" * 3)
    assert main(["info", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "error:" in err and "Traceback" not in err
    assert main(["info", str(tmp_path / "missing.tflite")]) == 2
    assert "cannot read model file" in capsys.readouterr().err


def test_cli_counts_in_words(tmp_path, capsys):
    from microinfer.testing import OP_CASES, build

    path = tmp_path / "one.tflite"
    path.write_bytes(build(OP_CASES[0].name))
    assert main(["info", str(path)]) == 0
    assert capsys.readouterr().out.splitlines()[0].endswith(", 1 operator, 1 subgraph")
