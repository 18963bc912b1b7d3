"""Graph transformations the ``best`` planner may apply, keeping every result bit-identical.

*Aliasing*: RESHAPE, SQUEEZE and EXPAND_DIMS only reinterpret their input's bytes, so when the
input's last use is that operator the output can take the input's buffer.

*In place*: an elementwise operator reads element ``i`` of an input before it writes element ``i``
of its output, so when an input has the output's size and dies at that operator the output can
overwrite it: RELU, RELU6, LEAKY_RELU, LOGISTIC, TANH, HARD_SWISH, QUANTIZE and DEQUANTIZE (when
input and output elements have the same size), and ADD, SUB, MUL (with an input of the output's
shape and type; the other input may broadcast).

*Depthwise in place* (TinyEngine's idea): a DEPTHWISE_CONV_2D whose output has its input's shape
and type (depth multiplier 1, so stride 1 with SAME padding) computes channel by channel; copying
one channel's input plane (padded) to a small temporary first, it can write that channel's outputs
over its inputs. The temporary is a scratch buffer of that operator (``depthwise_scratch_bytes``),
which the plan must hold while it runs. microinfer's NumPy kernel computes into a fresh array and
the interpreter copies it over the dead input, so results are the same.

All are modelled by merging lifetimes: the tensors of one chain become one buffer that lives from
the first one's creation to the last one's last use. Only the main subgraph is transformed; graph
inputs and outputs are never overwritten, and nothing is merged in a model with an offline plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ..tflite.model import Model
from .lifetimes import BufferLifetime, operator_scopes

ALIAS_OPS = frozenset({"RESHAPE", "SQUEEZE", "EXPAND_DIMS"})
UNARY_IN_PLACE_OPS = frozenset(
    {"RELU", "RELU6", "LEAKY_RELU", "LOGISTIC", "TANH", "HARD_SWISH", "QUANTIZE", "DEQUANTIZE"}
)
BINARY_IN_PLACE_OPS = frozenset({"ADD", "SUB", "MUL"})
DEPTHWISE_OPS = frozenset({"DEPTHWISE_CONV_2D"})


def merges(
    model: Model,
    buffers: Sequence[BufferLifetime],
    alias: bool = True,
    in_place: bool = True,
    in_place_depthwise: bool = True,
) -> list[tuple[int, int, str]]:
    """``(input tensor, output tensor, "alias" | "in-place" | "in-place-depthwise")`` for each
    operator of the main subgraph whose output may share its input's buffer, in operator order."""
    if not (alias or in_place or in_place_depthwise) or model.offline_memory_allocation is not None:
        return []
    sg = model.main
    planned = {b.tensor: b for b in buffers if b.subgraph == sg.index and b.tensor is not None}
    if any(b.aliases for b in planned.values()):
        raise ValueError("the buffers are already merged")
    pinned = set(sg.inputs) | set(sg.outputs)
    group_last = {t: b.last for t, b in planned.items()}  # last use of the group a tensor ends
    found = []
    for op, (first, last) in zip(sg.operators, operator_scopes(model, sg.index)):
        if len(op.outputs) != 1 or first != last:
            continue
        out = op.outputs[0]
        if out not in planned or out in sg.inputs:
            continue
        if op.op in ALIAS_OPS and alias:
            kind, candidates = "alias", op.inputs[:1]
        elif op.op in UNARY_IN_PLACE_OPS and in_place:
            kind, candidates = "in-place", op.inputs[:1]
        elif op.op in BINARY_IN_PLACE_OPS and in_place:
            kind, candidates = "in-place", op.inputs[:2]
        elif op.op in DEPTHWISE_OPS and in_place_depthwise:
            kind, candidates = "in-place-depthwise", op.inputs[:1]
        else:
            continue
        o = sg.tensors[out]
        for source in candidates:
            if source < 0 or source not in planned or source in pinned or source in op.outputs:
                continue
            a = sg.tensors[source]
            if group_last[source] != first or a.nbytes != o.nbytes:
                continue
            if kind == "in-place" and op.op in BINARY_IN_PLACE_OPS and (a.shape != o.shape or a.type != o.type):
                continue
            if kind == "in-place-depthwise" and (a.shape != o.shape or a.type != o.type or len(a.shape) != 4
                                                 or not _four_d_filter(sg, op)):
                continue
            found.append((source, out, kind))
            group_last[out] = planned[out].last
            break
    return found


def _four_d_filter(sg, op) -> bool:
    """A filter tensor of (1, kh, kw, channels) shape (a malformed one gets no in-place plan)."""
    return len(op.inputs) > 1 and 0 <= op.inputs[1] < len(sg.tensors) and len(sg.tensors[op.inputs[1]].shape) == 4


def depthwise_scratch_bytes(model: Model, op_index: int) -> int:
    """The temporary an in-place DEPTHWISE_CONV_2D needs on a device: one channel's input plane
    with its padding, ``(H + pad_h) * (W + pad_w)`` elements of the input's type."""
    sg = model.main
    op = sg.operators[op_index]
    x, w, y = sg.tensors[op.inputs[0]], sg.tensors[op.inputs[1]], sg.tensors[op.outputs[0]]
    _, height, width, _ = x.shape
    _, kh, kw, _ = w.shape
    o = op.options
    padding = []
    for size, out, k, stride, dilation in ((height, y.shape[1], kh, o.stride_h, o.dilation_h_factor),
                                            (width, y.shape[2], kw, o.stride_w, o.dilation_w_factor)):
        padding.append(max((out - 1) * max(stride, 1) + (k - 1) * max(dilation, 1) + 1 - size, 0))
    itemsize = x.nbytes // max(x.num_elements, 1)
    return (height + padding[0]) * (width + padding[1]) * itemsize


def merged_buffers(
    buffers: Sequence[BufferLifetime], pairs: Sequence[tuple[int, int, str]], subgraph: int = 0
) -> list[BufferLifetime]:
    """``buffers`` with each chain of merged tensors replaced by one buffer: named and indexed
    after its first tensor, the others in ``aliases``, as large as its largest tensor."""
    if not pairs:
        return list(buffers)
    root: dict[int, int] = {}
    for source, out, _ in pairs:
        root[out] = root.get(source, source)
    members: dict[int, list[int]] = {}
    for t, r in root.items():
        members.setdefault(r, []).append(t)
    by_tensor = {b.tensor: b for b in buffers if b.subgraph == subgraph and b.tensor is not None}
    result = []
    for b in buffers:
        if b.subgraph == subgraph and b.tensor in root:
            continue  # folded into its chain's first tensor
        if b.subgraph == subgraph and b.tensor in members:
            chain = [b] + [by_tensor[t] for t in members[b.tensor]]
            b = replace(
                b,
                size=max(c.size for c in chain),
                first=min(c.first for c in chain),
                last=max(c.last for c in chain),
                aliases=tuple(members[b.tensor]),
            )
        result.append(b)
    return result
