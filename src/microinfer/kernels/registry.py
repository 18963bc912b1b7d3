"""The explicit registry of operator kernels, and what a kernel sees of its node.

A kernel is a class registered with :func:`register`. ``constraints`` are functions of a
:class:`Node` returning True when the node is supported; each one's docstring is both the message
of :class:`~microinfer.UnsupportedOpError` and a line of the generated SUPPORTED_OPS.md.
``prepare`` computes everything that depends only on the model (multipliers, shifts, shapes);
``eval`` moves data only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..tflite.model import Model, Operator, Tensor
from ..tflite.types import TensorType

TFLM = "tflm"
TFLITE = "tflite"
REFERENCES = (TFLM, TFLITE)

Constraint = Callable[["Node"], bool]


@dataclass(frozen=True)
class Node:
    """One operator with its tensors resolved, as a kernel's prepare and constraints see it."""

    op: Operator
    inputs: tuple[Tensor | None, ...]  # None for an omitted optional input
    outputs: tuple[Tensor, ...]
    model: Model
    reference: str  # TFLM or TFLITE: whose arithmetic to reproduce

    @property
    def options(self):
        return self.op.options

    def input(self, i: int) -> Tensor | None:
        return self.inputs[i] if i < len(self.inputs) else None

    @property
    def type_signature(self) -> str:
        """'int8', 'int16x8' (int16 activations with int8 weights), 'float32', ... of the node."""
        first = self.inputs[0] if self.inputs and self.inputs[0] is not None else self.outputs[0]
        weights = self.input(1)
        if first.type is TensorType.INT16 and weights is not None and weights.type is TensorType.INT8:
            return "int16x8"
        return first.type.name.lower()


class Kernel:
    """Base class of every kernel. Subclasses set ``constraints`` and implement the two steps."""

    op: str = ""
    versions: range = range(1, 2)
    types: tuple[str, ...] = ()
    constraints: Sequence[Constraint] = ()

    def prepare(self, node: Node):
        raise NotImplementedError

    def eval(self, data, inputs: list[np.ndarray | None]) -> list[np.ndarray]:
        raise NotImplementedError

    @classmethod
    def unsupported_reasons(cls, node: Node) -> list[str]:
        reasons = []
        if node.op.version not in cls.versions:
            reasons.append(
                f"version {node.op.version} is not in {cls.versions.start}..{cls.versions.stop - 1}"
            )
        for constraint in cls.constraints:
            if not constraint(node):
                reasons.append(_first_line(constraint.__doc__))
        return reasons


REGISTRY: dict[str, type[Kernel]] = {}


def register(op: str, *, versions: range, types: tuple[str, ...]):
    """Class decorator: make ``cls`` the kernel of builtin operator ``op``."""

    def decorate(cls: type[Kernel]) -> type[Kernel]:
        if op in REGISTRY:
            raise RuntimeError(f"two kernels registered for {op}")
        cls.op, cls.versions, cls.types = op, versions, types
        REGISTRY[op] = cls
        return cls

    return decorate


def _first_line(doc: str | None) -> str:
    return (doc or "unnamed constraint").strip().splitlines()[0]


def constraint_text(constraint: Constraint) -> str:
    return _first_line(constraint.__doc__)
