"""Strategies of BATCH_MATMUL.

Drawn: operands of 2 to 5 dimensions whose batch dimensions broadcast (either side 1, or
missing), adj_x and adj_y, a constant or a fed right operand, depths from 1 to 300, any scales
(the requantization multiplier kept below the references' limits) and zero points at both ends.
The int8 factory also draws LiteRT's int8 x int8 -> int32 product, the int16 one LiteRT's int16 x
int8 product, the float32 one LiteRT's hybrid float32 x int8 product (weight scales per tensor or
per output column, symmetric or asymmetric input quantization); TFLite Micro refuses them all,
LiteRT runs them.
"""

from __future__ import annotations

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

from ...kernels.batch_matmul import matmul_shape
from ...kernels.fixedpoint import quantize_multiplier
from ...tflite import ModelBuilder
from ...tflite import options as O
from .._draw import SEEDS, qparams, scales, values

VERSION = {"float32": 1, "int8": 2, "int16": 3}


@st.composite
def _operand_shapes(draw):
    """(lhs shape, rhs shape, adj_x, adj_y) that multiply."""
    batch = draw(st.lists(st.integers(1, 3), min_size=3, max_size=3))
    lhs_batch = [d if draw(st.booleans()) else 1 for d in batch[3 - draw(st.integers(0, 3)):]]
    rhs_batch = [d if draw(st.booleans()) else 1 for d in batch[3 - draw(st.integers(0, 3)):]]
    rows, cols = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    depth = draw(st.sampled_from([1, 2, 3, 8, 17]) | st.integers(1, 300))
    adj_x, adj_y = draw(st.booleans()), draw(st.booleans())
    lhs = (*lhs_batch, *((depth, rows) if adj_x else (rows, depth)))
    rhs = (*rhs_batch, *((cols, depth) if adj_y else (depth, cols)))
    return lhs, rhs, adj_x, adj_y


def _multiplier_ok(q_lhs: dict, q_rhs: dict, q_out: dict, limit: int) -> bool:
    real = float(np.float32(q_lhs["scale"])) * float(np.float32(q_rhs["scale"])) / float(np.float32(q_out["scale"]))
    return quantize_multiplier(real)[1] <= limit


@st.composite
def batch_matmul_model(draw, dtype: str) -> bytes:
    """One BATCH_MATMUL on ``dtype`` activations ("int8", "int16" or "float32")."""
    lhs_shape, rhs_shape, adj_x, adj_y = draw(_operand_shapes())
    out_shape = matmul_shape(lhs_shape, rhs_shape, adj_x, adj_y)
    rhs_dtype, out_dtype = dtype, dtype
    if dtype == "int8" and draw(st.integers(0, 5)) == 0:
        out_dtype = "int32"  # LiteRT only: the raw sum of products
    if dtype in ("int16", "float32") and draw(st.integers(0, 3)) == 0:
        rhs_dtype = "int8"  # LiteRT only (float32 x int8: the hybrid kernel)
    quantized = dtype != "float32"
    symmetric = dtype == "int16"
    q_lhs = draw(qparams(dtype, symmetric))
    q_rhs = draw(qparams(rhs_dtype, symmetric))
    hybrid = dtype == "float32" and rhs_dtype == "int8"
    if hybrid and draw(st.booleans()):  # one scale per output column
        axis = len(rhs_shape) - (2 if adj_y else 1)
        q_rhs = dict(scale=[draw(scales()) for _ in range(rhs_shape[axis])], zero_point=[0] * rhs_shape[axis],
                     axis=axis)
    q_out = draw(qparams(out_dtype, symmetric)) if out_dtype != "int32" else {}
    if quantized and out_dtype != "int32":
        assume(_multiplier_ok(q_lhs, q_rhs, q_out, 30 if dtype == "int8" else 14))
    rng = np.random.default_rng(draw(SEEDS))
    b = ModelBuilder()
    g = b.main
    lhs = g.add_input("lhs", lhs_shape, dtype, **q_lhs)
    constant = draw(st.booleans())
    if constant:
        rhs = g.add_constant("rhs", values(rhs_shape, rhs_dtype, rng), rhs_dtype, **q_rhs)
    else:
        rhs = g.add_input("rhs", rhs_shape, rhs_dtype, **q_rhs)
    out = g.add_output("out", out_shape, out_dtype, **q_out)
    # asymmetric input quantization: LiteRT sums the constant weights' rows (at most 4-D) once
    asymmetric = hybrid and constant and len(rhs_shape) < 5 and draw(st.booleans())
    options = O.BatchMatMulOptions(adj_x=adj_x, adj_y=adj_y, asymmetric_quantize_inputs=asymmetric)
    g.add_operator("BATCH_MATMUL", [lhs, rhs], [out], options, version=4 if hybrid else VERSION[dtype])
    return b.build()


GENERATED = {
    "BATCH_MATMUL": (("int8", "int16x8", "float32"), lambda dtype: batch_matmul_model(dtype)),
}
