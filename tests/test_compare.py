"""`microinfer compare`: layer-by-layer agreement with the reference interpreters."""

from __future__ import annotations

import json

import numpy as np
import pytest

from microinfer import cli, reference
from microinfer.compare import InputError, LayerDiff, _accumulate, compare, random_inputs, read_inputs

from conftest import SHARED_MODEL_NAMES, shared_model_path

AD01 = "ad01_int8.tflite"


@pytest.mark.parametrize("name", SHARED_MODEL_NAMES or ["ad01_int8.tflite"])
def test_every_shared_model_is_bit_identical_to_tflm(name, reference_worker):
    data = shared_model_path(name).read_bytes()
    report = compare(data, ("tflm",), random_inputs(data, 3, seed=7), worker=reference_worker)
    result = report.references["tflm"]
    assert result.layers, "no operator output was compared"
    assert result.identical and result.first_diverging_layer is None
    for layer in result.layers:
        assert layer.mismatches == 0, layer
        assert layer.total > 0 and layer.max_abs_diff == 0


def test_tflm_mode_against_litert_shows_the_fully_connected_rounding(reference_worker):
    """TFLite Micro's fully connected layer rounds twice, LiteRT's once: one LSB apart."""
    data = shared_model_path(AD01).read_bytes()
    report = compare(data, ("tflite",), random_inputs(data, 5, seed=0),
                     microinfer_reference="tflm", worker=reference_worker)
    result = report.references["tflite"]
    assert result.microinfer_reference == "tflm" and not result.identical
    first = result.first_diverging_layer
    assert first is not None
    layers = {layer.op_index: layer for layer in result.layers}
    assert {layer.op for layer in result.layers} == {"FULLY_CONNECTED"}
    assert all(layers[i].mismatches == 0 for i in layers if i < first)
    # where the layer's inputs still agree, the difference is the 1-LSB rounding difference;
    # later layers inherit it and may drift a little further
    assert layers[first].mismatches > 0 and layers[first].max_abs_diff == 1
    assert isinstance(layers[first].max_abs_diff, int)
    assert sum(layer.mismatches for layer in result.layers) > layers[first].mismatches
    assert all(layer.max_abs_diff <= 4 for layer in result.layers)
    # the same run in LiteRT mode agrees exactly
    same = compare(data, ("tflite",), random_inputs(data, 5, seed=0), worker=reference_worker)
    assert same.references["tflite"].identical


def test_cli_table_and_verdict(capsys, reference_worker):
    path = shared_model_path(AD01)
    assert cli.main(["compare", str(path), "--random", "2", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "ad01_int8.tflite against TFLite Micro, 2 inputs:" in out
    assert "mismatching / total" in out and "max abs diff" in out
    assert "FULLY_CONNECTED" in out and "0 / 1,280" in out
    assert out.rstrip().endswith("bit-identical to TFLite Micro on all 2 inputs")

    assert cli.main(["compare", str(path), "--against", "tflite", "--as", "tflm", "--random", "3"]) == 0
    out = capsys.readouterr().out
    assert "against LiteRT, microinfer as TFLite Micro, 3 inputs" in out
    assert "first diverging layer: op 0 (FULLY_CONNECTED)" in out


def test_cli_json(capsys, reference_worker):
    path = shared_model_path(AD01)
    assert cli.main(["compare", str(path), "--against", "both", "--as", "tflm", "--random", "3", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["runs"] == 3 and set(doc["references"]) == {"tflm", "tflite"}
    tflm, litert = doc["references"]["tflm"], doc["references"]["tflite"]
    assert tflm["identical"] is True and tflm["first_diverging_layer"] is None
    assert litert["identical"] is False and litert["first_diverging_layer"] == 0
    layer = litert["layers"][0]
    assert {"op_index", "op", "tensor_index", "tensor_name", "mismatching_elements", "total_elements",
            "max_abs_diff"} <= set(layer)
    assert layer["op"] == "FULLY_CONNECTED" and layer["max_abs_diff"] == 1 and layer["total_elements"] == 384
    assert len(tflm["layers"]) == 10


def test_cli_inputs_directory(tmp_path, capsys, reference_worker):
    path = shared_model_path(AD01)
    rng = np.random.default_rng(0)
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        np.save(tmp_path / folder / "input_0.npy", rng.integers(-128, 128, (1, 640)).astype(np.int8))
    assert cli.main(["compare", str(path), "--inputs", str(tmp_path)]) == 0
    assert "bit-identical to TFLite Micro on all 2 inputs" in capsys.readouterr().out
    assert len(read_inputs(tmp_path / "a", path.read_bytes())) == 1


def test_bad_inputs_directory(tmp_path, capsys):
    path = shared_model_path(AD01)
    (tmp_path / "set0").mkdir()
    with pytest.raises(InputError, match="input_0.npy: missing"):
        read_inputs(tmp_path, path.read_bytes())
    np.save(tmp_path / "input_0.npy", np.zeros((1, 640), np.float32))  # wrong dtype
    assert cli.main(["compare", str(path), "--inputs", str(tmp_path)]) == 2
    assert "microinfer compare: error:" in capsys.readouterr().err


@pytest.mark.parametrize("against, package", [("tflm", "tflite-micro"), ("tflite", "ai-edge-litert"),
                                              ("both", "tflite-micro")])
def test_missing_reference_package(monkeypatch, capsys, tmp_path, against, package):
    monkeypatch.setattr(reference, "available", lambda name: False)
    model = tmp_path / "m.tflite"
    from microinfer.examples import EXAMPLES

    model.write_bytes(EXAMPLES[sorted(EXAMPLES)[0]](seed=0))
    assert cli.main(["compare", str(model), "--against", against]) == 2
    err = capsys.readouterr().err
    assert f"pip install {package}" in err and "microinfer compare: error:" in err
    with pytest.raises(reference.ReferenceUnavailable, match=f"pip install {package}"):
        compare(model.read_bytes(), ("tflm", "tflite") if against == "both" else (against,),
                random_inputs(model.read_bytes(), 1))


def test_accumulate_integer_and_float():
    layer = LayerDiff(0, "ADD", 1, "x", "int8")
    _accumulate(layer, np.array([-128, 5, 7], np.int8), np.array([127, 5, 6], np.int8))
    assert (layer.mismatches, layer.total, layer.max_abs_diff) == (2, 3, 255)
    assert isinstance(layer.max_abs_diff, int)
    f = LayerDiff(0, "ADD", 1, "x", "float32")
    _accumulate(f, np.array([1.0, np.nan, 0.5], np.float32), np.array([1.0, np.nan, 0.25], np.float32))
    assert (f.mismatches, f.total, f.max_abs_diff) == (1, 3, 0.25)
    assert isinstance(f.max_abs_diff, float)


def test_random_inputs_span_the_dtype_range():
    data = shared_model_path(AD01).read_bytes()
    sets = random_inputs(data, 4, seed=1)
    assert len(sets) == 4 and sets[0][0].dtype == np.int8 and sets[0][0].shape == (1, 640)
    values = np.concatenate([s[0].ravel() for s in sets])
    assert values.min() == -128 and values.max() == 127
    again = random_inputs(data, 4, seed=1)
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(sets, again))
