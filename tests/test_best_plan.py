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
from microinfer.planner import _best_offsets, plan, plan_head, reordered_model
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
    plain = plan_head(model, "best", alias=False, in_place=False, in_place_depthwise=False, reorder=False)
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
    plain = plan(model, "best", alias=False, in_place=False, in_place_depthwise=False, reorder=False)
    assert plain.lower_bound_bytes <= plain.head_bytes <= tflm.head_bytes
    assert best.head_bytes <= plain.head_bytes
    assert plain.operator_order is None
    # check_plan accepts the plan as the planner saw it ...
    buffers = [BufferLifetime(b.name, b.size, b.first, b.last, b.subgraph, b.tensor, aliases=b.aliases)
               for b in best.buffers]
    check_plan(buffers, [b.offset for b in best.buffers])
    # ... and tensor by tensor, with their own lifetimes (in the plan's operator order): two
    # tensors alive together share bytes only inside one merged buffer, at the scope where one
    # hands its bytes to the next.
    if best.operator_order is not None:
        model = reordered_model(model, best.operator_order)
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
    found, proven = exact_offsets(buffers, 10**9, max_steps=0)
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
    assert best["transforms"] == ["alias", "in-place", "in-place-depthwise", "reorder"]
    assert best["operator_order"] is None
    assert [b["aliases"] for b in best["buffers"] if b["aliases"]] == [[3, 4, 6, 8, 9]]
    assert report("--no-alias", "--no-in-place")["head_bytes"] == 128
    assert report("--no-alias")["transforms"] == ["in-place", "in-place-depthwise", "reorder"]
    assert report("--no-in-place")["transforms"] == ["alias", "in-place-depthwise", "reorder"]
    assert report("--no-in-place-depthwise", "--no-reorder")["transforms"] == ["alias", "in-place"]
    assert main(["plan", str(path), "--planner", "best"]) == 0
    out = capsys.readouterr().out
    assert "head (activations):      96 B" in out
    assert "TFLite Micro's head:     128 B" in out
    assert "reduction:               32 B (25.0%)" in out
    assert "lower bound (same buffers):  128 B" in out
    assert "lower bound (with alias/in-place/in-place-depthwise/reorder):  96 B" in out
    assert "this plan reaches it" in out and "5 tensors share" in out


# -- in-place depthwise convolution and operator reordering ---------------------------------------
def _conv_weights(g, name, shape, rng, in_scale, axis):
    w = rng.integers(-60, 60, shape, dtype=np.int8)
    channels = shape[axis]
    scales = np.full(channels, 0.01, np.float32)
    wt = g.add_constant(f"w_{name}", w, scale=scales, zero_point=0, axis=axis)
    bias = g.add_constant(f"b_{name}", rng.integers(-200, 200, channels, dtype=np.int32),
                          scale=(np.float32(in_scale) * scales).astype(np.float32), zero_point=0)
    return wt, bias


def _conv(g, x, in_ch, out_ch, name, rng, hw=4, k=1, in_q=Q_IN, out=None, q=Q_OUT):
    from microinfer.tflite.options import Conv2DOptions
    from microinfer.tflite.types import Padding

    w, b = _conv_weights(g, name, (out_ch, k, k, in_ch), rng, in_q[0], 0)
    y = out if out is not None else g.add_tensor(name, (1, hw, hw, out_ch), "int8", **_q(q))
    g.add_operator("CONV_2D", [x, w, b], [y], Conv2DOptions(Padding.SAME, 1, 1), version=3)
    return y


def _depthwise(g, x, ch, name, rng, hw=4, k=3, in_q=Q_OUT, out=None, q=(0.06, 1)):
    from microinfer.tflite.options import DepthwiseConv2DOptions
    from microinfer.tflite.types import ActivationFunction, Padding

    w, b = _conv_weights(g, name, (1, k, k, ch), rng, in_q[0], 3)
    y = out if out is not None else g.add_tensor(name, (1, hw, hw, ch), "int8", **_q(q))
    options = DepthwiseConv2DOptions(Padding.SAME, 1, 1, 1, ActivationFunction.NONE, 1, 1)
    g.add_operator("DEPTHWISE_CONV_2D", [x, w, b], [y], options, version=3)
    return y


def depthwise_model() -> bytes:
    """x (1,4,4,4) -> CONV 1x1 -> a (1,4,4,8) -> DEPTHWISE 3x3 SAME -> b (1,4,4,8) -> CONV 1x1 -> y

    x and y 64 bytes, a and b 128. Scopes: x 0..1, a 1..2, b 2..3, y 3..3. TFLite Micro holds a
    and b together at scope 2: 256 bytes. In place, a = b (1..3) plus the per-channel temporary
    of the depthwise op, one padded 6x6 int8 plane (36 -> 48 bytes) at scope 2: 176 bytes there,
    x + a = 192 at scope 1, b + y = 192 at scope 3. Head 192: 64 bytes saved.
    """
    rng = np.random.default_rng(3)
    builder = ModelBuilder(description="depthwise")
    g = builder.main
    x = g.add_input("x", (1, 4, 4, 4), "int8", **_q(Q_IN))
    a = _conv(g, x, 4, 8, "a", rng)
    b = _depthwise(g, a, 8, "b", rng)
    y = g.add_output("y", (1, 4, 4, 4), "int8", **_q((0.1, 2)))
    _conv(g, b, 8, 4, "y", rng, in_q=(0.06, 1), out=y)
    return builder.build()


def depthwise_chain_model() -> bytes:
    """Three 3x3 depthwise convolutions in a row between 1x1 convolutions (a MobileNet-like
    chain on 8x8x8), the last followed by RELU; every depthwise op works in place."""
    rng = np.random.default_rng(4)
    builder = ModelBuilder(description="depthwise chain")
    g = builder.main
    x = g.add_input("x", (1, 8, 8, 4), "int8", **_q(Q_IN))
    t = _conv(g, x, 4, 8, "c0", rng, hw=8)
    q = Q_OUT
    for i in range(3):
        t = _depthwise(g, t, 8, f"d{i}", rng, hw=8, in_q=q, q=(0.06, 1))
        q = (0.06, 1)
    r = g.add_tensor("r", (1, 8, 8, 8), "int8", **_q(q))
    g.add_operator("RELU", [t], [r], version=1)
    y = g.add_output("y", (1, 8, 8, 4), "int8", **_q((0.1, 2)))
    _conv(g, r, 8, 4, "y", rng, hw=8, in_q=q, out=y)
    return builder.build()


def two_branch_model() -> bytes:
    """Two branches from x, written branch-interleaved (the worst order):

        op 0  a1 = FC(x)   (1, 256)        op 2  a2 = FC(a1)  (1, 16)
        op 1  b1 = FC(x)   (1, 256)        op 3  b2 = FC(b1)  (1, 16)
        op 4  y  = ADD(a2, b2)  (1, 16)

    File order holds x, a1 and b1 at op 1: 16 + 256 + 256 = 528 bytes. Running a branch to its
    end first (0, 2, 1, 3, 4) never holds both big tensors: at most x + a1 + a2 = x + a2 + b1 =
    288 bytes. Reordering saves 240 bytes.
    """
    rng = np.random.default_rng(5)
    builder = ModelBuilder(description="two branches")
    g = builder.main
    x = g.add_input("x", (1, 16), "int8", **_q(Q_IN))
    a1 = _fc(g, x, 16, 256, "a1", rng)
    b1 = _fc(g, x, 16, 256, "b1", rng)
    a2 = g.add_tensor("a2", (1, 16), "int8", **_q(Q_OUT))
    b2 = g.add_tensor("b2", (1, 16), "int8", **_q(Q_OUT))
    w = g.add_constant("w_a2", rng.integers(-20, 20, (16, 256), dtype=np.int8), **_q((0.01, 0)))
    g.add_operator("FULLY_CONNECTED", [a1, w, -1], [a2], FullyConnectedOptions(), version=4)
    w = g.add_constant("w_b2", rng.integers(-20, 20, (16, 256), dtype=np.int8), **_q((0.01, 0)))
    g.add_operator("FULLY_CONNECTED", [b1, w, -1], [b2], FullyConnectedOptions(), version=4)
    y = g.add_output("y", (1, 16), "int8", **_q((0.1, 0)))
    g.add_operator("ADD", [a2, b2], [y], AddOptions(), version=2)
    return builder.build()


def conv_branches_model(join: str) -> bytes:
    """Two parallel convolution branches on x (1,8,8,4), interleaved in the file, joined by ADD
    or CONCATENATION; each branch widens to 16 channels and narrows back to 4:

        op 0  p1 = CONV(x) 16ch   op 1  q1 = CONV(x) 16ch
        op 2  p2 = DEPTHWISE(p1)  op 3  q2 = CONV(q1) 4ch
        op 4  p3 = CONV(p2) 4ch   op 5  y = join(p3, q2)
    """
    from microinfer.tflite.options import ConcatenationOptions

    rng = np.random.default_rng(6)
    builder = ModelBuilder(description=f"conv branches {join}")
    g = builder.main
    x = g.add_input("x", (1, 8, 8, 4), "int8", **_q(Q_IN))
    p1 = _conv(g, x, 4, 16, "p1", rng, hw=8)
    q1 = _conv(g, x, 4, 16, "q1", rng, hw=8)
    p2 = _depthwise(g, p1, 16, "p2", rng, hw=8)
    q2 = _conv(g, q1, 16, 4, "q2", rng, hw=8, in_q=Q_OUT)
    p3 = _conv(g, p2, 16, 4, "p3", rng, hw=8, in_q=(0.06, 1))
    if join == "ADD":
        y = g.add_output("y", (1, 8, 8, 4), "int8", **_q((0.12, -2)))
        g.add_operator("ADD", [p3, q2], [y], AddOptions(), version=2)
    else:
        y = g.add_output("y", (1, 8, 8, 8), "int8", **_q(Q_OUT))
        g.add_operator("CONCATENATION", [p3, q2], [y], ConcatenationOptions(axis=3), version=2)
    return builder.build()


def test_depthwise_in_place_saves_hand_worked_bytes():
    from microinfer.planner.aliasing import depthwise_scratch_bytes

    model = microinfer.load(depthwise_model())
    pairs = merges(model, buffer_lifetimes(model))
    assert _names(model, pairs) == [("a", "b", "in-place-depthwise")]
    assert depthwise_scratch_bytes(model, 1) == 6 * 6
    tflm = plan_head(model, "tflm")
    best = plan_head(model, "best")
    off = plan_head(model, "best", in_place_depthwise=False)
    assert (tflm.head_bytes, off.head_bytes, best.head_bytes) == (256, 256, 192)
    assert best.lower_bound_bytes == 192 and best.operator_order is None
    temporary = [b for b in best.buffers if b.tensor is None]
    assert [(b.name, b.size, b.first, b.last) for b in temporary] == [("depthwise temporary of op 1", 48, 2, 2)]
    (merged,) = [b for b in best.buffers if b.aliases]
    assert merged.name == "a" and (merged.first, merged.last) == (1, 3)
    assert not merges(model, buffer_lifetimes(model), in_place_depthwise=False)


def test_depthwise_in_place_needs_same_shape_and_a_dying_input():
    """Multiplier 2 changes the shape; a graph input is never overwritten."""
    for name in ("DEPTHWISE_CONV_2D/int8/multiplier1", "DEPTHWISE_CONV_2D/int8/multiplier2"):
        case = next(c for c in OP_CASES if c.name == name)
        model = microinfer.load(case.build())
        assert merges(model, buffer_lifetimes(model)) == []


def test_depthwise_temporary_is_paid_for():
    """If the temporary costs more than sharing saves, the depthwise op keeps its own output."""
    model = microinfer.load(depthwise_chain_model())
    pairs = merges(model, buffer_lifetimes(model))
    assert [k for *_, k in pairs] == ["in-place-depthwise"] * 3 + ["in-place"]
    best = plan_head(model, "best")
    # c0 = d0 = d1 = d2 = r: one 512-byte buffer, a 10x10 temporary (112 bytes) at each depthwise
    # op; peaks: x + c0 = 768, c0 + temporary = 624, r + y = 768.
    assert (plan_head(model, "tflm").head_bytes, best.head_bytes) == (1024, 768)
    assert sum(b.tensor is None for b in best.buffers) == 3


def test_reorder_saves_hand_worked_bytes():
    from microinfer.planner.reorder import memory_order

    model = microinfer.load(two_branch_model())
    order, peak, original = memory_order(model)
    assert (peak, original) == (288, 528)
    tflm = plan_head(model, "tflm")
    best = plan_head(model, "best")
    kept = plan_head(model, "best", reorder=False)
    assert (tflm.head_bytes, kept.head_bytes, best.head_bytes) == (528, 528, 288)
    assert best.operator_order == order and best.operator_order in ((0, 2, 1, 3, 4), (1, 3, 0, 2, 4))
    assert plan_head(model, "best", reorder=False).operator_order is None


def test_reorder_keeps_a_good_order():
    """A model already in a best order keeps it: ``operator_order`` stays None."""
    model = microinfer.load(two_branch_model())
    good = reordered_model(model, (0, 2, 1, 3, 4))
    assert [op.index for op in good.main.operators] == [0, 1, 2, 3, 4]
    assert plan_head(good, "best").operator_order is None
    assert plan_head(good, "tflm").head_bytes == 288


def test_reordered_model_checks_and_round_trips(reference_worker):
    """A reordered model written out runs in TFLite Micro (file order) with the same results,
    and TFLite Micro's own plan of it is as small as best's plan of the original order."""
    from microinfer.tflite import serialize

    data = two_branch_model()
    model = microinfer.load(data)
    with pytest.raises(ValueError):
        reordered_model(model, (2, 0, 1, 3, 4))  # a2 before a1
    with pytest.raises(ValueError):
        reordered_model(model, (0, 1, 2, 3))
    best = plan_head(model, "best", alias=False, in_place=False)
    written = serialize(reordered_model(model, best.operator_order))
    assert plan_head(microinfer.load(written), "tflm").head_bytes == best.head_bytes == 288
    rng = np.random.default_rng(2)
    for _ in range(3):
        inputs = random_inputs(data, rng)
        a = reference_worker.run("tflm", data, inputs, all_tensors=True)
        b = reference_worker.run("tflm", written, inputs, all_tensors=True)
        for index in model.main.outputs:
            np.testing.assert_array_equal(a.tensors[index], b.tensors[index])


@pytest.mark.parametrize("join", ["ADD", "CONCATENATION"])
def test_conv_branches_are_reordered(join):
    model = microinfer.load(conv_branches_model(join))
    tflm, best = plan_head(model, "tflm"), plan_head(model, "best")
    assert best.operator_order is not None and best.head_bytes < tflm.head_bytes
    assert best.head_bytes < plan_head(model, "best", reorder=False).head_bytes
    _check_best(model)


NEW_FACTORIES = [depthwise_model, depthwise_chain_model, two_branch_model,
                 lambda: conv_branches_model("ADD"), lambda: conv_branches_model("CONCATENATION")]


@pytest.mark.parametrize("factory", NEW_FACTORIES, ids=["dw", "dw-chain", "two-branch", "conv-add", "conv-concat"])
def test_new_builder_models_sound_and_bit_exact(factory, reference_worker):
    data = factory()
    model = microinfer.load(data)
    _check_best(model)
    best = plan_head(model, "best")
    assert best.head_bytes < plan_head(model, "tflm").head_bytes
    _check_bit_exact(data, best, reference_worker)
    # each option alone stays exact too
    for options in (dict(reorder=False), dict(in_place_depthwise=False),
                    dict(alias=False, in_place=False, in_place_depthwise=False)):
        _check_bit_exact(data, plan_head(model, "best", **options), reference_worker, runs=2)


def test_interpreter_refuses_an_order_of_another_model():
    from dataclasses import replace

    model = microinfer.load(two_branch_model())
    best = plan_head(model, "best")
    with pytest.raises(ValueError):
        Interpreter(model, arena=replace(best, operator_order=(0, 1, 2)))


def test_cli_reorder_and_depthwise_flags(tmp_path, capsys):
    import json

    path = tmp_path / "branches.tflite"
    path.write_bytes(two_branch_model())

    def report(p, *flags):
        assert main(["plan", str(p), "--planner", "best", "--json", *flags]) == 0
        return json.loads(capsys.readouterr().out)

    best = report(path)
    assert best["head_bytes"] == 288 and best["tflm_head_bytes"] == 528
    assert best["operator_order"] in ([0, 2, 1, 3, 4], [1, 3, 0, 2, 4])
    off = report(path, "--no-reorder")
    assert off["head_bytes"] == 528 and off["operator_order"] is None and "reorder" not in off["transforms"]
    assert main(["plan", str(path), "--planner", "best"]) == 0
    out = capsys.readouterr().out
    assert "TFLite Micro needs the model rewritten" in out
    dw = tmp_path / "dw.tflite"
    dw.write_bytes(depthwise_model())
    assert report(dw)["head_bytes"] == 192
    assert report(dw, "--no-in-place-depthwise")["head_bytes"] == 256


@pytest.mark.parametrize("name", [n for n in ("kws_ref_model.tflite", "vww_96_int8.tflite") if n in SHARED_MODEL_NAMES]
                         or ["kws_ref_model.tflite"])
def test_shared_depthwise_in_place_forced_stays_bit_exact(name, reference_worker):
    """On the shared models in-place depthwise convolutions do not lower the head (another
    operator sets the peak), so best leaves them out; forced in, they still run bit-exactly."""
    from microinfer.planner import _depthwise_scratch, _planned
    from microinfer.planner.aliasing import merged_buffers
    from microinfer.planner.greedy import tflm_greedy_offsets

    if name not in SHARED_MODEL_NAMES:
        pytest.skip("no shared models")
    data = shared_model_path(name).read_bytes()
    model = microinfer.load(data)
    buffers = buffer_lifetimes(model)
    pairs = merges(model, buffers)
    assert any(kind == "in-place-depthwise" for *_, kind in pairs)
    merged = merged_buffers(buffers, pairs) + _depthwise_scratch(model, buffers, pairs)
    offsets, _ = _best_offsets(merged, tflm_greedy_offsets(merged))
    forced = _planned("best", merged, offsets)
    assert forced.head_bytes >= plan_head(model, "best").head_bytes
    _check_bit_exact(data, forced, reference_worker, runs=2)
