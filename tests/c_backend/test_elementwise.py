"""ADD and MUL (int8, int16): the C kernels vs the NumPy spec, bit for bit, for both
references, over broadcast shapes up to rank 6, constant operands, extreme scales and zero points."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as st

from microinfer import Interpreter, UnsupportedOpError
from microinfer.c_backend.ops._broadcast import broadcast_layout
from microinfer.tflite.options import AddOptions, MulOptions

from .c_check import ACTIVATIONS, assert_c_matches_numpy, new_builder, random_activations, requires_c, unaligned

pytestmark = requires_c
NUMPY_TYPE = {"int8": np.int8, "int16": np.int16}
SCALES = st.one_of(st.sampled_from([1e-6, 2.0**-12, 0.0039, 0.1, 1.0, 7.5, 300.0]), st.floats(1e-4, 10.0))


def binary_model(op, dtype, shape1, shape2, out_shape, q1, q2, q_out, activation, constant2=None,
                 pot_scale_int16=False) -> bytes:
    builder, g = new_builder()
    a = g.add_input("a", shape1, dtype, scale=q1[0], zero_point=q1[1])
    if constant2 is None:
        b = g.add_input("b", shape2, dtype, scale=q2[0], zero_point=q2[1])
    else:
        b = g.add_constant("b", constant2, dtype, scale=q2[0], zero_point=q2[1])
    y = g.add_output("y", out_shape, dtype, scale=q_out[0], zero_point=q_out[1])
    if op == "ADD":
        options = AddOptions(fused_activation_function=activation, pot_scale_int16=pot_scale_int16)
        version = 3 if dtype == "int16" else 2
    else:
        options = MulOptions(fused_activation_function=activation)
        version = 2
    g.add_operator(op, [a, b], [y], options, version=version)
    return builder.build()


@st.composite
def broadcast_shapes(draw, max_rank=6):
    """Two input shapes drawn from one shape (right-aligned suffixes, some dims 1) and their
    broadcast: most examples keep several dimensions after the C layout merges what it can."""
    rank = draw(st.integers(0, max_rank))
    full = [draw(st.sampled_from([1, 2, 2, 3, 3, 4, 5, 7])) for _ in range(rank)]
    while np.prod(full) > 1500:
        full[full.index(max(full))] //= 2

    def operand():
        rank = draw(st.sampled_from([len(full)] * 3 + list(range(len(full) + 1))))
        tail = full[len(full) - rank:]
        return tuple(1 if draw(st.integers(0, 9)) < 4 else d for d in tail)

    shape1, shape2 = operand(), operand()
    return tuple(int(d) for d in np.broadcast_shapes(shape1, shape2)), shape1, shape2


@st.composite
def quantization(draw, op, dtype, reference):
    if dtype == "int16" and (op == "MUL" or reference == "tflite"):
        zero_point = 0  # int16 MUL, and LiteRT's int16 ADD, require it
    elif dtype == "int16":
        zero_point = draw(st.one_of(st.just(0), st.integers(-32768, 32767)))
    else:
        zero_point = draw(st.one_of(st.sampled_from([-128, 127, 0]), st.integers(-128, 127)))
    return draw(SCALES), zero_point


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), op_type=st.sampled_from([("ADD", "int8"), ("ADD", "int16"), ("MUL", "int8"), ("MUL", "int16")]),
       shapes=broadcast_shapes(), activation=st.sampled_from(ACTIVATIONS),
       reference=st.sampled_from(["tflm", "tflite"]), constant=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_binary_ops_match_spec(data, op_type, shapes, activation, reference, constant, seed):
    op, dtype = op_type
    out_shape, shape1, shape2 = shapes
    q1, q2, q_out = (data.draw(quantization(op, dtype, reference)) for _ in range(3))
    rng = np.random.default_rng(seed)
    np_type = NUMPY_TYPE[dtype]
    a, b = random_activations(rng, shape1, np_type), random_activations(rng, shape2, np_type)
    model = binary_model(op, dtype, shape1, shape2, out_shape, q1, q2, q_out, activation,
                         constant2=b if constant else None)
    try:
        Interpreter(model, reference=reference)
    except UnsupportedOpError as error:
        note(str(error))
        assume(False)  # outside what the spec (and so the reference) accepts for these scales
    inputs = [unaligned(a)] if constant else [unaligned(a), unaligned(b)]
    assert_c_matches_numpy(model, inputs, reference)


@pytest.mark.parametrize("op,dtype", [("ADD", "int8"), ("ADD", "int16"), ("MUL", "int8"), ("MUL", "int16")])
@pytest.mark.parametrize("reference", ["tflm", "tflite"])
def test_extreme_values_and_zero_points(op, dtype, reference):
    """Every pair of type extremes against zero points at both ends and the widest scale ratios."""
    np_type = NUMPY_TYPE[dtype]
    info = np.iinfo(np_type)
    values = np.array([info.min, info.min + 1, -1, 0, 1, info.max - 1, info.max], np_type)
    a, b = np.meshgrid(values, values)
    symmetric = dtype == "int16" and (op == "MUL" or reference == "tflite")
    zero_points = [0] if symmetric else [info.min, info.max]
    checked = 0
    for zp1 in zero_points:
        for zp2 in zero_points:
            for scales in ((1.0, 1.0, 0.5), (1e-3, 1.0, 2.0), (1.0, 1e-3, 0.01), (0.02, 0.03, 1e-4)):
                model = binary_model(op, dtype, a.shape, b.shape, a.shape, (scales[0], zp1), (scales[1], zp2),
                                     (scales[2], zp1), ACTIVATIONS[0])
                try:
                    Interpreter(model, reference=reference)
                except UnsupportedOpError:
                    continue
                assert_c_matches_numpy(model, [a.copy(), b.copy()], reference)
                checked += 1
    assert checked >= 4


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shape=st.lists(st.integers(1, 9), min_size=0, max_size=4), out_exponent=st.integers(-20, 0),
       drop=st.integers(0, 35), swap=st.booleans(), activation=st.sampled_from(ACTIVATIONS),
       seed=st.integers(0, 2**32 - 1))
def test_litert_int16_power_of_two_path(shape, out_exponent, drop, swap, activation, seed):
    """LiteRT's int16 ADD with pot_scale_int16 and power-of-two scales, one input at the output
    scale and the other up to 2**-35 smaller: its own arithmetic (one rounding shift per input).
    TFLite Micro takes its general path on the same model."""
    shape = tuple(shape)
    scales = [2.0**out_exponent, 2.0 ** (out_exponent - drop)]
    if swap:
        scales.reverse()
    model = binary_model("ADD", "int16", shape, shape, shape, (scales[0], 0), (scales[1], 0), (2.0**out_exponent, 0),
                         activation, pot_scale_int16=True)
    rng = np.random.default_rng(seed)
    x = [unaligned(random_activations(rng, shape, np.int16)) for _ in range(2)]
    checked = []
    for reference in ("tflite", "tflm"):
        try:
            Interpreter(model, reference=reference)
        except UnsupportedOpError:
            continue
        assert_c_matches_numpy(model, x, reference)
        checked.append(reference)
    assert "tflite" in checked


@pytest.mark.parametrize("shape1,shape2,out,expected", [
    ((2, 3), (2, 3), (2, 3), ([6], [1], [1])),                       # same shape: one flat row
    ((2, 3), (), (2, 3), ([6], [1], [0])),                           # scalar
    ((4, 1, 3), (5, 1), (4, 5, 3), ([4, 5, 3], [3, 0, 1], [0, 1, 0])),
    ((1, 2, 3, 4), (4,), (1, 2, 3, 4), ([6, 4], [4, 1], [0, 1])),    # leading 1 dropped, outer dims merged
    ((1, 2, 3, 4), (3, 1), (1, 2, 3, 4), ([2, 3, 4], [12, 4, 1], [0, 1, 0])),
    ((1,), (1,), (1,), ([1], [0], [0])),
])
def test_broadcast_layout_by_hand(shape1, shape2, out, expected):
    assert broadcast_layout(shape1, shape2, out) == tuple(list(e) for e in expected)
