"""What the command line says matches what it does (issue 18's README findings)."""

from __future__ import annotations

import numpy as np
import pytest

from microinfer import cli
from microinfer.compare import LayerDiff, _accumulate
from microinfer.examples import EXAMPLES


def test_float32_differences_from_summation_order_are_not_mismatches():
    """LiteRT and microinfer sum float32 products in different orders: a 1.8e-7 relative
    difference is within the 1e-5 the README promises, so compare does not fail on it."""
    expected = np.linspace(-3, 3, 64, dtype=np.float32).reshape(1, 64)
    got = (expected * np.float32(1 + 1.8e-7)).astype(np.float32)
    layer = LayerDiff(0, "FULLY_CONNECTED", 3, "fc", "float32")
    _accumulate(layer, got, expected)
    assert layer.identical and 0 < layer.max_abs_diff < 1e-5
    far = expected.copy()
    far[0, 5] += 0.01
    _accumulate(layer, far, expected)
    assert layer.mismatches == 1


def test_plan_png_without_extension_names_the_file_it_writes(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    model = tmp_path / "m.tflite"
    model.write_bytes(EXAMPLES["magic-wand"](seed=0))
    assert cli.main(["plan", str(model), "--png", str(tmp_path / "layout")]) == 0
    assert (tmp_path / "layout.png").is_file() and not (tmp_path / "layout").exists()
    assert f"wrote {tmp_path / 'layout.png'}" in capsys.readouterr().out
