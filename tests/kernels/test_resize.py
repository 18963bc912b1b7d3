"""RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR against both references, bit for bit.

What is delicate: the float32 source positions of nearest neighbour (round half away from zero
with align_corners), the integer bilinear kernel's 1/1024-pixel positions and its rounding of
ties away from zero, LiteRT's float path for uint8, and which models each reference refuses.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from microinfer import UnsupportedOpError
from microinfer.interpreter import Interpreter
from microinfer.reference import ReferenceFailure
from microinfer.testing.families.resize import resize_model
from microinfer.testing.op_models import random_inputs
from microinfer.tflite import options as O
from microinfer.tflite.builder import ModelBuilder

from kernel_check import assert_bit_exact, assert_each_reference_gives

SETTINGS = dict(deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
NN, BILINEAR = "RESIZE_NEAREST_NEIGHBOR", "RESIZE_BILINEAR"
RUNS = {  # the types each reference runs
    NN: {"tflm": ("int8", "int16", "float32"), "tflite": ("int8", "int16", "float32", "uint8", "int32")},
    BILINEAR: {"tflm": ("int8", "float32"), "tflite": ("int8", "int16", "float32", "uint8")},
}


def resize(op, x_shape, size, dtype="int8", out_shape=None, align_corners=False, half_pixel_centers=False,
           constant_size=True, version=3) -> bytes:
    b = ModelBuilder()
    g = b.main
    q = {} if dtype in ("float32", "int32") else dict(scale=0.5, zero_point=1)
    x = g.add_input("x", x_shape, dtype, **q)
    if constant_size:
        s = g.add_constant("size", np.array(size, np.int32))
    else:
        s = g.add_input("size", (len(size),), "int32")
    if out_shape is None:
        out_shape = (x_shape[0], size[0], size[1], x_shape[3])
    y = g.add_output("y", out_shape, dtype, **q)
    options = (O.ResizeBilinearOptions if op == BILINEAR else O.ResizeNearestNeighborOptions)(
        align_corners=align_corners, half_pixel_centers=half_pixel_centers)
    g.add_operator(op, [x, s], [y], options, version=version)
    return b.build()


def refusal(model: bytes, reference: str) -> str:
    with pytest.raises(UnsupportedOpError) as info:
        Interpreter(model, reference=reference)
    return str(info.value)


def assert_reference_refuses(worker, model: bytes, inputs, reference: str) -> None:
    with pytest.raises(ReferenceFailure):
        worker.run(reference, model, inputs)


# -- drawn models against the references -----------------------------------------------------------

@pytest.mark.parametrize("op,dtype", [(op, dtype) for op in RUNS for dtype in RUNS[op]["tflite"]])
def test_drawn_models_are_bit_exact(op, dtype, reference_worker):
    references = tuple(ref for ref, types in RUNS[op].items() if dtype in types)

    @settings(max_examples=12, **SETTINGS)
    @given(resize_model(op, dtype))
    def check(model):
        inputs = random_inputs(model, np.random.default_rng(len(model)))
        assert_bit_exact(reference_worker, model, inputs, references=references)

    check()


@pytest.mark.parametrize("op", [NN, BILINEAR])
def test_large_factors_and_odd_sizes(op, reference_worker):
    rng = np.random.default_rng(3)
    for x_shape, size in [((1, 1, 3, 2), (40, 1)), ((2, 13, 7, 3), (2, 29)), ((1, 30, 30, 1), (7, 11))]:
        for flags in [(False, False), (True, False), (False, True)]:
            model = resize(op, x_shape, size, align_corners=flags[0], half_pixel_centers=flags[1])
            assert_bit_exact(reference_worker, model, [rng.integers(-128, 128, x_shape, dtype=np.int8)])


# -- hand-worked values --------------------------------------------------------------------------

@pytest.mark.parametrize("flags,expected", [
    ((False, False), [[1, 1, 2], [1, 1, 2], [3, 3, 4]]),  # floor(i * 2/3)
    ((False, True), [[1, 2, 2], [3, 4, 4], [3, 4, 4]]),  # floor((i + 0.5) * 2/3)
    ((True, False), [[1, 2, 2], [3, 4, 4], [3, 4, 4]]),  # round(i * 1/2): 0.5 rounds up
])
def test_nearest_neighbor_positions(flags, expected, reference_worker):
    model = resize(NN, (1, 2, 2, 1), (3, 3), align_corners=flags[0], half_pixel_centers=flags[1])
    x = np.array([1, 2, 3, 4], np.int8).reshape(1, 2, 2, 1)
    want = np.array(expected, np.int8).reshape(1, 3, 3, 1)
    assert_each_reference_gives(reference_worker, model, [x], {"tflm": want, "tflite": want})


@pytest.mark.parametrize("half_pixel_centers,expected", [
    # positions 0, 512, 1024, 1536 (1/1024ths): -3 * 1/2 = -1.5 rounds away from zero to -2
    (False, [-3, -2, 0, 0]),
    # positions -256, 256, 768, 1280: -3 * 3/4 = -2.25, -3 * 1/4 = -0.75
    (True, [-3, -2, -1, 0]),
])
def test_integer_bilinear_rounds_ties_away_from_zero(half_pixel_centers, expected, reference_worker):
    model = resize(BILINEAR, (1, 1, 2, 1), (1, 4), half_pixel_centers=half_pixel_centers)
    x = np.array([-3, 0], np.int8).reshape(1, 1, 2, 1)
    want = np.array(expected, np.int8).reshape(1, 1, 4, 1)
    assert_each_reference_gives(reference_worker, model, [x], {"tflm": want, "tflite": want})


def test_uint8_bilinear_is_float_then_truncated(reference_worker):
    """LiteRT's uint8 path: float32 weights 2/3 and 1/3, plus 0.5, truncated: 170.5 -> 170."""
    model = resize(BILINEAR, (1, 1, 2, 1), (1, 3), dtype="uint8")
    x = np.array([0, 255], np.uint8).reshape(1, 1, 2, 1)
    want = np.array([0, 170, 255], np.uint8).reshape(1, 1, 3, 1)
    assert_each_reference_gives(reference_worker, model, [x], {"tflite": want})


# -- what each reference refuses -----------------------------------------------------------------

@pytest.mark.parametrize("op,dtype", [(NN, "uint8"), (NN, "int32"), (BILINEAR, "int16"), (BILINEAR, "uint8")])
def test_types_only_litert_runs(op, dtype, reference_worker):
    model = resize(op, (1, 2, 3, 2), (4, 4), dtype=dtype)
    inputs = random_inputs(model, np.random.default_rng(0))
    assert "Input and output share one type" in refusal(model, "tflm")
    assert_reference_refuses(reference_worker, model, inputs, "tflm")
    assert_bit_exact(reference_worker, model, inputs, references=("tflite",))


def test_bilinear_refuses_both_options_with_a_constant_size(reference_worker):
    model = resize(BILINEAR, (1, 2, 3, 2), (4, 4), align_corners=True, half_pixel_centers=True)
    inputs = random_inputs(model, np.random.default_rng(0))
    for ref in ("tflm", "tflite"):
        assert "half_pixel_centers and align_corners are not both true" in refusal(model, ref)
        assert_reference_refuses(reference_worker, model, inputs, ref)


@pytest.mark.parametrize("op", [NN, BILINEAR])
def test_size_fed_at_run_time(op, reference_worker):
    """TFLite Micro refuses a size that is not constant; LiteRT runs it, and microinfer too when
    the fed size is the declared output's (else it says why it cannot follow)."""
    model = resize(op, (1, 3, 4, 2), (5, 7), constant_size=False, align_corners=op == NN, half_pixel_centers=True)
    x = np.random.default_rng(0).integers(-128, 128, (1, 3, 4, 2), dtype=np.int8)
    inputs = [x, np.array([5, 7], np.int32)]
    assert "The size is a constant tensor" in refusal(model, "tflm")
    assert_reference_refuses(reference_worker, model, inputs, "tflm")
    assert_bit_exact(reference_worker, model, inputs, references=("tflite",))
    with pytest.raises(ValueError, match=r"the size input is \[5, 8\] but the output tensor is declared 5x7"):
        Interpreter(model, reference="tflite").run([x, np.array([5, 8], np.int32)])


def test_longer_size_tensor(reference_worker):
    """TFLite Micro's bilinear resize reads the first two values of a longer size; LiteRT and
    both nearest-neighbour kernels refuse it."""
    bilinear = resize(BILINEAR, (1, 3, 4, 2), (5, 7, 9))
    inputs = random_inputs(bilinear, np.random.default_rng(0))
    assert_bit_exact(reference_worker, bilinear, inputs, references=("tflm",))
    assert "two values (height, width)" in refusal(bilinear, "tflite")
    assert_reference_refuses(reference_worker, bilinear, inputs, "tflite")
    nearest = resize(NN, (1, 3, 4, 2), (5, 7, 9))
    for ref in ("tflm", "tflite"):
        assert "two values (height, width)" in refusal(nearest, ref)
        assert_reference_refuses(reference_worker, nearest, inputs, ref)


def test_integer_bilinear_stepping_past_the_input_is_refused():
    """Growing one row to 682: the integer scale rounds to 2/1024 and the last output row's lower
    source row is 1, outside the input (the references read past it)."""
    model = resize(BILINEAR, (1, 1, 1, 1), (682, 1))
    for ref in ("tflm", "tflite"):
        assert "interpolates input pixels that exist" in refusal(model, ref)
    assert Interpreter(resize(BILINEAR, (1, 1, 1, 1), (682, 1), dtype="float32"))  # float path reads inside


@pytest.mark.parametrize("op", [NN, BILINEAR])
def test_output_shape_must_follow_the_size(op):
    model = resize(op, (1, 3, 4, 2), (5, 7), out_shape=(1, 5, 8, 2))
    for ref in ("tflm", "tflite"):
        assert "The output tensor's shape is (batches, height, width, channels)" in refusal(model, ref)
    for size in ((0, 7), (5, -1)):
        assert "height and width lie in 1..65536" in refusal(resize(op, (1, 3, 4, 2), size, out_shape=(1, 5, 7, 2)), "tflm")


# -- published models ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["tflm__id_model.tflite", "tflm__retinaface.tflite"])
def test_published_models_with_nearest_neighbor_resizes(name, reference_worker):
    """Whole int8 models from the wild (TFLite Micro's person-ID and RetinaFace examples) whose
    every operator microinfer runs; every integer tensor bit-exact in both modes."""
    from conftest import shared_model_path

    data = shared_model_path(f"wild/{name}").read_bytes()
    inputs = random_inputs(data, np.random.default_rng(5))
    for ref in ("tflm", "tflite"):
        interpreter = Interpreter(data, reference=ref)
        interpreter.run(inputs, intermediates=True)
        ours = interpreter.tensor_values()
        expected = reference_worker.run(ref, data, inputs, all_tensors=True, arena_size=64 << 20).tensors
        integer = [i for i, v in expected.items() if i in ours and not np.issubdtype(v.dtype, np.floating)]
        assert len(integer) > 50
        for index in integer:
            np.testing.assert_array_equal(ours[index], expected[index].reshape(ours[index].shape), err_msg=f"{ref}: tensor {index}")
