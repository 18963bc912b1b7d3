"""CUMSUM along one axis, optionally exclusive (each output leaves out its own element) and
reversed (summing from the end).

TFLite Micro takes float32 and int8; LiteRT float32, int32 and int64 (integers wrap). float32 sums
run in order along the axis.

int8 (TFLite Micro): ADD's scheme with one input. Each ``x - input_zero_point`` is shifted left by
20 bits and halved (multiplier 0.5), summed in int32 (wrapping), and rescaled by
``2 * input_scale / (2**20 * output_scale)`` onto the output. The running sum does not start at
zero but at the halved, shifted ``-input_zero_point`` (TFLite Micro initialises it from the input
offset), so every output carries one extra ``-input_zero_point``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import TensorType as T
from . import common
from ._elementwise import QUANTIZATION_CONSTRAINTS, quantize_smaller_than_one, scale_smaller_than_one
from ._reduce import no_empty_dimension, resolve
from .fixedpoint import DOUBLE, wrap_int32
from .registry import TFLITE, TFLM, Kernel, Node, register

LEFT_SHIFT = 20  # kCumSumIntegerShift


@dataclass(frozen=True)
class CumsumData:
    axis: int
    exclusive: bool
    reverse: bool
    input_zero_point: int = 0
    output_zero_point: int = 0
    input_multiplier: int = 0
    input_shift: int = 0
    output_multiplier: int = 0
    output_shift: int = 0


def _axis(node: Node) -> int | None:
    x, axis = node.input(0), node.input(1)
    if x is None or axis is None or axis.type is not T.INT32 or not axis.is_constant or axis.data is None:
        return None
    entries = np.asarray(axis.data).reshape(-1)
    if entries.size != 1 or not len(x.shape):
        return None
    resolved = resolve([int(entries[0])], len(x.shape))
    return resolved[0] if resolved else None


def _types(node: Node) -> bool:
    """Input and output share one type: float32 or int8 with reference='tflm', float32, int32 or int64 with reference='tflite'"""
    x, y = node.input(0), node.outputs[0]
    allowed = (T.FLOAT32, T.INT8) if node.reference == TFLM else (T.FLOAT32, T.INT32, T.INT64)
    return x is not None and x.type is y.type and x.type in allowed


def _axis_valid(node: Node) -> bool:
    """The axis is a constant int32 tensor of one entry in [-rank, rank) of an input of rank at least 1"""
    return _axis(node) is not None


def _same_shape(node: Node) -> bool:
    """The output has the input's shape"""
    return tuple(node.outputs[0].shape) == tuple(node.inputs[0].shape)


def _output_rescale(node: Node) -> float:
    return 2 * float(common.scale_of(node.inputs[0])) / ((1 << LEFT_SHIFT) * float(common.scale_of(node.outputs[0])))


def _rescale_below_one(node: Node) -> bool:
    """int8: 2 * input_scale / (2**20 * output_scale) is below 1"""
    if node.inputs[0].type is not T.INT8:
        return True
    if not (float(common.scale_of(node.inputs[0])) > 0 and float(common.scale_of(node.outputs[0])) > 0):
        return False
    return _output_rescale(node) < 1


@register("CUMSUM", versions=range(1, 2), types=("float32", "int8", "int32", "int64"), inputs=2, outputs=1)
class Cumsum(Kernel):
    constraints = (_types, _axis_valid, _same_shape, no_empty_dimension, *QUANTIZATION_CONSTRAINTS,
                   _rescale_below_one)

    def prepare(self, node: Node) -> CumsumData:
        x, y = node.inputs[0], node.outputs[0]
        options = node.options  # absent options mean both flags false
        data = CumsumData(_axis(node), bool(getattr(options, "exclusive", False)),
                          bool(getattr(options, "reverse", False)))
        if x.type is not T.INT8 or node.reference == TFLITE:
            return data
        input_multiplier, input_shift = quantize_smaller_than_one(0.5, DOUBLE)
        output_multiplier, output_shift = quantize_smaller_than_one(_output_rescale(node), DOUBLE)
        return CumsumData(data.axis, data.exclusive, data.reverse, common.zero_point_of(x),
                          common.zero_point_of(y), input_multiplier, input_shift, output_multiplier,
                          output_shift)

    def eval(self, data: CumsumData, inputs):
        x = np.moveaxis(inputs[0], data.axis, -1)
        if data.reverse:
            x = x[..., ::-1]
        if x.dtype == np.int8:
            out = self._int8(data, x)
        elif x.dtype == np.float32:
            out = self._running(x, np.float32(0), data.exclusive)
        else:
            sums = self._running(x.astype(np.int64), np.int64(0), data.exclusive)  # wraps mod 2**64
            out = (wrap_int32(sums) if x.dtype == np.int32 else sums).astype(x.dtype)
        if data.reverse:
            out = out[..., ::-1]
        return [np.ascontiguousarray(np.moveaxis(out, -1, data.axis))]

    @staticmethod
    def _running(x: np.ndarray, start, exclusive: bool) -> np.ndarray:
        """Running sums along the last axis, element by element from ``start``."""
        out = np.empty_like(x)
        acc = np.full(x.shape[:-1], start, x.dtype)
        with np.errstate(over="ignore", invalid="ignore"):
            for j in range(x.shape[-1]):
                if exclusive:
                    out[..., j] = acc
                    acc = acc + x[..., j]
                else:
                    acc = acc + x[..., j]
                    out[..., j] = acc
        return out

    @staticmethod
    def _int8(data: CumsumData, x: np.ndarray) -> np.ndarray:
        def halved(values):
            return scale_smaller_than_one(values * (1 << LEFT_SHIFT), data.input_multiplier, data.input_shift,
                                          DOUBLE)

        offset = -data.input_zero_point
        terms = halved(x.astype(np.int64) + offset)
        start = halved(np.int64(offset))
        sums = wrap_int32(start + Cumsum._running(terms, np.int64(0), data.exclusive))
        out = scale_smaller_than_one(sums, data.output_multiplier, data.output_shift, DOUBLE) + data.output_zero_point
        return np.clip(out, -128, 127).astype(np.int8)
