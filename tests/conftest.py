"""Shared fixtures: the public models in ../shared/models and the reference interpreters."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from microinfer import reference

REPO = Path(__file__).resolve().parent.parent
SHARED_MODELS = Path(os.environ.get("MICROINFER_SHARED_MODELS", REPO.parent / "shared" / "models"))
SHARED_MODEL_NAMES = sorted(p.name for p in SHARED_MODELS.glob("*.tflite")) if SHARED_MODELS.is_dir() else []


def shared_model_path(name: str) -> Path:
    path = SHARED_MODELS / name
    if not path.is_file():
        pytest.skip(f"shared model {name} not found in {SHARED_MODELS} (set MICROINFER_SHARED_MODELS)")
    return path


@pytest.fixture(params=SHARED_MODEL_NAMES or [pytest.param(None, marks=pytest.mark.skip(
    reason=f"no shared models in {SHARED_MODELS} (set MICROINFER_SHARED_MODELS)"))])
def shared_model(request) -> Path:
    """Each model of ../shared/models in turn."""
    return SHARED_MODELS / request.param


@pytest.fixture(scope="session")
def reference_worker():
    """A reference-interpreter worker process shared by the whole session."""
    for name in (reference.TFLM, reference.LITERT):
        if not reference.available(name):
            pytest.skip(f"reference {name!r} needs {reference.PACKAGES[name]!r} (pip install -e '.[test]')")
    with reference.ReferenceWorker() as worker:
        yield worker


# The campaigns take minutes each (and run their own worker processes): started first, they
# overlap the many short tests instead of trailing after them on one pytest-xdist worker.
LONG_TESTS = (
    "test_campaign_every_op_and_dtype_against_both_references",
    "test_mutants_raise_only_microinfer_errors_and_agree_with_tflite_micro",
    "test_campaign_against_c_backend",
    "test_c_kernel_tests_pass_under_asan_and_ubsan",
)


def pytest_collection_modifyitems(config, items):
    items.sort(key=lambda item: item.name not in LONG_TESTS)
