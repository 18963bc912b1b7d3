"""`microinfer report`: one self-contained HTML file, checked in headless Chromium; `_repr_html_`."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import microinfer
from microinfer import cli
from microinfer.compare import ComparisonReport, LayerDiff, QuantizationError, ReferenceComparison, quantization_error
from microinfer.examples import EXAMPLES
from microinfer.float_twin import float_twin
from microinfer.layer_error import layer_errors

# What headless Chromium needs on these machines (as root, with no network): no sandbox, no GPU,
# none of the background connections it would make, and a fresh profile.
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--hide-scrollbars")


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    quantized = EXAMPLES["magic-wand"](seed=0)
    (folder / "magic_wand.tflite").write_bytes(quantized)
    (folder / "magic_wand_float.tflite").write_bytes(float_twin(quantized))
    rng = np.random.default_rng(0)
    np.savez(folder / "data.npz", accelerometer=rng.uniform(-2, 2, (12, 200, 3, 1)).astype(np.float32),
             labels=np.arange(12) % 4)
    return folder


@pytest.fixture(scope="module")
def report_file(files):
    out = files / "report.html"
    code = cli.main(["report", str(files / "magic_wand.tflite"), "--float", str(files / "magic_wand_float.tflite"),
                     "--board", "nucleo-l4r5zi", "--inputs", str(files / "data.npz"), "--jobs", "1", "-o", str(out)])
    assert code == 0
    return out


def test_report_is_one_self_contained_file(report_file):
    text = report_file.read_text()
    assert text.startswith("<!DOCTYPE html>")
    # no scripts, no external resources (the only URL is SVG's namespace name, never fetched)
    assert "<script" not in text and not re.search(r"(src|href)\s*=", text)
    assert set(re.findall(r"https?://[^'\"\s]+", text)) <= {"http://www.w3.org/2000/svg"}
    for heading in ("Layers", "Arena layout over time", "Fit verdict", "Latency per layer on",
                    "Quantization error per layer"):
        assert heading in text
    assert text.count("<svg") == 3  # arena, latency, SNR
    assert "accuracy over 12 labelled inputs" in text


def _run_chromium(browser: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args], capture_output=True,
                          text=True, timeout=120)


def test_report_in_headless_chromium(report_file, tmp_path):
    """Loaded in a real browser: the DOM holds every section and the charts, and a screenshot is
    taken (it lands next to the report, for a person to look at)."""
    browser = chromium()
    if browser is None:
        pytest.skip("headless Chromium not installed: apt-get install -y --no-install-recommends chromium "
                    "(the optional first line of the README's set-up)")
    url = report_file.resolve().as_uri()
    dom = _run_chromium(browser, tmp_path / "profile-dom", "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    page = dom.stdout
    assert "<h2>Fit verdict</h2>" in page and "nucleo-l4r5zi" in page
    assert page.count("<svg") == 3 and page.count("<rect") > 20
    assert "Quantization error per layer" in page and "CONV_2D" in page
    shot = report_file.with_suffix(".png")
    run = _run_chromium(browser, tmp_path / "profile-shot", f"--screenshot={shot}", "--window-size=1280,2400", url)
    assert run.returncode == 0, run.stderr[-2000:]
    assert shot.is_file() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


def test_report_without_board_or_float_says_what_is_missing(files, capsys):
    out = files / "plain.html"
    assert cli.main(["report", str(files / "magic_wand.tflite"), "-o", str(out)]) == 0
    text = out.read_text()
    assert "No board chosen" in text and "Fit verdict" not in text and "Quantization error" not in text
    assert cli.main(["report", str(files / "magic_wand.tflite"), "--inputs", str(files / "data.npz"),
                     "-o", str(out)]) == 2
    assert "need --float" in capsys.readouterr().err


def test_rich_display_in_notebooks(files):
    data = (files / "magic_wand.tflite").read_bytes()
    model = microinfer.load(data)
    assert "CONV_2D" in model._repr_html_() and "<table" in model._repr_html_()
    assert "<svg" in microinfer.plan(model)._repr_html_()
    fit = microinfer.estimate(model, board="nucleo-l4r5zi")
    assert "FITS" in fit._repr_html_() and "<svg" in fit._repr_html_()
    layer = LayerDiff(0, "CONV_2D", 3, "conv", "int8", mismatches=2, total=10, max_abs_diff=1)
    comparison = ComparisonReport(1, {"tflm": ReferenceComparison("tflm", "tflm", 1, [layer])})
    assert "first diverging layer: op 0" in comparison._repr_html_()
    twin = (files / "magic_wand_float.tflite").read_bytes()
    x = np.zeros((1, 200, 3, 1), np.int8)
    error = quantization_error(data, twin, [[x]])
    assert isinstance(error, QuantizationError) and "RMSE" in error._repr_html_()
    layers = layer_errors(data, twin, [[x]], jobs=1)
    assert "SNR" in layers._repr_html_() and "<svg" in layers._repr_html_()


def test_report_on_a_shared_model_with_every_board(tmp_path):
    from conftest import shared_model_path

    path = shared_model_path("vww_96_int8.tflite")
    out = tmp_path / "vww.html"
    assert cli.main(["report", str(path), "--all-boards", "-o", str(out)]) == 0
    text = out.read_text()
    assert text.count("FITS") + text.count("DOES NOT FIT") >= 10
