"""Test models for microinfer: single-op TFLite models both reference interpreters run.

See :mod:`microinfer.testing.op_models` (a fixed catalogue) and
:mod:`microinfer.testing.strategies` (hypothesis strategies drawing models of every operator and
dtype, with inputs, for property tests; it needs ``hypothesis``, so it is not imported here).
"""

from .op_models import (
    OP_CASES,
    OpCase,
    build,
    case,
    model_with_metadata,
    multi_subgraph_model,
    random_inputs,
)

__all__ = [
    "OP_CASES", "OpCase", "build", "case", "model_with_metadata", "multi_subgraph_model",
    "random_inputs",
]
