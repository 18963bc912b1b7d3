"""BATCH_MATMUL: the C kernels (mi_batch_matmul_s8 / _s16) vs the NumPy spec, bit for bit, for both
references, over broadcast batches, adj_x/adj_y, constant and fed right operands, unaligned inputs."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microinfer import Interpreter, UnsupportedOpError
from microinfer.testing.families.matmul import batch_matmul_model
from microinfer.testing.op_models import random_inputs

from .c_check import assert_c_matches_numpy, requires_c, unaligned

pytestmark = requires_c


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), dtype=st.sampled_from(["int8", "int16"]), reference=st.sampled_from(["tflm", "tflite"]),
       seed=st.integers(0, 2**32 - 1))
def test_batch_matmul_matches_spec(data, dtype, reference, seed):
    model = data.draw(batch_matmul_model(dtype))
    try:
        fast = Interpreter(model, backend="c", reference=reference)
    except UnsupportedOpError:  # a type combination only LiteRT runs
        return
    if fast.op_backends[0] != "c":  # LiteRT's int16 x int8 and int8 -> int32 run in NumPy
        assert "runs in NumPy" in fast.op_backends[0]
        return
    inputs = [unaligned(x) for x in random_inputs(model, np.random.default_rng(seed))]
    assert_c_matches_numpy(model, inputs, reference)
