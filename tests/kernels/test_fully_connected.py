"""FULLY_CONNECTED details found by the fuzzer, against both live references and by hand.

LiteRT 2.3.0's reference kernel scales each sum in double and rounds it with std::round (ties away
from zero, a 64-bit sum never cut to 32 bits, INT32_MIN beyond int32); TFLite Micro requantizes
with MultiplyByQuantizedMultiplier. Both refuse a per-tensor layer whose bias scale is more than
0.02 output steps away from input scale x weight scale.
"""

from __future__ import annotations

import numpy as np
import pytest

from kernel_check import assert_each_reference_gives
from microinfer import UnsupportedOpError
from microinfer.interpreter import Interpreter
from microinfer.reference import ReferenceFailure
from microinfer.tflite import ModelBuilder
from microinfer.tflite.options import FullyConnectedOptions


def fully_connected(dtype, in_scale, weights, w_scale, bias, out_scale, bias_quantization=None) -> bytes:
    """FULLY_CONNECTED (units, depth) = weights.shape, zero points 0; the bias quantized with
    input scale x weight scale unless ``bias_quantization`` says otherwise."""
    b = ModelBuilder()
    g = b.main
    weights = np.asarray(weights, np.int8)
    units, depth = weights.shape
    x = g.add_input("x", (1, depth), dtype, scale=in_scale, zero_point=0)
    w = g.add_constant("w", weights, scale=np.float32(w_scale), zero_point=0)
    if bias_quantization is None:
        bias_quantization = dict(scale=np.float32(in_scale) * np.float32(w_scale), zero_point=0)
    bias_type = np.int64 if dtype == "int16" else np.int32
    bb = g.add_constant("b", np.asarray(bias, bias_type), **bias_quantization)
    y = g.add_output("y", (1, units), dtype, scale=out_scale, zero_point=0)
    g.add_operator("FULLY_CONNECTED", [x, w, bb], [y], FullyConnectedOptions(), version=7 if dtype == "int16" else 4)
    return b.build()


@pytest.mark.parametrize("dtype,tflm", [("int8", [[-2, -1, 1, 2]]), ("int16", [[-1, 0, 1, 2]])])
def test_ties(reference_worker, dtype, tflm):
    """Scales 0.5 x 0.5 -> 1: sums -6, -2, 2, 6 are -1.5, -0.5, 0.5, 1.5 output steps. LiteRT
    rounds ties away from zero (microinfer's former single-rounding model of it gave -1 and 0 for
    the negative ones); so does TFLite Micro's int32 requantizer, while its 64-bit one (int16 with
    an int64 bias) rounds them up."""
    model = fully_connected(dtype, 0.5, np.ones((4, 1)), 0.5, [-7, -3, 1, 5], 1.0)
    assert_each_reference_gives(reference_worker, model, [np.array([[1]], dtype)],
                                {"tflm": tflm, "tflite": [[-2, -1, 1, 2]]})


def test_int16_litert_scales_the_64_bit_sum_in_double(reference_worker):
    """Found by the fuzzer: 22978 x -7 x (0.5 x 2.517256e-05 / 1e-4) = -20244.528. LiteRT scales
    the 64-bit sum in double: -20245. TFLite Micro's 64-bit requantizer first cuts the multiplier
    to 16 bits (16497 x 2**-17 = 0.1258621 instead of 0.1258628): -20244.419, so -20244."""
    model = fully_connected("int16", 0.5, [[-7]], 2.517256e-05, [0], 1e-4)
    x = np.array([[22978]], np.int16)
    assert_each_reference_gives(reference_worker, model, [x], {"tflm": [[-20244]], "tflite": [[-20245]]})


def test_int16_sum_beyond_int32(reference_worker):
    """Found by the fuzzer: a bias of -5.06e11 plus 22978 x 89 times 0.1 is -5.06e10. LiteRT
    scales the 64-bit sum in double, which leaves int32 and converts to INT32_MIN: -32768 after
    the clamp. TFLite Micro's requantizer keeps the low 32 bits of its 64-bit result, which here
    are positive: 32767."""
    model = fully_connected("int16", 0.001, [[89]], 0.01, [-506244370171], 1e-4)
    x = np.array([[22978]], np.int16)
    assert_each_reference_gives(reference_worker, model, [x], {"tflm": [[32767]], "tflite": [[-32768]]})


def _bias_quantizations(product):
    return {
        "none": {},
        "matching": dict(scale=product, zero_point=0),
        "per-channel": dict(scale=np.array([product, product], np.float32), zero_point=np.zeros(2, np.int64), axis=0),
        "1.5x": dict(scale=product * 1.5, zero_point=0),
        "1.01x": dict(scale=product * 1.01, zero_point=0),
    }


@pytest.mark.parametrize("dtype", ["int8", "int16"])
@pytest.mark.parametrize("in_scale,w_scale,out_scale", [(0.5, 0.01, 0.1), (0.001, 0.001, 1.0)])
@pytest.mark.parametrize("bias", ["none", "matching", "per-channel", "1.5x", "1.01x"])
def test_bias_scale_check(reference_worker, dtype, in_scale, w_scale, out_scale, bias):
    """microinfer refuses exactly the models each reference refuses: with input x weight / output
    at 0.05, a bias without quantization (scale 0) or at 1.5x the product is refused by both, a
    per-channel bias by LiteRT only (TFLite Micro reads its first scale); at 1e-6 all pass."""
    product = np.float32(in_scale) * np.float32(w_scale)
    model = fully_connected(dtype, in_scale, np.arange(8).reshape(2, 4), w_scale, [5, -7], out_scale,
                            _bias_quantizations(product)[bias])
    x = np.array([[1, -2, 3, 4]], dtype)
    for ref in ("tflm", "tflite"):
        try:
            ours = Interpreter(model, reference=ref).run([x])
        except UnsupportedOpError as error:
            assert "bias scale" in str(error)
            with pytest.raises(ReferenceFailure):
                reference_worker.run(ref, model, [x])
            continue
        np.testing.assert_array_equal(ours[0], reference_worker.run(ref, model, [x]).outputs[0])
