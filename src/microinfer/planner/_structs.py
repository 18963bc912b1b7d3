"""C struct sizes of TensorFlow Lite Micro, per ABI, derived from field lists of TFLM's headers.

Every struct that TFLM places in the arena is written here as its list of members (in declaration
order) and laid out with the C rules of each ABI: a member sits at the next multiple of its own
alignment, the struct's alignment is its largest member's, and its size is rounded up to that.

ABIs:

* ``x86_64`` (System V): pointers, ``size_t`` and ``intptr_t`` 8 bytes; ``int64_t``/``double``
  aligned to 8. This is the host build of the ``tflite-micro`` Python wheel, which is compiled with
  ``USE_TFLM_COMPRESSION`` (extra members in SubgraphAllocations and the conv/FC OpData), and
  whose sizes are checked against the live interpreter by ``tests/test_arena_tail.py``.
* ``arm32`` (AAPCS, Cortex-M): pointers, ``size_t`` and ``int`` 4 bytes; ``int64_t``/``double``
  aligned to 8 (AAPCS aligns 64-bit types to 8). Enums are *short*: the bare-metal AAPCS variant
  that ``arm-none-eabi-gcc`` (TFLM's Cortex-M toolchain) follows by default stores an enum in the
  smallest integer type that holds its values, so every TFLite enum (``TfLiteType``,
  ``TfLiteAllocationType``, ``TfLiteFusedActivation`` ...) takes one byte and a TfLiteTensor is
  32 bytes, not 40 (TFLM's own Corstone-300 Cortex-M4 run reports 64 bytes for 2 persistent
  TfLiteTensors). Firmware builds of TFLM normally do *not* define ``USE_TFLM_COMPRESSION``, so
  the ``arm32`` ABI drops those members (``arm32+compression`` keeps them).

Where the newest member list is not in the headers we could read, the list reproduces the size
measured on the x86_64 wheel with pointer-sized members (``TfLiteFullyConnectedParams``), or a few
kernel OpData are recorded as ``("APPROX", x86_64 size, arm32 size)``; see ``KERNEL_OPDATA``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass


@dataclass(frozen=True)
class Abi:
    name: str
    pointer: int  # sizeof(void*) == sizeof(size_t) == sizeof(intptr_t)
    int64_align: int  # alignof(int64_t) == alignof(double)
    compression: bool  # USE_TFLM_COMPRESSION: extra members in a few structs
    short_enums: bool = False  # an enum takes the smallest integer type holding its values

    def scalar(self, kind: str) -> tuple[int, int]:
        """(size, alignment) of a C scalar type."""
        if kind in ("ptr", "size_t", "intptr"):
            return self.pointer, self.pointer
        if kind in ("i64", "f64"):
            return 8, self.int64_align
        if kind == "enum" and self.short_enums:
            return 1, 1  # every TFLite enum's values fit in a byte
        return _FIXED[kind]


_FIXED = {
    "bool": (1, 1), "i8": (1, 1), "u8": (1, 1),
    "i16": (2, 2), "u16": (2, 2),
    "i32": (4, 4), "u32": (4, 4), "int": (4, 4), "f32": (4, 4), "enum": (4, 4),
}

ABIS = {
    "x86_64": Abi("x86_64", pointer=8, int64_align=8, compression=True),
    "arm32": Abi("arm32", pointer=4, int64_align=8, compression=False, short_enums=True),
    "arm32+compression": Abi("arm32+compression", pointer=4, int64_align=8, compression=True,
                             short_enums=True),
}


def abi(name: str | Abi) -> Abi:
    if isinstance(name, Abi):
        return name
    try:
        return ABIS[name]
    except KeyError:
        raise ValueError(f"unknown ABI {name!r}; known: {sorted(ABIS)}") from None


# A member: "kind", ("kind", count) for an array, ("struct", NAME), or ("compression", member)
# for a member that exists only with USE_TFLM_COMPRESSION.
STRUCTS: dict[str, list] = {
    # tensorflow/lite/micro/arena_allocator/single_arena_buffer_allocator.h: two interface vptrs
    # (INonPersistentBufferAllocator, IPersistentBufferAllocator), buffer_head_, buffer_tail_,
    # head_, tail_, temp_, temp_buffer_count_, temp_buffer_ptr_check_sum_.
    "SingleArenaBufferAllocator": ["ptr", "ptr", "ptr", "ptr", "ptr", "ptr", "ptr", "int", "intptr"],
    # recording_single_arena_buffer_allocator.h adds requested_head_bytes_, requested_tail_bytes_,
    # used_bytes_, alloc_count_.
    "RecordingSingleArenaBufferAllocator": [("struct", "SingleArenaBufferAllocator"),
                                            "size_t", "size_t", "size_t", "size_t"],
    # greedy_memory_planner.h: vptr, max_buffer_count_, buffer_count_, requirements_,
    # buffer_sizes_sorted_, buffer_ids_sorted_, buffers_sorted_by_offset_, next_free_entry_,
    # first_entry_index_, buffer_offsets_, need_to_calculate_offsets_.
    "GreedyMemoryPlanner": ["ptr", "int", "int", "ptr", "ptr", "ptr", "ptr", "int", "int", "ptr",
                            "bool"],
    # micro_allocator.h: vptr, non_persistent_buffer_allocator_, persistent_buffer_allocator_,
    # builtin_data_allocator_, memory_planner_, model_is_allocating_, max_head_buffer_usage_,
    # scratch_buffer_request_count_, scratch_buffer_head_.
    "MicroAllocator": ["ptr", "ptr", "ptr", "ptr", "ptr", "bool", "size_t", "size_t", "ptr"],
    # recording_micro_allocator.h: recording_memory_allocator_ + a RecordedAllocation per
    # RecordedAllocationType: 7 in the headers up to 2024 (eval tensors, persistent tensors, their
    # quantization, persistent buffers, variable buffers, node-and-registrations, op data); the
    # compression build adds an 8th ("Persistent compression data", in the wheel's strings and
    # sizes), which we take to be conditional on USE_TFLM_COMPRESSION as TFLM's other
    # compression members are.
    "RecordedAllocation": ["size_t", "size_t", "size_t"],
    "RecordingMicroAllocator": [("struct", "MicroAllocator"), "ptr",
                                ("struct", "RecordedAllocation", 7),
                                ("compression", ("struct", "RecordedAllocation"))],
    # micro_resource_variable.h: MicroResourceVariables {resource_variables_;
    # max_variable_count_; num_resource_variables_} and one MicroResourceVariable {container;
    # shared_name; resource_buffer; bytes; int8_t default_value} per slot.
    "MicroResourceVariables": ["ptr", "int", "int"],
    "MicroResourceVariable": ["ptr", "ptr", "ptr", "size_t", "i8"],
    # micro_allocator.cc: class MicroBuiltinDataAllocator {vptr; persistent_allocator_}.
    "MicroBuiltinDataAllocator": ["ptr", "ptr"],
    # micro_allocator.h: struct SubgraphAllocations {node_and_registrations; tensors;
    # [compressed tensors list]}.
    "SubgraphAllocations": ["ptr", "ptr", ("compression", "ptr")],
    # c/common.h (TF_LITE_STATIC_MEMORY): TfLiteEvalTensor {data; dims; type}.
    "TfLiteEvalTensor": ["ptr", "ptr", "enum"],
    # TfLiteTensor (static memory, reordered for packing): quantization {type; params},
    # params {scale; zero_point}, data, dims, bytes, type, allocation_type, is_variable.
    "TfLiteTensor": ["enum", "ptr", "f32", "i32", "ptr", "ptr", "size_t", "enum", "enum", "bool"],
    # TfLiteNode (static memory): inputs, outputs, intermediates, user_data, builtin_data,
    # custom_initial_data, custom_initial_data_size.
    "TfLiteNode": ["ptr", "ptr", "ptr", "ptr", "ptr", "ptr", "int"],
    # micro_allocator.h: struct NodeAndRegistration {TfLiteNode node; const TFLMRegistration*}.
    "NodeAndRegistration": [("struct", "TfLiteNode"), "ptr"],
    # TfLiteAffineQuantization {TfLiteFloatArray* scale; TfLiteIntArray* zero_point;
    # int32_t quantized_dimension}.
    "TfLiteAffineQuantization": ["ptr", "ptr", "i32"],
    # micro_allocator.h internal::ScratchBufferRequest {size_t bytes; int node_idx;
    # int subgraph_idx} and ScratchBufferHandle {uint8_t* data}.
    "ScratchBufferRequest": ["size_t", "int", "int"],
    "ScratchBufferHandle": ["ptr"],
    # micro_allocation_info.h: AllocationInfo {size_t bytes; void** output_ptr; int first_created;
    # int last_used; int32_t offline_offset; bool needs_allocating}.
    "AllocationInfo": ["size_t", "ptr", "int", "int", "i32", "bool"],
    # greedy_memory_planner.h BufferRequirements {size; offline_offset; first_time_used;
    # last_time_used} and ListEntry {offset; requirements_index; next_entry_index}.
    "BufferRequirements": ["int", "int", "int", "int"],
    "ListEntry": ["int", "int", "int"],
    # kernels/conv.h OpDataConv (also DEPTHWISE_CONV_2D): TfLitePaddingValues (4 ints), three zero
    # points, output_multiplier, output_shift, per_channel_output_multiplier/shift pointers,
    # activation min/max, filter_buffer_index, [weights/bias scratch indices].
    "OpDataConv": ["int", "int", "int", "int", "i32", "i32", "i32", "i32", "int", "ptr", "ptr",
                   "i32", "i32", "int", ("compression", "int"), ("compression", "int")],
    # kernels/fully_connected.h OpDataFullyConnected: output_multiplier, output_shift, activation
    # min/max, three zero points, per-channel multiplier/shift pointers, is_per_channel, [three
    # more ints], [weights/bias scratch indices].
    "OpDataFullyConnected": ["i32", "int", "i32", "i32", "i32", "i32", "i32", "ptr", "ptr", "bool",
                             "int", "int", "int", ("compression", "int"), ("compression", "int")],
    # kernels/internal/types.h SoftmaxParams: beta (double), input_multiplier, input_left_shift,
    # diff_min, six table pointers, zero_point, scale.
    "SoftmaxParams": ["f64", "i32", "i32", "int", "ptr", "ptr", "ptr", "ptr", "ptr", "ptr", "i32",
                      "f32"],
    # embedding_lookup.cc OpData {float scale; size_t num_columns}, allocated in Prepare.
    "OpDataEmbeddingLookup": ["f32", "size_t"],
    # kernels/batch_matmul.h OpDataBatchMatmul: quantization, lhs/rhs transposed-tensor
    # pointers, rhs_is_transposed, lhs/rhs_is_constant_tensor.
    "OpDataBatchMatmul": ["ptr", "ptr", "ptr", "bool", "bool", "bool"],
    # kernels/dequantize.h / quantize.h: tflite::QuantizationParams {int32 zero_point; double
    # scale} + output_multiplier, output_shift, zero point.
    "OpDataQuantize": ["i32", "f64", "i32", "int", "i32"],
    # call_once.cc OpData {init_subgraph_index; bool has_run}
    "OpDataCallOnce": ["int", "bool"],
    # assign_variable.cc: an OpData {scratch_index} and an Init only with USE_TFLM_COMPRESSION
    "OpDataAssignVariable": [("compression", "int")],
    # elementwise.cc (ABS, RSQRT) {multiplier; shift; input_offset; output_offset; needs_rescale;
    # TfLiteQuantizationType input_quantization_type; TfLiteType input_type}
    "OpDataAbsRsqrt": ["i32", "int", "int", "int", "bool", "enum", "enum"],
    # log_softmax.cc {input_multiplier; input_left_shift; reverse_scaling_divisor;
    # reverse_scaling_right_shift; int diff_min; size_t outer_size; size_t depth}
    "LogSoftmaxOpData": ["i32", "i32", "i32", "i32", "int", "size_t", "size_t"],
    # kernels/detection_postprocess.cc OpData: max_detections, max_classes_per_detection,
    # detections_per_class, two thresholds, num_classes, use_regular_nms, CenterSizeEncoding
    # scale_values (4 floats), eleven scratch-buffer indices, three TfLiteQuantizationParams
    # {float scale; int32 zero_point}.
    "OpDataDetectionPostProcess": ["int", "int", "int", "f32", "f32", "int", "bool", ("f32", 4),
                                   ("int", 11), ("f32", 1), "i32", ("f32", 1), "i32", ("f32", 1), "i32"],
}


@functools.lru_cache(maxsize=None)
def layout(name: str, abi_: Abi | str) -> tuple[int, int]:
    """(sizeof, alignof) of the struct ``name`` under ``abi_`` (cached: the tables are fixed)."""
    a = abi(abi_)
    offset, align = 0, 1
    for member in STRUCTS[name]:
        if isinstance(member, tuple) and member[0] == "compression":
            if not a.compression:
                continue
            member = member[1]
        count = 1
        if isinstance(member, tuple) and member[0] == "struct":
            size, malign = layout(member[1], a)
            count = member[2] if len(member) > 2 else 1
        elif isinstance(member, tuple):
            (size, malign), count = a.scalar(member[0]), member[1]
        else:
            size, malign = a.scalar(member)
        offset = _align_up(offset, malign) + size * count
        align = max(align, malign)
    return _align_up(offset, align), align


def sizeof(name: str, abi_: Abi | str) -> int:
    return layout(name, abi_)[0]


def alignof(name: str, abi_: Abi | str) -> int:
    return layout(name, abi_)[1]


def int_array_bytes(n: int) -> int:
    """TfLiteIntArrayGetSizeInBytes / TfLiteFloatArrayGetSizeInBytes: int size + n elements."""
    return 4 + 4 * n


def greedy_per_buffer_size(abi_: Abi | str) -> int:
    """GreedyMemoryPlanner::per_buffer_size(): the planner's scratch per planned buffer.

    BufferRequirements + buffer_sizes_sorted_ int + buffer_ids_sorted_ int + ListEntry +
    buffer_offsets_ int.
    """
    return sizeof("BufferRequirements", abi_) + 4 + 4 + sizeof("ListEntry", abi_) + 4


def _align_up(x: int, a: int) -> int:
    return (x + a - 1) // a * a


# Builtin-options structs that ParseOpData allocates in the tail (builtin_op_data.h), by member
# list, so that each ABI lays them out (enums are one byte on arm32). On x86_64 every list
# reproduces the size measured on the wheel (tests/test_arena_tail.py checks them all).
_BUILTIN_STRUCTS: dict[str, list] = {
    # TfLiteAddParams / TfLiteSubParams {activation; bool pot_scale_int16}
    "TfLiteAddParams": ["enum", "bool"],
    "TfLiteMulParams": ["enum"],
    # TfLitePoolParams {padding; stride w/h; filter w/h; activation; computed TfLitePaddingValues}
    "TfLitePoolParams": ["enum", "int", "int", "int", "int", "enum", ("int", 4)],
    "TfLiteConcatenationParams": ["int", "enum"],
    # TfLiteConvParams {padding; stride w/h; activation; dilation w/h; quantized_bias_type}
    "TfLiteConvParams": ["enum", "int", "int", "enum", "int", "int", "enum"],
    # TfLiteDepthwiseConvParams {padding; stride w/h; depth_multiplier; activation; dilation w/h}
    "TfLiteDepthwiseConvParams": ["enum", "int", "int", "int", "enum", "int", "int"],
    # TfLiteFullyConnectedParams {activation; weights_format; keep_num_dims;
    # asymmetric_quantize_inputs; quantized_bias_type} and, in the newest header, two more
    # pointer-sized members (the wheel measures 32 bytes aligned to 8); not itemised.
    "TfLiteFullyConnectedParams": ["enum", "enum", "bool", "bool", "enum", "ptr", "ptr"],
    "TfLiteFloatParam": ["f32"],  # TfLiteLeakyReluParams {alpha}, TfLiteSoftmaxParams {beta}
    "TfLiteReducerParams": ["bool"],  # {keep_dims}
    "TfLiteArgMaxParams": ["enum"],  # {output_type}; also TfLiteArgMinParams
    "TfLiteCumsumParams": ["bool", "bool"],  # {exclusive; reverse}
    "TfLiteL2NormParams": ["enum"],  # {activation}
    "TfLitePackParams": ["int", "int"],  # also TfLiteUnpackParams
    "TfLiteReshapeParams": [("int", 8), "int"],  # also TfLiteSqueezeParams
    "TfLiteShapeParams": ["enum"],  # {out_type}
    "TfLiteSplitVParams": ["int"],  # {num_splits}
    "TfLiteGatherParams": ["int", "int"],  # {axis; batch_dims}
    "TfLiteCastParams": ["enum", "enum"],  # {in_data_type; out_data_type}
    "TfLiteDepthToSpaceParams": ["int"],  # {block_size}; also TfLiteSpaceToDepthParams
    "TfLiteMirrorPaddingParams": ["enum"],  # {mode}
    "TfLiteSplitParams": ["int"],
    # TfLiteStridedSliceParams {five masks; bool offset}
    "TfLiteStridedSliceParams": ["int", "int", "int", "int", "int", "bool"],
    "TfLiteSVDFParams": ["int", "enum", "bool"],  # {rank; activation; asymmetric_quantize_inputs}
    "TfLiteDivParams": ["enum"],  # {activation}
    # TfLiteBatchMatMulParams {bool adj_x; bool adj_y; bool asymmetric_quantize_inputs}
    "TfLiteBatchMatMulParams": ["bool", "bool", "bool"],
    # TfLiteResizeBilinearParams / TfLiteResizeNearestNeighborParams {bool align_corners;
    # bool half_pixel_centers}
    "TfLiteResizeParams": ["bool", "bool"],
    # TfLiteTransposeConvParams {padding; stride w/h; activation; quantized_bias_type}
    "TfLiteTransposeConvParams": ["enum", "int", "int", "enum", "enum"],
    # TfLiteUnidirectionalSequenceLSTMParams {activation; cell_clip; proj_clip; time_major;
    # asymmetric_quantize_inputs; diagonal_recurrent_tensors}
    "TfLiteUnidirectionalSequenceLSTMParams": ["enum", "f32", "f32", "bool", "bool", "bool"],
    # control flow and resource variables: TfLiteIfParams {then; else}, TfLiteWhileParams {cond;
    # body}, TfLiteCallOnceParams {init}, TfLiteVarHandleParams {const char* container, shared_name}
    "TfLiteIfParams": ["int", "int"],
    "TfLiteWhileParams": ["int", "int"],
    "TfLiteCallOnceParams": ["int"],
    "TfLiteVarHandleParams": ["ptr", "ptr"],
}
STRUCTS.update(_BUILTIN_STRUCTS)

BUILTIN_PARAMS: dict[str, str] = {
    "ADD": "TfLiteAddParams", "SUB": "TfLiteAddParams", "MUL": "TfLiteMulParams",
    "BATCH_MATMUL": "TfLiteBatchMatMulParams",
    "AVERAGE_POOL_2D": "TfLitePoolParams", "MAX_POOL_2D": "TfLitePoolParams",
    "CONCATENATION": "TfLiteConcatenationParams", "CONV_2D": "TfLiteConvParams",
    "DEPTHWISE_CONV_2D": "TfLiteDepthwiseConvParams",
    "FULLY_CONNECTED": "TfLiteFullyConnectedParams", "LEAKY_RELU": "TfLiteFloatParam",
    "MEAN": "TfLiteReducerParams", "SUM": "TfLiteReducerParams",
    "REDUCE_MAX": "TfLiteReducerParams", "REDUCE_MIN": "TfLiteReducerParams",
    "REDUCE_ALL": "TfLiteReducerParams", "ARG_MAX": "TfLiteArgMaxParams", "ARG_MIN": "TfLiteArgMaxParams",
    "CUMSUM": "TfLiteCumsumParams", "L2_NORMALIZATION": "TfLiteL2NormParams", "L2_POOL_2D": "TfLitePoolParams",
    "PACK": "TfLitePackParams", "UNPACK": "TfLitePackParams",
    "RESHAPE": "TfLiteReshapeParams", "SOFTMAX": "TfLiteFloatParam", "SPLIT": "TfLiteSplitParams",
    "RESIZE_BILINEAR": "TfLiteResizeParams", "RESIZE_NEAREST_NEIGHBOR": "TfLiteResizeParams",
    "SQUEEZE": "TfLiteReshapeParams", "STRIDED_SLICE": "TfLiteStridedSliceParams",
    "SVDF": "TfLiteSVDFParams", "TRANSPOSE_CONV": "TfLiteTransposeConvParams",
    "UNIDIRECTIONAL_SEQUENCE_LSTM": "TfLiteUnidirectionalSequenceLSTMParams",
    "DIV": "TfLiteDivParams",
    # data movement, shapes and indexing
    "SHAPE": "TfLiteShapeParams", "SPLIT_V": "TfLiteSplitVParams", "GATHER": "TfLiteGatherParams",
    "CAST": "TfLiteCastParams", "DEPTH_TO_SPACE": "TfLiteDepthToSpaceParams",
    "SPACE_TO_DEPTH": "TfLiteDepthToSpaceParams", "MIRROR_PAD": "TfLiteMirrorPaddingParams",
    # control flow and resource variables
    "IF": "TfLiteIfParams", "WHILE": "TfLiteWhileParams", "CALL_ONCE": "TfLiteCallOnceParams",
    "VAR_HANDLE": "TfLiteVarHandleParams",
}

# Per-kernel OpData that each reference kernel's Init allocates with AllocatePersistentBuffer
# (alignment 16), in bytes. Entries given as a struct name are laid out per ABI; plain numbers
# are the x86_64 measurement of a struct made only of 4-byte members (sizes not a multiple of 8
# prove it; the others were checked against the kernel headers), so the same on arm32.
# Entries marked APPROX contain pointers whose count we did not verify for arm32.
KERNEL_OPDATA: dict[str, object] = {
    "ADD": 60, "SUB": 52, "MUL": 36, "AVERAGE_POOL_2D": 32, "MAX_POOL_2D": 32,
    "BATCH_MATMUL": "OpDataBatchMatmul", "CONV_2D": "OpDataConv", "DEPTHWISE_CONV_2D": "OpDataConv",
    "FULLY_CONNECTED": "OpDataFullyConnected", "SOFTMAX": "SoftmaxParams",
    "QUANTIZE": "OpDataQuantize", "DEQUANTIZE": "OpDataQuantize",
    "TFLite_Detection_PostProcess": "OpDataDetectionPostProcess",
    "HARD_SWISH": 20, "LEAKY_RELU": 24, "LOGISTIC": 16, "TANH": 16, "MEAN": 44, "SUM": 44,
    "REDUCE_MAX": 44, "REDUCE_MIN": 44, "REDUCE_ALL": 44,
    "L2_NORMALIZATION": 4,  # L2NormalizationParams {input_zero_point}
    "PAD": 56, "PADV2": 56, "SELECT_V2": 1, "SPACE_TO_BATCH_ND": 4, "MIRROR_PAD": 20, "PRELU": 28,
    "RELU": 28, "RELU6": 8, "STRIDED_SLICE": 84, "SVDF": 36,
    "ABS": "OpDataAbsRsqrt", "RSQRT": "OpDataAbsRsqrt", "ELU": 256,  # ELU: {int8_t table[256]}
    # APPROX on arm32 (pointer members not itemised): x86_64 sizes measured on the wheel.
    "CONCATENATION": ("APPROX", 80, 48), "TRANSPOSE_CONV": ("APPROX", 88, 72),
    "UNIDIRECTIONAL_SEQUENCE_LSTM": ("APPROX", 688, 400),
    # kernels/ethos_u/ethosu.cc OpData {cms_data_size; base_addr_idx; base_addr_size_idx}
    "ethos-u": 12,
    # the binary element-wise family: OpDataDiv (7 x int32); the comparisons' ComparisonParams (32
    # bytes measured: the requested size, not only the aligned one, is in print_allocations)
    "DIV": 28, "EQUAL": 32, "NOT_EQUAL": 32, "GREATER": 32, "GREATER_EQUAL": 32, "LESS": 32,
    "LESS_EQUAL": 32,
    # SQUARED_DIFFERENCE's {bool; ArithmeticParams} (int64 members): 112 measured on x86_64
    "SQUARED_DIFFERENCE": ("APPROX", 112, 112),
    # control flow and resource variables: IF's and WHILE's OpData are two subgraph indices
    # (the wheel's IF keeps no intermediate buffers), VAR_HANDLE's the variable's id;
    # READ_VARIABLE has no Init
    "IF": 8, "WHILE": 8, "CALL_ONCE": "OpDataCallOnce", "VAR_HANDLE": 4,
    "ASSIGN_VARIABLE": "OpDataAssignVariable",
}


def builtin_params(op: str, abi_: Abi | str) -> tuple[int, int] | None:
    """(sizeof, alignof) of the builtin-options struct ParseOpData allocates for ``op``."""
    name = BUILTIN_PARAMS.get(op)
    return None if name is None else layout(name, abi_)


def kernel_opdata(op: str, abi_: Abi | str) -> tuple[int, bool] | None:
    """(bytes, exact) of the OpData the op's Init allocates, or None when it allocates none."""
    entry = KERNEL_OPDATA.get(op)
    if entry is None:
        return None
    if isinstance(entry, int):
        return entry, True
    if isinstance(entry, str):
        size = sizeof(entry, abi_)
        return (size, True) if size else None  # an empty struct: the kernel has no Init
    _, x86, arm = entry
    return (x86, True) if abi(abi_).pointer == 8 else (arm, False)


# -- CMSIS-NN kernels (tensorflow/lite/micro/kernels/cmsis_nn/*.cc) ------------------------------------
# Their Init allocates their own OpData, usually the reference kernel's struct plus a scratch-buffer
# index. Member lists read from the cmsis_nn glue sources (2024 versions); see ``cmsis_nn.py``.
STRUCTS.update({
    # conv.cc / depthwise_conv.cc: struct OpData {OpDataConv reference_op_data; int buffer_idx;}
    "CmsisNnOpDataConv": [("struct", "OpDataConv"), "int"],
    # fully_connected.cc: {OpDataFullyConnected; per-channel multiplier/shift pointers (1x1-conv
    # path); int buffer_idx; int32_t* kernel_sums; int32_t batches, accum_depth, output_depth}
    "CmsisNnOpDataFullyConnected": [("struct", "OpDataFullyConnected"), "ptr", "ptr", "int", "ptr",
                                    "i32", "i32", "i32"],
    # softmax.cc: CMSISNNSoftmaxParams {SoftmaxParams softmax_params; int32_t num_rows, row_size}
    "CmsisNnSoftmaxParams": [("struct", "SoftmaxParams"), "i32", "i32"],
    # svdf.cc: CmsisNnOpDataSvdf, KERNELS_OPTIMIZED_FOR_SPEED (the default): four scale words,
    # two scratch indices, three zero points, int32_t* kernel_sums
    "CmsisNnOpDataSvdf": ["i32", "i32", "int", "int", "int", "int", "int", "int", "int", "ptr"],
})


# -- TFLite Micro's custom operators: the signal library (signal/micro/kernels) and
# CIRCULAR_BUFFER. Their Init allocates the parameter struct below (and some a state buffer, see
# tail._op_init_persistent); member lists from the kernels' sources.
STRUCTS.update({
    "TFLMSignalInt32Pair": ["i32", "i32"],  # Window {shift; input_size}, Energy {end; start}
    "TFLMSignalLogParams": ["int", "int"],  # {input_correction_bits; output_scale}
    "TfLitePcanParams": ["int"],  # {snr_shift}
    # signal/src/filter_bank.h FilterbankConfig {num_channels; four table pointers and the two
    # weight pointers; output_scale; input_correction_bits}, then the work area pointer
    "FilterbankConfig": ["i32", "ptr", "ptr", "ptr", "ptr", "ptr", "i32", "i32"],
    "TFLMSignalFilterBankParams": [("struct", "FilterbankConfig"), "ptr"],
    # SpectralSubtractionConfig {num_channels; seven uint32 constants; bool clamping}, then the
    # noise estimate pointer and its size in bytes
    "SpectralSubtractionConfig": ["i32", "u32", "u32", "u32", "u32", "u32", "u32", "u32", "bool"],
    "TFLMSignalSpectralSubtractionParams": [("struct", "SpectralSubtractionConfig"), "ptr", "size_t"],
    # {frame_size; delay_length; outer_dims; state_buffers; circular_buffers}
    "TFLMSignalFrontendDelayParams": ["i32", "i32", "i32", "ptr", "ptr"],
    # {frame_size; frame_step; outer_dims; n_frames; prefill; state_buffers; circular_buffers}
    "TFLMSignalFramerParams": ["i32", "i32", "i32", "i32", "bool", "ptr", "ptr"],
    # {four int32 options; buffer_size; step_size; stacker_has_first_frame; state; circular_buffer}
    "TFLMSignalStackerParams": ["i32", "i32", "i32", "i32", "size_t", "size_t", "bool", "ptr", "ptr"],
    # {frame_size; frame_step; outer_dims; n_frames; type; state_buffers}
    "TFLMSignalOverlapAddParams": ["i32", "i32", "i32", "i32", "enum", "ptr"],
    # {fft_length; input_size; input_length; output_length; fft_type; work_area;
    # scratch_buffer_index; state}
    "TfLiteAudioFrontendRfftParams": ["i32", "i32", "i32", "i32", "enum", "ptr", "int", "ptr"],
    "TfLiteAudioFrontendIrfftParams": ["i32", "i32", "i32", "i32", "enum", "ptr"],
    "OpDataCircularBuffer": ["int", "int"],  # {cycles_until_run; cycles_max}
    # signal/src/circular_buffer.h {capacity; read; write; empty; buffer_size; buffer}
    "CircularBuffer": ["size_t", "size_t", "size_t", "i32", "i32", "ptr"],
    # kissfft: kiss_fftr_state {substate; tmpbuf; super_twiddles}; kiss_fft_state {nfft; inverse;
    # factors[64]; twiddles[1]} with a complex of int16 or of 4-byte parts; IrfftFloatState
    # {fft_length; cfg}
    "kiss_fftr_state": ["ptr", "ptr", "ptr"],
    "kiss_fft_state/int16": ["int", "int", ("int", 64), ("i16", 2)],
    "kiss_fft_state/int32": ["int", "int", ("int", 64), ("i32", 2)],
    "IrfftFloatState": ["i32", "ptr"],
    # kernels/decode_state_lut.h DecodeStateLut: vptr, context_, micro_profiler_ (DecodeState),
    # compressed_indices_, count_indices_, num_channels_, elements_per_channel_, value_table_,
    # value_table_channel_stride_, compressed_bit_width_, use_alternate_axis_
    "DecodeStateLut": ["ptr", "ptr", "ptr", "ptr", "size_t", "size_t", "size_t", "ptr", "u8", "u8", "bool"],
    # kernels/decode_state_prune.h DecodeStatePrune: the DecodeState members, compressed_indices_,
    # count_indices_, num_channels_, elements_per_channel_, value_table_, zero_points_,
    # single_zero_point_, use_alternate_axis_
    "DecodeStatePrune": ["ptr", "ptr", "ptr", "ptr", "size_t", "size_t", "size_t", "ptr", "ptr", "i8", "bool"],
})
KERNEL_OPDATA.update({
    "SignalWindow": "TFLMSignalInt32Pair", "SignalEnergy": "TFLMSignalInt32Pair",
    "SignalFilterBankLog": "TFLMSignalLogParams", "SignalPCAN": "TfLitePcanParams",
    "SignalFilterBank": "TFLMSignalFilterBankParams",
    "SignalFilterBankSpectralSubtraction": "TFLMSignalSpectralSubtractionParams",
    "SignalDelay": "TFLMSignalFrontendDelayParams", "SignalFramer": "TFLMSignalFramerParams",
    "SignalStacker": "TFLMSignalStackerParams", "SignalOverlapAdd": "TFLMSignalOverlapAddParams",
    "SignalRfft": "TfLiteAudioFrontendRfftParams", "SignalIrfft": "TfLiteAudioFrontendIrfftParams",
    "CIRCULAR_BUFFER": "OpDataCircularBuffer",
})


def circular_buffer_bytes(capacity: int, abi_: Abi | str) -> int:
    """CircularBufferGetNeededMemory: the struct, then two copies of ``capacity`` int16s."""
    return sizeof("CircularBuffer", abi_) + 4 * capacity


def kiss_fftr_bytes(fft_length: int, part_bytes: int, abi_: Abi | str) -> int:
    """kiss_fftr_alloc's memneeded for a real FFT of ``fft_length`` with complex parts of
    ``part_bytes`` (2: int16, 4: int32 or float)."""
    n = fft_length // 2
    state = sizeof("kiss_fft_state/int16" if part_bytes == 2 else "kiss_fft_state/int32", abi_)
    complex_bytes = 2 * part_bytes
    return sizeof("kiss_fftr_state", abi_) + state + complex_bytes * (n - 1) + complex_bytes * (n * 3 // 2)
