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
