"""RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR: the C kernels vs the NumPy spec, bit for bit, for
both references, over drawn sizes, align_corners and half_pixel_centers, unaligned inputs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microinfer import Interpreter, UnsupportedOpError
from microinfer.testing.families.resize import resize_model
from microinfer.testing.op_models import random_inputs

from microinfer.tflite.options import ResizeBilinearOptions, ResizeNearestNeighborOptions

from .c_check import assert_c_matches_numpy, new_builder, requires_c, unaligned

pytestmark = requires_c
# (op, activation type) pairs a C kernel takes
C_CASES = [("RESIZE_NEAREST_NEIGHBOR", "int8"), ("RESIZE_NEAREST_NEIGHBOR", "int16"),
           ("RESIZE_NEAREST_NEIGHBOR", "uint8"), ("RESIZE_BILINEAR", "int8"), ("RESIZE_BILINEAR", "int16")]


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), case=st.sampled_from(C_CASES), reference=st.sampled_from(["tflm", "tflite"]),
       seed=st.integers(0, 2**32 - 1))
def test_resizes_match_spec(data, case, reference, seed):
    op, dtype = case
    model = data.draw(resize_model(op, dtype))
    try:
        Interpreter(model, reference=reference)
    except UnsupportedOpError:  # a type only the other reference runs
        return
    (x,) = random_inputs(model, np.random.default_rng(seed))
    assert_c_matches_numpy(model, [unaligned(x)], reference)


@pytest.mark.parametrize("op", ["RESIZE_NEAREST_NEIGHBOR", "RESIZE_BILINEAR"])
def test_float32_runs_in_numpy(op):
    builder, g = new_builder()
    x = g.add_input("x", (1, 2, 3, 1), "float32")
    size = g.add_constant("size", np.array([4, 5], np.int32))
    y = g.add_output("y", (1, 4, 5, 1), "float32")
    options = ResizeBilinearOptions() if op == "RESIZE_BILINEAR" else ResizeNearestNeighborOptions()
    g.add_operator(op, [x, size], [y], options)
    backends = Interpreter(builder.build(), backend="c").op_backends
    assert backends == [f"numpy: {op}: float32 runs in NumPy"]
