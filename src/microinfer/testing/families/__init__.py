"""Hypothesis strategies of operator families, one module a family.

Each module defines ``GENERATED``: ``{operator: (dtype labels, factory)}``, where ``factory``
takes the activation type ("int8", "int16", "float32", "int32", ...; see
``_draw.ACTIVATION_TYPE``) and returns a strategy of model bytes. :mod:`..strategies` merges
them into :func:`~microinfer.testing.strategies.op_examples`, so ``microinfer fuzz --op X`` and
the CI campaign cover every operator listed here. Modules draw from :mod:`.._draw`, never from
:mod:`..strategies` (which imports them).
"""

from __future__ import annotations

from . import control_flow, data_movement, elementwise, reduce

GENERATED: dict = {}
for _module in (control_flow, data_movement, elementwise, reduce,):
    GENERATED.update(_module.GENERATED)
