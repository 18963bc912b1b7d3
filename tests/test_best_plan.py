"""The ``best`` planner's aliasing, in-place operators and exact search: hand-worked decisions on
tiny graphs, plans that check out tensor by tensor, and interpreters running inside them that stay
bit-exact against TFLite Micro."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import microinfer
from microinfer.cli import main
from microinfer.interpreter import Interpreter
from microinfer.planner import _best_offsets, plan, plan_head
from microinfer.planner.aliasing import merges
from microinfer.planner.greedy import (
    arena_size,
    check_plan,
    exact_offsets,
    first_fit_offsets,
    live_set_lower_bound,
)
from microinfer.planner.lifetimes import BufferLifetime, buffer_lifetimes
from microinfer.testing import OP_CASES, random_inputs
from microinfer.tflite import ModelBuilder
from microinfer.tflite.options import (
    AddOptions,
    FullyConnectedOptions,
    LeakyReluOptions,
    MulOptions,
    ReshapeOptions,
    SqueezeOptions,
    SubOptions,
)

from conftest import SHARED_MODEL_NAMES, shared_model_path

Q_IN, Q_OUT = (0.05, -3), (0.08, 6)


def _q(q):
    return dict(scale=q[0], zero_point=q[1])


def _fc(g, x, width_in, width_out, name, rng, out=None, q=Q_OUT):
    w = g.add_constant(f"w_{name}", rng.integers(-20, 20, (width_out, width_in), dtype=np.int8), **_q((0.01, 0)))
    y = out if out is not None else g.add_tensor(name, (1, width_out), "int8", **_q(q))
    g.add_operator("FULLY_CONNECTED", [x, w, -1], [y], FullyConnectedOptions(), version=4)
    return y


def reshape_chain_model() -> bytes:
    """x -> FC -> t1 -> RELU -> t2 -> RESHAPE -> t3 -> EXPAND_DIMS -> t4 -> SQUEEZE -> t5 -> RESHAPE -> y

    Tensors 64 bytes, except the 32-byte input x. Scopes: x 0..1; t1 1..2; t2 2..3; t3 3..4;
    t4 4..5; t5 5..6; y 6..6 (a graph output is created by the operator that writes it). Each
    operator holds its input and its output: TFLite Micro needs 128 bytes, the lower bound. RELU
    overwrites t1 in place and the reshapes alias: t1..t5 and y become one 64-byte buffer living
    1..6, next to x: 96 bytes.
    """
    rng = np.random.default_rng(0)
    builder = ModelBuilder(description="reshape chain")
    g = builder.main
    x = g.add_input("x", (1, 32), "int8", **_q(Q_IN))
    t1 = _fc(g, x, 32, 64, "t1", rng)
    t2 = g.add_tensor("t2", (1, 64), "int8", **_q(Q_OUT))
    g.add_operator("RELU", [t1], [t2], version=1)
    t3 = g.add_tensor("t3", (1, 8, 8), "int8", **_q(Q_OUT))
    g.add_operator("RESHAPE", [t2, g.add_constant("s3", np.array([1, 8, 8], np.int32))], [t3],
                   ReshapeOptions((1, 8, 8)))
    t4 = g.add_tensor("t4", (1, 8, 8, 1), "int8", **_q(Q_OUT))
    g.add_operator("EXPAND_DIMS", [t3, g.add_constant("axis", np.array([3], np.int32))], [t4])
    t5 = g.add_tensor("t5", (1, 8, 8), "int8", **_q(Q_OUT))
    g.add_operator("SQUEEZE", [t4], [t5], SqueezeOptions((3,)))
    y = g.add_output("y", (1, 64), "int8", **_q(Q_OUT))
    g.add_operator("RESHAPE", [t5, g.add_constant("s5", np.array([1, 64], np.int32))], [y], ReshapeOptions((1, 64)))
    return builder.build()


def residual_model() -> bytes:
    """Residual ADDs, SUB, MUL by a constant, and activations, all on (1, 16) int8 tensors:

        op 0  a = FC(x)
        op 1  b = FC(a)
        op 2  c = ADD(a, b)        a and b die here: c overwrites a (the first input that dies)
        op 3  d = LEAKY_RELU(c)    in place on c
        op 4  e = FC(d)            d lives on to op 7: not in place
        op 5  f = SUB(d, e)        d is still needed: f overwrites e instead
        op 6  h = HARD_SWISH(f)    in place on f
        op 7  m = MUL(d, k)        k a (1, 1) constant, broadcast: m overwrites d
        op 8  n = ADD(h, m)        in place on h
        op 9  p = TANH(n)          in place on n
        op 10 r = QUANTIZE(p)      int8 -> int8 requantization: in place on p
        op 11 y = LOGISTIC(r)      y is the graph output: in place on r (y lives 0..12)
    """
    rng = np.random.default_rng(1)
    builder = ModelBuilder(description="residual")
    g = builder.main

    def t(name, q=Q_OUT):
        return g.add_tensor(name, (1, 16), "int8", **_q(q))

    x = g.add_input("x", (1, 16), "int8", **_q(Q_IN))
    a = _fc(g, x, 16, 16, "a", rng)
    b = _fc(g, a, 16, 16, "b", rng)
    c = t("c", (0.1, 0))
    g.add_operator("ADD", [a, b], [c], AddOptions(), version=2)
    d = t("d", (0.07, -1))
    g.add_operator("LEAKY_RELU", [c], [d], LeakyReluOptions(alpha=0.2), version=1)
    e = _fc(g, d, 16, 16, "e", rng)
    f = t("f", (0.09, 2))
    g.add_operator("SUB", [d, e], [f], SubOptions(), version=2)
    h = t("h", (0.06, -5))
    g.add_operator("HARD_SWISH", [f], [h], version=1)
    k = g.add_constant("k", np.array([[37]], np.int8), **_q((0.02, 0)))
    m = t("m", (0.05, 1))
    g.add_operator("MUL", [d, k], [m], MulOptions(), version=2)
    n = t("n", (0.1, 3))
    g.add_operator("ADD", [h, m], [n], AddOptions(), version=2)
    p = t("p", (1 / 128, 0))
    g.add_operator("TANH", [n], [p], version=1)
    r = t("r", (0.01, -4))
    g.add_operator("QUANTIZE", [p], [r], version=1)
    y = g.add_output("y", (1, 16), "int8", **_q((1 / 256, -128)))
    g.add_operator("LOGISTIC", [r], [y], version=1)
    return builder.build()


def _names(model, pairs):
    tensors = model.main.tensors
    return [(tensors[s].name, tensors[o].name, kind) for s, o, kind in pairs]


# -- hand-worked decisions ------------------------------------------------------------------------
def test_reshape_chain_becomes_one_buffer():
    model = microinfer.load(reshape_chain_model())
    pairs = merges(model, buffer_lifetimes(model))
    assert _names(model, pairs) == [
        ("t1", "t2", "in-place"), ("t2", "t3", "alias"), ("t3", "t4", "alias"), ("t4", "t5", "alias"),
        ("t5", "y", "alias"),
    ]
    tflm, best = plan_head(model, "tflm"), plan_head(model, "best")
    assert tflm.head_bytes == 128 and tflm.lower_bound_bytes == 128
    assert best.head_bytes == 96 and best.lower_bound_bytes == 96
    assert best.lower_bound_same_buffers_bytes == 128
    chain = [b for b in best.buffers if b.aliases]
    assert len(chain) == 1 and chain[0].name == "t1" and (chain[0].first, chain[0].last) == (1, 6)
    tensors = model.main.tensors
    assert [tensors[i].name for i in chain[0].aliases] == ["t2", "t3", "t4", "t5", "y"]
    assert {b.name for b in best.buffers} == {"x", "t1"}


def test_alias_and_in_place_can_be_switched_off():
    model = microinfer.load(reshape_chain_model())
    buffers = buffer_lifetimes(model)
    assert [k for *_, k in merges(model, buffers, alias=False)] == ["in-place"]
    assert [k for *_, k in merges(model, buffers, in_place=False)] == ["alias"] * 4
    assert merges(model, buffers, alias=False, in_place=False) == []
    plain = plan_head(model, "best", alias=False, in_place=False)
    assert plain.head_bytes == 128 and not any(b.aliases for b in plain.buffers)
    assert plain.transforms == () and plain.lower_bound_same_buffers_bytes is None
    # RELU in place alone: t1 = t2 (1..3), but the reshapes copy: 128 bytes at scope 3.
    assert plan_head(model, "best", alias=False).head_bytes == 128
    # Aliases alone: t2..y are one buffer (2..6), but t1 and t2 meet at scope 2: 128 bytes.
    assert plan_head(model, "best", in_place=False).head_bytes == 128


def test_residual_in_place_decisions():
    model = microinfer.load(residual_model())
    pairs = merges(model, buffer_lifetimes(model))
    assert _names(model, pairs) == [
        ("a", "c", "in-place"), ("c", "d", "in-place"), ("e", "f", "in-place"), ("f", "h", "in-place"),
        ("d", "m", "in-place"), ("h", "n", "in-place"), ("n", "p", "in-place"), ("p", "r", "in-place"),
        ("r", "y", "in-place"),
    ]
    best = plan_head(model, "best")
    by_name = {b.name: b for b in best.buffers}
    tensors = model.main.tensors
    # chains a=c=d=m and e=f=h=n=p=r=y
    assert [tensors[i].name for i in by_name["a"].aliases] == ["c", "d", "m"]
    assert [tensors[i].name for i in by_name["e"].aliases] == ["f", "h", "n", "p", "r", "y"]
    assert best.head_bytes <= plan_head(model, "tflm").head_bytes
    assert best.lower_bound_bytes < best.lower_bound_same_buffers_bytes


def test_no_merge_into_graph_inputs_outputs_or_live_tensors():
    """A graph input is never overwritten, a tensor read later never, and sizes must match."""
    builder = ModelBuilder()
    g = builder.main
    x = g.add_input("x", (1, 16), "int8", **_q(Q_IN))
    u = g.add_tensor("u", (1, 16), "int8", **_q(Q_IN))
    g.add_operator("RELU", [x], [u], version=1)  # x is a graph input
    v = g.add_tensor("v", (1, 16), "int16", scale=0.001, zero_point=0)
    g.add_operator("QUANTIZE", [u], [v], version=2)  # int8 -> int16: sizes differ
    w = g.add_tensor("w", (1, 16), "int8", **_q(Q_IN))
    g.add_operator("QUANTIZE", [v], [w], version=2)  # int16 -> int8: sizes differ
    z = g.add_tensor("z", (1, 16), "int8", **_q(Q_OUT))
    g.add_operator("RELU", [w], [z], version=1)  # w is read again below
    o1 = g.add_output("o1", (1, 16), "int8", **_q(Q_OUT))
    g.add_operator("ADD", [w, z], [o1], AddOptions(), version=2)  # w and z die: o1 takes w
    o2 = g.add_output("o2", (1, 16), "int8", **_q(Q_OUT))
    g.add_operator("RELU", [o1], [o2], version=1)  # o1 is a graph output: kept
    model = microinfer.load(builder.build())
    assert _names(model, merges(model, buffer_lifetimes(model))) == [("w", "o1", "in-place")]


@pytest.mark.parametrize("factory", [reshape_chain_model, residual_model])
def test_builder_models_stay_bit_exact_inside_best_plans(factory, reference_worker):
    data = factory()
    plan_ = plan_head(microinfer.load(data), "best")
    assert any(b.aliases for b in plan_.buffers)
    _check_bit_exact(data, plan_, reference_worker)


@pytest.mark.parametrize("name", ["RESHAPE/int8", "SQUEEZE/int8", "EXPAND_DIMS/int8", "RELU/int8", "ADD/int8"])
def test_single_op_models_are_not_merged(name):
    """Single-operator models read graph inputs and write graph outputs only: nothing merges."""
    case = next(c for c in OP_CASES if c.name == name)
    assert not any(b.aliases for b in plan_head(microinfer.load(case.build()), "best").buffers)


# -- every model: never worse than TFLite Micro, and sound tensor by tensor ---------------------
@pytest.mark.parametrize("name", [c.name for c in OP_CASES])
def test_catalogue_best_never_worse_and_sound(name):
    case = next(c for c in OP_CASES if c.name == name)
    _check_best(microinfer.load(case.build()))


@pytest.mark.parametrize("factory", [reshape_chain_model, residual_model])
def test_builder_best_sound(factory):
    _check_best(microinfer.load(factory()))


@pytest.mark.parametrize("name", SHARED_MODEL_NAMES or ["vww_96_int8.tflite"])
def test_shared_best_never_worse_and_sound(name):
    _check_best(microinfer.load(shared_model_path(name).read_bytes()))


def test_some_shared_models_use_aliasing():
    """The arena test of test_shared_models_exact.py runs these merged plans on real data."""
    merged = [n for n in SHARED_MODEL_NAMES
              if any(b.aliases for b in plan_head(microinfer.load(shared_model_path(n).read_bytes()), "best").buffers)]
    if not SHARED_MODEL_NAMES:
        pytest.skip("no shared models")
    assert merged


def _check_best(model):
    tflm = plan(model, "tflm")
    best = plan(model, "best")
    assert best.head_bytes <= tflm.head_bytes
    assert best.lower_bound_bytes <= best.head_bytes
    assert best.lower_bound_same_buffers_bytes == tflm.lower_bound_bytes
    plain = plan(model, "best", alias=False, in_place=False)
    assert plain.lower_bound_bytes <= plain.head_bytes <= tflm.head_bytes
    assert best.head_bytes <= plain.head_bytes
    # check_plan accepts the plan as the planner saw it ...
    buffers = [BufferLifetime(b.name, b.size, b.first, b.last, b.subgraph, b.tensor, aliases=b.aliases)
               for b in best.buffers]
    check_plan(buffers, [b.offset for b in best.buffers])
    # ... and tensor by tensor, with their own lifetimes: two tensors alive together share bytes
    # only inside one merged buffer, at the scope where one hands its bytes to the next.
    own = {(b.subgraph, b.tensor): b for b in buffer_lifetimes(model) if b.tensor is not None}
    placed = []
    for group, b in enumerate(best.buffers):
        if b.tensor is None:
            placed.append((group, b.offset, b.size, b.first, b.last))
            continue
        for t in (b.tensor, *b.aliases):
            life = own[(b.subgraph, t)]
            assert life.size <= b.size
            placed.append((group, b.offset, life.size, life.first, life.last))
    for (g1, o1, s1, f1, l1), (g2, o2, s2, f2, l2) in itertools.combinations(placed, 2):
        if f1 <= l2 and f2 <= l1 and o1 < o2 + s2 and o2 < o1 + s1:
            assert g1 == g2 and (l1 == f2 or l2 == f1), "tensors share bytes while both are alive"


def _check_bit_exact(data, arena_plan, reference_worker, runs=5):
    model = microinfer.load(data)
    interpreter = Interpreter(model, arena=arena_plan)
    rng = np.random.default_rng(7)
    for _ in range(runs):
        inputs = random_inputs(data, rng)
        expected = reference_worker.run("tflm", data, inputs, all_tensors=True)
        for output, index in zip(interpreter.run(inputs), model.main.outputs):
            np.testing.assert_array_equal(output, expected.tensors[index].reshape(output.shape))
        interpreter.run(inputs, intermediates=True)
        got = interpreter.tensor_values()
        for t in model.main.tensors:
            if t.index in expected.tensors and not t.is_constant:
                np.testing.assert_array_equal(got[t.index], expected.tensors[t.index].reshape(t.shape),
                                              err_msg=f"tensor {t.index} {t.name}")


# -- exact search -----------------------------------------------------------------------------------
def _random_buffers(rng, n):
    buffers = []
    for i in range(n):
        first = int(rng.integers(0, 6))
        buffers.append(BufferLifetime(f"b{i}", 16 * int(rng.integers(1, 8)), first,
                                      first + int(rng.integers(0, 4)), 0, i))
    return buffers


def _brute_force(buffers):
    return min(arena_size(buffers, first_fit_offsets(buffers, order))
               for order in itertools.permutations(range(len(buffers))))


@pytest.mark.parametrize("seed", range(40))
def test_exact_search_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    buffers = _random_buffers(rng, int(rng.integers(2, 7)))
    optimum = _brute_force(buffers)
    offsets, proven = _best_offsets(buffers, first_fit_offsets(buffers, range(len(buffers))))
    check_plan(buffers, offsets)
    assert proven and arena_size(buffers, offsets) == optimum >= live_set_lower_bound(buffers)


def test_exact_search_beats_every_heuristic_somewhere():
    """Over random small graphs the exact search finds plans the heuristic orders miss."""
    improved = 0
    for seed in range(300):
        rng = np.random.default_rng(1000 + seed)
        buffers = _random_buffers(rng, 7)
        heuristic, _ = _heuristic_only(buffers)
        found, proven = exact_offsets(buffers, heuristic)
        assert proven
        if found is not None:
            check_plan(buffers, found)
            assert arena_size(buffers, found) < heuristic
            improved += 1
    assert improved > 0


def _heuristic_only(buffers):
    import microinfer.planner as planner

    saved = planner.EXACT_SEARCH_BUFFERS
    planner.EXACT_SEARCH_BUFFERS = -1
    try:
        offsets, _ = _best_offsets(buffers, first_fit_offsets(buffers, range(len(buffers))))
    finally:
        planner.EXACT_SEARCH_BUFFERS = saved
    return arena_size(buffers, offsets), offsets


def test_exact_search_respects_its_limits():
    buffers = _random_buffers(np.random.default_rng(5), 13)
    assert exact_offsets(buffers, 10**9, max_buffers=12) == (None, False)
    found, proven = exact_offsets(buffers, 10**9, budget_seconds=0.0)
    assert not proven


# -- command line ---------------------------------------------------------------------------------
def test_cli_flags_and_summary(tmp_path, capsys):
    import json

    path = tmp_path / "chain.tflite"
    path.write_bytes(reshape_chain_model())

    def report(*flags):
        assert main(["plan", str(path), "--planner", "best", "--json", *flags]) == 0
        return json.loads(capsys.readouterr().out)

    best = report()
    assert (best["head_bytes"], best["tflm_head_bytes"]) == (96, 128)
    assert (best["lower_bound_bytes"], best["lower_bound_same_buffers_bytes"]) == (96, 128)
    assert best["transforms"] == ["alias", "in-place"]
    assert [b["aliases"] for b in best["buffers"] if b["aliases"]] == [[3, 4, 6, 8, 9]]
    assert report("--no-alias", "--no-in-place")["head_bytes"] == 128
    assert report("--no-alias")["transforms"] == ["in-place"]
    assert report("--no-in-place")["transforms"] == ["alias"]
    assert main(["plan", str(path), "--planner", "best"]) == 0
    out = capsys.readouterr().out
    assert "head (activations):      96 B" in out
    assert "TFLite Micro's head:     128 B" in out
    assert "reduction:               32 B (25.0%)" in out
    assert "lower bound (same buffers):  128 B" in out
    assert "lower bound (with alias/in-place):  96 B" in out
    assert "this plan reaches it" in out and "5 tensors share" in out
