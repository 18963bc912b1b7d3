"""BATCH_MATMUL against both references, bit for bit.

What is delicate: broadcasting of batch dimensions of different ranks, adj_x/adj_y, constant and
fed right operands, zero points at both ends, the requantization multiplier (LiteRT multiplies the
two input scales in float32, TFLite Micro in double), LiteRT's extra type combinations, and what
each reference refuses.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from microinfer import UnsupportedOpError
from microinfer.info import operator_macs
from microinfer.interpreter import Interpreter
from microinfer.reference import ReferenceFailure
from microinfer.testing.families.matmul import batch_matmul_model
from microinfer.testing.op_models import build, random_inputs
from microinfer.tflite import load
from microinfer.tflite import options as O
from microinfer.tflite.builder import ModelBuilder

from kernel_check import assert_bit_exact, assert_each_reference_gives

SETTINGS = dict(deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def matmul(lhs_shape, rhs_shape, out_shape, types=("int8", "int8", "int8"), q=((0.05, 3), (0.02, -2), (0.1, 5)),
           adj_x=False, adj_y=False, rhs=None, version=2) -> bytes:
    """A BATCH_MATMUL model; ``rhs`` given: a constant right operand."""
    b = ModelBuilder()
    g = b.main
    kw = [{} if t in ("float32", "int32") else dict(scale=s, zero_point=z) for t, (s, z) in zip(types, q)]
    x = g.add_input("lhs", lhs_shape, types[0], **kw[0])
    y = g.add_constant("rhs", rhs, types[1], **kw[1]) if rhs is not None else g.add_input("rhs", rhs_shape, types[1], **kw[1])
    z = g.add_output("out", out_shape, types[2], **kw[2])
    g.add_operator("BATCH_MATMUL", [x, y], [z], O.BatchMatMulOptions(adj_x=adj_x, adj_y=adj_y), version=version)
    return b.build()


def refusal(model: bytes, reference: str) -> str:
    with pytest.raises(UnsupportedOpError) as info:
        Interpreter(model, reference=reference)
    return str(info.value)


# -- drawn models against the references -----------------------------------------------------------

@pytest.mark.parametrize("dtype", ["int8", "int16", "float32"])
def test_drawn_models_are_bit_exact(dtype, reference_worker):
    @settings(max_examples=30, **SETTINGS)
    @given(batch_matmul_model(dtype))
    def check(model):
        inputs = random_inputs(model, np.random.default_rng(len(model)))
        for ref in ("tflm", "tflite"):
            try:
                Interpreter(model, reference=ref)
            except UnsupportedOpError:
                assert ref == "tflm"  # LiteRT-only type combinations
                with pytest.raises(ReferenceFailure):
                    reference_worker.run(ref, model, inputs)
                continue
            assert_bit_exact(reference_worker, model, inputs, references=(ref,))

    check()


@pytest.mark.parametrize("lhs_shape,rhs_shape,out_shape", [
    ((2, 1, 3, 4, 5), (2, 3, 5, 2), (2, 2, 3, 4, 2)),  # rank 5 with rank 4, both sides broadcast
    ((4, 5), (2, 2, 1, 5, 3), (2, 2, 1, 4, 3)),  # a plain matrix against a batch of them
    ((3, 2, 4, 5), (1, 5, 6), (3, 2, 4, 6)),  # rhs batch 1 (the references flatten the lhs batch)
])
@pytest.mark.parametrize("constant_rhs", [False, True])
def test_broadcast_batches(lhs_shape, rhs_shape, out_shape, constant_rhs, reference_worker):
    rng = np.random.default_rng(9)
    rhs = rng.integers(-128, 128, rhs_shape, dtype=np.int8) if constant_rhs else None
    model = matmul(lhs_shape, rhs_shape, out_shape, q=((0.05, -128), (0.03, 127), (0.4, -7)), rhs=rhs)
    assert_bit_exact(reference_worker, model, random_inputs(model, rng))


@pytest.mark.parametrize("adj_x,adj_y", [(True, False), (False, True), (True, True)])
def test_adjoints(adj_x, adj_y, reference_worker):
    lhs_shape = (2, 7, 3) if adj_x else (2, 3, 7)
    rhs_shape = (1, 4, 7) if adj_y else (1, 7, 4)
    for types, q in [(("int8",) * 3, ((0.05, 3), (0.02, -2), (0.1, 5))),
                     (("int16",) * 3, ((0.002, 0), (0.001, 0), (0.003, 0))),
                     (("float32",) * 3, ((1, 0),) * 3)]:
        model = matmul(lhs_shape, rhs_shape, (2, 3, 4), types, q, adj_x=adj_x, adj_y=adj_y)
        assert_bit_exact(reference_worker, model, random_inputs(model, np.random.default_rng(2)))


# -- hand-worked values --------------------------------------------------------------------------

def test_multiplier_from_float32_or_double_scale_product(reference_worker):
    """lhs 0.0065176375 x rhs 0.4841933 / out 0.30203253: LiteRT's float32 product of the two
    scales gives the multiplier 1436035196 * 2**-37, TFLite Micro's double product 1436035226 *
    2**-37; the sum 72 * 127 + 91 * 1 = 9235 then rescales to 96 and 97 (96.4999... vs 96.50000...)."""
    model = matmul((1, 2), (2, 1), (1, 1), q=((0.0065176375, 0), (0.4841933, 0), (0.30203253, 0)),
                   rhs=np.array([[127], [1]], np.int8))
    x = np.array([[72, 91]], np.int8)
    assert_each_reference_gives(reference_worker, model, [x], {"tflm": [[97]], "tflite": [[96]]})


def test_zero_points_and_saturation(reference_worker):
    """(x - zp) sums: lhs [-128, 127] - (-128) = [0, 255], rhs [127, -128] - 127 = [0, -255];
    0 * 0 + 255 * -255 = -65025, times 0.05 * 0.02 / 0.1 = 0.01 -> -650.25 -> saturates to -128
    at output zero point 5; a second column of rhs [-100, 127]: 0 + 255 * 0 = 0 -> 5."""
    model = matmul((1, 2), (2, 2), (1, 2), q=((0.05, -128), (0.02, 127), (0.1, 5)),
                   rhs=np.array([[127, -100], [-128, 127]], np.int8))
    x = np.array([[-128, 127]], np.int8)
    expected = np.array([[-128, 5]], np.int8)
    assert_each_reference_gives(reference_worker, model, [x], {"tflm": expected, "tflite": expected})


def test_litert_int8_to_int32_is_the_raw_sum(reference_worker):
    """int8 operands with an int32 output: LiteRT sums raw products, ignoring zero points."""
    model = matmul((1, 3), (3, 1), (1, 1), ("int8", "int8", "int32"), rhs=np.array([[2], [-3], [127]], np.int8))
    x = np.array([[-128, 5, 127]], np.int8)
    assert_each_reference_gives(reference_worker, model, [x], {"tflite": [[-256 - 15 + 127 * 127]]})
    assert "lhs, rhs and output are all int8" in refusal(model, "tflm")


def test_macs():
    for name, macs in [("BATCH_MATMUL/int8", 2 * 3 * 5 * 4 * 6), ("BATCH_MATMUL/float32", 2 * 3 * 5 * 4 * 6)]:
        model = load(build(name))
        assert operator_macs(model.main, model.main.operators[0]) == macs


# -- what each reference refuses -----------------------------------------------------------------

@pytest.mark.parametrize("types", [("int16", "int8", "int16"), ("int8", "int8", "int32")])
def test_type_combinations_only_litert_runs(types, reference_worker):
    q = ((0.002, 0), (0.01, 0), (0.003, 0))
    model = matmul((2, 3, 4), (2, 4, 5), (2, 3, 5), types, q)
    inputs = random_inputs(model, np.random.default_rng(0))
    assert "lhs, rhs and output are all int8, all int16 or all float32" in refusal(model, "tflm")
    with pytest.raises(ReferenceFailure):
        reference_worker.run("tflm", model, inputs)
    assert_bit_exact(reference_worker, model, inputs, references=("tflite",))


def test_int16_zero_points_must_be_zero(reference_worker):
    model = matmul((3, 4), (4, 5), (3, 5), ("int16",) * 3, ((0.002, 1), (0.01, 0), (0.003, 0)))
    inputs = random_inputs(model, np.random.default_rng(0))
    for ref in ("tflm", "tflite"):
        assert "int16: operands and output have zero point 0" in refusal(model, ref)
        with pytest.raises(ReferenceFailure):
            reference_worker.run(ref, model, inputs)


def test_shapes_that_do_not_multiply(reference_worker):
    cases = [((3, 4), (5, 6), (3, 6)),  # inner dimensions differ
             ((2, 3, 4), (3, 4, 5), (2, 3, 5)),  # batch 2 against 3
             ((4,), (4, 5), (5,))]  # a vector
    for lhs_shape, rhs_shape, out_shape in cases:
        model = matmul(lhs_shape, rhs_shape, out_shape)
        inputs = random_inputs(model, np.random.default_rng(0))
        for ref in ("tflm", "tflite"):
            assert "Operands have 2 to 5 dimensions" in refusal(model, ref)
            with pytest.raises(ReferenceFailure):
                reference_worker.run(ref, model, inputs)


def test_declared_output_shape_must_be_the_product():
    model = matmul((2, 3, 4), (2, 4, 5), (2, 5, 3))
    for ref in ("tflm", "tflite"):
        assert "the output has the product's shape" in refusal(model, ref)


def test_refused_arithmetic():
    # a multiplier of 2**31 (int8) and 2**15 (int16): shifts the references cannot make
    int8 = matmul((1, 2), (2, 1), (1, 1), q=((1.0, 0), (1.0, 0), (2.0**-31, 0)))
    int16 = matmul((1, 2), (2, 1), (1, 1), ("int16",) * 3, q=((1.0, 0), (1.0, 0), (2.0**-15, 0)))
    for ref in ("tflm", "tflite"):
        assert "is below 2**30 (int8; 2**14 for int16)" in refusal(int8, ref)
        assert "is below 2**30 (int8; 2**14 for int16)" in refusal(int16, ref)
    # int8 sums that could overflow int32: 33026 x 255 x 255 >= 2**31
    deep = matmul((1, 33026), (33026, 1), (1, 1), q=((0.05, -128), (0.02, 127), (0.1, 5)))
    assert "The sums cannot overflow" in refusal(deep, "tflm")
    per_channel = ModelBuilder()
    g = per_channel.main
    x = g.add_input("lhs", (2, 3), "int8", scale=0.1, zero_point=0)
    y = g.add_constant("rhs", np.ones((3, 2), np.int8), scale=[0.1, 0.2], zero_point=[0, 0], axis=1)
    z = g.add_output("out", (2, 2), "int8", scale=0.1, zero_point=0)
    g.add_operator("BATCH_MATMUL", [x, y], [z], O.BatchMatMulOptions(), version=2)
    assert "carry one positive scale and a zero point each" in refusal(per_channel.build(), "tflite")


# -- LiteRT's hybrid float32 x int8 ----------------------------------------------------------------

def hybrid(lhs_shape, rhs, out_shape, scale=0.02, axis=None, adj_x=False, adj_y=False, asymmetric=False,
           constant=True) -> bytes:
    b = ModelBuilder()
    g = b.main
    x = g.add_input("lhs", lhs_shape, "float32")
    if axis is None:
        q = dict(scale=scale, zero_point=0)
    else:
        q = dict(scale=list(scale), zero_point=[0] * len(scale), axis=axis)
    y = g.add_constant("rhs", rhs, **q) if constant else g.add_input("rhs", rhs.shape, "int8", **q)
    z = g.add_output("out", out_shape, "float32")
    options = O.BatchMatMulOptions(adj_x=adj_x, adj_y=adj_y, asymmetric_quantize_inputs=asymmetric)
    g.add_operator("BATCH_MATMUL", [x, y], [z], options, version=4)
    return b.build()


def test_hybrid_quantizes_each_lhs_row(reference_worker):
    """Row [1.0, -0.5]: scale 1/127, q = [127, -64] (-63.5 rounds away from zero); times weights
    [[2], [4]] = 254 - 256 = -2, times 1/127 * 0.5 = -0.007874016. A row of zeros gives 0."""
    model = hybrid((2, 2), np.array([[2], [4]], np.int8), (2, 1), scale=0.5)
    x = np.array([[1.0, -0.5], [0.0, 0.0]], np.float32)
    expected = np.array([[np.float32(np.float32(1.0) / np.float32(127)) * np.float32(0.5) * np.float32(-2)], [0.0]],
                        np.float32)
    assert_each_reference_gives(reference_worker, model, [x], {"tflite": expected})
    assert "lhs, rhs and output are all int8" in refusal(model, "tflm")


@pytest.mark.parametrize("asymmetric", [False, True])
@pytest.mark.parametrize("adj_x,adj_y", [(False, False), (True, True)])
def test_hybrid_per_column_scales(asymmetric, adj_x, adj_y, reference_worker):
    rng = np.random.default_rng(11)
    rhs = rng.integers(-128, 128, (2, 5, 7) if adj_y else (2, 7, 5), dtype=np.int8)
    model = hybrid((2, 7, 3) if adj_x else (2, 3, 7), rhs, (2, 3, 5), scale=rng.uniform(0.01, 0.1, 5),
                   axis=1 if adj_y else 2, adj_x=adj_x, adj_y=adj_y, asymmetric=asymmetric)
    x = (rng.normal(size=(2, 7, 3) if adj_x else (2, 3, 7)) * 3 + 1).astype(np.float32)
    assert_bit_exact(reference_worker, model, [x], references=("tflite",))


def test_hybrid_reproduces_litert_scale_lookup(reference_worker):
    """Two lhs batch dimensions (2, 3): LiteRT looks the row scales up at (b1 + b2) * rows instead
    of (b1 * 3 + b2) * rows, so batches use other batches' scales; microinfer does the same."""
    rng = np.random.default_rng(3)
    rhs = rng.integers(-128, 128, (2, 3, 4, 5), dtype=np.int8)
    model = hybrid((2, 3, 2, 4), rhs, (2, 3, 2, 5))
    x = (rng.normal(size=(2, 3, 2, 4)) * np.array([1, 10, 100])[None, :, None, None]).astype(np.float32)
    assert_bit_exact(reference_worker, model, [x], references=("tflite",))
    exact = np.matmul(x.astype(np.float64), rhs.astype(np.float64) * np.float32(0.02))
    litert = reference_worker.run("tflite", model, [x]).outputs[0]
    assert np.max(np.abs(litert - exact)) > 1.0  # far from the float product: the quirk is real


def test_hybrid_asymmetric_needs_constant_weights():
    rhs = np.ones((4, 3), np.int8)
    model = hybrid((2, 4), rhs, (2, 3), asymmetric=True, constant=False)
    assert "the rhs is constant (LiteRT sums its rows once)" in refusal(model, "tflite")
    Interpreter(hybrid((2, 4), rhs, (2, 3), asymmetric=False, constant=False), reference="tflite")
