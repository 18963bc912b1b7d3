"""microinfer compare --float: the quantization error of a quantized model against its float original."""

from __future__ import annotations

import json

import numpy as np
import pytest

from microinfer.cli import main
from microinfer.compare import InputError, quantization_error, split_inputs
from microinfer.tflite import ModelBuilder
from microinfer.tflite.options import FullyConnectedOptions


def _relu(quantized: bool) -> bytes:
    b = ModelBuilder()
    q = dict(scale=0.5, zero_point=0) if quantized else {}
    dtype = "int8" if quantized else "float32"
    x = b.main.add_input("x", (4,), dtype, **q)
    y = b.main.add_output("y", (4,), dtype, **q)
    b.main.add_operator("RELU", [x], [y])
    return b.build()


def _classifier(quantized: bool) -> bytes:
    """FULLY_CONNECTED 2 -> 3 with weights exact in int8 at scale 1/64 (so only activations round)."""
    w = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]], np.float32)
    b = ModelBuilder()
    g = b.main
    if quantized:
        x = g.add_input("x", (1, 2), "int8", scale=1 / 64, zero_point=0)
        wt = g.add_constant("w", (w * 64).astype(np.int8), scale=1 / 64, zero_point=0)
        bias = g.add_constant("b", np.zeros(3, np.int32), scale=1 / 4096, zero_point=0)
        y = g.add_output("y", (1, 3), "int8", scale=1 / 32, zero_point=0)
    else:
        x = g.add_input("x", (1, 2), "float32")
        wt = g.add_constant("w", w)
        bias = g.add_constant("b", np.zeros(3, np.float32))
        y = g.add_output("y", (1, 3), "float32")
    g.add_operator("FULLY_CONNECTED", [x, wt, bias], [y], FullyConnectedOptions())
    return b.build()


def test_hand_worked_relu():
    # float inputs quantize at scale 0.5 (half away from zero): 0.3 -> 0.5, -1 -> -1, 2.2 -> 2.0,
    # 0.74 -> 0.5; after RELU the errors are 0.2, 0, 0.2, 0.24.
    x = np.array([0.3, -1.0, 2.2, 0.74], np.float32)
    error = quantization_error(_relu(True), _relu(False), [[x]])
    (out,) = error.outputs
    diffs = np.array([0.2, 0.0, 0.2, 0.24])
    assert out.mae == pytest.approx(diffs.mean(), abs=1e-6)
    assert out.rmse == pytest.approx(np.sqrt((diffs**2).mean()), abs=1e-6)
    assert out.max_abs == pytest.approx(0.24, abs=1e-6)
    float_out = np.array([0.3, 0.0, 2.2, 0.74])
    quant_out = np.array([0.5, 0.0, 2.0, 0.5])
    assert out.relative_l2 == pytest.approx(np.linalg.norm(diffs) / np.linalg.norm(float_out), rel=1e-5)
    cosine = quant_out @ float_out / (np.linalg.norm(quant_out) * np.linalg.norm(float_out))
    assert out.cosine == pytest.approx(cosine, rel=1e-6)
    assert out.top1_agreement is None  # a 1-D output is no classifier


def test_integer_inputs_are_dequantized_for_the_float_model():
    q_sets, f_sets = split_inputs(_relu(True), _relu(False), [[np.array([1, -2, 4, 127], np.int8)]])
    np.testing.assert_array_equal(q_sets[0][0], [1, -2, 4, 127])
    np.testing.assert_array_equal(f_sets[0][0], np.float32([0.5, -1.0, 2.0, 63.5]))
    error = quantization_error(_relu(True), _relu(False), [[np.array([1, -2, 4, 127], np.int8)]])
    assert error.outputs[0].max_abs == 0.0 and error.outputs[0].cosine == pytest.approx(1.0)


def test_classifier_top1_agreement():
    # outputs are x0, x1 and their mean. [0.5, 0.25] and [0.25, 0.5] are exact at 1/64 and 1/32
    # steps: classes 0 and 1 both ways. [0.31, 0.32] is class 1 in float (0.32 > 0.315 > 0.31), but
    # both inputs quantize to 20/64 = 0.3125, so the three outputs tie (10/32 each) and the quantized
    # argmax is class 0: two of three runs agree.
    inputs = [[np.float32([[0.5, 0.25]])], [np.float32([[0.25, 0.5]])], [np.float32([[0.31, 0.32]])]]
    error = quantization_error(_classifier(True), _classifier(False), inputs)
    assert error.runs == 3 and error.outputs[0].top1_agreement == pytest.approx(2 / 3)
    assert error.outputs[0].max_abs == pytest.approx(0.32 - 0.3125, abs=1e-6)


def test_mismatched_networks_are_refused():
    with pytest.raises(InputError, match="shape"):
        split_inputs(_relu(True), _classifier(False), [[np.zeros(4, np.int8)]])


def test_cli_compare_float(tmp_path, capsys, reference_worker):
    (tmp_path / "q.tflite").write_bytes(_classifier(True))
    (tmp_path / "f.tflite").write_bytes(_classifier(False))
    assert main(["compare", str(tmp_path / "q.tflite"), "--float", str(tmp_path / "f.tflite"), "--random", "5"]) == 0
    out = capsys.readouterr().out
    assert "bit-identical to TFLite Micro on all 5 inputs" in out
    assert "against the float model f.tflite, 5 inputs" in out and "top-1 agree" in out
    assert main(["compare", str(tmp_path / "q.tflite"), "--float", str(tmp_path / "f.tflite"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    (out,) = report["float"]["outputs"]
    assert report["float"]["model"] == "f.tflite" and set(out) >= {"rmse", "mae", "relative_l2", "cosine_similarity"}


def test_cli_compare_float_inputs_dir(tmp_path, capsys, reference_worker):
    (tmp_path / "q.tflite").write_bytes(_relu(True))
    (tmp_path / "f.tflite").write_bytes(_relu(False))
    np.save(tmp_path / "input_0.npy", np.array([0.3, -1.0, 2.2, 0.74], np.float32))
    assert main(["compare", str(tmp_path / "q.tflite"), "--float", str(tmp_path / "f.tflite"),
                 "--inputs", str(tmp_path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)["float"]["outputs"][0]
    assert out["max_abs_error"] == pytest.approx(0.24, abs=1e-6)


def test_cli_compare_float_missing_file(tmp_path, capsys):
    (tmp_path / "q.tflite").write_bytes(_relu(True))
    assert main(["compare", str(tmp_path / "q.tflite"), "--float", str(tmp_path / "nope.tflite")]) == 2
    assert "nope.tflite" in capsys.readouterr().err
