"""Reductions (MEAN, SUM, REDUCE_MAX/MIN/PROD/ANY/ALL), ARG_MAX/ARG_MIN, CUMSUM, L2_NORMALIZATION
and L2_POOL_2D: bit-exact against both references.

Hypothesis draws single-op models of every operator and type (microinfer.testing.families.reduce)
and checks each against every reference microinfer accepts it for. Hand-worked cases pin down
the delicate arithmetic and each reference's quirks; refusal tests check that what a reference
refuses (or runs into undefined behaviour with) is refused, with the message saying why.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kernel_check import accepted_references, assert_bit_exact, assert_each_reference_gives, random_inputs
from microinfer import UnsupportedOpError
from microinfer.interpreter import Interpreter
from microinfer.reference import ReferenceFailure
from microinfer.testing._draw import ACTIVATION_TYPE
from microinfer.testing.families.reduce import (
    GENERATED,
    arg_model,
    cumsum_model,
    l2_normalization_model,
    l2_pool_model,
    reduce_model,
)
from microinfer.tflite import ModelBuilder
from microinfer.tflite.options import ReducerOptions
from microinfer.tflite.types import ActivationFunction, Padding

REFERENCES = ("tflm", "tflite")
SETTINGS = dict(deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
FLOAT_MAX = np.finfo(np.float32).max
NAN, INF = np.nan, np.inf


def _check(worker, model: bytes, seed: int, runs: int = 2) -> None:
    references = accepted_references(model)
    assert references, "the strategies draw models that at least one reference runs"
    rng = np.random.default_rng(seed)
    for _ in range(runs):
        assert_bit_exact(worker, model, random_inputs(model, rng), references=references)


def _refusal(model: bytes, reference: str) -> str:
    with pytest.raises(UnsupportedOpError) as refused:
        Interpreter(model, reference=reference)
    return str(refused.value)


def _reference_fails(worker, model: bytes, reference: str, inputs) -> None:
    with pytest.raises(ReferenceFailure):
        worker.run(reference, model, inputs)


def _q(scale, zero_point=0) -> dict:
    return dict(scale=scale, zero_point=zero_point)


# -- every operator and type, drawn ------------------------------------------------------------------

CASES = [(op, label) for op, (labels, _) in GENERATED.items() for label in labels]


@pytest.mark.parametrize("op,label", CASES, ids=[f"{op}-{label}" for op, label in CASES])
def test_bit_exact(reference_worker, op, label):
    @settings(max_examples=10, **SETTINGS)
    @given(model=GENERATED[op][1](ACTIVATION_TYPE[label]), seed=st.integers(0, 2 ** 16))
    def check(model, seed):
        _check(reference_worker, model, seed)

    check()


# -- MEAN ----------------------------------------------------------------------------------------------

def test_mean_by_hand(reference_worker):
    # Mean of [1, 2, 3, 4] = 2.5 and of the negatives -2.5, same quantization: rounded away from zero.
    x = np.array([[1, 2, 3, 4], [-1, -2, -3, -4]], np.int8)
    model = reduce_model("MEAN", "int8", (2, 4), [1], False, _q(0.5), _q(0.5))
    assert_each_reference_gives(reference_worker, model, [x], {"tflm": [3, -3], "tflite": [3, -3]})


def test_mean_4d_height_width_keep_dims(reference_worker):
    # The 4-D mean over H and W with keep_dims (a special path in older kernels).
    for in_q, out_q in ((_q(0.1, 3), _q(0.1, 3)), (_q(0.07, -128), _q(0.02, 127))):
        _check(reference_worker, reduce_model("MEAN", "int8", (2, 5, 6, 3), [1, 2], True, in_q, out_q), 7, runs=3)


def test_mean_over_every_axis_of_a_6d_input(reference_worker):
    # TFLite Micro used to keep at most two reduced axes and 5 dimensions; the pinned build takes
    # any: (1 + 2 + ... + 64) / 64 = 32.5 -> 33 on the same scale, and -32.5 -> -33.
    x = np.arange(1, 65, dtype=np.int8).reshape(2, 2, 2, 2, 2, 2)
    model = reduce_model("MEAN", "int8", x.shape, [0, 1, -4, 3, 4, -1], False, _q(0.5), _q(0.5))
    assert_each_reference_gives(reference_worker, model, [x], {"tflm": 33, "tflite": 33})
    assert_each_reference_gives(reference_worker, model, [-x], {"tflm": -33, "tflite": -33})


def test_mean_int32_truncates_toward_zero(reference_worker):
    # LiteRT only: the int64 sum divided by the count as C++ does: 7/2 -> 3, -7/2 -> -3.
    x = np.array([[3, 4], [-3, -4]], np.int32)
    model = reduce_model("MEAN", "int32", (2, 2), [1], False, {}, {})
    assert_each_reference_gives(reference_worker, model, [x], {"tflite": [3, -3]})
    assert "int32" in _refusal(model, "tflm")
    _reference_fails(reference_worker, model, "tflm", [x])


# -- SUM -----------------------------------------------------------------------------------------------

def test_sum_int8_requantizes_in_tflm_and_reads_bytes_in_litert(reference_worker):
    # TFLite Micro: the int32 sum, clamped to int8: 8, 127 (from 200), -128 (from -200).
    # LiteRT 2.3.0 runs its uint8 code on the int8 data: -1 reads as 255, so 255 + 9 clamps to
    # 255 = -1; 100 + 100 = 200 = -56; 156 + 156 clamps to 255 = -1.
    x = np.array([[-1, 2, 3, 4], [100, 100, 0, 0], [-100, -100, 0, 0]], np.int8)
    model = reduce_model("SUM", "int8", (3, 4), [-1], False, _q(0.5), _q(0.5))
    assert_each_reference_gives(reference_worker, model, [x], {"tflm": [8, 127, -128], "tflite": [-1, -56, -1]})


def test_sum_refuses_int16_in_litert(reference_worker):
    model = reduce_model("SUM", "int16", (4, 3), [1], False, _q(0.5), _q(0.5))
    assert "reads int16 data as bytes" in _refusal(model, "tflite")
    _check(reference_worker, model, 3)  # TFLite Micro runs it, and so does microinfer


# -- REDUCE_MAX, REDUCE_MIN, REDUCE_PROD, REDUCE_ANY, REDUCE_ALL ---------------------------------------

def test_reduce_max_starts_from_the_lowest_float(reference_worker):
    # A row of -inf (or NaN) gives the lowest float, not -inf: the fold starts there and neither
    # beats it. LiteRT's fold over every dimension starts from the first element instead.
    x = np.array([[-INF, -INF, -INF], [NAN, NAN, NAN], [NAN, 1, 2]], np.float32)
    rows = reduce_model("REDUCE_MAX", "float32", (3, 3), [1], False, {}, {})
    assert_each_reference_gives(reference_worker, rows, [x], {"tflm": [-FLOAT_MAX, -FLOAT_MAX, 2],
                                                              "tflite": [-FLOAT_MAX, -FLOAT_MAX, 2]})
    everything = reduce_model("REDUCE_MAX", "float32", (3, 3), [0, 1], False, {}, {})
    all_minus_inf = np.full((3, 3), -INF, np.float32)
    assert_each_reference_gives(reference_worker, everything, [all_minus_inf], {"tflm": -FLOAT_MAX, "tflite": -INF})
    assert_each_reference_gives(reference_worker, everything, [x[::-1].copy()], {"tflm": 2, "tflite": NAN})


def test_reduce_max_and_min_refuse_requantization(reference_worker):
    x = np.zeros((2, 3), np.int8)
    for op in ("REDUCE_MAX", "REDUCE_MIN"):
        model = reduce_model(op, "int8", (2, 3), [1], False, _q(0.5, 1), _q(0.25, 1))
        for ref in REFERENCES:
            assert "same scale and zero point" in _refusal(model, ref)
            _reference_fails(reference_worker, model, ref, [x])


def test_reduce_prod_by_hand(reference_worker):
    # scale 0.5 in, 0.25 out, two elements: the per-step scale 0.5 / sqrt(0.25) is 1, so
    # 2 * 4 = 8, then 8 -> 8 (real 1 * 2 = 2 = 8 * 0.25); 3 * 5 = 15; -2 * 3 = -6; 127 * 127 clamps.
    x = np.array([[2, 4], [3, 5], [-2, 3], [127, 127]], np.int8)
    model = reduce_model("REDUCE_PROD", "int8", (4, 2), [1], False, _q(0.5), _q(0.25))
    assert_each_reference_gives(reference_worker, model, [x], {"tflite": [8, 15, -6, 127]})


@pytest.mark.parametrize("op,dtype", [("REDUCE_PROD", "float32"), ("REDUCE_ANY", "bool")])
def test_litert_only_reductions_refused_in_tflm(reference_worker, op, dtype):
    model = reduce_model(op, dtype, (2, 3), [1], False, {}, {})
    assert "TFLite Micro has no kernel for this operator" in _refusal(model, "tflm")
    _reference_fails(reference_worker, model, "tflm", random_inputs(model, np.random.default_rng(0)))


def test_reduce_any_and_all_by_hand(reference_worker):
    x = np.array([[True, False, True], [False, False, False], [True, True, True]])
    any_model = reduce_model("REDUCE_ANY", "bool", (3, 3), [1], True, {}, {})
    all_model = reduce_model("REDUCE_ALL", "bool", (3, 3), [1], True, {}, {})
    assert_each_reference_gives(reference_worker, any_model, [x], {"tflite": [[True], [False], [True]]})
    assert_each_reference_gives(reference_worker, all_model, [x], {"tflm": [[False], [False], [True]],
                                                                   "tflite": [[False], [False], [True]]})


# -- axes and shapes ---------------------------------------------------------------------------------------

def test_axes_out_of_range_are_refused(reference_worker):
    # Neither reference checks the axes when keep_dims is set: axis 2 of a rank-2 input reads
    # outside the shape. microinfer refuses it.
    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", (2, 3), "float32")
    axes = g.add_constant("axes", np.array([2], np.int32))
    y = g.add_output("y", (2, 3), "float32")
    g.add_operator("SUM", [x, axes], [y], ReducerOptions(keep_dims=True))
    model = b.build()
    for ref in REFERENCES:
        assert "[-rank, rank)" in _refusal(model, ref)


def test_empty_dimension_is_refused():
    model = reduce_model("MEAN", "float32", (2, 0), [1], False, {}, {})
    for ref in REFERENCES:
        assert "no empty dimension" in _refusal(model, ref)


def test_scalar_input_ignores_its_axes(reference_worker):
    model = reduce_model("SUM", "float32", (), [0], False, {}, {})
    assert_each_reference_gives(reference_worker, model, [np.float32(2.5)], {"tflm": 2.5, "tflite": 2.5})


# -- ARG_MAX, ARG_MIN ----------------------------------------------------------------------------------------

def test_arg_max_and_min_ties_go_to_the_first_index(reference_worker):
    x = np.array([[1, 3, 3, 0], [2, 2, 2, 2], [-5, -7, -7, 4]], np.int8)
    for op, expected in (("ARG_MAX", [1, 0, 3]), ("ARG_MIN", [3, 0, 1])):
        model = arg_model(op, "int8", (3, 4), -1, "int32", "int32", _q(0.1, 2))
        assert_each_reference_gives(reference_worker, model, [x], {"tflm": expected, "tflite": expected})


def test_arg_max_nans_by_reference(reference_worker):
    # TFLite Micro: a first NaN stays, a later one never wins. LiteRT's vectorised last-axis loop
    # passes over NaNs in four lanes (the first four elements), compares the lanes in pairs, where
    # a first NaN survives, gives 0 for a NaN result, and goes on element by element.
    cases = [  # row, TFLite Micro, LiteRT
        ([NAN, 2, 0, 2, 1], 0, 4),  # lanes end on NaN; the fifth element replaces it
        ([NAN, 2, 0, 2], 0, 0),  # lanes end on NaN: 0
        ([1, NAN, 2, 2], 2, 2),
        ([NAN, NAN, 3], 0, 2),  # fewer than four: element by element, NaNs passed over
        ([NAN] * 5, 0, 0),
    ]
    for row, tflm, tflite in cases:
        x = np.array([row], np.float32)
        model = arg_model("ARG_MAX", "float32", x.shape, 1, "int32", "int32", {})
        assert_each_reference_gives(reference_worker, model, [x], {"tflm": [tflm], "tflite": [tflite]})


def test_arg_min_nans_off_the_last_axis(reference_worker):
    # A dimension of more than one element after the axis: LiteRT's plain loop skips NaNs.
    x = np.array([[NAN, 1], [3, NAN], [2, 0]], np.float32)  # reduce axis 0, columns [nan 3 2], [1 nan 0]
    model = arg_model("ARG_MIN", "float32", (3, 2), 0, "int32", "int32", {})
    assert_each_reference_gives(reference_worker, model, [x], {"tflm": [0, 2], "tflite": [2, 2]})


def test_arg_max_int64_output_only_in_litert(reference_worker):
    model = arg_model("ARG_MAX", "float32", (2, 5), 1, "int64", "int64", {})
    assert "output int32" in _refusal(model, "tflm")
    x = random_inputs(model, np.random.default_rng(1))
    _reference_fails(reference_worker, model, "tflm", x)
    assert_bit_exact(reference_worker, model, x, references=("tflite",))


# -- CUMSUM ----------------------------------------------------------------------------------------------------

def test_cumsum_int8_starts_from_the_input_offset(reference_worker):
    # Input zero point 10, all inputs at the zero point (real 0): TFLite Micro's running sum
    # starts from the shifted -10 instead of 0, so every output is -10 on a scale of 1.
    x = np.full((1, 3), 10, np.int8)
    for exclusive in (False, True):
        model = cumsum_model("int8", (1, 3), 1, exclusive, False, _q(1.0, 10), _q(1.0, 0))
        assert_each_reference_gives(reference_worker, model, [x], {"tflm": [[-10, -10, -10]]})


def test_cumsum_exclusive_reverse_by_hand(reference_worker):
    x = np.array([[1, 2, 3, 4]], np.int32)
    model = cumsum_model("int32", (1, 4), -1, True, True, {}, {})
    assert_each_reference_gives(reference_worker, model, [x], {"tflite": [[9, 7, 4, 0]]})
    assert "float32 or int8 with reference='tflm'" in _refusal(model, "tflm")


def test_cumsum_int8_refused_in_litert(reference_worker):
    model = cumsum_model("int8", (2, 3), 0, False, False, _q(0.5, 1), _q(0.5, 1))
    _refusal(model, "tflite")
    _reference_fails(reference_worker, model, "tflite", random_inputs(model, np.random.default_rng(2)))


# -- L2_NORMALIZATION, L2_POOL_2D -------------------------------------------------------------------------------

def test_l2_normalization_by_hand(reference_worker):
    # (3, 4) / 5 = (0.6, 0.8): 76.8 -> 77 and 102.4 -> 102 on the output scale 1/128.
    x = np.array([[3, 4], [-3, -4]], np.int8)
    model = l2_normalization_model("int8", (2, 2), _q(0.2, 0), _q(1 / 128, 0))
    assert_each_reference_gives(reference_worker, model, [x], {"tflm": [[77, 102], [-77, -102]],
                                                               "tflite": [[77, 102], [-77, -102]]})
    floats = l2_normalization_model("float32", (2, 2), {}, {})
    assert_each_reference_gives(reference_worker, floats, [x.astype(np.float32)],
                                {"tflm": np.float32([[0.6, 0.8], [-0.6, -0.8]]),
                                 "tflite": np.float32([[0.6, 0.8], [-0.6, -0.8]])})


def test_l2_normalization_output_quantization(reference_worker):
    # TFLite Micro ignores the output quantization (always 1/128, 0); LiteRT refuses another one.
    model = l2_normalization_model("int8", (1, 2), _q(0.2, 0), _q(0.5, 3))
    x = np.array([[3, 4]], np.int8)
    assert_each_reference_gives(reference_worker, model, [x], {"tflm": [[77, 102]]})
    assert "scale 1/128 and zero point 0" in _refusal(model, "tflite")
    _reference_fails(reference_worker, model, "tflite", [x])


def test_l2_normalization_rank_limit_in_tflm(reference_worker):
    model = l2_normalization_model("float32", (1, 2, 1, 2, 3), {}, {})
    assert "at most four" in _refusal(model, "tflm")
    x = random_inputs(model, np.random.default_rng(3))
    _reference_fails(reference_worker, model, "tflm", x)
    assert_bit_exact(reference_worker, model, x, references=("tflite",))


def test_l2_pool_by_hand(reference_worker):
    # sqrt((1 + 4 + 9 + 16) / 4) = sqrt(7.5); with RELU_N1_TO_1 it clamps to 1.
    x = np.array([1, 2, 3, 4], np.float32).reshape(1, 2, 2, 1)
    for activation, value in ((ActivationFunction.NONE, np.sqrt(np.float32(7.5))), (ActivationFunction.RELU_N1_TO_1, 1)):
        model = l2_pool_model((1, 2, 2, 1), (2, 2), (2, 2), Padding.VALID, activation)
        expected = np.full((1, 1, 1, 1), value, np.float32)
        assert_each_reference_gives(reference_worker, model, [x], {"tflm": expected, "tflite": expected})


# -- uint8 (LiteRT only) --------------------------------------------------------------------------------------

def test_uint8_reductions_in_litert(reference_worker):
    # Zero point 128: SUM of 200 and 100 is 128 + (72 - 28) = 172; of 255 and 255, 382 clamps to 255.
    # MEAN of 129 and 130: 128 + 1.5 -> 130. REDUCE_MAX on the raw values.
    x = np.array([[200, 100], [255, 255], [129, 130]], np.uint8)
    expected = {"SUM": [172, 255, 131], "MEAN": [150, 255, 130], "REDUCE_MAX": [200, 255, 130]}
    for op, values in expected.items():
        model = reduce_model(op, "uint8", (3, 2), [1], False, _q(0.5, 128), _q(0.5, 128), version=1)
        assert_each_reference_gives(reference_worker, model, [x], {"tflite": values})
        assert "with reference='tflite' also" in _refusal(model, "tflm")
        _reference_fails(reference_worker, model, "tflm", [x])


def test_l2_normalization_uint8_by_hand(reference_worker):
    # Zero point 100: (103, 104) -> (3, 4) -> (0.6, 0.8) -> 128 + (77, 102) on the scale 1/128.
    x = np.array([[103, 104]], np.uint8)
    model = l2_normalization_model("uint8", (1, 2), _q(0.2, 100), _q(1 / 128, 128))
    assert_each_reference_gives(reference_worker, model, [x], {"tflite": [[205, 230]]})
