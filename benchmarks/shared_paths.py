"""Where the benchmarks find ../shared (or wherever ``MICROINFER_SHARED`` points): the public models (``MICROINFER_SHARED_MODELS``, as the
tests read it) and the published anchors."""

import os
from pathlib import Path

SHARED = Path(os.environ.get("MICROINFER_SHARED", Path(__file__).resolve().parents[2] / "shared"))
SHARED_MODELS = Path(os.environ.get("MICROINFER_SHARED_MODELS", SHARED / "models"))
