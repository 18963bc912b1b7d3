"""Hypothesis strategies of operator families, one module a family.

Each module defines ``GENERATED``: ``{operator: (dtype labels, factory)}``, where ``factory``
takes the activation type ("int8", "int16", "float32", "int32", ...; see
``_draw.ACTIVATION_TYPE``) and returns a strategy of model bytes. :mod:`..strategies` merges
them into :func:`~microinfer.testing.strategies.op_examples`, so ``microinfer fuzz --op X`` and
the CI campaign cover every operator listed here. Modules draw from :mod:`.._draw`, never from
:mod:`..strategies` (which imports them). A module may add dtype labels to an operator another
module (or :mod:`..strategies`) draws: :func:`merge` keeps both, each label drawn by the factory
that lists it.
"""

from __future__ import annotations

from .._draw import ACTIVATION_TYPE
from . import detection, quantization, uint8


def merge(generated: dict, more: dict) -> dict:
    """``generated`` with the entries of ``more`` added; for an operator in both, each dtype label
    is drawn by the factory of the entry that lists it (``more``'s where both do)."""
    merged = dict(generated)
    for op, (labels, factory) in more.items():
        if op not in merged:
            merged[op] = (labels, factory)
            continue
        old_labels, old_factory = merged[op]
        acts = {ACTIVATION_TYPE[label] for label in labels}
        merged[op] = (tuple(dict.fromkeys((*old_labels, *labels))),
                      lambda act, new=factory, old=old_factory, acts=acts: new(act) if act in acts else old(act))
    return merged


GENERATED: dict = {}
for _module in (quantization, uint8, detection):
    GENERATED = merge(GENERATED, _module.GENERATED)
