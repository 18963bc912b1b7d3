"""The explicit registry of operator kernels, and what a kernel sees of its node.

A kernel is a class registered with :func:`register`. ``constraints`` are functions of a
:class:`Node` returning True when the node is supported; each one's docstring is both the message
of :class:`~microinfer.UnsupportedOpError` and a line of the generated SUPPORTED_OPS.md.
``prepare`` computes everything that depends only on the model (multipliers, shifts, shapes);
``eval`` moves data only. A constraint may also carry ``detail(node)``: a short phrase with the
refused node's own figures, appended to its sentence in the error message.
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
    subgraph: int = 0  # index of the subgraph the operator belongs to

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
    """Base class of every kernel. Subclasses set ``constraints`` and implement the two steps.

    ``inputs``/``outputs`` (set by :func:`register`) bound how many tensors the node lists, and
    ``optional_inputs`` are the positions that may be omitted (-1); they are checked before any
    constraint, so constraints may index the inputs they declare.

    A kernel that keeps state across invokes in buffers of its own (as TFLite Micro's stateful
    custom operators keep it in persistent buffers) holds it in a mutable member of its prepared
    data and defines ``reset(data)``, which ``Interpreter.reset_variables`` calls.
    """

    op: str = ""
    versions: range = range(1, 2)
    types: tuple[str, ...] = ()
    constraints: Sequence[Constraint] = ()
    inputs: tuple[int, int | None] | None = None  # (fewest, most; None: no limit)
    outputs: tuple[int, int | None] | None = None
    optional_inputs: frozenset[int] = frozenset()

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
        wiring = cls.wiring_problems(node)
        if wiring:  # the constraints below may index the declared inputs: do not run them
            return reasons + wiring
        for constraint in cls.constraints:
            try:
                holds = constraint(node)
            except Exception as exc:  # a constraint must never crash the check: report it
                # Constraints are read in order, each presuming the ones before it: once one has
                # refused the node, a later one failing on what it presumes is no bug.
                if reasons:
                    continue
                reasons.append(f"{INTERNAL_ERROR} checking '{_first_line(constraint.__doc__)}': "
                               f"{type(exc).__name__}: {exc}")
                continue
            if not holds:
                reasons.append(_first_line(constraint.__doc__) + _detail(constraint, node))
        return reasons

    @classmethod
    def arity_text(cls) -> str | None:
        """The declared input and output counts as a sentence ("2 or 3 inputs (input 2 may be
        omitted) and 1 output"), or None when undeclared."""
        if cls.inputs is None or cls.outputs is None:
            return None
        text = _count_text(cls.inputs, "input")
        if cls.optional_inputs:
            positions = sorted(cls.optional_inputs)
            listed = ", ".join(str(p) for p in positions)
            text += f" (input{'s' if len(positions) > 1 else ''} {listed} may be omitted)"
        return f"Takes {text} and {_count_text(cls.outputs, 'output')}"

    @classmethod
    def wiring_problems(cls, node: Node) -> list[str]:
        """How the node's input and output counts, or its omitted inputs, break the declaration."""
        problems = []
        for kind, bounds, count in (("input", cls.inputs, len(node.inputs)),
                                    ("output", cls.outputs, len(node.outputs))):
            if bounds is not None and not _within(count, bounds):
                problems.append(f"takes {_count_text(bounds, kind)}, the model gives {count}")
        if cls.inputs is not None:
            for position, tensor in enumerate(node.inputs):
                if tensor is None and position not in cls.optional_inputs:
                    problems.append(f"input {position} is omitted (-1) but required")
        return problems


# Starts the message of a constraint that raised instead of answering: a bug in microinfer,
# which the fuzzing campaigns look for.
INTERNAL_ERROR = "internal error"

REGISTRY: dict[str, type[Kernel]] = {}


def register(op: str, *, versions: range, types: tuple[str, ...],
             inputs: int | tuple[int, int | None] | None = None,
             outputs: int | tuple[int, int | None] | None = None,
             optional_inputs: tuple[int, ...] = ()):
    """Class decorator: make ``cls`` the kernel of builtin operator ``op``.

    ``inputs``/``outputs``: the exact count, or (fewest, most) with most None for no limit;
    ``optional_inputs``: input positions the model may omit (-1)."""

    def decorate(cls: type[Kernel]) -> type[Kernel]:
        if op in REGISTRY:
            raise RuntimeError(f"two kernels registered for {op}")
        cls.op, cls.versions, cls.types = op, versions, types
        if inputs is not None:
            cls.inputs = _bounds(inputs)
        if outputs is not None:
            cls.outputs = _bounds(outputs)
        if optional_inputs:
            cls.optional_inputs = frozenset(optional_inputs)
        REGISTRY[op] = cls
        return cls

    return decorate


def _bounds(spec: int | tuple[int, int | None]) -> tuple[int, int | None]:
    return (spec, spec) if isinstance(spec, int) else (spec[0], spec[1])


def _within(count: int, bounds: tuple[int, int | None]) -> bool:
    low, high = bounds
    return count >= low and (high is None or count <= high)


def _count_text(bounds: tuple[int, int | None], kind: str) -> str:
    low, high = bounds
    if high == low:
        return f"{low} {kind}{'s' if low != 1 else ''}"
    if high is None:
        return f"at least {low} {kind}{'s' if low != 1 else ''}"
    if high == low + 1:
        return f"{low} or {high} {kind}s"
    return f"{low} to {high} {kind}s"


def _detail(constraint: Constraint, node: Node) -> str:
    """A refused node's own figure, for the constraints that give one (a ``detail(node)``
    attribute returning a short phrase): appended to the sentence in parentheses."""
    detail = getattr(constraint, "detail", None)
    return "" if detail is None else f" ({detail(node)})"


def _first_line(doc: str | None) -> str:
    return (doc or "unnamed constraint").strip().splitlines()[0]


def constraint_text(constraint: Constraint) -> str:
    return _first_line(constraint.__doc__)
