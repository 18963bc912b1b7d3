"""The float32 and hybrid UNIDIRECTIONAL_SEQUENCE_LSTM steps, with LiteRT's variants.

Per time step, for the input (i), forget (f), cell (g) and output (o) gates::

    gate = act(x W_gate^T + h R_gate^T + p_gate * c + b_gate)     act = sigmoid, the option for g
    with layer norm:  gate = act(normalize(x W^T + h R^T + p * c) * ln_gate + b_gate)
    c = clip(f * c + i * g)           CIFG (no input gate): i = 1 - f
    h = o * act(c)                    (p_o multiplies the new cell state)
    with projection:  h = clip(P (o * act(c)) + b_proj)

TFLite Micro runs only the standard float32 LSTM (tanh, no CIFG, peephole, projection or layer
norm); LiteRT runs every variant, and hybrid ones: int8 weights (gate, peephole and projection
weights) with float32 input, states, biases and layer norm coefficients. Its hybrid step
quantizes the step's input and the hidden state per batch row (see :mod:`._hybrid`; an all-zero
input or hidden state is skipped), adds each product to the gate as ``sum * (row scale * weight
scale)``, dequantizes the peephole weights as ``w * scale``, and quantizes the projection's input
the same way. Sums of float32 products follow LiteRT's order of operations; the matrix products
sum in another order (within 1e-5).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tflite.types import ActivationFunction, TensorType
from . import _hybrid, common
from .registry import Node

# Positions of the 24 inputs (schema order).
INPUT = 0
INPUT_WEIGHTS = (1, 2, 3, 4)  # input, forget, cell, output gates
RECURRENT_WEIGHTS = (5, 6, 7, 8)
PEEPHOLE = (9, 10, 11)  # input, forget, output gates
BIASES = (12, 13, 14, 15)
PROJECTION_WEIGHTS, PROJECTION_BIAS = 16, 17
HIDDEN_STATE, CELL_STATE = 18, 19
LAYER_NORM = (20, 21, 22, 23)
GATE_INPUT, GATE_FORGET, GATE_CELL, GATE_OUTPUT = range(4)
PEEPHOLE_OF_GATE = {GATE_INPUT: PEEPHOLE[0], GATE_FORGET: PEEPHOLE[1], GATE_OUTPUT: PEEPHOLE[2]}
# Added to the variance before its square root in LiteRT's layer normalization.
NORMALIZATION_GUARD = np.float32(1e-8)


@dataclass(frozen=True)
class HybridMatrix:
    """int8 weights and their scale: products of LiteRT's hybrid matrix-vector kernel."""

    product: _hybrid.SseMatrixProduct
    scale: np.float32

    def accumulate(self, acc: np.ndarray, rows: _hybrid.QuantizedRows) -> np.ndarray:
        """``acc + sum * (row scale * weight scale)``, in float32."""
        scale = (rows.scale * self.scale).astype(np.float32)[:, None]
        return (acc + (self.product(rows).astype(np.float32) * scale).astype(np.float32)).astype(np.float32)


@dataclass(frozen=True)
class Gate:
    input_weights: np.ndarray | HybridMatrix  # (n_cell, n_input) float32, or int8 and its scale
    recurrent_weights: np.ndarray | HybridMatrix
    peephole: np.ndarray | None  # float32 (n_cell,): the dequantized weights for hybrid
    layer_norm: np.ndarray | None  # float32 (n_cell,)
    bias: np.ndarray  # float32 (n_cell,)
    activation: ActivationFunction | None  # None: sigmoid


@dataclass(frozen=True)
class FloatLstmData:
    kind: str  # "float32" or "hybrid"
    time_major: bool
    n_cell: int
    n_output: int
    output_shape: tuple[int, ...]
    gates: tuple[Gate | None, ...]  # input, forget, cell, output; the input gate None for CIFG
    projection: np.ndarray | HybridMatrix | None  # (n_output, n_cell)
    projection_bias: np.ndarray | None
    cell_clip: float
    proj_clip: float
    activation: ActivationFunction
    asymmetric: bool


def is_hybrid(node: Node) -> bool:
    return _hybrid.is_hybrid(node, INPUT_WEIGHTS[1], (TensorType.INT8,))


def prepare(node: Node) -> FloatLstmData:
    hybrid = is_hybrid(node)

    def weights(i):
        t = node.input(i)
        if t is None:
            return None
        if hybrid:
            return HybridMatrix(_hybrid.SseMatrixProduct.of(t.data), common.scale_of(t))
        return np.asarray(t.data, np.float32)

    def vector(i):
        t = node.input(i)
        if t is None:
            return None
        if t.type is TensorType.INT8:  # hybrid peephole weights: LiteRT's VectorScalarMultiply
            return (np.asarray(t.data, np.float32) * common.scale_of(t)).astype(np.float32)
        return np.asarray(t.data, np.float32)

    activation = node.options.fused_activation_function
    gates = tuple(
        None if node.input(INPUT_WEIGHTS[g]) is None else Gate(
            input_weights=weights(INPUT_WEIGHTS[g]),
            recurrent_weights=weights(RECURRENT_WEIGHTS[g]),
            peephole=vector(PEEPHOLE_OF_GATE[g]) if g in PEEPHOLE_OF_GATE else None,
            layer_norm=vector(LAYER_NORM[g]),
            bias=vector(BIASES[g]),
            activation=activation if g == GATE_CELL else None,
        )
        for g in range(4)
    )
    recurrent = node.input(RECURRENT_WEIGHTS[1])
    return FloatLstmData(
        kind="hybrid" if hybrid else "float32",
        time_major=bool(node.options.time_major),
        n_cell=recurrent.shape[0],
        n_output=recurrent.shape[1],
        output_shape=node.outputs[0].shape,
        gates=gates,
        projection=weights(PROJECTION_WEIGHTS),
        projection_bias=vector(PROJECTION_BIAS),
        cell_clip=float(np.float32(node.options.cell_clip)),
        proj_clip=float(np.float32(node.options.proj_clip)),
        activation=activation,
        asymmetric=bool(node.options.asymmetric_quantize_inputs),
    )


def step(data: FloatLstmData, x: np.ndarray, h: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One time step on (batch, features) float32 arrays: the new hidden and cell states."""
    x, h, c = (np.asarray(v, np.float32) for v in (x, h, c))
    products = _Products(data, x, h)
    gates = data.gates
    forget = _gate(gates[GATE_FORGET], products, c)
    candidate = _gate(gates[GATE_CELL], products, None)
    if gates[GATE_INPUT] is None:  # CIFG
        input_gate = (np.float32(1) - forget).astype(np.float32)
    else:
        input_gate = _gate(gates[GATE_INPUT], products, c)
    new_c = (forget * c).astype(np.float32)
    new_c = (new_c + candidate * input_gate).astype(np.float32)
    if data.cell_clip > 0:
        new_c = np.clip(new_c, -data.cell_clip, data.cell_clip).astype(np.float32)
    output_gate = _gate(gates[GATE_OUTPUT], products, new_c)
    hidden = (output_gate * _hybrid.apply_activation(new_c, data.activation)).astype(np.float32)
    return _project(data, hidden), new_c


class _Products:
    """The gate products of one step's input and hidden state (quantized once for hybrid)."""

    def __init__(self, data: FloatLstmData, x: np.ndarray, h: np.ndarray):
        self.hybrid = data.kind == "hybrid"
        self.x, self.h = x, h
        # LiteRT's hybrid step skips an all-zero input or hidden state (no quantization, no sum).
        self.x_rows = _hybrid.quantize_rows(x, data.asymmetric) if self.hybrid and x.any() else None
        self.h_rows = _hybrid.quantize_rows(h, data.asymmetric) if self.hybrid and h.any() else None

    def accumulate(self, acc: np.ndarray, gate: Gate) -> np.ndarray:
        if not self.hybrid:
            acc = (acc + self.x @ gate.input_weights.T).astype(np.float32)
            return (acc + self.h @ gate.recurrent_weights.T).astype(np.float32)
        if self.x_rows is not None:
            acc = gate.input_weights.accumulate(acc, self.x_rows)
        if self.h_rows is not None:
            acc = gate.recurrent_weights.accumulate(acc, self.h_rows)
        return acc


def _gate(gate: Gate, products: _Products, cell: np.ndarray | None) -> np.ndarray:
    batch = products.x.shape[0]
    if gate.layer_norm is not None:
        acc = np.zeros((batch, len(gate.bias)), np.float32)
    else:
        acc = np.tile(gate.bias, (batch, 1)).astype(np.float32)
    acc = products.accumulate(acc, gate)
    if gate.peephole is not None and cell is not None:
        acc = (acc + gate.peephole * cell).astype(np.float32)
    if gate.layer_norm is not None:
        acc = (_normalize(acc) * gate.layer_norm).astype(np.float32)
        acc = (acc + gate.bias).astype(np.float32)
    if gate.activation is None:
        return _sigmoid(acc)
    return _hybrid.apply_activation(acc, gate.activation)


def _normalize(values: np.ndarray) -> np.ndarray:
    """LiteRT's MeanStddevNormalization of each row, in float32: (x - mean) / sqrt(variance +
    1e-8), the variance summed over (x - mean)**2."""
    n = np.float32(values.shape[1])
    mean = (values.sum(axis=1, dtype=np.float32) / n).astype(np.float32)[:, None]
    diff = (values - mean).astype(np.float32)
    variance = ((diff * diff).sum(axis=1, dtype=np.float32) / n).astype(np.float32)
    inverse = (np.float32(1) / np.sqrt((variance + NORMALIZATION_GUARD).astype(np.float32))).astype(np.float32)
    return (diff * inverse[:, None]).astype(np.float32)


def _sigmoid(values: np.ndarray) -> np.ndarray:
    return (1.0 / (1.0 + np.exp(-values.astype(np.float64)))).astype(np.float32)


def _project(data: FloatLstmData, hidden: np.ndarray) -> np.ndarray:
    if data.projection is None:
        return hidden
    batch = hidden.shape[0]
    out = np.zeros((batch, data.n_output), np.float32) if data.projection_bias is None \
        else np.tile(data.projection_bias, (batch, 1)).astype(np.float32)
    if isinstance(data.projection, HybridMatrix):
        if hidden.any():  # LiteRT skips an all-zero vector
            out = data.projection.accumulate(out, _hybrid.quantize_rows(hidden, data.asymmetric))
    else:
        out = (out + hidden @ data.projection.T).astype(np.float32)
    if data.proj_clip > 0:
        out = np.clip(out, -data.proj_clip, data.proj_clip).astype(np.float32)
    return out
