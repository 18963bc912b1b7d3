"""UNIDIRECTIONAL_SEQUENCE_LSTM: the standard LSTM; float32 and hybrid also with LiteRT's variants.

float32 (both references; LiteRT also with CIFG, peephole, projection, layer norm and other cell
activations) and hybrid (LiteRT only) run in :mod:`._float_lstm`. The quantized LSTMs below are
the standard one (no CIFG, peephole, projection or layer norm).

Per time step, for the input (i), forget (f), cell (g) and output (o) gates::

    gate = act(x W_gate^T + b_gate + h R_gate^T)        act = sigmoid, tanh for g
    c = f * c + i * g    (clipped to +-cell_clip when cell_clip > 0)
    h = o * tanh(c)      (the output of the step and the next step's recurrent input)

The hidden state (input 18) and the cell state (input 19) are variable tensors, updated IN PLACE
in the arrays the interpreter passes (its copies of the variables), so they persist across
invokes.

int8 (int8 activations and weights, int32 biases, int16 cell state with a power-of-two scale):
every gate's two matrix products are requantized to int16 Q3.12 and added with saturation, then go
through a 16-bit sigmoid/tanh to Q0.15. The two references differ in nearly every stage:

=====================  ==========================================  =============================
stage                  TFLite Micro                                LiteRT
=====================  ==========================================  =============================
gate multipliers       w_scale * in_scale / 2**-12 in double       same in float32
gate sum               sat(sat(FC_x) + sat(FC_h))                  sat(sat(FC_x) + FC_h)
sigmoid / tanh         int16 LOGISTIC/TANH kernels (table lookup)  gemmlowp fixed point
f * c, i * g           MUL requantization (double rounding)        rounding shift by 15 and
                                                                   30 + log2(cell scale)
cell clip              clip / cell_scale in double, truncated      same in float32
hidden quantization    the hidden-state tensor's scale/zero point  intermediate 4's
=====================  ==========================================  =============================

Every requantization (MultiplyByQuantizedMultiplier) uses DOUBLE rounding in BOTH references:
measured, LiteRT 2.3.0's LSTM (tensor_utils) does not take its single-rounding path.

int16x8 (TFLite Micro only: int16 input, hidden state and output, int8 weights, int64 biases,
int16 cell state): the same stages as TFLite Micro's int8 LSTM, except that each gate's two matrix
products are summed in 64 bits and requantized to Q3.12 with the 64-bit MultiplyByQuantizedMultiplier
(the multiplier reduced to 16 bits, one rounding shift), its int16 fully connected kernel using no
input zero point, and the hidden values are clamped to int16. microinfer requires zero points 0
for the int16 tensors. LiteRT 2.3.0 refuses int16 activations in this op (it takes them for the
hybrid/float path and rejects the non-float biases).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import ActivationFunction, TensorType
from . import _float_lstm, _hybrid, common
from ._lookup_tables import logistic_int16, tanh_int16
from .fixedpoint import (
    DOUBLE,
    logistic_fixed,
    multiply_by_quantized_multiplier,
    multiply_by_quantized_multiplier_int64,
    quantize_multiplier,
    rounding_divide_by_pot,
    saturate_raw,
    tanh_fixed,
    wrap_int32,
)
from .registry import TFLM, Kernel, Node, register

INPUT = 0
INPUT_WEIGHTS = (1, 2, 3, 4)  # input, forget, cell, output gates
RECURRENT_WEIGHTS = (5, 6, 7, 8)
PEEPHOLE = (9, 10, 11)
BIASES = (12, 13, 14, 15)
PROJECTION = (16, 17)
HIDDEN_STATE = 18
CELL_STATE = 19
LAYER_NORM = (20, 21, 22, 23)
GATE_INPUT, GATE_FORGET, GATE_CELL, GATE_OUTPUT = range(4)
Q3_12 = 2.0**-12


@dataclass(frozen=True)
class LstmData:
    kind: str  # "int8", "int16x8" or "float32"
    reference: str
    time_major: bool
    n_cell: int
    output_shape: tuple[int, ...]
    input_weights: tuple[np.ndarray, ...]  # per gate (n_cell, n_input), float64 (int8 values) or float32
    recurrent_weights: tuple[np.ndarray, ...]  # per gate (n_cell, n_cell)
    biases: tuple[np.ndarray, ...]  # per gate (n_cell,), int64 or float32
    cell_clip: int | None  # the quantized int16 clip, None: no clipping
    # int8 only
    input_zero_point: int = 0
    hidden_zero_point: int = 0  # of the hidden-state tensor (recurrent input)
    input_multipliers: tuple = ()
    recurrent_multipliers: tuple = ()  # per gate (multiplier, shift)
    cell_scale_power: int = 0
    forget_mul: tuple = (0, 0)  # TFLite Micro: f * c requantization
    input_mul: tuple = (0, 0)  # TFLite Micro: i * g requantization
    hidden_mul: tuple = (0, 0)  # o * tanh(c) requantization to the hidden state
    output_zero_point: int = 0  # zero point of the hidden values written
    rounding: str = DOUBLE


def _all_inputs(node: Node) -> bool:
    """The operator has 24 inputs and 1 output"""
    return len(node.inputs) == 24 and len(node.outputs) == 1


def _standard_lstm(node: Node) -> bool:
    """A standard LSTM: every gate weight matrix and bias given, no CIFG, peephole, projection or layer norm."""
    if not _all_inputs(node):
        return False
    required = (INPUT, *INPUT_WEIGHTS, *RECURRENT_WEIGHTS, *BIASES, HIDDEN_STATE, CELL_STATE)
    absent = (*PEEPHOLE, *PROJECTION, *LAYER_NORM)
    return all(node.inputs[i] is not None for i in required) and all(node.inputs[i] is None for i in absent)


def _lstm_wiring(node: Node) -> bool:
    """The forget, cell and output gates have both weight matrices and a bias, and the input gate all three or none (CIFG); peephole weights, layer norm coefficients (one per gate present) and the projection weights are each all given or all omitted; a projection bias needs projection weights"""
    if not _all_inputs(node):
        return False
    given = [t is not None for t in node.inputs]
    if not all(given[i] for i in (INPUT, HIDDEN_STATE, CELL_STATE, *INPUT_WEIGHTS[1:], *RECURRENT_WEIGHTS[1:], *BIASES[1:])):
        return False
    cifg = not given[INPUT_WEIGHTS[0]]
    if any(given[i] != (not cifg) for i in (RECURRENT_WEIGHTS[0], BIASES[0])):
        return False
    gated = lambda group: [given[i] for j, i in enumerate(group) if not (cifg and j == 0)]  # noqa: E731
    for group in (PEEPHOLE, LAYER_NORM):
        present = gated(group)
        if any(present) and not all(present):
            return False
        if cifg and given[group[0]]:
            return False
    return given[PROJECTION[0]] or not given[PROJECTION[1]]


def _standard_unless_litert_float(node: Node) -> bool:
    """A standard LSTM (no CIFG, peephole, projection or layer norm), except float32 and hybrid ones under reference='tflite' (TFLite Micro fails to allocate the others; microinfer's quantized LSTMs are standard)"""
    if node.reference != TFLM and _is_float(node):
        return True
    return _standard_lstm(node)


def _is_float(node: Node) -> bool:
    x = node.input(INPUT)
    return x is not None and x.type is TensorType.FLOAT32


def _is_int8(node: Node) -> bool:
    x = node.input(INPUT)
    return x is not None and x.type is TensorType.INT8


def _is_int16(node: Node) -> bool:
    x = node.input(INPUT)
    return x is not None and x.type is TensorType.INT16


def _is_quantized(node: Node) -> bool:
    return _is_int8(node) or _is_int16(node)


def _types_supported(node: Node) -> bool:
    """All float32; float32 with int8 weights (gate, peephole and projection weights; hybrid); int8 input/weights/hidden state/output with int32 biases and an int16 cell state; or int16 input/hidden state/output/cell state with int8 weights and int64 biases"""
    if not _lstm_wiring(node):
        return False
    x, y = node.inputs[INPUT], node.outputs[0]
    present = [node.inputs[i] for i in range(24) if node.inputs[i] is not None]
    weights = [node.inputs[i] for i in (*INPUT_WEIGHTS, *RECURRENT_WEIGHTS, *PEEPHOLE, PROJECTION[0])
               if node.inputs[i] is not None]
    if x.type is TensorType.FLOAT32:
        weight_type = weights[0].type
        floats = [t for t in (*present, y) if not any(t is w for w in weights)]
        return (weight_type in (TensorType.FLOAT32, TensorType.INT8) and all(t.type is weight_type for t in weights)
                and all(t.type is TensorType.FLOAT32 for t in floats))
    if not _standard_lstm(node):
        return True  # left to _standard_unless_litert_float
    weights = [node.inputs[i] for i in (*INPUT_WEIGHTS, *RECURRENT_WEIGHTS)]
    biases = [node.inputs[i] for i in BIASES]
    h, c = node.inputs[HIDDEN_STATE], node.inputs[CELL_STATE]
    if x.type is TensorType.INT16:
        activation, bias_type = TensorType.INT16, TensorType.INT64
    else:
        activation, bias_type = TensorType.INT8, TensorType.INT32
    return (
        x.type is activation
        and y.type is activation
        and h.type is activation
        and c.type is TensorType.INT16
        and all(t.type is TensorType.INT8 for t in weights)
        and all(t.type is bias_type for t in biases)
    )


def _shapes(node: Node) -> bool:
    """Input and output are 3-D (batch/time by features); gate weights (cells, inputs) and recurrent weights (cells, outputs); biases, peephole weights and layer norm coefficients (cells,); projection weights (outputs, cells) and bias (outputs,); the hidden state holds batch*outputs values, the cell state batch*cells; outputs = cells without projection"""
    if not _lstm_wiring(node):
        return False
    x, y = node.inputs[INPUT], node.outputs[0]
    if len(x.shape) != 3 or len(y.shape) != 3 or len(node.inputs[RECURRENT_WEIGHTS[1]].shape) != 2:
        return False
    time_major = node.options.time_major
    batch = x.shape[1] if time_major else x.shape[0]
    n_input = x.shape[2]
    n_cell, n_output = node.inputs[RECURRENT_WEIGHTS[1]].shape
    if n_cell < 1 or n_output < 1:
        return False
    expected = {i: (n_cell, n_input) for i in INPUT_WEIGHTS}
    expected.update({i: (n_cell, n_output) for i in RECURRENT_WEIGHTS})
    expected.update({i: (n_cell,) for i in (*BIASES, *PEEPHOLE, *LAYER_NORM)})
    expected.update({PROJECTION[0]: (n_output, n_cell), PROJECTION[1]: (n_output,)})
    ok = all(node.inputs[i] is None or node.inputs[i].shape == shape for i, shape in expected.items())
    ok = ok and (node.inputs[PROJECTION[0]] is not None or n_output == n_cell)
    ok = ok and node.inputs[HIDDEN_STATE].num_elements == batch * n_output
    ok = ok and node.inputs[CELL_STATE].num_elements == batch * n_cell
    return ok and y.shape == (*x.shape[:2], n_output)


def _constant_parameters(node: Node) -> bool:
    """Weights, biases, peephole weights, projection and layer norm coefficients are constant tensors"""
    return _lstm_wiring(node) and all(
        node.inputs[i] is None or node.inputs[i].is_constant for i in range(24) if i not in (INPUT, HIDDEN_STATE, CELL_STATE)
    )


def _variable_states(node: Node) -> bool:
    """The hidden state (input 18) and the cell state (input 19) are variable tensors"""
    return _lstm_wiring(node) and all(
        node.inputs[i].is_variable and not node.inputs[i].is_constant for i in (HIDDEN_STATE, CELL_STATE)
    )


# NONE is not among them: LiteRT's LSTM then leaves the activation's output buffer unwritten.
LITERT_FLOAT_ACTIVATIONS = tuple(a for a in _hybrid.HYBRID_ACTIVATIONS if a != ActivationFunction.NONE)


def _cell_activation(node: Node) -> bool:
    """The cell activation is TANH (float32 and hybrid under reference='tflite': also RELU, RELU_N1_TO_1, RELU6 or SIGN_BIT; LiteRT leaves NONE's output unwritten)"""
    activation = node.options.fused_activation_function
    if node.reference != TFLM and _is_float(node):
        return activation in LITERT_FLOAT_ACTIVATIONS
    return activation == ActivationFunction.TANH


def _plain_options(node: Node) -> bool:
    """cell_clip >= 0, proj_clip >= 0 and diagonal_recurrent_tensors is false"""
    o = node.options
    return o.cell_clip >= 0 and o.proj_clip >= 0 and not o.diagonal_recurrent_tensors


def _hybrid_per_tensor(node: Node) -> bool:
    """Hybrid: the int8 weights are quantized per tensor (LiteRT reads one scale)"""
    if not _float_lstm.is_hybrid(node) or not _lstm_wiring(node):
        return True
    return all(t.quantization is not None and len(t.quantization.scale) == 1
               for t in node.inputs if t is not None and t.type is TensorType.INT8)


def _symmetric_per_tensor_weights(node: Node) -> bool:
    """int8/int16x8: weights are quantized per tensor with zero point 0"""
    if not _is_quantized(node) or not _standard_lstm(node):
        return True
    for i in (*INPUT_WEIGHTS, *RECURRENT_WEIGHTS):
        q = node.inputs[i].quantization
        if q is None or len(q.scale) != 1 or int(q.zero_point[0]) != 0:
            return False
    return True


def _cell_scale_power_of_two(node: Node) -> bool:
    """int8/int16x8: the cell state's scale is a power of two between 2**-15 and 2**-9"""
    if not _is_quantized(node) or not _standard_lstm(node):
        return True
    scale = float(common.scale_of(node.inputs[CELL_STATE]))
    if scale <= 0:
        return False
    power = round(np.log2(scale))
    return 2.0**power == scale and -15 <= power <= -9


def _litert_hidden_intermediate(node: Node) -> bool:
    """int8 (LiteRT): five intermediate tensors, the fifth (the hidden state's) quantized"""
    if not _is_int8(node) or node.reference == TFLM:
        return True
    inter = node.op.intermediates
    if len(inter) != 5:
        return False
    t = node.model.main.tensors[inter[4]]
    return t.quantization is not None and len(t.quantization.scale) >= 1 and float(t.quantization.scale[0]) > 0


def _litert_no_int16(node: Node) -> bool:
    """LiteRT: no int16 activations (LiteRT 2.3.0 refuses int16x8 LSTMs)"""
    return node.reference == TFLM or not _is_int16(node)


def _int16_zero_points(node: Node) -> bool:
    """int16x8: input, hidden state and output have zero point 0"""
    if not _is_int16(node) or not _standard_lstm(node):
        return True
    tensors = (node.inputs[INPUT], node.inputs[HIDDEN_STATE], node.outputs[0])
    return all(t.quantization is not None and common.zero_point_of(t) == 0 for t in tensors)


def _int16_gate_scales(node: Node) -> bool:
    """int16x8: every gate rescale factor (input or hidden scale * weight scale / 2**-12) is below 2**14 and every bias is below 2**40 in magnitude"""
    if not _is_int16(node) or not _standard_lstm(node) or not common.quantized_tensors_have_parameters(node):
        return True
    for inputs, state in ((INPUT_WEIGHTS, node.inputs[INPUT]), (RECURRENT_WEIGHTS, node.inputs[HIDDEN_STATE])):
        for i in inputs:
            real = float(common.scale_of(state)) * float(common.scale_of(node.inputs[i])) / Q3_12
            if not real > 0 or quantize_multiplier(real)[1] > 14:
                return False
    return all(int(np.abs(np.asarray(node.inputs[i].data, np.int64)).max(initial=0)) < 1 << 40 for i in BIASES)


def _int8_gate_scales(node: Node) -> bool:
    """int8: every gate rescale factor (input or hidden scale * weight scale / 2**-12; TFLite Micro computes it in double, LiteRT in float32), and with reference='tflm' the hidden state's (2**-30 / its scale), is finite and below 2**30 (the references shift the sum left by its exponent)"""
    if not _is_int8(node) or not _standard_lstm(node) or not common.quantized_tensors_have_parameters(node):
        return True
    if node.reference == TFLM:
        hidden_scale = float(common.scale_of(node.inputs[HIDDEN_STATE]))
        with np.errstate(over="ignore", divide="ignore"):
            if not (hidden_scale > 0 and 0 < 2.0**-30 / hidden_scale < 2.0**30):
                return False
    for inputs, state in ((INPUT_WEIGHTS, node.inputs[INPUT]), (RECURRENT_WEIGHTS, node.inputs[HIDDEN_STATE])):
        for i in inputs:
            if node.inputs[i] is None:
                continue
            state_scale, weight_scale = float(common.scale_of(state)), float(common.scale_of(node.inputs[i]))
            with np.errstate(over="ignore"):
                real = (state_scale * weight_scale / Q3_12 if node.reference == TFLM
                        else float(np.float32(np.float32(weight_scale) * np.float32(state_scale)) / np.float32(Q3_12)))
            if not (0 < real < 2.0**30):
                return False
    return True


# The schema's 24 inputs; CIFG drops the input gate's tensors, and peepholes, projection and
# layer norm are optional.
OPTIONAL_INPUTS = (1, 5, 9, 10, 11, 12, 16, 17, 20, 21, 22, 23)


@register("UNIDIRECTIONAL_SEQUENCE_LSTM", versions=range(1, 5), types=("int8", "int16x8", "float32", "hybrid"),
          inputs=24, outputs=1, optional_inputs=OPTIONAL_INPUTS)
class UnidirectionalSequenceLstm(Kernel):
    constraints = (
        _lstm_wiring,
        _standard_unless_litert_float,
        _types_supported,
        _hybrid.needs_litert("it runs this LSTM, but its outputs come out NaN", weights=INPUT_WEIGHTS[1],
                             types=(TensorType.INT8,)),
        _shapes,
        _constant_parameters,
        _variable_states,
        _cell_activation,
        _plain_options,
        _hybrid_per_tensor,
        _symmetric_per_tensor_weights,
        _cell_scale_power_of_two,
        _litert_hidden_intermediate,
        common.quantized_tensors_have_parameters,
        _litert_no_int16,
        _int16_zero_points,
        _int16_gate_scales,
        _int8_gate_scales,
    )

    def prepare(self, node: Node) -> LstmData:
        x, y = node.inputs[INPUT], node.outputs[0]
        n_cell = node.inputs[INPUT_WEIGHTS[1]].shape[0]
        common_args = dict(
            reference=node.reference,
            time_major=bool(node.options.time_major),
            n_cell=n_cell,
            output_shape=y.shape,
        )
        cell_clip = float(np.float32(node.options.cell_clip))
        if x.type is TensorType.FLOAT32:
            return _float_lstm.prepare(node)
        h, c = node.inputs[HIDDEN_STATE], node.inputs[CELL_STATE]
        input_scale, hidden_scale, cell_scale = (common.scale_of(t) for t in (x, h, c))
        cell_power = int(round(np.log2(float(cell_scale))))
        tflm = node.reference == TFLM
        if tflm:
            def gate_scale(w_scale, in_scale):
                return float(in_scale) * float(w_scale) / Q3_12

            quantized_clip = float(cell_clip) / float(cell_scale)
            forget_mul = quantize_multiplier(2.0**-15 * float(cell_scale) / float(cell_scale))
            input_mul = quantize_multiplier(2.0**-15 * 2.0**-15 / float(cell_scale))
            hidden_mul = quantize_multiplier(2.0**-15 * 2.0**-15 / float(hidden_scale))
            output_zero_point = common.zero_point_of(h)
        else:
            def gate_scale(w_scale, in_scale):
                return float(np.float32(np.float32(w_scale * in_scale) / np.float32(Q3_12)))

            quantized_clip = float(np.float32(np.float32(cell_clip) / cell_scale))
            hidden = node.model.main.tensors[node.op.intermediates[4]]
            hidden_effective = np.float32(np.float32(np.float32(2.0**-15) / common.scale_of(hidden)) * np.float32(2.0**-15))
            forget_mul = input_mul = (0, 0)
            hidden_mul = quantize_multiplier(float(hidden_effective))
            output_zero_point = common.zero_point_of(hidden)
        clip = int(np.trunc(np.clip(quantized_clip, -32768.0, 32767.0))) if cell_clip > 0 else None
        if not tflm and clip is not None and clip <= 0:
            clip = None  # LiteRT clips when the quantized clip is positive, TFLite Micro when the float one is

        int16 = x.type is TensorType.INT16
        return LstmData(
            kind="int16x8" if int16 else "int8",
            input_weights=tuple(np.asarray(node.inputs[i].data, np.float64) for i in INPUT_WEIGHTS),
            recurrent_weights=tuple(np.asarray(node.inputs[i].data, np.float64) for i in RECURRENT_WEIGHTS),
            biases=tuple(np.asarray(node.inputs[i].data, np.int64) for i in BIASES),
            cell_clip=clip,
            input_zero_point=0 if int16 else common.zero_point_of(x),
            hidden_zero_point=0 if int16 else common.zero_point_of(h),
            input_multipliers=tuple(
                quantize_multiplier(gate_scale(common.scale_of(node.inputs[i]), input_scale)) for i in INPUT_WEIGHTS
            ),
            recurrent_multipliers=tuple(
                quantize_multiplier(gate_scale(common.scale_of(node.inputs[i]), hidden_scale))
                for i in RECURRENT_WEIGHTS
            ),
            cell_scale_power=cell_power,
            forget_mul=forget_mul,
            input_mul=input_mul,
            hidden_mul=hidden_mul,
            output_zero_point=output_zero_point,
            rounding=DOUBLE,
            **common_args,
        )

    def eval(self, data: LstmData, inputs):
        x = inputs[INPUT]
        hidden_state, cell_state = inputs[HIDDEN_STATE], inputs[CELL_STATE]
        sequence = x if data.time_major else np.swapaxes(x, 0, 1)  # (time, batch, features)
        batch = sequence.shape[1]
        c = cell_state.reshape(batch, data.n_cell)  # views of the states: updated in place
        step = {"float32": _float_lstm.step, "hybrid": _float_lstm.step, "int8": _step_int8,
                "int16x8": _step_int16x8}[data.kind]
        h = hidden_state.reshape(batch, -1)
        outputs = np.empty((sequence.shape[0], batch, h.shape[1]), hidden_state.dtype)
        for t in range(sequence.shape[0]):
            new_h, new_c = step(data, sequence[t], h, c)
            h[...] = new_h
            c[...] = new_c
            outputs[t] = new_h
        if not data.time_major:
            outputs = np.swapaxes(outputs, 0, 1)
        return [np.ascontiguousarray(outputs).reshape(data.output_shape)]


def _sat16(v):
    return saturate_raw(v, 16)


# The 16-bit nonlinearities of the gates, Q3.12 in (or the cell state), Q0.15 out. TFLite Micro
# applies its int16 LOGISTIC/TANH kernels (table lookup); LiteRT applies gemmlowp's fixed-point
# logistic/tanh on int16 raw values.

def _tflm_tanh(x, cell_state_scale_power: int) -> np.ndarray:
    """TFLite Micro's LSTM tanh of an int16 with scale 2**power (the gate uses power -12)."""
    shift = 15 + cell_state_scale_power - 3
    multiplier = 0
    if shift < 0:
        shift, multiplier = -shift, 3
    return tanh_int16(x, multiplier, shift)


def _step_int8(data: LstmData, x, h, c):
    xs = x.astype(np.float64) - data.input_zero_point
    hs = h.astype(np.float64) - data.hidden_zero_point
    tflm = data.reference == TFLM
    gates = []
    for g in range(4):
        # The references sum in int32, wrapping when a huge bias overflows it.
        acc_x = wrap_int32((xs @ data.input_weights[g].T).astype(np.int64) + data.biases[g])
        acc_h = wrap_int32((hs @ data.recurrent_weights[g].T).astype(np.int64))
        part_x = _sat16(multiply_by_quantized_multiplier(acc_x, *data.input_multipliers[g], data.rounding))
        part_h = multiply_by_quantized_multiplier(acc_h, *data.recurrent_multipliers[g], data.rounding)
        if tflm:
            part_h = _sat16(part_h)
        pre = _sat16(part_x + part_h)
        if g == GATE_CELL:
            gates.append(_tflm_tanh(pre, -12) if tflm else tanh_fixed(pre, 3, bits=16))
        else:
            gates.append(logistic_int16(pre, 0, 0) if tflm else logistic_fixed(pre, 3, bits=16))
    i, f, g, o = gates
    c = c.astype(np.int64)
    if tflm:
        fc = _sat16(multiply_by_quantized_multiplier(f * c, *data.forget_mul, data.rounding))
        ig = _sat16(multiply_by_quantized_multiplier(i * g, *data.input_mul, data.rounding))
    else:
        fc = _sat16(rounding_divide_by_pot(f * c, 15))
        ig = _sat16(rounding_divide_by_pot(i * g, 30 + data.cell_scale_power))
    new_c = _sat16(fc + ig)
    if data.cell_clip is not None:
        new_c = np.clip(new_c, -data.cell_clip, data.cell_clip)
    if tflm:
        t = _tflm_tanh(new_c, data.cell_scale_power)
    else:
        t = tanh_fixed(new_c, 15 + data.cell_scale_power, bits=16)
    hidden = multiply_by_quantized_multiplier(t * o, *data.hidden_mul, data.rounding) + data.output_zero_point
    return np.clip(hidden, -128, 127).astype(np.int8), new_c.astype(np.int16)


def _step_int16x8(data: LstmData, x, h, c):
    """TFLite Micro's 16x8 step: 64-bit gate sums and requantizer, int16 hidden values."""
    xs = x.astype(np.float64)  # |sums| < n * 2**22: exact in float64
    hs = h.astype(np.float64)
    gates = []
    for g in range(4):
        acc_x = (xs @ data.input_weights[g].T).astype(np.int64) + data.biases[g]
        acc_h = (hs @ data.recurrent_weights[g].T).astype(np.int64)
        part_x = _sat16(multiply_by_quantized_multiplier_int64(acc_x, *data.input_multipliers[g]))
        part_h = _sat16(multiply_by_quantized_multiplier_int64(acc_h, *data.recurrent_multipliers[g]))
        pre = _sat16(part_x + part_h)
        gates.append(_tflm_tanh(pre, -12) if g == GATE_CELL else logistic_int16(pre, 0, 0))
    i, f, g, o = gates
    c = c.astype(np.int64)
    fc = _sat16(multiply_by_quantized_multiplier(f * c, *data.forget_mul, data.rounding))
    ig = _sat16(multiply_by_quantized_multiplier(i * g, *data.input_mul, data.rounding))
    new_c = _sat16(fc + ig)
    if data.cell_clip is not None:
        new_c = np.clip(new_c, -data.cell_clip, data.cell_clip)
    t = _tflm_tanh(new_c, data.cell_scale_power)
    hidden = multiply_by_quantized_multiplier(t * o, *data.hidden_mul, data.rounding) + data.output_zero_point
    return np.clip(hidden, -32768, 32767).astype(np.int16), new_c.astype(np.int16)
