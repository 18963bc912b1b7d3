"""Structure-aware mutations of whole models, for the campaign past the loader.

Where ``tflite_mutations`` flips bytes to attack the reader, these mutate a *loaded* model's
fields (shapes, types, quantization, constant data, operator wiring, options, versions, subgraph
inputs and outputs, offline memory plans) and write it back with microinfer's writer, so that most
mutants still load and reach ``info``, the planners, the cost model, the interpreter (both
backends) and TFLite Micro. ``mutate`` is deterministic in its ``random.Random``.
"""

from __future__ import annotations

import dataclasses
import math
import random

import numpy as np

from microinfer.tflite.model import (
    OFFLINE_MEMORY_ALLOCATION,
    Buffer,
    Model,
    Operator,
    OperatorCode,
    Quantization,
    Subgraph,
    Tensor,
)
from microinfer.tflite.options import Options
from microinfer.tflite.schema_codes import BUILTIN_OPERATOR_NAMES
from microinfer.tflite.types import TensorType

INTERESTING_INTS = (0, 1, 2, 3, -1, -2, 4, 7, 8, 15, 16, 127, 128, 255, 256, 32767, 65536,
                    2**31 - 1, -(2**31), 2**20)
INTERESTING_SCALES = (0.0, -0.0, float("nan"), float("inf"), -0.1, 1e-38, 3.4e38, 1e-45, 1.0,
                      2.0**-15, 2.0**-7, 1e4)
INTERESTING_ZERO_POINTS = (0, -128, 127, 128, -129, 255, 256, 32767, -32768, 32768, 2**31 - 1)
TYPES = (TensorType.INT8, TensorType.INT16, TensorType.INT32, TensorType.UINT8, TensorType.FLOAT32,
         TensorType.BOOL, TensorType.INT64, TensorType.INT4)


class _Mutable:
    """A model taken apart into lists that mutations edit, and put back together."""

    def __init__(self, model: Model):
        self.model = model
        self.buffers = list(model.buffers)
        self.subgraphs = [dict(tensors=list(sg.tensors), operators=list(sg.operators),
                               inputs=list(sg.inputs), outputs=list(sg.outputs), name=sg.name,
                               index=sg.index) for sg in model.subgraphs]
        self.opcodes = list(model.operator_codes)
        self.metadata = dict(model.metadata_buffers)

    def build(self) -> Model:
        subgraphs = tuple(
            Subgraph(sg["index"], sg["name"], tuple(_reindexed(sg["tensors"])), tuple(sg["inputs"]),
                     tuple(sg["outputs"]), tuple(_renumbered(sg["operators"])))
            for sg in self.subgraphs)
        metadata = {name: _payload(self.buffers[i]) for name, i in self.metadata.items()}
        return dataclasses.replace(self.model, buffers=tuple(self.buffers), subgraphs=subgraphs,
                                   operator_codes=tuple(self.opcodes), metadata=metadata,
                                   metadata_buffers=dict(self.metadata), signature_defs=())

    def add_buffer(self, payload: bytes) -> int:
        data = np.frombuffer(payload, dtype=np.uint8) if payload else None
        self.buffers.append(Buffer(data))
        return len(self.buffers) - 1


def _payload(buffer: Buffer) -> np.ndarray:
    return buffer.data if buffer.data is not None else np.zeros(0, np.uint8)


def _reindexed(tensors: list[Tensor]) -> list[Tensor]:
    return [dataclasses.replace(t, index=i) for i, t in enumerate(tensors)]


def _renumbered(operators: list[Operator]) -> list[Operator]:
    return [dataclasses.replace(op, index=i) for i, op in enumerate(operators)]


# -- mutations ---------------------------------------------------------------------------------------
def mutate(rng: random.Random, model: Model, rounds: int | None = None) -> Model:
    """``model`` with 1-3 random structure-aware mutations (``rounds`` fixes the count)."""
    m = _Mutable(model)
    for _ in range(rounds or rng.choice((1, 1, 1, 2, 3))):
        kind = rng.choices(MUTATIONS, weights=[w for _, w in MUTATIONS])[0][0]
        kind(rng, m)
    return m.build()


def _any_subgraph(rng, m: _Mutable) -> dict:
    return m.subgraphs[0] if rng.random() < 0.85 else rng.choice(m.subgraphs)


def _any_tensor(rng, m: _Mutable) -> tuple[dict, int]:
    sg = _any_subgraph(rng, m)
    if not sg["tensors"]:
        return sg, -1
    # prefer tensors operators touch
    touched = [i for op in sg["operators"] for i in (*op.inputs, *op.outputs) if i >= 0]
    return sg, rng.choice(touched) if touched and rng.random() < 0.9 else rng.randrange(len(sg["tensors"]))


def _set_tensor(sg: dict, index: int, **changes) -> None:
    sg["tensors"][index] = dataclasses.replace(sg["tensors"][index], **changes)


MAX_RANDOM_ELEMENTS = 1 << 20


def _random_data(rng, ttype: TensorType, count: int, like: np.ndarray | None) -> bytes:
    """Constant data: the old values nudged, small integers (axes, shapes, indices), extremes. A
    mutated shape may ask for billions of elements: the data then stops short (a buffer smaller
    than its shape, which the loader must refuse) instead of exhausting the campaign's memory."""
    count = min(count, MAX_RANDOM_ELEMENTS)
    if ttype.numpy_dtype is None:
        return bytes(rng.getrandbits(8) for _ in range(min(count, 64)))
    dtype = np.dtype(ttype.numpy_dtype)
    nprng = np.random.default_rng(rng.getrandbits(32))
    choice = rng.random()
    if like is not None and like.size == count and choice < 0.4 and dtype.kind in "iu":
        values = like.astype(np.int64).reshape(-1) + nprng.integers(-2, 3, count)
    elif choice < 0.7:
        values = nprng.integers(-3, 9, count)
    elif dtype.kind == "f":
        values = nprng.choice(np.array([0.0, -1.0, 1e30, np.nan, np.inf, 1e-30, 3.0], np.float32), count)
    else:
        info = np.iinfo(dtype) if dtype.kind in "iu" else np.iinfo(np.int8)
        values = nprng.choice(np.array([info.min, info.max, 0, 1, -1 if info.min < 0 else 2]), count)
    if ttype is TensorType.INT4:
        values = np.clip(values, -8, 7).astype(np.int8)
        nibbles = np.append(values, np.int8(0))[: (count + 1) // 2 * 2].astype(np.uint8) & 0x0F
        return (nibbles[0::2] | (nibbles[1::2] << 4)).astype(np.uint8).tobytes()
    with np.errstate(all="ignore"):
        return np.asarray(values).astype(dtype).tobytes()


def _restore_constant(rng, m: _Mutable, sg: dict, index: int) -> None:
    """Give a constant tensor whose shape or type changed data of the right size."""
    t = sg["tensors"][index]
    if t.data is None and t.buffer == 0:
        return
    count = math.prod(d for d in t.shape if d >= 0) if t.shape else 1
    if count > 1 << 20:
        return  # the loader will refuse the size mismatch: also a useful mutant
    old = t.data if t.data is not None and t.type.numpy_dtype is not None else None
    buffer = m.add_buffer(_random_data(rng, t.type, count, old))
    _set_tensor(sg, index, buffer=buffer, data=None)


def mutate_shape(rng, m: _Mutable) -> None:
    sg, i = _any_tensor(rng, m)
    if i < 0:
        return
    shape = list(sg["tensors"][i].shape)
    action = rng.randrange(6)
    if action == 0 and shape:
        shape[rng.randrange(len(shape))] = rng.choice((0, 1, 2, 3, 5, 2**16, 2**31 - 1, -1))
    elif action == 1 and shape:
        k = rng.randrange(len(shape))
        shape[k] = max(0, shape[k] + rng.choice((-1, 1, 2)))
    elif action == 2 and shape:
        del shape[rng.randrange(len(shape))]
    elif action == 3:
        shape.insert(rng.randrange(len(shape) + 1), rng.choice((1, 1, 2, 3)))
    elif action == 4:
        shape = [1] * rng.choice((0, 5, 6, 7)) + shape[-2:]
    else:
        rng.shuffle(shape)
    _set_tensor(sg, i, shape=tuple(shape), shape_signature=None)
    _restore_constant(rng, m, sg, i)


def mutate_type(rng, m: _Mutable) -> None:
    sg, i = _any_tensor(rng, m)
    if i < 0:
        return
    _set_tensor(sg, i, type=rng.choice(TYPES))
    _restore_constant(rng, m, sg, i)


def mutate_quantization(rng, m: _Mutable) -> None:
    sg, i = _any_tensor(rng, m)
    if i < 0:
        return
    t = sg["tensors"][i]
    q = t.quantization
    action = rng.randrange(6)
    if q is None or len(q.scale) == 0 or action == 0:
        channels = min(rng.choice((1, 1, t.shape[0] if t.shape else 1)), MAX_RANDOM_ELEMENTS)  # a mutated shape
        q = Quantization(np.full(channels, rng.choice((0.1, 1.0, 2.0**-8)), "<f4"),
                         np.zeros(channels, "<i8"), 0)
    elif action == 1:
        scale = q.scale.copy()
        scale[rng.randrange(len(scale))] = rng.choice(INTERESTING_SCALES)
        q = dataclasses.replace(q, scale=scale)
    elif action == 2:
        zero_point = q.zero_point.copy()
        zero_point[rng.randrange(len(zero_point))] = rng.choice(INTERESTING_ZERO_POINTS)
        q = dataclasses.replace(q, zero_point=zero_point)
    elif action == 3:
        q = dataclasses.replace(q, quantized_dimension=rng.choice((0, 1, 2, 3, 4, -1)))
    elif action == 4:
        keep = rng.randrange(1, len(q.scale) + 2)
        scale = np.resize(q.scale, keep).astype("<f4")
        q = Quantization(scale, np.resize(q.zero_point, keep).astype("<i8"), q.quantized_dimension)
    else:
        q = None
    _set_tensor(sg, i, quantization=q)


def mutate_flags(rng, m: _Mutable) -> None:
    sg, i = _any_tensor(rng, m)
    if i < 0:
        return
    t = sg["tensors"][i]
    if rng.random() < 0.5:
        _set_tensor(sg, i, is_variable=not t.is_variable)
    elif t.is_constant:  # a constant turned into a run-time tensor
        _set_tensor(sg, i, buffer=0, data=None)
    else:  # a run-time tensor turned into a constant
        _set_tensor(sg, i, buffer=1 if len(m.buffers) > 1 else 0)
        _restore_constant(rng, m, sg, i)


def mutate_constant_data(rng, m: _Mutable) -> None:
    sg = _any_subgraph(rng, m)
    constants = [i for i, t in enumerate(sg["tensors"]) if t.is_constant]
    if not constants:
        return
    i = rng.choice(constants)
    t = sg["tensors"][i]
    buffer = m.add_buffer(_random_data(rng, t.type, t.num_elements, t.data))
    _set_tensor(sg, i, buffer=buffer, data=None)


def mutate_wiring(rng, m: _Mutable) -> None:
    sg = _any_subgraph(rng, m)
    if not sg["operators"] or not sg["tensors"]:
        return
    k = rng.randrange(len(sg["operators"]))
    op = sg["operators"][k]
    inputs, outputs = list(op.inputs), list(op.outputs)
    n = len(sg["tensors"])
    action = rng.randrange(7)
    if action == 0 and inputs:
        inputs[rng.randrange(len(inputs))] = rng.randrange(n)
    elif action == 1 and inputs:
        inputs[rng.randrange(len(inputs))] = -1
    elif action == 2 and inputs:
        inputs.pop(rng.randrange(len(inputs)))
    elif action == 3:
        inputs.append(rng.choice((rng.randrange(n), -1)))
    elif action == 4 and outputs:
        outputs[rng.randrange(len(outputs))] = rng.randrange(n)
    elif action == 5:
        if outputs and rng.random() < 0.5:
            outputs.pop()
        else:
            outputs.append(rng.randrange(n))
    else:
        rng.shuffle(inputs)
    sg["operators"][k] = dataclasses.replace(op, inputs=tuple(inputs), outputs=tuple(outputs))


def mutate_operators(rng, m: _Mutable) -> None:
    """Reorder, drop or duplicate operators."""
    sg = _any_subgraph(rng, m)
    ops = sg["operators"]
    if not ops:
        return
    action = rng.randrange(3)
    if action == 0 and len(ops) > 1:
        a, b = rng.sample(range(len(ops)), 2)
        ops[a], ops[b] = ops[b], ops[a]
    elif action == 1:
        ops.pop(rng.randrange(len(ops)))
    else:
        k = rng.randrange(len(ops))
        ops.insert(k, ops[k])


def mutate_options(rng, m: _Mutable) -> None:
    sg = _any_subgraph(rng, m)
    candidates = [k for k, op in enumerate(sg["operators"])
                  if isinstance(op.options, Options) and dataclasses.fields(op.options)]
    if not candidates:
        return
    k = rng.choice(candidates)
    op = sg["operators"][k]
    f = rng.choice(dataclasses.fields(op.options))
    value = getattr(op.options, f.name)
    enum = f.metadata.get("enum")
    if enum is not None:
        new = rng.choice(list(enum))
    elif isinstance(value, bool):
        new = not value
    elif isinstance(value, int):
        new = rng.choice(INTERESTING_INTS)
    elif isinstance(value, float):
        new = rng.choice((0.0, -1.0, float("nan"), float("inf"), 1e-30, 1e30, 0.5))
    elif isinstance(value, tuple) or (value is None and f.metadata.get("wire", "").startswith("[")):
        old = list(value or ())
        new = tuple(rng.choice(INTERESTING_INTS[:8]) for _ in range(rng.choice((0, 1, len(old), len(old) + 1))))
    else:
        return
    options = dataclasses.replace(op.options, **{f.name: new})
    sg["operators"][k] = dataclasses.replace(op, options=options)


def mutate_opcode(rng, m: _Mutable) -> None:
    if not m.opcodes:
        return
    k = rng.randrange(len(m.opcodes))
    code = m.opcodes[k]
    if rng.random() < 0.6:
        m.opcodes[k] = dataclasses.replace(code, version=rng.choice((0, 1, 2, 3, 5, 9, 99)))
    else:
        builtin = rng.choice(sorted(BUILTIN_OPERATOR_NAMES))
        m.opcodes[k] = OperatorCode(builtin, code.version, None, min(builtin, 127))
        # the options no longer match the operator: drop them (what a converter would write)
        for sg in m.subgraphs:
            sg["operators"] = [dataclasses.replace(op, opcode=m.opcodes[k], options=None)
                               if op.opcode_index == k else op for op in sg["operators"]]
        return
    for sg in m.subgraphs:
        sg["operators"] = [dataclasses.replace(op, opcode=m.opcodes[k]) if op.opcode_index == k else op
                           for op in sg["operators"]]


def mutate_graph_io(rng, m: _Mutable) -> None:
    sg = _any_subgraph(rng, m)
    key = rng.choice(("inputs", "outputs"))
    values = sg[key]
    n = len(sg["tensors"])
    if not n:
        return
    action = rng.randrange(3)
    if action == 0 and values:
        values[rng.randrange(len(values))] = rng.randrange(n)
    elif action == 1 and values:
        values.pop(rng.randrange(len(values)))
    else:
        values.append(rng.randrange(n))


def mutate_offline_plan(rng, m: _Mutable) -> None:
    """Add, or disturb, an OfflineMemoryAllocation metadata buffer."""
    count = sum(len(sg["tensors"]) for sg in m.subgraphs)
    offsets = [-1] * count
    for i in range(count):
        if rng.random() < 0.5:
            offsets[i] = rng.choice((0, 16, 64, 256, 4096, -1, -2))
    if rng.random() < 0.2:
        count += rng.choice((-1, 1))
    words = np.array([1, 0, count, *offsets], dtype="<i4")
    m.metadata[OFFLINE_MEMORY_ALLOCATION] = m.add_buffer(words.tobytes())


MUTATIONS = (
    (mutate_shape, 4), (mutate_type, 2), (mutate_quantization, 4), (mutate_flags, 1),
    (mutate_constant_data, 4), (mutate_wiring, 3), (mutate_operators, 1), (mutate_options, 4),
    (mutate_opcode, 1), (mutate_graph_io, 1), (mutate_offline_plan, 1),
)
