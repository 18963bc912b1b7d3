"""Per-layer quantization error (microinfer.layer_error), datasets and labels, `compare --per-layer`."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

import microinfer
from microinfer import cli
from microinfer.datasets import InputError, read_inputs, read_labels
from microinfer.float_twin import float_twin
from microinfer.layer_error import layer_errors, match_tensors
from microinfer.tflite import ModelBuilder, serialize
from microinfer.tflite.model import Quantization
from microinfer.tflite.options import FullyConnectedOptions
from microinfer.tflite.types import ActivationFunction

WIDTHS = (16, 24, 24, 12, 4)  # input, three hidden layers, 4 classes


def _float_weights(seed: int = 0):
    rng = np.random.default_rng(seed)
    return [(rng.normal(0, 1 / np.sqrt(a), (b, a)), rng.normal(0, 0.1, b)) for a, b in zip(WIDTHS, WIDTHS[1:])]


def float_chain(with_signature: bool = False) -> bytes:
    """A float32 MLP: four FULLY_CONNECTED layers (ReLU on the hidden ones), tensors named fc<i>."""
    builder = ModelBuilder(description="float chain")
    g = builder.main
    x = g.add_input("x", (1, WIDTHS[0]), "float32")
    layers = _float_weights()
    for i, (w, b) in enumerate(layers):
        wt = g.add_constant(f"w{i}", w.astype(np.float32))
        bt = g.add_constant(f"b{i}", b.astype(np.float32))
        last = i == len(layers) - 1
        y = (g.add_output if last else g.add_tensor)(f"fc{i}", (1, WIDTHS[i + 1]), "float32")
        act = ActivationFunction.NONE if last else ActivationFunction.RELU
        g.add_operator("FULLY_CONNECTED", [x, wt, bt], [y], FullyConnectedOptions(fused_activation_function=act))
        x = y
    if with_signature:
        builder.add_signature("serving_default", {"x": 0}, {"fc3": x})
    return builder.build()


def _ranges(samples) -> list[float]:
    """Largest |value| of the input and each layer over ``samples``, from the float model."""
    interpreter = microinfer.Interpreter(float_chain())
    largest = [float(np.abs(samples).max())] + [0.0] * (len(WIDTHS) - 1)
    for x in samples:
        values = interpreter.run([x[None].astype(np.float32)], intermediates=True)
        for i in range(1, len(WIDTHS)):
            largest[i] = max(largest[i], float(np.abs(values[f"fc{i - 1}"]).max()))
    return largest


def quantized_chain(bad_layer: int | None = None, factor: float = 0.05) -> bytes:
    """The int8 version of :func:`float_chain` (ranges from calibration samples); with
    ``bad_layer``, that layer's output scale is ``factor`` times what it should be (it clips)."""
    samples = _samples(64, seed=1)
    largest = _ranges(samples)
    last = len(WIDTHS) - 1
    # ReLU outputs span [0, range] over all 256 codes (zero point -128); input and logits are symmetric
    scales = [r / (127 if i in (0, last) else 255) for i, r in enumerate(largest)]
    if bad_layer is not None:
        scales[bad_layer + 1] *= factor
    builder = ModelBuilder(description="int8 chain")
    g = builder.main
    x = g.add_input("x", (1, WIDTHS[0]), "int8", scale=scales[0], zero_point=0)
    layers = _float_weights()
    for i, (w, b) in enumerate(layers):
        w_scale = float(np.abs(w).max()) / 127
        wq = np.clip(np.round(w / w_scale), -127, 127).astype(np.int8)
        bias_scale = scales[i] * w_scale
        bq = np.round(b / bias_scale).astype(np.int32)
        wt = g.add_constant(f"w{i}", wq, scale=w_scale, zero_point=0)
        bt = g.add_constant(f"b{i}", bq, scale=bias_scale, zero_point=0)
        last = i == len(layers) - 1
        zero = 0 if last else -128
        y = (g.add_output if last else g.add_tensor)(f"fc{i}", (1, WIDTHS[i + 1]), "int8",
                                                     scale=scales[i + 1], zero_point=zero)
        act = ActivationFunction.NONE if last else ActivationFunction.RELU
        g.add_operator("FULLY_CONNECTED", [x, wt, bt], [y], FullyConnectedOptions(fused_activation_function=act),
                       version=4)
        x = y
    return builder.build()


def _samples(count: int, seed: int = 2) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, 1, (count, WIDTHS[0])).astype(np.float32)


def _sets(samples) -> list[list[np.ndarray]]:
    return [[x[None]] for x in samples]


@pytest.mark.parametrize("bad", [1, 2])
def test_the_layer_with_a_bad_scale_ranks_first(bad):
    report = layer_errors(quantized_chain(bad_layer=bad), float_chain(), _sets(_samples(40)), jobs=1)
    assert report.matched_by == {"input": 1, "name": 4}
    first = report.ranked[0]
    assert first.match.op_index == bad and first.match.name == f"fc{bad}"
    assert first.jump and first.db_lost > 6
    assert first.snr_db < min(layer.snr_db for layer in report.layers if layer.match.op_index not in (None, bad)
                              and layer.match.op_index < bad)


def test_a_good_model_loses_little_and_all_figures_are_consistent():
    report = layer_errors(quantized_chain(), float_chain(), _sets(_samples(40)), jobs=1)
    for layer in report.layers:
        assert layer.snr_db > 25, layer.to_dict()
        assert 0.99 < layer.cosine <= 1.0 + 1e-9
        assert layer.max_abs >= layer.rmse >= 0
        if layer.step:
            assert layer.rmse_steps == pytest.approx(layer.rmse / layer.step)
    assert report.agreement is not None and report.agreement > 0.9
    assert sorted(layer.rank for layer in report.ranked) == list(range(1, 5))


def test_workers_give_the_same_figures_as_one_process():
    args = (quantized_chain(bad_layer=1), float_chain(), _sets(_samples(30)))
    one = layer_errors(*args, jobs=1, float_engine="microinfer")
    two = layer_errors(*args, jobs=2, float_engine="microinfer")
    assert [layer.rank for layer in one.layers] == [layer.rank for layer in two.layers]
    for a, b in zip(one.layers, two.layers):
        assert a.rmse == pytest.approx(b.rmse, rel=1e-6) and a.max_abs == pytest.approx(b.max_abs)


def test_litert_and_microinfer_float_engines_agree():
    pytest.importorskip("ai_edge_litert")
    args = (quantized_chain(bad_layer=2), float_chain(), _sets(_samples(20)))
    ours = layer_errors(*args, jobs=1, float_engine="microinfer")
    theirs = layer_errors(*args, jobs=1, float_engine="litert")
    assert theirs.float_engine == "litert"
    for a, b in zip(ours.layers, theirs.layers):
        assert a.rmse == pytest.approx(b.rmse, rel=1e-4, abs=1e-6)


def test_tensors_without_common_names_match_by_graph_position():
    original = microinfer.load(float_chain())
    renamed = [replace(t, name=f"other_{t.index}") for t in original.main.tensors]
    original = replace(original, subgraphs=(replace(original.main, tensors=tuple(renamed)),))
    matches, unmatched = match_tensors(microinfer.load(quantized_chain()), original)
    assert [m.how for m in matches] == ["input"] + ["position"] * 4 and unmatched == []
    report = layer_errors(quantized_chain(bad_layer=1), serialize(original), _sets(_samples(20)), jobs=1)
    assert report.matched_by == {"input": 1, "position": 4}
    assert report.ranked[0].match.op_index == 1


def test_labels_give_accuracy_and_confusion_matrices():
    samples = _samples(50)
    labels = np.arange(50) % 4
    report = layer_errors(quantized_chain(), float_chain(), _sets(samples), labels=labels, jobs=1)
    accuracy = report.accuracy
    assert accuracy.samples == 50 and accuracy.classes == 4
    for matrix in (accuracy.confusion_quantized, accuracy.confusion_float, accuracy.confusion_agreement):
        assert matrix.shape == (4, 4) and matrix.sum() == 50
    assert accuracy.quantized == pytest.approx(np.trace(accuracy.confusion_quantized) / 50)
    assert accuracy.agreement == pytest.approx(np.trace(accuracy.confusion_agreement) / 50)
    with pytest.raises(InputError, match="3 labels for 50"):
        layer_errors(quantized_chain(), float_chain(), _sets(samples), labels=[0, 1, 2], jobs=1)


def test_float_twin_of_a_quantized_model_matches_by_name():
    quantized = quantized_chain()
    twin = float_twin(quantized)
    model = microinfer.load(twin)
    assert {t.type.name for t in model.main.tensors} == {"FLOAT32"}
    report = layer_errors(quantized, twin, _sets(_samples(10)), jobs=1)
    assert report.matched_by == {"input": 1, "name": 4}
    assert all(layer.snr_db > 25 for layer in report.layers)


# -- datasets ----------------------------------------------------------------------------------------
def test_inputs_from_one_npz_a_folder_and_labels(tmp_path):
    model = quantized_chain()
    samples = _samples(7)
    np.savez(tmp_path / "data.npz", x=samples, labels=np.arange(7) % 4)
    sets = read_inputs(tmp_path / "data.npz", model)
    assert len(sets) == 7 and sets[3][0].shape == (1, 16) and np.array_equal(sets[3][0][0], samples[3])
    folder = tmp_path / "folder"
    folder.mkdir()
    np.save(folder / "a.npy", samples[:3])  # three samples without the batch axis
    np.save(folder / "b.npy", samples[3:4].reshape(1, 16))  # one sample with it
    np.savez(folder / "c.npz", input_0=samples[4:])
    assert [s[0].tolist() for s in read_inputs(folder, model)] == [[x.tolist()] for x in samples]
    (tmp_path / "labels.txt").write_text("0\n1\n2\n3\n0\n1\n2\n")
    assert read_labels(tmp_path / "labels.txt", 7).tolist() == [0, 1, 2, 3, 0, 1, 2]
    np.save(tmp_path / "onehot.npy", np.eye(4)[[1, 3]])
    assert read_labels(tmp_path / "onehot.npy").tolist() == [1, 3]
    np.save(folder / "d.npy", np.zeros((2, 5), np.float32))
    with pytest.raises(InputError, match="d.npy: array of shape"):
        read_inputs(folder, model)


def test_compare_per_layer_cli_json_csv_and_text(tmp_path, capsys):
    quantized, original = tmp_path / "q.tflite", tmp_path / "f.tflite"
    quantized.write_bytes(quantized_chain(bad_layer=2))
    original.write_bytes(float_chain())
    np.savez(tmp_path / "data.npz", x=_samples(24), labels=np.arange(24) % 4)
    common = [str(quantized), "--float", str(original), "--per-layer", "--inputs", str(tmp_path / "data.npz"),
              "--jobs", "1"]
    assert cli.main(["compare", *common, "--json", "--csv", str(tmp_path / "layers.csv")]) == 0
    result = json.loads(capsys.readouterr().out)
    per_layer = result["per_layer"]
    assert per_layer["samples"] == 24 and per_layer["matched_by"] == {"input": 1, "name": 4}
    assert per_layer["ranking"][0] == microinfer.load(quantized.read_bytes()).main.tensor_by_name("fc2").index
    assert per_layer["accuracy"]["samples"] == 24  # labels stored in the .npz
    assert "references" not in result  # no reference comparison unless --against is given
    lines = (tmp_path / "layers.csv").read_text().splitlines()
    assert lines[0].startswith("rank,op_index,op,tensor,name,matched_by") and len(lines) == 6
    assert cli.main(["compare", *common]) == 0
    text = capsys.readouterr().out
    assert "tensors matched: 5 (1 input, 4 by name)" in text
    ranked = [line for line in text.splitlines() if line.lstrip().startswith("1  ")]
    assert ranked and "fc2" in ranked[0] and "<<" in ranked[0]
    assert "confusion matrix, quantized model" in text


def test_compare_per_layer_needs_a_float_model(tmp_path, capsys):
    quantized = tmp_path / "q.tflite"
    quantized.write_bytes(quantized_chain())
    assert cli.main(["compare", str(quantized), "--per-layer"]) == 2
    assert "--per-layer needs --float" in capsys.readouterr().err


# -- Google's AI Edge Quantizer ----------------------------------------------------------------------
def test_a_model_quantized_by_ai_edge_quantizer():
    """Quantize the float chain with ai-edge-quantizer (static int8 weights and activations,
    calibrated), then validate it per layer: every tensor matched by name, small errors."""
    aeq = pytest.importorskip("ai_edge_quantizer", reason="pip install ai-edge-quantizer")
    from ai_edge_quantizer import recipe

    data = float_chain(with_signature=True)
    quantizer = aeq.quantizer.Quantizer(bytearray(data), recipe.static_wi8_ai8())
    # it calibrates on the moving average of each sample's range: uniform samples keep the
    # inputs inside the range it picks
    rng = np.random.default_rng(1)
    uniform = rng.uniform(-1, 1, (62, WIDTHS[0])).astype(np.float32)
    calibration = {"serving_default": [{"x": x[None]} for x in uniform[:32]]}
    result = quantizer.quantize(quantizer.calibrate(calibration), enable_progress_report=False)
    quantized = bytes(result.quantized_model)
    model = microinfer.load(quantized)
    assert {t.type.name for op in model.main.operators for t in map(model.main.tensors.__getitem__, op.outputs)} \
        <= {"INT8", "FLOAT32"}
    report = layer_errors(quantized, data, _sets(uniform[32:]), jobs=1)
    assert report.matched_by == {"input": 1, "name": 4} and report.unmatched == []
    # its activation ranges come from averaged per-sample ranges, so deep layers clip a little
    assert report.layers[0].snr_db > 25 and all(layer.cosine > 0.9 for layer in report.layers), \
        [layer.to_dict() for layer in report.layers]
    assert report.agreement > 0.7 and sorted(layer.rank for layer in report.ranked) == [1, 2, 3, 4]
    # the same figures from microinfer's own float32 kernels
    ours = layer_errors(quantized, data, _sets(uniform[32:]), jobs=1, float_engine="microinfer")
    assert [layer.rmse for layer in ours.layers] == pytest.approx([layer.rmse for layer in report.layers], rel=1e-4)


# -- real float/int8 pairs from ../shared/models/wild ---------------------------------------------
WILD_PAIRS = [
    ("nuvoton_gearbox__dnn_int8quantized.tflite", "nuvoton_gearbox__dnn.tflite", "name"),  # TFLite converter
    ("tinymaix__cifar10_q.tflite", "tinymaix__cifar10_f.tflite", "position"),  # renamed tensors
    ("tinymaix__vww96_q.tflite", "tinymaix__vww96_f.tflite", "position"),
    ("nuvoton_gsensor__model_CNN_quantized.tflite", "nuvoton_gsensor__model_CNN.tflite", "name"),  # float input
]


@pytest.mark.parametrize("quantized, original, how", WILD_PAIRS)
def test_published_float_and_int8_pairs(quantized, original, how):
    from conftest import SHARED_MODELS

    paths = [SHARED_MODELS / "wild" / name for name in (quantized, original)]
    if not all(p.is_file() for p in paths):
        pytest.skip(f"{paths[0].parent} does not hold {quantized} and {original} (set MICROINFER_SHARED_MODELS)")
    q, f = (p.read_bytes() for p in paths)
    from microinfer.compare import random_inputs

    report = layer_errors(q, f, random_inputs(f, 6, 0), jobs=1)
    assert set(report.matched_by) == {"input", how}
    operators = [op for op in microinfer.load(q).main.operators if op.op not in ("QUANTIZE", "DEQUANTIZE")]
    assert report.matched_by[how] >= len(operators) - 1  # at most the int8 output before DEQUANTIZE
    assert sorted(layer.rank for layer in report.ranked) == list(range(1, len(report.ranked) + 1))


@pytest.mark.parametrize("dtype, scale, zero", [(np.int8, 0.05, -3), (np.int16, 0.001, 0), (np.uint8, 0.5, 128)])
def test_error_sums_of_the_c_library_are_the_formulas(dtype, scale, zero):
    from microinfer.layer_error import _c_error_sums, _Dequantizer

    error_sums = _c_error_sums()
    if error_sums is None:
        pytest.skip("C kernel library unavailable")
    rng = np.random.default_rng(3)
    info = np.iinfo(dtype)
    codes = rng.integers(info.min, info.max + 1, 1001).astype(dtype)  # not a multiple of any lane count
    reference = rng.normal(0, 2, codes.size).astype(np.float32)

    class Type:
        numpy_dtype = dtype

    class Tensor:
        type = Type
        quantization = Quantization(scale=[scale], zero_point=[zero])

    table = _Dequantizer(Tensor).table
    row = np.zeros(7)
    row[6] = 0.25
    error_sums(codes.ctypes.data, codes.itemsize, table.ctypes.data, reference.ctypes.data, codes.size, row.ctypes.data)
    q = ((codes.astype(np.float32) - np.float32(zero)) * np.float32(scale)).astype(np.float64)  # in float32
    f = reference.astype(np.float64)
    d = q - f
    np.testing.assert_allclose(row[:6], [codes.size, d @ d, np.abs(d).sum(), f @ f, q @ q, q @ f], rtol=1e-12)
    assert row[6] == max(0.25, np.abs(d).max())
    reference[500] = np.nan
    row[:] = 0
    error_sums(codes.ctypes.data, codes.itemsize, table.ctypes.data, reference.ctypes.data, codes.size, row.ctypes.data)
    assert np.isnan(row[1]) and np.isnan(row[6])
