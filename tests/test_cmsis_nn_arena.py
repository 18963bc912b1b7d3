"""The arena with TFLite Micro's CMSIS-NN kernels (planner/cmsis_nn.py), arm32.

Scratch-size rules against values worked by hand from CMSIS-NN's ``*_get_buffer_size`` formulas,
the cmsis_nn glue's OpData sizes against their member lists, and the whole arena of TFLM's
person_detect model against the one published Cortex-M measurement, line by line.
"""

from __future__ import annotations

import pytest

import microinfer
from microinfer.errors import UnsupportedTargetError
from microinfer.examples import EXAMPLES, person_detect_like
from microinfer.planner import _structs as S
from microinfer.planner import cmsis_nn as C
from microinfer.planner import plan
from microinfer.planner import tail as arena_tail


@pytest.fixture(scope="module")
def person_detect():
    return microinfer.load(person_detect_like())


# -- the published figure ------------------------------------------------------------------------
# TFLite Micro's generic benchmarking tool, sample output in
# tensorflow/lite/micro/tools/benchmarking/README.md (tflite-micro, built 2024-05-17 at git
# a4390a1d, arm-none-eabi-gcc 13.2.1, TARGET=cortex_m_corstone_300 TARGET_ARCH=cortex-m4,
# OPTIMIZED_KERNEL_DIR=cmsis_nn, model tensorflow/lite/micro/models/person_detect.tflite): the
# "Arena" and "Allocations" tables after AllocateTensors.
PUBLISHED_HEAD = 55_296
PUBLISHED_TAIL = 29_140
PUBLISHED_TOTAL = 84_436
PUBLISHED_CATEGORIES = {  # category: (used, requested, count)
    "TfLiteEvalTensor data": (1068, 1068, 89),
    "Persistent TfLiteTensor data": (64, 64, 2),
    "Persistent TfLiteTensor quantization data": (40, 40, 4),
    "Persistent buffer data": (25_872, 25_704, 90),
    "NodeAndRegistration struct": (992, 992, 31),
}
BENCHMARK_RESOURCE_VARIABLES = 100  # generic_model_benchmark.cc: kNumResourceVariable

@pytest.fixture(scope="module")
def tflm_person_detect(person_detect):
    return person_detect


def test_tflm_person_detect_graph_is_the_published_one(tflm_person_detect):
    sg = tflm_person_detect.main
    assert (len(sg.tensors), len(sg.operators)) == (89, 31)
    ops = [op.op for op in sg.operators]
    assert ops[0] == "DEPTHWISE_CONV_2D" and ops[-4:] == ["AVERAGE_POOL_2D", "CONV_2D", "RESHAPE",
                                                        "SOFTMAX"]
    assert ops.count("DEPTHWISE_CONV_2D") == 14 and ops.count("CONV_2D") == 14


def test_person_detect_against_published_cortex_m4(tflm_person_detect):
    """Every line TFLM printed for person_detect with CMSIS-NN on a Cortex-M4 (Corstone-300),
    predicted exactly: the arena's head, tail and total and all five allocation categories.

    What it takes on arm32 (each item measured or read from source, none fitted): 32-byte
    TfLiteTensors (arm-none-eabi-gcc's short enums), 12-byte TfLiteEvalTensors, 32-byte
    NodeAndRegistrations, the cmsis_nn glue's 60-byte conv OpData and two per-channel int32
    arrays per convolution, 16-byte alignment of every persistent buffer, a RecordingMicroAllocator
    with seven RecordedAllocations (no USE_TFLM_COMPRESSION), one ScratchBufferHandle (the
    average pool's int32 row on DSP builds), and the benchmark tool's own MicroResourceVariables
    with 100 slots (12 + 100 x 20 bytes: the 2 extra persistent buffers of the 90).
    """
    arena = plan(tflm_person_detect, "tflm", abi="arm32", kernels="cmsis-nn", core="cortex-m4f",
                 resource_variables=BENCHMARK_RESOURCE_VARIABLES)
    assert (arena.head_bytes, arena.tail_bytes, arena.total_bytes) == (
        PUBLISHED_HEAD, PUBLISHED_TAIL, PUBLISHED_TOTAL)
    assert arena_tail.categories(tflm_person_detect, "arm32", kernels="cmsis-nn", core="cortex-m4f",
                                 resource_variables=BENCHMARK_RESOURCE_VARIABLES) == PUBLISHED_CATEGORIES
    assert arena.exact is False  # an estimate for a device, never a measurement
    assert arena.min_working_arena_bytes >= arena.total_bytes


def test_person_detect_without_the_benchmark_harness(tflm_person_detect):
    # an application that creates no resource variables (TFLM's examples) saves both buffers:
    # 12 -> 16 and 2,000 bytes, both 16-aligned
    bare = plan(tflm_person_detect, "tflm", abi="arm32", kernels="cmsis-nn", core="cortex-m4f")
    assert bare.head_bytes == PUBLISHED_HEAD
    assert bare.tail_bytes == PUBLISHED_TAIL - 16 - 2000


def test_person_detect_example_builds_without_shared_files(person_detect):
    assert "person-detect" in EXAMPLES
    sg = person_detect.main
    assert sg.tensors[sg.inputs[0]].shape == (1, 96, 96, 1)
    assert len(sg.operators) == 31 and len(sg.tensors) == 89


def test_person_detect_scratch_per_core(person_detect):
    # cortex-m4f (DSP): the first layer is a depthwise convolution with depth multiplier 8 (the
    # generic kernel, no buffer); every other depthwise is 3x3 with padding <= 1 (the 3x3 kernel, no
    # buffer); the 1x1 convolutions need none; the average pool (op 27) sums 256 channels in int32.
    # One request, as the published run's single ScratchBufferHandle shows.
    assert arena_tail.scratch_requests(person_detect, kernels="cmsis-nn", core="cortex-m4f") == [
        (27, 4 * 256)]
    # cortex-m0plus (scalar): the pool's buffer is a DSP-only one
    assert C.scratch_requests(person_detect, "cortex-m0plus") == []
    # cortex-m55 (MVE): each of the 13 multiplier-1 depthwise layers 4 * 124 * 9 = 4,464; no pool
    # buffer
    assert C.scratch_requests(person_detect, "cortex-m55") == [(i, 4464) for i in range(1, 27, 2)]
    # reference kernels request nothing for this model, and are unchanged by default
    assert arena_tail.scratch_requests(person_detect) == []


# -- CMSIS-NN buffer-size rules, by hand ------------------------------------------------------------
def test_convolve_s8_buffer():
    # DSP and scalar: 2 columns * align4(in_c * kw * kh) * sizeof(int16)
    assert C.convolve_s8_buffer(C.DSP, 3, 3, 3) == 2 * 28 * 2  # 27 -> 28
    assert C.convolve_s8_buffer(C.SCALAR, 3, 3, 3) == 112
    assert C.convolve_s8_buffer(C.DSP, 8, 3, 3) == 2 * 72 * 2  # already a multiple of 4
    # MVE: 4 columns * ceil(27 / 8) * 8 int8
    assert C.convolve_s8_buffer(C.MVE, 3, 3, 3) == 4 * 4 * 8


def test_convolve_wrapper_s8_picks_the_kernel():
    common = dict(in_h=12, stride_w=1, dilation_w=1, dilation_h=1)
    for path in (C.SCALAR, C.DSP, C.MVE):  # unpadded 1x1: arm_convolve_1x1_s8_fast, no buffer
        assert C.convolve_wrapper_s8_buffer(path, in_c=16, kernel_w=1, kernel_h=1, pad_w=0, pad_h=0,
                                            **common) == 0
    # 1x1 with padding falls through to arm_convolve_s8: 2 * align4(16) * 2
    assert C.convolve_wrapper_s8_buffer(C.DSP, in_c=16, kernel_w=1, kernel_h=1, pad_w=1, pad_h=0,
                                        **common) == 64
    # 1xN over one row, stride_w * in_c = 4: arm_convolve_1_x_n_s8 (MVE: no buffer)
    one_row = dict(in_c=4, in_h=1, kernel_w=3, kernel_h=1, stride_w=1, pad_w=1, pad_h=0)
    assert C.convolve_wrapper_s8_buffer(C.MVE, **one_row) == 0
    assert C.convolve_wrapper_s8_buffer(C.DSP, **one_row) == 2 * 12 * 2
    # ... but not when stride_w * in_c is not a multiple of 4
    assert C.convolve_wrapper_s8_buffer(C.MVE, **dict(one_row, in_c=3)) == 4 * 2 * 8  # 9 -> 16


def test_depthwise_wrapper_s8():
    dw = dict(in_c=16, out_c=16, batches=1, pad_w=1, pad_h=1)
    # 3x3, padding <= 1: arm_depthwise_conv_3x3_s8 without a buffer, except on MVE
    assert C.depthwise_wrapper_s8_buffer(C.DSP, kernel_w=3, kernel_h=3, **dw) == 0
    assert C.depthwise_wrapper_s8_buffer(C.SCALAR, kernel_w=3, kernel_h=3, **dw) == 0
    assert C.depthwise_wrapper_s8_buffer(C.MVE, kernel_w=3, kernel_h=3, **dw) == 4 * 124 * 9
    # 5x5: arm_depthwise_conv_s8_opt, DSP in_c * taps int16, scalar none
    assert C.depthwise_wrapper_s8_buffer(C.DSP, kernel_w=5, kernel_h=5, **dict(dw, pad_w=2, pad_h=2)) \
        == 16 * 25 * 2
    assert C.depthwise_wrapper_s8_buffer(C.SCALAR, kernel_w=5, kernel_h=5, **dw) == 0
    # depth multiplier 2 (out_c != in_c): the generic kernel, no buffer
    assert C.depthwise_wrapper_s8_buffer(C.MVE, kernel_w=3, kernel_h=3, **dict(dw, out_c=32)) == 0


def test_int16_fully_connected_pool_svdf_rules():
    # arm_convolve_wrapper_s16: DSP fast kernel under 512 taps: 2 * in_c * kw * kh * sizeof(int16)
    assert C.convolve_wrapper_s16_buffer(C.DSP, in_c=8, kernel_w=3, kernel_h=3) == 2 * 8 * 9 * 2
    assert C.convolve_wrapper_s16_buffer(C.DSP, in_c=64, kernel_w=3, kernel_h=3) == 0  # 576 taps
    assert C.convolve_wrapper_s16_buffer(C.MVE, in_c=8, kernel_w=3, kernel_h=3) == 0
    # arm_depthwise_conv_wrapper_s16: MVE 4 * c * taps * 2 + 8, DSP c * taps * 2
    assert C.depthwise_wrapper_s16_buffer(C.MVE, in_c=8, kernel_w=3, kernel_h=3) == 4 * 8 * 9 * 2 + 8
    assert C.depthwise_wrapper_s16_buffer(C.DSP, in_c=8, kernel_w=3, kernel_h=3) == 8 * 9 * 2
    assert C.depthwise_wrapper_s16_buffer(C.SCALAR, in_c=8, kernel_w=3, kernel_h=3) == 0
    # fully connected and SVDF: int32 kernel sums on MVE only
    assert C.fully_connected_s8_buffer(C.MVE, 10) == 40
    assert C.fully_connected_s8_buffer(C.DSP, 10) == 0
    assert C.svdf_s8_buffer(C.MVE, 64) == 256 and C.svdf_s8_buffer(C.DSP, 64) == 0
    # average pool: an int32 row per channel on DSP builds only
    assert C.avgpool_buffer(C.DSP, 256) == 1024
    assert C.avgpool_buffer(C.MVE, 256) == C.avgpool_buffer(C.SCALAR, 256) == 0


# -- OpData of the glue kernels on arm32 ----------------------------------------------------------
def test_cmsis_nn_opdata_sizes_arm32():
    # OpDataConv without compression: 14 four-byte members = 56, + int buffer_idx
    assert S.sizeof("CmsisNnOpDataConv", "arm32") == 60
    # OpDataFullyConnected 52 (7 words, 2 pointers, bool padded to 4, 3 ints) + 2 pointers, an
    # int, a pointer and 3 int32
    assert S.sizeof("CmsisNnOpDataFullyConnected", "arm32") == 80
    # SoftmaxParams 56 (a double, 3 words, 6 pointers, 2 words, padded to 8) + 2 int32
    assert S.sizeof("CmsisNnSoftmaxParams", "arm32") == 64
    assert S.sizeof("CmsisNnOpDataSvdf", "arm32") == 40
    assert C.kernel_opdata("AVERAGE_POOL_2D", "arm32") == (36, True)
    assert C.kernel_opdata("MUL", "arm32") == S.kernel_opdata("MUL", "arm32")  # reference OpDataMul


# -- targets ---------------------------------------------------------------------------------------
def test_core_is_required_and_checked(person_detect):
    with pytest.raises(UnsupportedTargetError, match="cortex-m0plus, cortex-m4f"):
        plan(person_detect, abi="arm32", kernels="cmsis-nn")
    with pytest.raises(UnsupportedTargetError, match="'cortex-m3'.*cortex-m55"):
        plan(person_detect, abi="arm32", kernels="cmsis-nn", core="cortex-m3")
    with pytest.raises(UnsupportedTargetError, match="arm32"):
        plan(person_detect, abi="x86_64", kernels="cmsis-nn", core="cortex-m7")
    with pytest.raises(UnsupportedTargetError, match="cmsis-nn"):
        plan(person_detect, abi="arm32", core="cortex-m7")
    with pytest.raises(UnsupportedTargetError, match="resource_variables.*-1"):
        plan(person_detect, abi="arm32", resource_variables=-1)


def test_reference_path_unchanged_by_default(person_detect):
    default = arena_tail.persistent_allocations(person_detect, "arm32")
    explicit = arena_tail.persistent_allocations(person_detect, "arm32", kernels="tflm-reference")
    assert default == explicit
    reference = plan(person_detect, abi="arm32")
    assert reference.tail_bytes == sum(a.used for a in default)
