"""microinfer.fuzz: campaigns against the references and the C backend, shrinking, reproducers."""

from __future__ import annotations

import numpy as np
import pytest

from microinfer import fuzz, reference
from microinfer.cli import main
from microinfer.errors import MissingDependencyError, UnsupportedOpError
from microinfer.kernels import _conv_util
from microinfer.testing.strategies import op_dtypes, unary_model
from microinfer.tflite import load


@pytest.fixture(scope="module")
def both_references():
    for name in (reference.TFLM, reference.LITERT):
        if not reference.available(name):
            pytest.skip(f"needs {reference.PACKAGES[name]!r} (pip install -e '.[test]')")


# Cases per (operator, dtype) in the CI campaigns: about 370 pairs against the references, so
# 60 each (some 22,000 cases); the C backend's 40-odd pairs get 150. The long campaigns are
# benchmarks/fuzz_kernels.py.
CI_EXAMPLES = 60
CI_EXAMPLES_C = 150


def test_campaign_every_op_and_dtype_against_both_references(both_references):
    """The CI campaign: every generated (operator, dtype) and small graphs, against TFLite Micro and
    LiteRT. Reference disagreements are allowed (reported); microinfer mismatches are not, and
    where the references disagree microinfer reproduces each of them."""
    report = fuzz.campaign("both", examples=CI_EXAMPLES, seed=20261125, jobs=2)
    assert not report.failures, [(f.key, f.detail) for f in report.failures]
    assert report.cases >= CI_EXAMPLES * (len(op_dtypes()) + 1)
    assert report.cases - report.refused >= 0.9 * report.cases  # nearly every case is compared
    for f in report.disagreements:
        assert set(f.follows) == {reference.TFLM, reference.LITERT}, f


def test_campaign_against_c_backend():
    """The C kernels against the NumPy spec, both reference modes, every op with a C kernel."""
    problem = fuzz.c_backend_problem()
    if problem:
        pytest.skip(f"fuzz --against c: {problem}")
    report = fuzz.campaign("c", examples=CI_EXAMPLES_C, seed=3, jobs=2)
    with_c = [(op, dtype) for op, dtype in op_dtypes() if op in fuzz.c_kernel_ops() and dtype in fuzz.C_DTYPES]
    assert report.cases >= 0.95 * CI_EXAMPLES_C * (len(with_c) + 1)
    assert report.cases - report.refused >= 0.5 * report.cases  # most cases do run C kernels
    assert not report.failures, [(f.key, f.detail) for f in report.failures]


def test_reference_disagreement_is_not_a_failure(both_references):
    # RELU6 int8 with requantization: TFLite Micro clamps the raw input, LiteRT requantizes.
    model = unary_model("RELU6", (4,), "int8", "int8", dict(scale=0.1, zero_point=0),
                        dict(scale=0.05, zero_point=-10))
    inputs = [np.array([-5, 10, 50, 100], np.int8)]
    checker = fuzz.CaseChecker("both")
    try:
        findings, compared = checker.check("RELU6", "int8", model, inputs)
    finally:
        checker.close()
    assert compared and len(findings) == 1
    (disagreement,) = findings
    assert disagreement.kind == fuzz.DISAGREEMENT and not disagreement.is_failure
    assert disagreement.follows == ("tflm", "tflite")
    # TFLite Micro [0, 10, 50, 60], LiteRT [-10, 10, 90, 110]: three elements differ
    assert disagreement.detail.startswith("output 0: 3 of 4 elements differ, max |diff| 50")
    np.testing.assert_array_equal(disagreement.outputs["tflm"][0], [0, 10, 50, 60])


def test_shrinks_an_injected_requantization_bug(both_references, monkeypatch, tmp_path):
    """An off-by-one requantization shift in the conv family (the accumulator doubled before
    rescaling) is caught and shrunk to a one-operator model with tiny tensors."""
    original = _conv_util.Requantizer.__call__
    monkeypatch.setattr(_conv_util.Requantizer, "__call__", lambda self, acc, *rest: original(self, acc * 2, *rest))
    checker = fuzz.CaseChecker("tflm")
    try:
        result = fuzz.run_unit(fuzz.Unit("CONV_2D", "int8", seed=5, examples=60), checker)
    finally:
        checker.close()
    finding = result.failure
    assert finding is not None and finding.kind == fuzz.MISMATCH and finding.against == "tflm"
    model = load(finding.model)
    assert len(model.main.operators) == 1 and model.main.operators[0].op == "CONV_2D"
    x = model.main.input_tensors()[0]
    assert int(np.prod(x.shape)) <= 4, x.shape  # shrunk from up to 2x12x12x48
    assert int(np.prod(model.main.output_tensors()[0].shape)) <= 4
    # the written reproducer replays the mismatch through `microinfer compare`
    folder = fuzz.write_finding(finding, tmp_path)
    assert (folder / "model.tflite").read_bytes() == finding.model
    assert np.array_equal(np.load(folder / "input_0.npy"), finding.inputs[0])
    assert (folder / "tflm_output_0.npy").is_file() and (folder / "microinfer_output_0.npy").is_file()
    command = (folder / "README.txt").read_text().splitlines()[-1]
    assert command.startswith("reproduce: microinfer compare ")
    argv = command.split("microinfer ", 1)[1].split()
    monkeypatch.setattr(_conv_util.Requantizer, "__call__", original)
    assert main(argv) == 0  # fixed kernel: bit-identical again


def test_missing_reference_names_the_package(monkeypatch):
    monkeypatch.setattr(reference, "available", lambda name: name != reference.LITERT)
    with pytest.raises(MissingDependencyError, match="pip install ai-edge-litert"):
        fuzz.campaign("both", ops=["RELU"], examples=1)
    with pytest.raises(MissingDependencyError, match="pip install ai-edge-litert"):
        fuzz.campaign("tflite", ops=["RELU"], examples=1)


def test_c_backend_missing_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(fuzz, "c_backend_available", lambda: False)
    with pytest.raises(MissingDependencyError, match="C kernel library"):
        fuzz.campaign("c", ops=["RELU"], examples=1)


def test_unknown_op_is_refused():
    with pytest.raises(UnsupportedOpError, match="no generator for NOT_AN_OP"):
        fuzz.targets(["NOT_AN_OP"])


def test_units_are_deterministic_and_sized():
    units = fuzz.plan_units([("ADD", "int8")], 120, seed=7)
    assert [u.examples for u in units] == [50, 50, 20]
    assert units == fuzz.plan_units([("ADD", "int8")], 120, seed=7)
    assert len({u.seed for u in units}) == 3


def test_float_outputs_compare_within_summation_tolerance():
    big = np.float32([1000.0, 0.5])
    assert fuzz._outputs_differ([big + np.float32([0, 0.005])], [big]) is None  # 1e-5 of the largest
    assert "1 of 2 elements differ" in fuzz._outputs_differ([big + np.float32([0, 0.02])], [big])
    # a sum of large inputs that cancels: the inputs' magnitude sets the tolerance
    small = np.float32([0.25])
    assert "1 of 1 elements differ" in fuzz._outputs_differ([small + np.float32(0.004)], [small])
    assert fuzz._outputs_differ([small + np.float32(0.004)], [small], [np.float32([-900.0, 800.0])]) is None
    assert fuzz._outputs_differ([np.int8([1, 2])], [np.int8([1, 3])]).startswith("output 0: 1 of 2")


def test_cli_fuzz(both_references, tmp_path, capsys):
    code = main(["fuzz", "--op", "RELU", "--op", "MAX_POOL_2D", "--dtype", "int8", "--examples", "30",
                 "--seed", "1", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "fuzzed 60 cases against TFLite Micro and LiteRT" in out and "cases/s" in out
    assert "0 distinct mismatches (microinfer failures)" in out


def test_cli_fuzz_json(both_references, tmp_path, capsys):
    import json

    assert main(["fuzz", "--op", "HARD_SWISH", "--dtype", "float32", "--examples", "10", "--json",
                 "--against", "tflm", "--out", str(tmp_path)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["cases"] == 10 and report["against"] == "tflm" and report["failures"] == []


def test_cli_fuzz_bad_arguments(capsys):
    assert main(["fuzz", "--examples", "0"]) == 2
    assert "positive" in capsys.readouterr().err
    assert main(["fuzz", "--op", "NOPE"]) == 2
    assert "no generator for NOPE" in capsys.readouterr().err


def test_against_c_mode_with_a_stand_in_backend(monkeypatch):
    """The --against c logic, without the C library: a stand-in "C backend" (the NumPy kernels with
    int8 outputs from 50 to 126 one too high) is caught and shrunk like a reference mismatch."""
    from microinfer import interpreter

    class StandIn(interpreter.Interpreter):
        def __init__(self, model, backend="numpy", **kwargs):
            super().__init__(model, **kwargs)
            self.broken = backend == "c"
            if self.broken:
                self.op_backends = ["c"] * len(self.subgraph.operators)

        def run(self, inputs, intermediates=False):
            outputs = super().run(inputs, intermediates)
            if self.broken:
                outputs = [np.where((y >= 50) & (y < 127), y + 1, y).astype(y.dtype) for y in outputs]
            return outputs

    monkeypatch.setattr(fuzz, "Interpreter", StandIn)
    monkeypatch.setattr(fuzz, "c_backend_available", lambda: True)
    monkeypatch.setattr(fuzz, "c_kernel_ops", lambda: {"RELU"})
    report = fuzz.campaign("c", ops=["RELU"], dtypes=["int8"], examples=100, seed=2)
    (finding,) = report.failures
    assert finding.key == (fuzz.MISMATCH, "RELU", "int8", "c")
    assert finding.detail.startswith("reference='tflm': output 0: 1 of 1 elements differ")  # one element
    assert set(finding.outputs) == {"c", "numpy"}
