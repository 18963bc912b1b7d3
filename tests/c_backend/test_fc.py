"""FULLY_CONNECTED: C kernels (mi_fully_connected_s8 / _s16) vs the NumPy spec, bit for bit."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microinfer import Interpreter
from microinfer.tflite.options import FullyConnectedOptions

from .c_check import ACTIVATIONS, assert_c_matches_numpy, new_builder, quantized_weights, random_activations, \
    requires_c, unaligned

pytestmark = requires_c


def fc_model(rng, batches, depth, units, int16, per_channel, has_bias, activation, in_zp, out_zp, out_scale,
             bias_spread, int16_bias_32bit=False) -> bytes:
    """``int16_bias_32bit``: an int16x8 layer with an int32 bias (32-bit accumulation and
    requantization instead of 64-bit)."""
    builder, g = new_builder()
    act = "int16" if int16 else "int8"
    in_scale = 0.02
    x = g.add_input("x", (batches, depth), act, scale=in_scale, zero_point=0 if int16 else in_zp)
    w, w_scales = quantized_weights(rng, (units, depth), 0 if per_channel else None, 0.5)
    wi = g.add_constant("w", w, scale=w_scales, zero_point=np.zeros(len(w_scales), np.int64), axis=0)
    inputs = [x, wi]
    if has_bias:
        bias_type = np.int64 if int16 and not int16_bias_32bit else np.int32
        b = rng.normal(0, bias_spread, units) / (in_scale * np.broadcast_to(w_scales, (units,)))
        info = np.iinfo(np.int32)
        inputs.append(g.add_constant("b", np.clip(np.round(b), info.min, info.max).astype(bias_type),
                                     scale=(in_scale * w_scales).astype(np.float32), zero_point=0))
    else:
        inputs.append(-1)
    y = g.add_output("y", (batches, units), act, scale=out_scale, zero_point=0 if int16 else out_zp)
    g.add_operator("FULLY_CONNECTED", inputs, [y], FullyConnectedOptions(fused_activation_function=activation),
                   version=7 if int16 else 4)
    return builder.build()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    batches=st.integers(1, 4), depth=st.integers(1, 70), units=st.integers(1, 19), int16=st.booleans(),
    per_channel=st.booleans(), has_bias=st.booleans(), activation=st.sampled_from(ACTIVATIONS),
    in_zp=st.integers(-128, 127), out_zp=st.integers(-128, 127),
    out_scale=st.sampled_from([1e-5, 0.0005, 0.01, 0.05, 0.3, 4.0]), bias_spread=st.sampled_from([0.0, 1.0, 1e6]),
    reference=st.sampled_from(["tflm", "tflite"]), seed=st.integers(0, 2**32 - 1),
    int16_bias_32bit=st.booleans(),
)
def test_fully_connected_matches_spec(batches, depth, units, int16, per_channel, has_bias, activation, in_zp,
                                      out_zp, out_scale, bias_spread, reference, seed, int16_bias_32bit):
    rng = np.random.default_rng(seed)
    model = fc_model(rng, batches, depth, units, int16, per_channel, has_bias, activation, in_zp, out_zp,
                     out_scale, bias_spread, int16_bias_32bit)
    x = random_activations(rng, (batches, depth), np.int16 if int16 else np.int8)
    assert_c_matches_numpy(model, [unaligned(x)], reference)


def test_litert_overflow_quirk_is_honoured():
    """Multiplier above 1, LiteRT's scaling in double: sums beyond int32 after scaling become
    INT32_MIN (the x86 conversion the spec reproduces); the C kernel gives the same bits."""
    rng = np.random.default_rng(5)
    model = fc_model(rng, 3, 64, 8, False, False, True, ACTIVATIONS[0], 3, -7, 1e-5, 1e6)
    assert Interpreter(model, reference="tflite")._prepared[0].real_scale.max() > 1
    for seed in range(5):
        x = random_activations(np.random.default_rng(seed), (3, 64), np.int8)
        assert_c_matches_numpy(model, [x], "tflite")
