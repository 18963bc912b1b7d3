"""The campaign past the loader, CI's share: mutants of real and generated models through every
command, both backends and TFLite Micro (tests/mutant_campaign.py says what each goes through).

No exception outside microinfer's own errors, no crash, no hang, no difference between the C
backend and NumPy, and no difference from TFLite Micro on mutants both run. The long campaign
(100,000 mutants) is benchmarks/fuzz_models.py.
"""

from __future__ import annotations

import pytest

from microinfer import reference

import mutant_campaign
from conftest import SHARED_MODELS

CI_MUTANTS = 1500


@pytest.fixture(scope="module")
def tflm_available():
    if not reference.available(reference.TFLM):
        pytest.skip(f"needs {reference.PACKAGES[reference.TFLM]!r} (pip install -e '.[test]')")


def test_mutants_raise_only_microinfer_errors_and_agree_with_tflite_micro(tflm_available):
    # Small seeds (catalogue models and shared models up to 60 kB) keep the share quick; every
    # tenth mutant also goes through the best planner and fit.
    report = mutant_campaign.campaign(CI_MUTANTS, campaign_seed=20261202, jobs=2, timeout=150.0,
                                      shared=SHARED_MODELS, full_every=10, max_bytes=60_000)
    assert report.mutants == CI_MUTANTS
    assert not report.findings, mutant_campaign.describe(report) + "\n" + "\n".join(
        f"mutant {index}: {kind}: {detail}" for index, kind, detail in report.findings[:10])
    # the mutants exercise more than the loader: most load, and many run in both
    assert report.counts.get("ok", 0) > 0.8 * CI_MUTANTS
