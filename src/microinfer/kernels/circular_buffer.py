"""CIRCULAR_BUFFER (TFLite Micro's custom operator from the micro_speech streaming models):
keep the last ``num_slots`` int8 frames; stateful.

TFLite Micro's output tensor *is* the buffer: each invoke moves its slots one frame towards the
start and writes the input frame into the last slot. A countdown of ``cycles_max`` invokes
(options position 0; 0 or less: 1 for 5, 13 or 25 slots, else 2) sets the optional bool output
``valid`` on the invokes where it reaches zero; without that output, TFLite Micro aborts the rest
of the invoke on the other invokes, so microinfer takes one output only with a period of 1.

Until ``num_slots`` frames have arrived the older slots hold whatever the output's arena bytes
held (TFLite Micro never initialises them); microinfer starts them at zero. TFLite Micro
registers no Reset for this operator: ``reset_variables`` leaves the buffer and the countdown as
they are, as ``MicroInterpreter::Reset`` does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ModelError
from ..tflite.types import TensorType
from . import _signal as S
from .registry import Kernel, Node, register

FIXED_PERIOD_SLOTS = (5, 13, 25)


def _shapes(node: Node) -> bool:
    """Input (1, 1, W, D) and output (1, slots, W, D), rank 4, slots at least 1; the optional valid output holds one bool"""
    x, y = node.input(0), node.outputs[0]
    if len(x.shape) != 4 or len(y.shape) != 4:
        return False
    shapes_fit = x.shape[0] == 1 and y.shape[0] == 1 and x.shape[1] == 1 and y.shape[1] >= 1
    return shapes_fit and x.shape[2:] == y.shape[2:] and (len(node.outputs) == 1 or node.outputs[1].num_elements == 1)


def _options(node: Node) -> bool:
    """The custom options are empty or a FlexBuffer map whose first value is the integer cycles_max"""
    try:
        values = S.parameter_values(node)
    except ModelError:
        return False
    return not values or S.parameters("cycles_max")(node)


def period(node: Node) -> int | None:
    """The countdown's period; None where TFLite Micro's guess depends on how many circular
    buffers the process prepared before (a static counter in its Prepare)."""
    values = S.parameter_values(node)
    cycles = int(values[0]) if values else 0
    if cycles > 0:
        return cycles
    y = node.outputs[0]
    if y.shape[1] in FIXED_PERIOD_SLOTS:
        return 1
    return None if (y.shape[2], y.shape[3]) == (2, 96) else 2


def _period(node: Node) -> bool:
    """The period is known (cycles_max > 0, or 5, 13 or 25 slots, or not the (.., 2, 96) shape whose period TFLite Micro guesses from a process-wide counter), and 1 when there is no valid output (TFLite Micro aborts the invoke on the other cycles)"""
    cycles = period(node)
    return cycles is not None and (len(node.outputs) == 2 or cycles == 1)


def _valid_type(node: Node) -> bool:
    """The optional valid output is bool"""
    return len(node.outputs) == 1 or node.outputs[1].type is TensorType.BOOL


@dataclass(frozen=True)
class CircularBufferData:
    period: int
    valid_shape: tuple | None  # the valid output's shape, None without one
    state: S.KernelState


@register("CIRCULAR_BUFFER", versions=range(1, 2), types=("int8",), inputs=1, outputs=(1, 2))
class CircularBuffer(Kernel):
    constraints = (S.tflm_only, S.tensor_types(("i0", TensorType.INT8), ("o0", TensorType.INT8)),
                   _valid_type, _shapes, _options, _period)

    def prepare(self, node: Node) -> CircularBufferData:
        y = node.outputs[0]
        cycles = period(node)
        valid_shape = node.outputs[1].shape if len(node.outputs) == 2 else None
        return CircularBufferData(cycles, valid_shape,
                                  S.KernelState(buffer=np.zeros(y.shape, np.int8), countdown=np.array(cycles)))

    def eval(self, data: CircularBufferData, inputs):
        state = data.state
        state.buffer = np.concatenate([state.buffer[:, 1:], inputs[0]], axis=1)
        state.countdown = state.countdown - 1
        valid = bool(state.countdown == 0)
        if valid:
            state.countdown = np.array(data.period)
        outputs = [state.buffer.copy()]
        if data.valid_shape is not None:
            outputs.append(np.full(data.valid_shape, valid))
        return outputs

    def reset(self, data: CircularBufferData) -> None:
        """TFLite Micro has no Reset for this operator: nothing is reset."""
