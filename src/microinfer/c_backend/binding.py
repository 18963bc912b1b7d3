"""What every C-backed op module uses: the op registry, argument checks and buffers.

A C op is a class registered with :func:`register_c` for a builtin operator. Its ``prepare``
gets the node and the NumPy kernel's prepared data (the spec's multipliers, shifts, folded
biases), checks everything the C function relies on, and returns a :class:`CCall`; or raises
:class:`Fallback` with the reason, and the op then runs in NumPy. ``CCall.eval`` is one foreign
call into a preallocated output buffer.
"""

from __future__ import annotations

import ctypes
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..errors import MicroinferError
from ..kernels.registry import Node
from .structs import MI_OK, ROUND_DOUBLE, ROUND_REAL, Context, Dims, Requant

# Shift ranges the C requantizers are defined for (checked before any call).
MIN_SHIFT = -31
MAX_SHIFT = 30
MAX_WIDE_SHIFT = 14
INT32_LIMIT = 1 << 31


class Fallback(Exception):
    """This node cannot run in C (the message says why); it runs in NumPy instead."""


# Why a node falls back (the C kernels take constant weights, prepared once, and integer data).
HYBRID_IN_NUMPY = "hybrid (float32 with int8 weights) runs in NumPy"
RUNTIME_WEIGHTS_IN_NUMPY = "weights or bias computed at run time run in NumPy"


class CKernelError(MicroinferError, RuntimeError):
    """A C kernel refused its arguments (a bug: the Python side checks them first)."""


class CKernel:
    """Base of every C-backed op. ``lib`` is the loaded kernel library."""

    op: str = ""

    def __init__(self, lib: ctypes.CDLL):
        self.lib = lib

    def prepare(self, node: Node, spec_data) -> "CCall":
        raise NotImplementedError


C_KERNELS: dict[str, type[CKernel]] = {}


def register_c(op: str):
    """Class decorator: ``cls`` runs builtin operator ``op`` in C."""

    def decorate(cls: type[CKernel]) -> type[CKernel]:
        if op in C_KERNELS:
            raise RuntimeError(f"two C kernels registered for {op}")
        cls.op = op
        C_KERNELS[op] = cls
        return cls

    return decorate


@dataclass
class CCall:
    """A prepared foreign call. ``invoke(*addresses)`` runs it on the node's variable inputs
    (``inputs[i]`` for i in ``input_positions``) at those addresses, writing ``output``."""

    op: str
    invoke: Callable[..., int]
    input_dtypes: tuple[np.dtype, ...]
    input_sizes: tuple[int, ...]
    output: np.ndarray
    keep_alive: list = field(default_factory=list)  # arrays and structs the call points into
    input_positions: tuple[int, ...] = (0,)

    def __post_init__(self):
        # The last array seen at each input and its address: a previous C op's output buffer is
        # the same object on every run, so it is checked once.
        self._seen: list = [(None, 0)] * len(self.input_positions)
        if self.input_positions == (0,) and type(self).eval is CCall.eval:  # not overridden
            self.eval = self._eval_one_input

    def eval(self, inputs) -> list[np.ndarray]:
        addresses, copies = [], []
        for slot, position in enumerate(self.input_positions):
            x = inputs[position]
            seen, address_of_seen = self._seen[slot]
            if x is not seen:
                self._check(x, self.input_dtypes[slot], self.input_sizes[slot])
                if not (x.flags.c_contiguous and x.flags.aligned):
                    x = np.ascontiguousarray(x).copy()  # a temporary: never cached
                    copies.append(x)
                    addresses.append(x.ctypes.data)
                    continue
                address_of_seen = x.ctypes.data
                self._seen[slot] = (x, address_of_seen)
            addresses.append(address_of_seen)
        status = self.invoke(*addresses)
        del copies  # alive until the call has returned
        self._raise_on_error(status)
        return [self.output]

    def _eval_one_input(self, inputs) -> list[np.ndarray]:
        """eval for the common case of one variable input (kept short: it runs once per op)."""
        x = inputs[0]
        seen, address_of_seen = self._seen[0]
        if x is not seen:
            return CCall.eval(self, inputs)  # checks it, and remembers it when it can
        status = self.invoke(address_of_seen)
        if status:
            self._raise_on_error(status)
        return [self.output]

    def _raise_on_error(self, status: int) -> None:
        if status != MI_OK:
            raise CKernelError(f"{self.op}: the C kernel refused its arguments (status {status})")

    def _check(self, x: np.ndarray, dtype: np.dtype, size: int) -> None:
        if x.dtype != dtype or x.size != size:
            raise ValueError(f"{self.op}: input {x.dtype}{x.shape} does not match the prepared {dtype} "
                             f"with {size} elements")


class Input:
    """Placeholder in a :func:`bound_call` argument list: the call's ``position``-th variable input."""

    __slots__ = ("position",)

    def __init__(self, position: int):
        self.position = position

    def __repr__(self) -> str:
        return f"Input({self.position})"


@dataclass(frozen=True)
class ForeignCall:
    """What a :func:`bound_call` calls: the foreign function and its argument list, with
    :class:`Input` placeholders where the variable inputs' addresses go. The C program
    (:mod:`.chain`) binds those addresses once and runs the call from C."""

    fn: object
    arguments: tuple


def bound_call(fn, arguments) -> Callable[..., int]:
    """``invoke(*addresses)``: ``fn(*arguments)`` with each :class:`Input` placeholder replaced by
    the address of that variable input; the argument list is built once. ``invoke.foreign``
    describes the call for the C program."""
    template = tuple(arguments)
    arguments = list(template)
    slots = [(i, a.position) for i, a in enumerate(template) if isinstance(a, Input)]
    if len(slots) == 1:
        slot = slots[0][0]

        def invoke(address: int) -> int:
            arguments[slot] = address
            return fn(*arguments)
    else:
        def invoke(*addresses: int) -> int:
            for slot, position in slots:
                arguments[slot] = addresses[position]
            return fn(*arguments)

        # one named parameter per input, as a lambda would have (emulate counts them)
        count = max(position for _, position in slots) + 1 if slots else 0
        invoke.__signature__ = inspect.Signature(
            [inspect.Parameter(f"input{k}", inspect.Parameter.POSITIONAL_ONLY) for k in range(count)])
    invoke.foreign = ForeignCall(fn, template)
    return invoke


def one_input_call(fn, head, tail) -> Callable[[int], int]:
    """``fn(*head, address, *tail)`` with the argument list built once."""
    return bound_call(fn, [*head, Input(0), *tail])


def contiguous(array, dtype) -> np.ndarray:
    """A C-contiguous, aligned copy (or view) of ``array`` as ``dtype``, values checked to fit."""
    values = np.asarray(array)
    info = np.iinfo(dtype)
    if values.size and (values.min() < info.min or values.max() > info.max):
        raise Fallback(f"values outside {np.dtype(dtype).name}")
    return np.ascontiguousarray(values, dtype=dtype)


def address(array: np.ndarray | None) -> int | None:
    return None if array is None else array.ctypes.data


def dims(shape) -> Dims:
    """NHWC dims of a shape of up to four dimensions (missing leading ones are 1)."""
    shape = tuple(int(s) for s in shape)
    if len(shape) > 4 or any(s < 0 or s >= INT32_LIMIT for s in shape):
        raise Fallback(f"shape {shape} is not a 4-D int32 shape")
    return Dims(*((1,) * (4 - len(shape)) + shape))


def matrix_dims(rows: int, cols: int) -> Dims:
    """Dims of a row-major matrix: n = rows, c = columns."""
    return dims((rows, 1, 1, cols))


# mi_requant.fast (MI_FAST_BOUNDED / MI_FAST_CHECKED): the kernels' short requantizer needs
# accumulators below this in magnitude; unless proven, the kernels check each one.
FAST_ACCUMULATOR_LIMIT = 1 << 30
FAST_BOUNDED = 1
FAST_CHECKED = 2


def requant(multiplier, shift, channels: int, real_scale=None, wide: bool = False,
            accumulator_bound: int | None = None) -> tuple[Requant, list]:
    """The C requantization struct and the arrays it points into (keep them alive): double
    rounding with ``multiplier``/``shift``, or, given ``real_scale`` (per channel, float64),
    LiteRT's scaling in double. ``accumulator_bound``: the largest magnitude any int32 accumulator
    of the kernel can reach (bias included), given by kernels that take the short requantizer
    (mi_requantize_fast, same bits): when every multiplier is >= 0 and every shift a right shift,
    the struct is marked fast, BOUNDED when the bound is below 2**30, else CHECKED."""
    m = contiguous(np.broadcast_to(multiplier, (channels,)), np.int32)
    s = contiguous(np.broadcast_to(shift, (channels,)), np.int32)
    if real_scale is not None:
        scale = np.ascontiguousarray(np.broadcast_to(real_scale, (channels,)), np.float64)
        return Requant(m.ctypes.data, s.ctypes.data, scale.ctypes.data, ROUND_REAL, 0), [m, s, scale]
    highest = MAX_WIDE_SHIFT if wide else MAX_SHIFT
    if channels and (s.min() < MIN_SHIFT or s.max() > highest):
        raise Fallback(f"requantization shifts outside [{MIN_SHIFT}, {highest}]")
    fast = 0
    if not wide and accumulator_bound is not None and channels > 0 and int(m.min()) >= 0:
        # a zero multiplier gives 0 whatever the shift: give it a right shift, same bits
        s = np.where(m == 0, np.minimum(s, -1), s).astype(np.int32)
        if int(s.max()) <= -1:
            fast = FAST_BOUNDED if accumulator_bound < FAST_ACCUMULATOR_LIMIT else FAST_CHECKED
    return Requant(m.ctypes.data, s.ctypes.data, None, ROUND_DOUBLE, fast), [m, s]


def accumulator_bound(bias, weights: np.ndarray, input_offset: int, max_input: int = 127,
                      min_input: int = -128) -> int:
    """The largest |bias[c] + sum_k (x_k + input_offset) * weights[c, k]| over int8 inputs x
    (``weights`` one row per output channel, ``bias`` None or per channel): the magnitude the
    kernels' int32 accumulators can reach (fewer terms, at padding, only lower it)."""
    w = np.abs(np.asarray(weights, np.int64).reshape(weights.shape[0], -1)).sum(axis=1)
    largest_input = max(abs(min_input + input_offset), abs(max_input + input_offset))
    b = np.zeros(w.shape, np.int64) if bias is None else np.abs(np.asarray(bias, np.int64)).reshape(-1)
    return int((b + w * largest_input).max(initial=0))


def scratch(size: int) -> tuple[Context, np.ndarray | None]:
    """A caller-owned scratch buffer of ``size`` bytes, 8-byte aligned, and its context."""
    if size < 0:
        raise CKernelError(f"negative scratch size {size}")
    if size == 0:
        return Context(None, 0), None
    buffer = np.zeros((size + 7) // 8, np.int64)
    return Context(buffer.ctypes.data, size), buffer


def require_sum_bound(op: str, terms: int, largest_product: int) -> None:
    """The C kernels sum ``terms`` products in int32: fall back if that could overflow."""
    if terms * largest_product >= INT32_LIMIT:
        raise Fallback(f"{op}: {terms} products could overflow the C kernel's int32 sum")


def pointers(*structs) -> list:
    return [ctypes.pointer(s) for s in structs]
