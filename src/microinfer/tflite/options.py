"""Builtin operator options, decoded into typed dataclasses.

Each dataclass mirrors one table of the ``BuiltinOptions`` union in schema.fbs. Its fields are in
the schema's declaration order, which is the wire slot order, and each field's metadata names its
wire type; the loader and the builder both read that one description. Defaults are the schema's
defaults, i.e. what an absent field means on the wire.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from .schema_codes import BUILTIN_OPTIONS_UNION_CODES
from .types import ActivationFunction, FullyConnectedWeightsFormat, Padding, TensorType


def _wire(kind: str, default, enum=None):
    """A dataclass field stored on the wire as ``kind`` ('i32', 'bool', '[i32]', 'str', ...)."""
    return field(default=default, metadata={"wire": kind, "enum": enum})


def _padding():
    return _wire("i8", Padding.SAME, Padding)


def _activation():
    return _wire("i8", ActivationFunction.NONE, ActivationFunction)


def _tensor_type(default=TensorType.FLOAT32):
    return _wire("i8", default, TensorType)


def _deprecated_i32():
    return _wire("i32", 0)


@dataclass(frozen=True)
class Options:
    """Base of every typed options table."""


@dataclass(frozen=True)
class Conv2DOptions(Options):
    padding: Padding = _padding()
    stride_w: int = _wire("i32", 0)
    stride_h: int = _wire("i32", 0)
    fused_activation_function: ActivationFunction = _activation()
    dilation_w_factor: int = _wire("i32", 1)
    dilation_h_factor: int = _wire("i32", 1)
    quantized_bias_type: TensorType = _tensor_type()


@dataclass(frozen=True)
class DepthwiseConv2DOptions(Options):
    padding: Padding = _padding()
    stride_w: int = _wire("i32", 0)
    stride_h: int = _wire("i32", 0)
    depth_multiplier: int = _wire("i32", 0)
    fused_activation_function: ActivationFunction = _activation()
    dilation_w_factor: int = _wire("i32", 1)
    dilation_h_factor: int = _wire("i32", 1)


@dataclass(frozen=True)
class FullyConnectedOptions(Options):
    fused_activation_function: ActivationFunction = _activation()
    weights_format: FullyConnectedWeightsFormat = _wire(
        "i8", FullyConnectedWeightsFormat.DEFAULT, FullyConnectedWeightsFormat
    )
    keep_num_dims: bool = _wire("bool", False)
    asymmetric_quantize_inputs: bool = _wire("bool", False)
    quantized_bias_type: TensorType = _tensor_type()


@dataclass(frozen=True)
class TransposeConvOptions(Options):
    padding: Padding = _padding()
    stride_w: int = _wire("i32", 0)
    stride_h: int = _wire("i32", 0)
    fused_activation_function: ActivationFunction = _activation()
    quantized_bias_type: TensorType = _tensor_type()


@dataclass(frozen=True)
class Pool2DOptions(Options):
    padding: Padding = _padding()
    stride_w: int = _wire("i32", 0)
    stride_h: int = _wire("i32", 0)
    filter_width: int = _wire("i32", 0)
    filter_height: int = _wire("i32", 0)
    fused_activation_function: ActivationFunction = _activation()


@dataclass(frozen=True)
class AddOptions(Options):
    fused_activation_function: ActivationFunction = _activation()
    pot_scale_int16: bool = _wire("bool", True)


@dataclass(frozen=True)
class SubOptions(Options):
    fused_activation_function: ActivationFunction = _activation()
    pot_scale_int16: bool = _wire("bool", True)


@dataclass(frozen=True)
class MulOptions(Options):
    fused_activation_function: ActivationFunction = _activation()


@dataclass(frozen=True)
class DivOptions(Options):
    fused_activation_function: ActivationFunction = _activation()


@dataclass(frozen=True)
class ReducerOptions(Options):
    keep_dims: bool = _wire("bool", False)


@dataclass(frozen=True)
class SoftmaxOptions(Options):
    beta: float = _wire("f32", 0.0)


@dataclass(frozen=True)
class LeakyReluOptions(Options):
    alpha: float = _wire("f32", 0.0)


@dataclass(frozen=True)
class ReshapeOptions(Options):
    new_shape: tuple[int, ...] | None = _wire("[i32]", None)


@dataclass(frozen=True)
class SqueezeOptions(Options):
    squeeze_dims: tuple[int, ...] | None = _wire("[i32]", None)


@dataclass(frozen=True)
class ConcatenationOptions(Options):
    axis: int = _wire("i32", 0)
    fused_activation_function: ActivationFunction = _activation()


@dataclass(frozen=True)
class StridedSliceOptions(Options):
    begin_mask: int = _wire("i32", 0)
    end_mask: int = _wire("i32", 0)
    ellipsis_mask: int = _wire("i32", 0)
    new_axis_mask: int = _wire("i32", 0)
    shrink_axis_mask: int = _wire("i32", 0)
    offset: bool = _wire("bool", False)


@dataclass(frozen=True)
class SplitOptions(Options):
    num_splits: int = _wire("i32", 0)


@dataclass(frozen=True)
class SplitVOptions(Options):
    num_splits: int = _wire("i32", 0)


@dataclass(frozen=True)
class PackOptions(Options):
    values_count: int = _wire("i32", 0)
    axis: int = _wire("i32", 0)


@dataclass(frozen=True)
class UnpackOptions(Options):
    num: int = _wire("i32", 0)
    axis: int = _wire("i32", 0)


@dataclass(frozen=True)
class SVDFOptions(Options):
    rank: int = _wire("i32", 0)
    fused_activation_function: ActivationFunction = _activation()
    asymmetric_quantize_inputs: bool = _wire("bool", False)


@dataclass(frozen=True)
class UnidirectionalSequenceLSTMOptions(Options):
    fused_activation_function: ActivationFunction = _activation()
    cell_clip: float = _wire("f32", 0.0)
    proj_clip: float = _wire("f32", 0.0)
    time_major: bool = _wire("bool", False)
    asymmetric_quantize_inputs: bool = _wire("bool", False)
    diagonal_recurrent_tensors: bool = _wire("bool", False)


@dataclass(frozen=True)
class LSTMOptions(Options):
    fused_activation_function: ActivationFunction = _activation()
    cell_clip: float = _wire("f32", 0.0)
    proj_clip: float = _wire("f32", 0.0)
    kernel_type: int = _wire("i8", 0)
    asymmetric_quantize_inputs: bool = _wire("bool", False)


@dataclass(frozen=True)
class GatherOptions(Options):
    axis: int = _wire("i32", 0)
    batch_dims: int = _wire("i32", 0)


@dataclass(frozen=True)
class ArgMaxOptions(Options):
    output_type: TensorType = _tensor_type()


@dataclass(frozen=True)
class ArgMinOptions(Options):
    output_type: TensorType = _tensor_type()


@dataclass(frozen=True)
class ResizeBilinearOptions(Options):
    new_height: int = _deprecated_i32()
    new_width: int = _deprecated_i32()
    align_corners: bool = _wire("bool", False)
    half_pixel_centers: bool = _wire("bool", False)


@dataclass(frozen=True)
class ResizeNearestNeighborOptions(Options):
    align_corners: bool = _wire("bool", False)
    half_pixel_centers: bool = _wire("bool", False)


@dataclass(frozen=True)
class SpaceToDepthOptions(Options):
    block_size: int = _wire("i32", 0)


@dataclass(frozen=True)
class DepthToSpaceOptions(Options):
    block_size: int = _wire("i32", 0)


@dataclass(frozen=True)
class L2NormOptions(Options):
    fused_activation_function: ActivationFunction = _activation()


@dataclass(frozen=True)
class CastOptions(Options):
    in_data_type: TensorType = _tensor_type()
    out_data_type: TensorType = _tensor_type()


@dataclass(frozen=True)
class ShapeOptions(Options):
    out_type: TensorType = _tensor_type()


@dataclass(frozen=True)
class MirrorPadOptions(Options):
    mode: int = _wire("i8", 0)  # MirrorPadMode: 0 REFLECT, 1 SYMMETRIC


@dataclass(frozen=True)
class BatchMatMulOptions(Options):
    adj_x: bool = _wire("bool", False)
    adj_y: bool = _wire("bool", False)
    asymmetric_quantize_inputs: bool = _wire("bool", False)


@dataclass(frozen=True)
class CallOnceOptions(Options):
    init_subgraph_index: int = _wire("i32", 0)


@dataclass(frozen=True)
class IfOptions(Options):
    then_subgraph_index: int = _wire("i32", 0)
    else_subgraph_index: int = _wire("i32", 0)


@dataclass(frozen=True)
class WhileOptions(Options):
    cond_subgraph_index: int = _wire("i32", 0)
    body_subgraph_index: int = _wire("i32", 0)


@dataclass(frozen=True)
class VarHandleOptions(Options):
    """A resource variable's name: ``None`` where the table leaves the string out."""

    container: str | None = _wire("str", None)
    shared_name: str | None = _wire("str", None)


@dataclass(frozen=True)
class CumsumOptions(Options):
    exclusive: bool = _wire("bool", False)
    reverse: bool = _wire("bool", False)


def _empty(name: str) -> type[Options]:
    cls = dataclasses.make_dataclass(name, [], bases=(Options,), frozen=True)
    cls.__module__ = __name__
    cls.__doc__ = f"``{name}``: a table with no fields."
    return cls


HardSwishOptions = _empty("HardSwishOptions")
QuantizeOptions = _empty("QuantizeOptions")
DequantizeOptions = _empty("DequantizeOptions")
ExpandDimsOptions = _empty("ExpandDimsOptions")
PadOptions = _empty("PadOptions")
PadV2Options = _empty("PadV2Options")
TransposeOptions = _empty("TransposeOptions")
MaximumMinimumOptions = _empty("MaximumMinimumOptions")
ExpOptions = _empty("ExpOptions")
LogSoftmaxOptions = _empty("LogSoftmaxOptions")
AbsOptions = _empty("AbsOptions")
NegOptions = _empty("NegOptions")
SquaredDifferenceOptions = _empty("SquaredDifferenceOptions")
PowOptions = _empty("PowOptions")
FloorDivOptions = _empty("FloorDivOptions")
FloorModOptions = _empty("FloorModOptions")
EqualOptions = _empty("EqualOptions")
NotEqualOptions = _empty("NotEqualOptions")
GreaterOptions = _empty("GreaterOptions")
GreaterEqualOptions = _empty("GreaterEqualOptions")
LessOptions = _empty("LessOptions")
LessEqualOptions = _empty("LessEqualOptions")
LogicalAndOptions = _empty("LogicalAndOptions")
LogicalOrOptions = _empty("LogicalOrOptions")
LogicalNotOptions = _empty("LogicalNotOptions")
AddNOptions = _empty("AddNOptions")
SliceOptions = _empty("SliceOptions")
FillOptions = _empty("FillOptions")
ReverseV2Options = _empty("ReverseV2Options")
GatherNdOptions = _empty("GatherNdOptions")
ZerosLikeOptions = _empty("ZerosLikeOptions")
BroadcastToOptions = _empty("BroadcastToOptions")
SelectV2Options = _empty("SelectV2Options")
BatchToSpaceNDOptions = _empty("BatchToSpaceNDOptions")
SpaceToBatchNDOptions = _empty("SpaceToBatchNDOptions")
DynamicUpdateSliceOptions = _empty("DynamicUpdateSliceOptions")
TileOptions = _empty("TileOptions")
ReadVariableOptions = _empty("ReadVariableOptions")
AssignVariableOptions = _empty("AssignVariableOptions")


@dataclass(frozen=True)
class RawOptions(Options):
    """An options table of a type microinfer does not decode; kept by its union name only.

    Such a model can be read and run where the op is supported, but not written back.
    """

    union_type: int = 0
    union_name: str = ""


OPTIONS_CLASSES: dict[str, type[Options]] = {
    cls.__name__: cls
    for cls in (
        Conv2DOptions, DepthwiseConv2DOptions, FullyConnectedOptions, TransposeConvOptions,
        Pool2DOptions, AddOptions, SubOptions, MulOptions, DivOptions, ReducerOptions,
        SoftmaxOptions, LeakyReluOptions, ReshapeOptions, SqueezeOptions, ConcatenationOptions,
        StridedSliceOptions, SplitOptions, SplitVOptions, PackOptions, UnpackOptions, SVDFOptions,
        UnidirectionalSequenceLSTMOptions, LSTMOptions, GatherOptions, ArgMaxOptions, ArgMinOptions,
        ResizeBilinearOptions, ResizeNearestNeighborOptions, SpaceToDepthOptions,
        DepthToSpaceOptions, L2NormOptions, CastOptions, ShapeOptions, BatchMatMulOptions,
        CallOnceOptions, IfOptions, WhileOptions, CumsumOptions, HardSwishOptions, QuantizeOptions,
        DequantizeOptions, ExpandDimsOptions, PadOptions, PadV2Options, TransposeOptions,
        MaximumMinimumOptions, ExpOptions, LogSoftmaxOptions, AbsOptions, NegOptions,
        SquaredDifferenceOptions, PowOptions, FloorDivOptions, FloorModOptions, EqualOptions,
        NotEqualOptions, GreaterOptions, GreaterEqualOptions, LessOptions, LessEqualOptions,
        LogicalAndOptions, LogicalOrOptions, LogicalNotOptions, AddNOptions, MirrorPadOptions, SliceOptions, FillOptions, ReverseV2Options,
        GatherNdOptions, ZerosLikeOptions, BroadcastToOptions, SelectV2Options,
        BatchToSpaceNDOptions, SpaceToBatchNDOptions, DynamicUpdateSliceOptions, TileOptions,
        VarHandleOptions, ReadVariableOptions, AssignVariableOptions,
    )
}

OPTIONS_BY_UNION_CODE: dict[int, type[Options]] = {
    BUILTIN_OPTIONS_UNION_CODES[name]: cls for name, cls in OPTIONS_CLASSES.items()
}

# The options table each builtin operator carries (ops with none are absent).
OPERATOR_OPTIONS: dict[str, type[Options]] = {
    "CONV_2D": Conv2DOptions,
    "DEPTHWISE_CONV_2D": DepthwiseConv2DOptions,
    "FULLY_CONNECTED": FullyConnectedOptions,
    "TRANSPOSE_CONV": TransposeConvOptions,
    "AVERAGE_POOL_2D": Pool2DOptions,
    "MAX_POOL_2D": Pool2DOptions,
    "L2_POOL_2D": Pool2DOptions,
    "ADD": AddOptions,
    "SUB": SubOptions,
    "MUL": MulOptions,
    "DIV": DivOptions,
    "MEAN": ReducerOptions,
    "SUM": ReducerOptions,
    "REDUCE_MAX": ReducerOptions,
    "REDUCE_MIN": ReducerOptions,
    "REDUCE_PROD": ReducerOptions,
    "REDUCE_ANY": ReducerOptions,
    "REDUCE_ALL": ReducerOptions,
    "CUMSUM": CumsumOptions,
    "SOFTMAX": SoftmaxOptions,
    "LEAKY_RELU": LeakyReluOptions,
    "HARD_SWISH": HardSwishOptions,
    "QUANTIZE": QuantizeOptions,
    "DEQUANTIZE": DequantizeOptions,
    "RESHAPE": ReshapeOptions,
    "SQUEEZE": SqueezeOptions,
    "EXPAND_DIMS": ExpandDimsOptions,
    "CONCATENATION": ConcatenationOptions,
    "PAD": PadOptions,
    "PADV2": PadV2Options,
    "STRIDED_SLICE": StridedSliceOptions,
    "TRANSPOSE": TransposeOptions,
    "SPLIT": SplitOptions,
    "SPLIT_V": SplitVOptions,
    "PACK": PackOptions,
    "UNPACK": UnpackOptions,
    "SVDF": SVDFOptions,
    "UNIDIRECTIONAL_SEQUENCE_LSTM": UnidirectionalSequenceLSTMOptions,
    "LSTM": LSTMOptions,
    "GATHER": GatherOptions,
    "ARG_MAX": ArgMaxOptions,
    "ARG_MIN": ArgMinOptions,
    "RESIZE_BILINEAR": ResizeBilinearOptions,
    "RESIZE_NEAREST_NEIGHBOR": ResizeNearestNeighborOptions,
    "SPACE_TO_DEPTH": SpaceToDepthOptions,
    "DEPTH_TO_SPACE": DepthToSpaceOptions,
    "L2_NORMALIZATION": L2NormOptions,
    "CAST": CastOptions,
    "SHAPE": ShapeOptions,
    "BATCH_MATMUL": BatchMatMulOptions,
    "CALL_ONCE": CallOnceOptions,
    "IF": IfOptions,
    "WHILE": WhileOptions,
    "VAR_HANDLE": VarHandleOptions,
    "READ_VARIABLE": ReadVariableOptions,
    "ASSIGN_VARIABLE": AssignVariableOptions,
    "MAXIMUM": MaximumMinimumOptions,
    "MINIMUM": MaximumMinimumOptions,
    "EXP": ExpOptions,
    "LOG_SOFTMAX": LogSoftmaxOptions,
    "ABS": AbsOptions,
    "NEG": NegOptions,
    "SQUARED_DIFFERENCE": SquaredDifferenceOptions,
    "POW": PowOptions,
    "FLOOR_DIV": FloorDivOptions,
    "FLOOR_MOD": FloorModOptions,
    "EQUAL": EqualOptions,
    "NOT_EQUAL": NotEqualOptions,
    "GREATER": GreaterOptions,
    "GREATER_EQUAL": GreaterEqualOptions,
    "LESS": LessOptions,
    "LESS_EQUAL": LessEqualOptions,
    "LOGICAL_AND": LogicalAndOptions,
    "LOGICAL_OR": LogicalOrOptions,
    "LOGICAL_NOT": LogicalNotOptions,
    "ADD_N": AddNOptions,
    "MIRROR_PAD": MirrorPadOptions,
    "SLICE": SliceOptions,
    "FILL": FillOptions,
    "REVERSE_V2": ReverseV2Options,
    "GATHER_ND": GatherNdOptions,
    "ZEROS_LIKE": ZerosLikeOptions,
    "BROADCAST_TO": BroadcastToOptions,
    "SELECT_V2": SelectV2Options,
    "BATCH_TO_SPACE_ND": BatchToSpaceNDOptions,
    "SPACE_TO_BATCH_ND": SpaceToBatchNDOptions,
    "DYNAMIC_UPDATE_SLICE": DynamicUpdateSliceOptions,
    "TILE": TileOptions,
}


def union_code(options: Options) -> int:
    """The ``BuiltinOptions`` union type code of an options instance."""
    if isinstance(options, RawOptions):
        return options.union_type
    return BUILTIN_OPTIONS_UNION_CODES[type(options).__name__]
