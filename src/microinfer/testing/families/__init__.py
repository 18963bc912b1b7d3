"""Hypothesis strategies of operator families, one module a family.

Each module defines ``GENERATED``: ``{operator: (dtype labels, factory)}``, where ``factory``
takes the activation type ("int8", "int16", "float32", "int32", "hybrid", ...; see
``_draw.ACTIVATION_TYPE``) and returns a strategy of model bytes. :mod:`..strategies` merges
them into :func:`~microinfer.testing.strategies.op_examples`, so ``microinfer fuzz --op X`` and
the CI campaign cover every operator listed here. Modules draw from :mod:`.._draw`, never from
:mod:`..strategies` (which imports them). Two modules (or a module and the strategies of
:mod:`..strategies`) may draw the same operator for different dtype labels: :func:`merge`
joins them.
"""

from __future__ import annotations

from .._draw import ACTIVATION_TYPE
from . import (control_flow, data_movement, detection, elementwise, hybrid, matmul, quantization,
               recurrent, reduce, resize, signal, uint8, unary)


def merge(base: dict, extra: dict) -> dict:
    """``base`` with the entries of ``extra``: an operator in both draws the dtype labels of
    both, each from its own factory."""
    merged = dict(base)
    for op, (dtypes, factory) in extra.items():
        if op not in merged:
            merged[op] = (dtypes, factory)
            continue
        base_dtypes, base_factory = merged[op]
        own = {ACTIVATION_TYPE[d] for d in dtypes}

        def either(activation, own=own, factory=factory, base_factory=base_factory):
            return factory(activation) if activation in own else base_factory(activation)

        merged[op] = (base_dtypes + tuple(d for d in dtypes if d not in base_dtypes), either)
    return merged


GENERATED: dict = {}
for _module in (data_movement, elementwise, matmul, reduce, resize, hybrid, recurrent, unary, signal,
                quantization, uint8, detection, control_flow):
    GENERATED = merge(GENERATED, _module.GENERATED)
