"""Helpers shared by TFLite Micro's custom operators: the signal library's audio front end
(``signal/micro/kernels``), CIRCULAR_BUFFER and DECODE.

These are custom operators (``BuiltinOperator.CUSTOM`` with a ``custom_code`` such as
"SignalWindow"); their parameters are a FlexBuffer map in ``custom_options``, which TFLite Micro
reads *by position*: the values in the order of their sorted keys (``FlexbufferWrapper``
``ElementAsInt32(i)``). LiteRT registers none of them, so with ``reference="tflite"`` they are
refused; with ``reference="tflm"`` microinfer computes what TFLite Micro's kernels compute.

What the kernels read from their options is checked here, once: a blob that is not a FlexBuffer
map, or a parameter that is missing or not an integer of int32 range, is refused (TFLite Micro
would read garbage or zero), so ``prepare`` can read parameters without further checks.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..errors import ModelError
from ..tflite import flexbuffers
from ..tflite.model import Tensor
from ..tflite.types import TensorType
from .registry import TFLM, Node

INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1


def tflm_only(node: Node) -> bool:
    """With reference='tflite': LiteRT registers none of TFLite Micro's custom operators (it refuses the model as an unresolved custom op)"""
    return node.reference == TFLM


def options(node: Node) -> dict:
    """The decoded custom options (an empty map when the operator has none); ModelError when the
    blob is malformed."""
    return flexbuffers.decode_map(node.op.custom_options, f"operator {node.op.index} custom_options")


def parameter_values(node: Node) -> list:
    """The option values in stored (sorted-key) order: what FlexbufferWrapper indexes."""
    return list(options(node).values())


def _integer(value) -> bool:
    return isinstance(value, (bool, int)) and INT32_MIN <= int(value) <= INT32_MAX


def parameters(*names: str) -> Callable[[Node], bool]:
    """A constraint: the custom options are a FlexBuffer map whose values, by position, are the
    integer parameters ``names`` (the kernel's alphabetical list); extra entries are allowed."""

    def check(node: Node) -> bool:
        try:
            values = parameter_values(node)
        except ModelError:
            return False
        return len(values) >= len(names) and all(_integer(v) for v in values[: len(names)])

    listed = ", ".join(names)
    which = "first value, in key order, is an integer" if len(names) == 1 else \
        f"first {len(names)} values, in key order, are integers"
    check.__doc__ = f"The custom options are a FlexBuffer map whose {which} of int32 range: {listed}"
    return check


def ints(node: Node, count: int) -> list[int]:
    """The first ``count`` parameters as ints (after :func:`parameters` held)."""
    return [int(v) for v in parameter_values(node)[:count]]


def parameter(node: Node, position: int) -> int:
    return int(parameter_values(node)[position])


def typed_parameter(node: Node) -> int | None:
    """The "T" entry (a TFLite TensorType code) that the type-generic kernels (Rfft, Irfft,
    OverlapAdd) look up by key, or None when it is missing or not an integer."""
    try:
        value = options(node).get("T")
    except ModelError:
        return None
    return int(value) if _integer(value) else None


def tensor_types(*spec: tuple[str, TensorType | tuple[TensorType, ...]]) -> Callable[[Node], bool]:
    """A constraint on tensor types: ("i0", INT16), ("o1", BOOL) ... (positions as declared)."""

    def tensor_of(node: Node, key: str) -> Tensor | None:
        position = int(key[1:])
        return node.input(position) if key[0] == "i" else (node.outputs[position] if position < len(node.outputs) else None)

    def check(node: Node) -> bool:
        for key, allowed in spec:
            allowed = allowed if isinstance(allowed, tuple) else (allowed,)
            t = tensor_of(node, key)
            if t is None or t.type not in allowed:
                return False
        return True

    def describe(key: str, allowed) -> str:
        allowed = allowed if isinstance(allowed, tuple) else (allowed,)
        kind = "input" if key[0] == "i" else "output"
        return f"{kind} {key[1:]} {' or '.join(a.name.lower() for a in allowed)}"

    check.__doc__ = "Types: " + ", ".join(describe(k, a) for k, a in spec)
    return check


def constant(node: Node, *positions: int) -> bool:
    return all(node.input(p) is not None and node.input(p).is_constant for p in positions)


class KernelState:
    """State a stateful kernel keeps across invokes (TFLite Micro: a persistent buffer its
    Prepare fills and its Reset refills): named arrays, each restored to its initial value by
    :meth:`reset`."""

    def __init__(self, **initial):
        self._initial = {name: value.copy() for name, value in initial.items()}
        self.reset()

    def reset(self) -> None:
        self.__dict__.update({name: value.copy() for name, value in self._initial.items()})


class StatefulKernel:
    """Mixin: ``Interpreter.reset_variables`` resets the ``state`` of this kernel's data."""

    def reset(self, data) -> None:
        data.state.reset()


def most_significant_bit(x, bits: int = 32):
    """signal/src/msb: the 1-based position of the highest set bit, and ``bits`` for 0 (GCC's
    ``bits - __builtin_clz`` path, which the wheel takes), elementwise over unsigned arrays."""
    x = np.asarray(x, dtype=np.uint64).copy()
    position = np.zeros(x.shape, dtype=np.int64)
    for step in (32, 16, 8, 4, 2, 1):
        high = x >= np.uint64(1 << step)
        position[high] += step
        x[high] >>= np.uint64(step)
    position += (x > 0)
    return np.where(position == 0, bits, position)
