"""What a model is made of: per-layer shapes, types, parameters and multiply-accumulates."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field

from .diagnosis import no_kernel_notes
from .kernels import REGISTRY
from .tflite.model import Model, Operator, Subgraph, Tensor
from .tflite.types import TensorType

# Operators with weights that LiteRT runs as dynamic-range (hybrid) layers when their input is
# float32 and their weights int8: the position of the weights among the inputs.
HYBRID_WEIGHTS = {"FULLY_CONNECTED": 1, "CONV_2D": 1, "DEPTHWISE_CONV_2D": 1, "SVDF": 1,
                  "UNIDIRECTIONAL_SEQUENCE_LSTM": 2, "BATCH_MATMUL": 1}
HYBRID_NOTE = ("dynamic-range (hybrid) model: float32 activations with int8 weights; LiteRT runs it, "
               "TFLite Micro cannot (convert with a representative dataset for full-integer quantization)")


@dataclass(frozen=True)
class TensorSummary:
    index: int
    name: str
    shape: tuple[int, ...]
    dtype: str
    quantization: str  # "none", "per-tensor", "per-channel(axis N)"
    constant: bool


@dataclass(frozen=True)
class LayerInfo:
    index: int
    op: str
    version: int
    inputs: tuple[TensorSummary, ...]
    outputs: tuple[TensorSummary, ...]
    macs: int
    parameters: int  # elements of constant inputs (weights, biases, tables)
    parameter_bytes: int

    @property
    def weight_quantization(self) -> str:
        """Granularity of the first quantized constant input (the weights), if any."""
        for t in self.inputs:
            if t.constant and t.quantization != "none":
                return t.quantization
        return "-"


@dataclass(frozen=True)
class ModelInfo:
    description: str
    size_bytes: int
    subgraphs: int
    inputs: tuple[TensorSummary, ...]
    outputs: tuple[TensorSummary, ...]
    layers: tuple[LayerInfo, ...]
    parameter_bytes: int  # distinct constant tensors used by operators (shared ones once)
    op_histogram: dict[str, int] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()  # oddities in the file that TFLite Micro tolerates
    # operators microinfer has no kernel for, one line per kind, saying whose they are
    unsupported: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # what a person should know before running the model

    @property
    def macs(self) -> int:
        return sum(layer.macs for layer in self.layers)

    @property
    def parameters(self) -> int:
        return sum(layer.parameters for layer in self.layers)

    def to_dict(self) -> dict:
        d = asdict(self)
        d.update(macs=self.macs, parameters=self.parameters)
        for layer, obj in zip(d["layers"], self.layers):
            layer["weight_quantization"] = obj.weight_quantization
        return d


def describe(model: Model) -> ModelInfo:
    """Summarise the main subgraph of ``model`` layer by layer."""
    sg = model.main
    layers = tuple(_layer(sg, op) for op in sg.operators)
    constants = {t for op in sg.operators for t in op.inputs if t >= 0 and sg.tensors[t].is_constant}
    return ModelInfo(
        description=model.description,
        size_bytes=model.size_bytes,
        subgraphs=len(model.subgraphs),
        inputs=tuple(_summary(sg.tensors[i]) for i in sg.inputs),
        outputs=tuple(_summary(sg.tensors[i]) for i in sg.outputs),
        layers=layers,
        parameter_bytes=sum(sg.tensors[t].nbytes for t in constants),
        op_histogram=dict(Counter(layer.op for layer in layers).most_common()),
        warnings=tuple(str(w) for w in model.warnings),
        unsupported=tuple(no_kernel_notes(sg, [op for op in sg.operators if op.op not in REGISTRY])),
        notes=(HYBRID_NOTE,) if any(is_hybrid(sg, op) for op in sg.operators) else (),
    )


def is_hybrid(sg: Subgraph, op: Operator) -> bool:
    """Whether ``op`` is a dynamic-range layer: float32 input with int8 (or int4) weights."""
    position = HYBRID_WEIGHTS.get(op.op)
    if position is None or len(op.inputs) <= position or min(op.inputs[0], op.inputs[position]) < 0:
        return False
    x, w = sg.tensors[op.inputs[0]], sg.tensors[op.inputs[position]]
    return x.type is TensorType.FLOAT32 and w.type in (TensorType.INT8, TensorType.INT4)


def _summary(t: Tensor) -> TensorSummary:
    granularity = t.quantization.granularity if t.quantization is not None else "none"
    return TensorSummary(t.index, t.name, t.shape, t.dtype_name, granularity, t.is_constant)


def _layer(sg: Subgraph, op: Operator) -> LayerInfo:
    inputs = tuple(sg.tensors[i] for i in op.inputs if i >= 0)
    constants = [t for t in inputs if t.is_constant]
    return LayerInfo(
        index=op.index,
        op=op.op,
        version=op.version,
        inputs=tuple(_summary(t) for t in inputs),
        outputs=tuple(_summary(sg.tensors[i]) for i in op.outputs),
        macs=operator_macs(sg, op),
        parameters=sum(t.num_elements for t in constants),
        parameter_bytes=sum(t.nbytes for t in constants),
    )


def _product(values) -> int:
    result = 1
    for v in values:
        result *= int(v)
    return result


def operator_macs(sg: Subgraph, op: Operator) -> int:
    """Multiply-accumulates of one operator, by the usual convention of the field.

    conv: N*OH*OW*OC*KH*KW*IC/groups; depthwise: N*OH*OW*OC*KH*KW; fully connected: OUT*IN per
    row of the batch; transpose conv: counted over the input, N*IH*IW*IC*KH*KW*OC; batch matmul:
    the product's M*N*K per batch; SVDF: the feature and time matrix products; LSTM: the gate
    matrix products (and projection) per time step. Other operators, and operators whose
    tensors do not have the ranks these formulas need (a malformed or dynamic-shaped model): 0.
    """
    def shape(i: int) -> tuple[int, ...]:
        index = op.inputs[i] if i < len(op.inputs) else -1
        return sg.tensors[index].shape if index >= 0 else ()

    out = sg.tensors[op.outputs[0]].shape if op.outputs else ()
    name = op.op
    if name == "CONV_2D" and len(shape(1)) == 4 and len(out) == 4:
        oc, kh, kw, filter_ic = shape(1)
        n, oh, ow, _ = out
        return n * oh * ow * oc * kh * kw * filter_ic  # = IC/groups channels per filter
    if name == "DEPTHWISE_CONV_2D" and len(shape(1)) == 4 and len(out) == 4:
        _, kh, kw, oc = shape(1)
        n, oh, ow, _ = out
        return n * oh * ow * oc * kh * kw
    if name == "FULLY_CONNECTED":
        return _fully_connected_macs(shape(0), shape(1), out)
    if name == "TRANSPOSE_CONV" and len(shape(1)) == 4 and len(shape(2)) == 4:
        oc, kh, kw, ic = shape(1)
        n, ih, iw, _ = shape(2)
        return n * ih * iw * ic * kh * kw * oc
    if name == "SVDF" and len(shape(0)) == 2 and len(shape(1)) == 2 and len(shape(2)) == 2:
        batch = shape(0)[0]
        filters, depth = shape(1)
        memory = shape(2)[1]
        return batch * filters * (depth + memory)
    if name == "UNIDIRECTIONAL_SEQUENCE_LSTM" and len(op.inputs) >= 9:
        return _lstm_macs(sg, op)
    if name == "BATCH_MATMUL":
        lhs = shape(0)
        if len(lhs) < 2:
            return 0
        depth = lhs[-2] if getattr(op.options, "adj_x", False) else lhs[-1]
        return _product(out) * depth
    return 0


def _fully_connected_macs(x: tuple[int, ...], weights: tuple[int, ...], out: tuple[int, ...]) -> int:
    """OUT*IN per batch row; from the input and output when the weights' shape is not (OUT, IN)
    (run-time weights may be declared without a shape)."""
    if len(weights) == 2:
        units, depth = weights
        return _product(out) // units * units * depth if units else 0
    units = out[-1] if out else 0
    rows = _product(out) // units if units else 0
    return _product(x) * units if rows else 0


def _lstm_macs(sg: Subgraph, op: Operator) -> int:
    if op.inputs[0] < 0:
        return 0
    steps = _product(sg.tensors[op.inputs[0]].shape[:-1])  # batch * time
    gate_weights = [op.inputs[i] for i in range(1, 9) if op.inputs[i] >= 0]
    per_step = sum(sg.tensors[t].num_elements for t in gate_weights)
    projection = op.inputs[16] if len(op.inputs) > 16 else -1
    if projection >= 0:
        per_step += sg.tensors[projection].num_elements
    return steps * per_step
