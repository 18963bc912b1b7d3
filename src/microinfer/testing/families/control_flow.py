"""Strategies of control flow and resource variables: IF, WHILE, and READ_VARIABLE /
ASSIGN_VARIABLE / VAR_HANDLE.

The subgraphs are small bodies drawn from existing operators: chains of up to two ADD, SUB, MUL,
MAXIMUM or MINIMUM with a constant (quantized tensors all share one scale and zero point, drawn
at both ends of the range, so every reference runs them), or nothing at all (a subgraph output
that is its input). IF draws one or two carried tensors, a condition that is a model input (shape
() or (1,)) or computed from one, and sometimes another IF nested in its then-branch. WHILE
carries a counter and a tensor: the counter starts at a model input clamped from below (so a
loop runs at most a few times, or not at all) and the body may choose its step with a nested IF.
The resource-variable models assign a model input to a variable and read it back, sometimes
reading it first (TFLite Micro's initial value; LiteRT fails that read, so only TFLite Micro is
compared there). CALL_ONCE is left to the hand-written tests: what it does shows across runs,
and ``reset_variables()`` does not undo it.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from ...tflite import ModelBuilder
from ...tflite import options as O
from .._draw import VERSION, qparams, shapes

LABELS = {"float32": "float32", "int8": "int8", "int16": "int16x8", "int32": "int32"}
BODY_OPS = {
    "int8": ("ADD", "SUB", "MAXIMUM", "MINIMUM"),
    "int16": ("ADD", "SUB", "MAXIMUM", "MINIMUM"),
    "float32": ("ADD", "SUB", "MUL", "MAXIMUM", "MINIMUM"),
    "int32": ("ADD", "SUB", "MUL", "MAXIMUM", "MINIMUM"),
}
OPTIONS = {"ADD": O.AddOptions, "SUB": O.SubOptions, "MUL": O.MulOptions}
MAX_LOOPS = 4  # a WHILE counts from at least -MAX_LOOPS to below a limit in [0, MAX_LOOPS]


def _labels(*types: str) -> tuple[str, ...]:
    return tuple(LABELS[t] for t in types)


@st.composite
def _quantization(draw, dtype: str) -> dict:
    return draw(qparams(dtype, symmetric=dtype == "int16"))


@st.composite
def _constant(draw, dtype: str, shape) -> np.ndarray:
    """A constant operand: integers over the type's full range (small for int32 MUL chains),
    floats in [-2, 2]."""
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    if dtype == "float32":
        return rng.uniform(-2.0, 2.0, shape).astype(np.float32)
    info = np.iinfo(dtype)
    low, high = (-3, 3) if dtype == "int32" else (info.min, info.max)
    return rng.integers(low, high, size=shape, endpoint=True).astype(dtype)


@st.composite
def body_ops(draw, dtype: str, shape, max_ops: int = 2) -> list[tuple[str, np.ndarray]]:
    """Up to ``max_ops`` (operator, constant) steps; none: the subgraph passes its input on."""
    ops = draw(st.lists(st.sampled_from(BODY_OPS[dtype]), max_size=max_ops))
    return [(op, draw(_constant(dtype, shape))) for op in ops]


def _apply(g, x: int, steps, dtype: str, shape, q: dict, output: bool) -> int:
    """Append ``steps`` to subgraph builder ``g`` starting from tensor ``x``; the last result is
    a subgraph output when ``output`` (a step-less chain outputs ``x`` itself)."""
    for k, (op, value) in enumerate(steps):
        const = g.add_constant(f"k{k}", value, dtype, **q)
        add = g.add_output if output and k == len(steps) - 1 else g.add_tensor
        y = add(f"t{k}", shape, dtype, **q)
        options = OPTIONS[op]() if op in OPTIONS else None
        g.add_operator(op, [x, const], [y], options, version=VERSION.get(dtype, 1))
        x = y
    if output and not steps:
        g.outputs.append(x)
    return x


def _branch(b: ModelBuilder, name: str, dtype: str, shape, q: dict, carried: int, steps,
            nested=None) -> int:
    """A subgraph taking ``carried`` tensors: ``steps`` applied to the first (with ``nested``
    = (condition, then index, else index), an IF on a constant condition instead), the others
    passed on."""
    g = b.add_subgraph(name)
    xs = [g.add_input(f"x{j}", shape, dtype, **q) for j in range(carried)]
    if nested is None:
        _apply(g, xs[0], steps, dtype, shape, q, output=True)
    else:
        cond, then_index, else_index = nested
        c = g.add_constant("c", np.array(cond))
        y = g.add_output("y", shape, dtype, **q)
        g.add_operator("IF", [c, xs[0]], [y], O.IfOptions(then_index, else_index))
    for x in xs[1:]:
        g.outputs.append(x)
    return g.index


def if_model(dtype: str, shape, q: dict, carried: int, condition: str, then_steps, else_steps,
             nested=None) -> bytes:
    """IF over ``carried`` tensors. ``condition``: "input" (a bool model input of shape ()),
    "input[1]" (shape (1,)) or "computed" (an int32 input n, and the condition n < 0).
    ``nested``: None, or (its condition, then steps, else steps) of an IF inside the then-branch."""
    b = ModelBuilder(description="microinfer.testing.families.control_flow.if_model")
    g = b.main
    if condition == "computed":
        n = g.add_input("n", (), "int32")
        zero = g.add_constant("zero", np.array(0, np.int32))
        c = g.add_tensor("c", (), "bool")
        g.add_operator("LESS", [n, zero], [c])
    else:
        c = g.add_input("c", (1,) if condition == "input[1]" else (), "bool")
    xs = [g.add_input(f"x{j}", shape, dtype, **q) for j in range(carried)]
    ys = [g.add_output(f"y{j}", shape, dtype, **q) for j in range(carried)]
    g.add_operator("IF", [c, *xs], ys, O.IfOptions(1, 2))
    inner = None if nested is None else (nested[0], 3, 4)
    _branch(b, "then", dtype, shape, q, carried, then_steps, inner)
    _branch(b, "else", dtype, shape, q, carried, else_steps)
    if nested is not None:
        _branch(b, "inner_then", dtype, shape, q, 1, nested[1])
        _branch(b, "inner_else", dtype, shape, q, 1, nested[2])
    return b.build()


@st.composite
def if_models(draw, dtype: str) -> bytes:
    shape = draw(shapes(max_rank=3, max_dim=4))
    q = draw(_quantization(dtype))
    nested = None
    if draw(st.booleans()):
        nested = (draw(st.booleans()), draw(body_ops(dtype, shape)), draw(body_ops(dtype, shape)))
    return if_model(dtype, shape, q, draw(st.integers(1, 2)),
                    draw(st.sampled_from(["input", "input[1]", "computed"])),
                    draw(body_ops(dtype, shape)), draw(body_ops(dtype, shape)), nested)


def while_model(dtype: str, shape, q: dict, floor: int, limit: int, steps, split=None,
                other_steps=(), start: int | None = None) -> bytes:
    """WHILE over (i, x): i starts at max(n, ``floor``) for an int32 model input n (or at the
    constant ``start``), the loop runs while i < ``limit``, and the body adds 1 to i and applies
    ``steps`` to x; with ``split``, a nested IF applies ``steps`` while i < split and
    ``other_steps`` after."""
    b = ModelBuilder(description="microinfer.testing.families.control_flow.while_model")
    g = b.main
    if start is None:
        n = g.add_input("n", (), "int32")
    x = g.add_input("x", shape, dtype, **q)
    if start is None:
        low = g.add_constant("floor", np.array(floor, np.int32))
        i = g.add_tensor("i", (), "int32")
        g.add_operator("MAXIMUM", [n, low], [i])
    else:
        i = g.add_constant("start", np.array(start, np.int32))
    i_out = g.add_output("i_out", (), "int32")
    x_out = g.add_output("x_out", shape, dtype, **q)
    g.add_operator("WHILE", [i, x], [i_out, x_out], O.WhileOptions(1, 2))

    cond = b.add_subgraph("cond")
    ci = cond.add_input("i", (), "int32")
    cond.add_input("x", shape, dtype, **q)
    bound = cond.add_constant("limit", np.array(limit, np.int32))
    c = cond.add_output("c", (), "bool")
    cond.add_operator("LESS", [ci, bound], [c])

    body = b.add_subgraph("body")
    bi = body.add_input("i", (), "int32")
    bx = body.add_input("x", shape, dtype, **q)
    one = body.add_constant("one", np.array(1, np.int32))
    if split is None:
        _apply(body, bx, steps, dtype, shape, q, output=True)
    else:
        at = body.add_constant("split", np.array(split, np.int32))
        early = body.add_tensor("early", (), "bool")
        body.add_operator("LESS", [bi, at], [early])
        y = body.add_output("y", shape, dtype, **q)
        body.add_operator("IF", [early, bx], [y], O.IfOptions(3, 4))
        _branch(b, "early", dtype, shape, q, 1, steps)
        _branch(b, "late", dtype, shape, q, 1, other_steps)
    bi_out = body.add_tensor("i_next", (), "int32")
    body.add_operator("ADD", [bi, one], [bi_out], O.AddOptions())
    body.outputs.insert(0, bi_out)
    return b.build()


@st.composite
def while_models(draw, dtype: str) -> bytes:
    shape = draw(shapes(max_rank=3, max_dim=4))
    q = draw(_quantization(dtype))
    steps = draw(body_ops(dtype, shape, max_ops=2))
    split = draw(st.none() | st.integers(-MAX_LOOPS, MAX_LOOPS))
    other = draw(body_ops(dtype, shape)) if split is not None else ()
    return while_model(dtype, shape, q, draw(st.integers(-MAX_LOOPS, 0)),
                       draw(st.integers(0, MAX_LOOPS)), steps, split, other)


def variable_model(dtype: str, shape, q: dict, read_first: bool, steps) -> bytes:
    """ASSIGN_VARIABLE(v, x), then y = steps(READ_VARIABLE(v)); with ``read_first`` another
    READ_VARIABLE before the assignment gives a second output."""
    b = ModelBuilder(description="microinfer.testing.families.control_flow.variable_model")
    g = b.main
    x = g.add_input("x", shape, dtype, **q)
    r = g.add_tensor("handle", (), "resource")
    g.add_operator("VAR_HANDLE", [], [r], O.VarHandleOptions(None, "v"))
    if read_first:
        g.add_operator("READ_VARIABLE", [r], [g.add_output("before", shape, dtype, **q)])
    g.add_operator("ASSIGN_VARIABLE", [r, x], [])
    value = g.add_tensor("value", shape, dtype, **q)
    g.add_operator("READ_VARIABLE", [r], [value])
    y = _apply(g, value, steps, dtype, shape, q, output=False)
    g.outputs.append(y)
    return b.build()


@st.composite
def variable_models(draw, dtype: str) -> bytes:
    shape = draw(shapes(max_rank=3, max_dim=4))
    q = draw(_quantization(dtype))
    return variable_model(dtype, shape, q, draw(st.booleans()), draw(body_ops(dtype, shape, 1)))


def call_once_model(dtype: str, shape, q: dict, init_value: np.ndarray) -> bytes:
    """CALL_ONCE of an init subgraph that assigns ``init_value`` to the variables "v" and "w";
    then the main subgraph assigns its input x to "v" and reads it back (so that each run gives
    the same output, whether the init has run or not)."""
    b = ModelBuilder(description="microinfer.testing.families.control_flow.call_once_model")
    g = b.main
    x = g.add_input("x", shape, dtype, **q)
    g.add_operator("CALL_ONCE", [], [], O.CallOnceOptions(1))
    r = g.add_tensor("handle", (), "resource")
    g.add_operator("VAR_HANDLE", [], [r], O.VarHandleOptions(None, "v"))
    g.add_operator("ASSIGN_VARIABLE", [r, x], [])
    g.add_operator("READ_VARIABLE", [r], [g.add_output("y", shape, dtype, **q)])
    init = b.add_subgraph("init")
    value = init.add_constant("init_value", init_value, dtype, **q)
    for name in ("w", "v"):
        handle = init.add_tensor(f"{name}_handle", (), "resource")
        init.add_operator("VAR_HANDLE", [], [handle], O.VarHandleOptions(None, name))
        init.add_operator("ASSIGN_VARIABLE", [handle, value], [])
    return b.build()


TYPES = ("float32", "int8", "int16", "int32")
GENERATED = {
    "IF": (_labels(*TYPES), if_models),
    "WHILE": (_labels(*TYPES), while_models),
    "VAR_HANDLE": (_labels(*TYPES), variable_models),
    "READ_VARIABLE": (_labels(*TYPES), variable_models),
    "ASSIGN_VARIABLE": (_labels(*TYPES), variable_models),
}
