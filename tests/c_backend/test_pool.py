"""AVERAGE_POOL_2D and MAX_POOL_2D: the C kernels (mi_avgpool_s8/_s16, mi_max_pool_s8/_s16) vs the
NumPy spec, bit for bit, for both references."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from microinfer import Interpreter
from microinfer.tflite.options import Pool2DOptions
from microinfer.tflite.types import Padding

from .c_check import ACTIVATIONS, assert_c_matches_numpy, new_builder, random_activations, requires_c, unaligned

pytestmark = requires_c
POOLS = ("AVERAGE_POOL_2D", "MAX_POOL_2D")


def _out_size(padding: Padding, size: int, filt: int, stride: int) -> int:
    if padding == Padding.SAME:
        return (size + stride - 1) // stride
    return (size + stride - filt) // stride


def pool_model(op, shape, filt, stride, padding, activation, scale, zero_point, dtype="int8") -> bytes:
    builder, g = new_builder()
    quantization = {} if dtype == "float32" else {"scale": scale, "zero_point": zero_point}
    n, h, w, c = shape
    out_shape = (n, _out_size(padding, h, filt[0], stride[0]), _out_size(padding, w, filt[1], stride[1]), c)
    x = g.add_input("x", shape, dtype, **quantization)
    y = g.add_output("y", out_shape, dtype, **quantization)
    options = Pool2DOptions(padding=padding, stride_h=stride[0], stride_w=stride[1], filter_height=filt[0],
                            filter_width=filt[1], fused_activation_function=activation)
    g.add_operator(op, [x], [y], options, version={"float32": 1, "int8": 2, "int16": 3}[dtype])
    return builder.build()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    op=st.sampled_from(POOLS),
    dtype=st.sampled_from(["int8", "int16"]),
    # depths 1..19 hit every tail of a 4- or 16-wide channel loop; heights/widths below the filter too
    shape=st.tuples(st.integers(1, 2), st.integers(1, 11), st.integers(1, 11), st.integers(1, 19)),
    filt=st.tuples(st.integers(1, 6), st.integers(1, 6)),
    stride=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    padding=st.sampled_from([Padding.SAME, Padding.VALID]),
    activation=st.sampled_from(ACTIVATIONS),
    scale=st.sampled_from([1e-6, 0.0039, 0.1, 1.0, 300.0]),
    zero_point=st.one_of(st.sampled_from([-128, 127, 0]), st.integers(-128, 127)),  # int16: times 256
    reference=st.sampled_from(["tflm", "tflite"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_pooling_matches_spec(op, dtype, shape, filt, stride, padding, activation, scale, zero_point, reference,
                              seed):
    assume(_out_size(padding, shape[1], filt[0], stride[0]) > 0 and _out_size(padding, shape[2], filt[1], stride[1]) > 0)
    if dtype == "int16":
        zero_point = min(zero_point * 256, 32767)
    model = pool_model(op, shape, filt, stride, padding, activation, scale, zero_point, dtype)
    x = random_activations(np.random.default_rng(seed), shape, np.int8 if dtype == "int8" else np.int16)
    assert_c_matches_numpy(model, [unaligned(x)], reference)


@pytest.mark.parametrize("op", POOLS)
@pytest.mark.parametrize("dtype", [np.int8, np.int16])
def test_extreme_inputs_and_whole_image_window(op, dtype):
    """The type's extremes over a window covering the whole image: the largest and smallest sums."""
    model = pool_model(op, (1, 9, 7, 5), (9, 7), (1, 1), Padding.SAME, ACTIVATIONS[0], 0.5, 0, np.dtype(dtype).name)
    for value in (np.iinfo(dtype).min, np.iinfo(dtype).max):
        assert_c_matches_numpy(model, [np.full((1, 9, 7, 5), value, dtype)], "tflm")


def test_average_rounds_half_away_from_zero():
    # 2x2 windows with sums 6, -6, 7, -7: averages 1.5 -> 2, -1.5 -> -2, 1.75 -> 2, -1.75 -> -2.
    x = np.array([[1, 2, -1, -2], [1, 2, -1, -2], [1, 2, -2, -2], [2, 2, -1, -2]], np.int8).reshape(1, 4, 4, 1)
    model = pool_model("AVERAGE_POOL_2D", (1, 4, 4, 1), (2, 2), (2, 2), Padding.VALID, ACTIVATIONS[0], 0.1, 0)
    got = Interpreter(model, backend="c").run([x])[0]
    np.testing.assert_array_equal(got, np.array([2, -2, 2, -2], np.int8).reshape(1, 2, 2, 1))


@pytest.mark.parametrize("op", POOLS)
def test_float32_falls_back_to_numpy(op):
    model = pool_model(op, (1, 5, 5, 3), (2, 2), (2, 2), Padding.SAME, ACTIVATIONS[0], 0.01, 0, dtype="float32")
    interpreter = Interpreter(model, backend="c")
    assert interpreter.op_backends[0].startswith("numpy:") and "float32" in interpreter.op_backends[0]
    x = np.random.default_rng(0).uniform(-1, 1, (1, 5, 5, 3)).astype(np.float32)
    np.testing.assert_array_equal(interpreter.run([x])[0], Interpreter(model).run([x])[0])

