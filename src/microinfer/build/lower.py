"""From a model to the kernel calls a standalone C library makes, and the arena they run in.

Every parameter comes from microinfer's own prepare step: the NumPy kernels' ``prepare`` (the
spec) and, from it, the C backend's ``prepare_call`` (:func:`microinfer.c_backend.prepare_call`),
the same prepared call ``backend="c"`` and ``emulate`` make. The call is made once against a
recording stand-in for the kernel library; the function names and the ctypes arguments it
receives (parameter structs, constant arrays, input, output and scratch addresses) are what the
generated C repeats. Nothing here knows a kernel's signature.

Before that, the graph is simplified without changing a bit of any result:

- *constant folding*: an operator whose inputs are all constants (or a SHAPE of a tensor of
  static shape) runs once here, on the NumPy kernels; its outputs become constants in flash;
- *aliasing*: RESHAPE, SQUEEZE and EXPAND_DIMS only reinterpret bytes, so their output is the
  input's buffer and they run no code (one whose output is a model output stays a copy, which
  the plan usually turns into nothing by aliasing it too).

The simplified graph is what the arena planner sees, with each remaining operator's scratch
buffers as its scratch requests.
"""

from __future__ import annotations

import ctypes
import re
from dataclasses import dataclass, field, replace

import numpy as np

from ..errors import MicroinferError, UnsupportedOpError
from ..interpreter import Interpreter
from ..kernels.registry import Node
from ..planner import ArenaPlan, plan_head
from ..planner.lifetimes import align
from ..tflite import Model, load

ALIAS_OPS = frozenset({"RESHAPE", "SQUEEZE", "EXPAND_DIMS"})
SHAPE_OPS = frozenset({"SHAPE"})  # values depend on shapes only: always foldable


class BuildRefusedError(UnsupportedOpError):
    """The model uses operators the C kernels cannot run; ``problems`` lists them, one line each."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("microinfer build generates code only where a C kernel runs the operator; "
                         "it cannot for these:\n  " + "\n  ".join(self.problems))


class BuildError(MicroinferError):
    """The generated library could not be produced, compiled or verified."""


# -- recording the prepared calls ---------------------------------------------------------------

@dataclass(frozen=True)
class KernelCall:
    """One call a prepared node makes: the C function, its ctypes arguments and argtypes."""

    function: str
    arguments: tuple
    argtypes: tuple | None


class _RecordingFunction:
    def __init__(self, name: str, calls: list[KernelCall]):
        self.__name__ = name
        self._calls = calls
        self.argtypes = None
        self.restype = None

    def __call__(self, *arguments):
        self._calls.append(KernelCall(self.__name__, arguments,
                                      None if self.argtypes is None else tuple(self.argtypes)))
        return 0


class RecordingLibrary:
    """Stands in for the kernel library: kernel calls are recorded (with their argtypes); size and
    version queries go to the real host library."""

    _QUERIES = re.compile(r"(_get_buffer_size|_abi_version)$")

    def __init__(self, host_library):
        self._host = host_library
        self.calls: list[KernelCall] = []

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        if self._QUERIES.search(name):
            return getattr(self._host, name)
        return _RecordingFunction(name, self.calls)


# -- the lowered graph ----------------------------------------------------------------------------

@dataclass
class Layer:
    """One operator the generated code runs, in the simplified graph's numbering."""

    index: int  # in the simplified graph (the plan's operator numbering)
    original: int  # the model's operator index
    op: str
    node: Node
    kind: str  # "kernel" (recorded C calls) or "copy" (a RESHAPE kept as a byte copy)
    calls: list[KernelCall] = field(default_factory=list)
    call: object = None  # the prepared CCall: keeps every array the arguments point into alive
    inputs: dict[int, tuple[int, np.ndarray]] = field(default_factory=dict)  # address -> (tensor, placeholder)
    scratch_bytes: int = 0  # one region holding every scratch buffer of the calls
    scratch: dict[int, int] = field(default_factory=dict)  # scratch buffer address -> offset in the region

    @property
    def functions(self) -> list[str]:
        return [c.function for c in self.calls]


@dataclass
class LoweredModel:
    model: Model  # as loaded
    simplified: Model  # folded and aliased: what the planner plans and the code runs
    layers: list[Layer]
    constants: dict[int, np.ndarray]  # tensor index -> value (model constants and folded tensors)
    storage_of: dict[int, int]  # tensor index -> the tensor whose buffer holds it (aliases)
    folded: list[int]  # original indices of the operators run at generation time
    aliased: list[int]  # original indices of the operators that became aliases
    variables: dict[int, np.ndarray]  # variable tensors (state) and their initial values
    reference: str = "tflm"

    @property
    def main(self):
        return self.model.main

    def tensor(self, index: int):
        return self.model.main.tensors[index]


def lower(model: Model | bytes | str, reference: str = "tflm", host_library=None) -> LoweredModel:
    """The kernel calls of every operator of ``model``, from microinfer's prepare step. Raises
    :class:`BuildRefusedError` listing every operator without a C kernel."""
    from .. import c_backend

    model = model if isinstance(model, Model) else load(model)
    if len(model.subgraphs) != 1:
        raise BuildRefusedError([f"the model has {len(model.subgraphs)} subgraphs (control flow); "
                                 "microinfer build generates code for single-subgraph models"])
    try:
        interpreter = Interpreter(model, reference=reference)
    except UnsupportedOpError as error:
        raise BuildRefusedError([line.strip() for line in str(error).splitlines()[1:] if line.strip()]) from None
    sg = model.main
    prepared = interpreter.prepared_nodes()
    static = _static_tensors(model)
    folded = [op.index for op in sg.operators if op.outputs and all(t in static for t in op.outputs)]
    constants = {t.index: np.asarray(t.data) for t in sg.tensors if t.data is not None}
    if folded:
        constants.update(_folded_values(interpreter, model, static))
    storage_of, aliased = _aliases(model, set(folded), static)
    simplified, kept = _simplified(model, constants, storage_of, set(folded) | set(aliased))
    host_library = host_library or c_backend.load_library()
    layers, problems = [], []
    for new_index, original in enumerate(kept):
        node, data = prepared[original]
        op = sg.operators[original]
        if op.op in ALIAS_OPS:
            layers.append(Layer(new_index, original, op.op, node, "copy"))
            continue
        library = RecordingLibrary(host_library)
        call = c_backend.prepare_call(library, node, data)
        if isinstance(call, str):
            types = "/".join(t.type.name.lower() for t in node.inputs if t is not None)
            problems.append(f"operator {original} {op.op} ({types}): {call}")
            continue
        layers.append(_recorded_layer(new_index, original, node, call, library, constants))
    if problems:
        raise BuildRefusedError(problems)
    variables = {index: value for index, value in interpreter._initial_variables().items()}
    return LoweredModel(model, simplified, layers, constants, storage_of, folded, aliased, variables, reference)


def _static_tensors(model: Model) -> set[int]:
    """Tensors whose values do not depend on the model's inputs or state."""
    sg = model.main
    static = {t.index for t in sg.tensors if t.data is not None}
    for op in sg.operators:
        inputs = [t for t in op.inputs if t >= 0]
        if any(sg.tensors[t].is_variable for t in (*inputs, *op.outputs)):
            continue
        if op.op in SHAPE_OPS or (inputs and all(t in static for t in inputs)):
            static.update(op.outputs)
    return static - {t for t in sg.inputs}


def _folded_values(interpreter: Interpreter, model: Model, static: set[int]) -> dict[int, np.ndarray]:
    """Run the model once (any input will do) and keep the static tensors' values."""
    from ..testing.op_models import random_inputs

    interpreter.run(random_inputs(model, np.random.default_rng(0)), intermediates=True)
    values = interpreter.tensor_values()
    interpreter.reset_variables()
    return {t: np.array(values[t]) for t in static if t in values}


def _aliases(model: Model, folded: set[int], static: set[int]) -> tuple[dict[int, int], list[int]]:
    sg = model.main
    storage_of: dict[int, int] = {}
    aliased = []
    outputs = set(sg.outputs)
    for op in sg.operators:
        if op.index in folded or op.op not in ALIAS_OPS or len(op.outputs) != 1 or not op.inputs:
            continue
        source, out = op.inputs[0], op.outputs[0]
        if source < 0 or source in static or out in outputs:
            continue
        if sg.tensors[source].nbytes != sg.tensors[out].nbytes:
            continue
        storage_of[out] = storage_of.get(source, source)
        aliased.append(op.index)
    return storage_of, aliased


def _simplified(model: Model, constants: dict[int, np.ndarray], storage_of: dict[int, int],
                removed: set[int]) -> tuple[Model, list[int]]:
    """The model with folded tensors constant, aliased tensors replaced by their storage in every
    operator's inputs, and folded and aliased operators removed (renumbered 0..)."""
    sg = model.main
    tensors = tuple(
        replace(t, data=np.asarray(constants[t.index])) if t.data is None and t.index in constants else t
        for t in sg.tensors
    )
    kept = [op.index for op in sg.operators if op.index not in removed]
    operators = []
    for new_index, original in enumerate(kept):
        op = sg.operators[original]
        inputs = tuple(storage_of.get(t, t) if t >= 0 else t for t in op.inputs)
        operators.append(replace(op, index=new_index, inputs=inputs))
    main = replace(sg, tensors=tensors, operators=tuple(operators))
    return replace(model, subgraphs=(main, *model.subgraphs[1:])), kept


def _recorded_layer(new_index: int, original: int, node: Node, call, library: RecordingLibrary,
                    constants: dict[int, np.ndarray]) -> Layer:
    """Run the prepared call once on placeholder inputs and keep the kernel calls it made."""
    placeholders, addresses = [], []
    inputs: dict[int, tuple[int, np.ndarray]] = {}
    for slot, position in enumerate(call.input_positions):
        tensor = node.inputs[position]
        dtype, size = call.input_dtypes[slot], call.input_sizes[slot]
        if tensor.index in constants:
            array = np.ascontiguousarray(np.asarray(constants[tensor.index]).reshape(-1), dtype=dtype)
        else:
            array = np.zeros(max(size, 1), dtype)
        placeholders.append(array)
        addresses.append(array.ctypes.data)
        inputs[array.ctypes.data] = (tensor.index, array)
    library.calls.clear()
    status = call.invoke(*addresses)
    if status:
        raise BuildError(f"operator {original} {node.op.op}: the prepared call returned status {status}")
    if not library.calls:
        raise BuildError(f"operator {original} {node.op.op}: the prepared call made no kernel call")
    layer = Layer(new_index, original, node.op.op, node, "kernel", list(library.calls), call, inputs)
    layer._placeholders = placeholders  # alive as long as the layer
    offset = 0
    for recorded in layer.calls:
        for value in recorded.arguments:
            context = _context_of(value)
            if context is None or not context.buf or context.buf in layer.scratch:
                continue
            layer.scratch[context.buf] = offset
            offset += align(max(int(context.size), 0))
    layer.scratch_bytes = offset
    return layer


def _context_of(value):
    if isinstance(value, ctypes._Pointer) and type(value.contents).__name__ == "Context":
        return value.contents
    if isinstance(value, ctypes.Structure) and type(value).__name__ == "Context":
        return value
    return None


# -- the arena ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ArenaLayout:
    """Where every planned tensor and every layer's scratch lives in the one static arena."""

    plan: ArenaPlan
    bytes: int
    tensor_offset: dict[int, int]  # tensor index (model numbering) -> byte offset
    scratch_offset: dict[int, int]  # layer index (simplified numbering) -> byte offset
    order: tuple[int, ...]  # layer indices in the order they run


_SCRATCH_NAME = re.compile(r"^scratch of op (\d+)$")


def layout(lowered: LoweredModel, planner: str = "best") -> ArenaLayout:
    """Plan the simplified graph's activations and scratch buffers with ``planner``; in place and
    aliasing where the kernels allow it (elementwise kernels read element i before writing it),
    never in-place depthwise (the C depthwise kernel is not written for it)."""
    scratch = [(0, layer.index, layer.scratch_bytes) for layer in lowered.layers if layer.scratch_bytes]
    plan = plan_head(lowered.simplified, planner, scratch, alias=True, in_place=True, in_place_depthwise=False,
                     reorder=True)
    tensor_offset, scratch_offset = {}, {}
    for buffer in plan.buffers:
        if buffer.tensor is not None:
            for t in (buffer.tensor, *buffer.aliases):
                tensor_offset[t] = buffer.offset
            continue
        match = _SCRATCH_NAME.match(buffer.name)
        if match is None:
            raise BuildError(f"unexpected buffer in the arena plan: {buffer.name!r}")
        scratch_offset[int(match.group(1))] = buffer.offset
    for alias, storage in lowered.storage_of.items():
        if storage in tensor_offset:
            tensor_offset[alias] = tensor_offset[storage]
    order = tuple(plan.operator_order) if plan.operator_order is not None else tuple(range(len(lowered.layers)))
    end = max([0] + [b.offset + b.size for b in plan.buffers])
    return ArenaLayout(plan, align(max(end, plan.head_bytes, 1)), tensor_offset, scratch_offset, order)
