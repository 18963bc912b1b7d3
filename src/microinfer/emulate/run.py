"""Run every layer the C kernels cover on an emulated Cortex-M core, layer by layer.

Each covered layer becomes its own bare-metal program: the layer's input is the one the NumPy
interpreter computed for it, so every layer is checked bit for bit against the NumPy kernels
independently of the others, and its instructions are counted alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ..errors import MicroinferError
from ..info import operator_macs
from ..interpreter import Interpreter
from ..subgraphs import initial_variables
from ..testing.op_models import random_inputs
from ..tflite import Model, load
from .machine import EmulatedCore, EmulationError, check_toolchain, core_named, run_layer
from .program import RecordingLibrary, layer_program, record_call
from .timing import TimingTable, instruction_mix, timing_table


@dataclass(frozen=True)
class EmulatedLayer:
    """One operator: run on the emulated core (``covered``), or why not."""

    index: int
    op: str
    macs: int
    covered: bool
    reason: str = ""
    kernel: str = ""
    instructions: int = 0
    bit_exact: bool = False
    mismatches: int = 0
    estimated_cycles: int = 0
    traced_instructions: int = 0  # from the block trace: a check on ``instructions``

    @property
    def instructions_per_mac(self) -> float | None:
        return self.instructions / self.macs if self.covered and self.macs else None


@dataclass
class EmulationResult:
    model: str
    core: str
    machine: str
    isa_path: str
    layers: list[EmulatedLayer] = field(default_factory=list)

    @property
    def covered(self) -> list[EmulatedLayer]:
        return [layer for layer in self.layers if layer.covered]

    @property
    def all_bit_exact(self) -> bool:
        return all(layer.bit_exact for layer in self.covered)

    @property
    def instructions(self) -> int:
        return sum(layer.instructions for layer in self.covered)

    @property
    def estimated_cycles(self) -> int:
        return sum(layer.estimated_cycles for layer in self.covered)

    def to_dict(self) -> dict:
        layers = []
        for layer in self.layers:
            entry = asdict(layer)
            entry["instructions_per_mac"] = layer.instructions_per_mac
            layers.append(entry)
        return {"model": self.model, "core": self.core, "machine": self.machine, "isa_path": self.isa_path,
                "bit_exact": self.all_bit_exact, "instructions": self.instructions,
                "estimated_cycles": self.estimated_cycles, "layers": layers}


def emulate(model: Model | str | Path | bytes, core: str, seed: int = 0, reference: str = "tflm",
            progress: Callable[[int, int], None] | None = None,
            layers: set[int] | None = None) -> EmulationResult:
    """Run each C-covered layer of ``model`` on the emulated ``core`` and compare with NumPy.

    ``layers``: only these operator indices (default: all). ``progress(done, total)`` is called
    after each operator.
    """
    target = core_named(core)
    timing = timing_table(core)
    check_toolchain(target)
    from .. import c_backend

    host_library = c_backend.load_library()
    name = "" if isinstance(model, (Model, bytes)) else Path(model).name
    model = model if isinstance(model, Model) else load(model)
    interpreter = Interpreter(model, reference=reference)
    interpreter.run(_random_inputs(model, np.random.default_rng(seed)))
    # a layer runs on the state its operator read (the run started from the initial state), not
    # the state the run left behind (SVDF updates its state tensor in place)
    values = {**interpreter.tensor_values(), **initial_variables(model.main)}
    subgraph = model.main
    result = EmulationResult(name, core, target.machine.name, target.isa_path)
    steps = interpreter.prepared_nodes()
    for index, (node, data) in enumerate(steps):
        op = node.op.op
        macs = operator_macs(subgraph, subgraph.operators[index])
        if layers is not None and index not in layers:
            result.layers.append(EmulatedLayer(index, op, macs, False, "not selected"))
        else:
            result.layers.append(_emulate_layer(index, node, data, values, macs, target, timing, host_library))
        if progress:
            progress(index + 1, len(steps))
    return result


def _emulate_layer(index, node, data, values, macs, core: EmulatedCore, timing: TimingTable,
                   host_library) -> EmulatedLayer:
    from ..c_backend import prepare_call

    op = node.op.op
    library = RecordingLibrary(host_library)
    call = prepare_call(library, node, data)
    if isinstance(call, str):
        reason = call if call == "no C kernel" else f"runs in NumPy: {call}"
        return EmulatedLayer(index, op, macs, False, reason)
    tensors = [node.inputs[position] for position in call.input_positions]  # what the C call reads
    # own copies: the host's run writes recurrent state in place, and the program starts from the
    # values the operator read
    inputs = [np.array(values[t.index], order="C") for t in tensors]
    before = [a.copy() for a in inputs]
    calls = record_call(call, library, inputs)
    for array, value in zip(inputs, before):
        array[...] = value
    state = tuple(a for a, t in zip(inputs, tensors) if t.is_variable)
    program = layer_program(call, calls, inputs, state)
    kernel_names = "+".join(sorted({c.function for c in calls}))
    try:
        measured = run_layer(program, core, trace=True)
    except EmulationError as error:  # reported on the layer (not bit-exact), the other layers still run
        return EmulatedLayer(index, op, macs, True, f"emulation failed: {error}", kernel=kernel_names)
    mix = instruction_mix(measured, core.arch)
    expected = np.ascontiguousarray(values[node.op.outputs[0]], call.output.dtype)
    got = np.frombuffer(measured.output, call.output.dtype)
    mismatches = int(np.count_nonzero(got != expected.reshape(-1))) if got.size == expected.size else expected.size
    return EmulatedLayer(index, op, macs, True, kernel=kernel_names, instructions=measured.instructions,
                         bit_exact=mismatches == 0, mismatches=mismatches,
                         estimated_cycles=timing.estimate(mix), traced_instructions=mix.instructions)


def _random_inputs(model: Model, rng: np.random.Generator) -> list[np.ndarray]:
    for tensor in model.main.input_tensors():
        dtype = tensor.type.numpy_dtype
        if not np.issubdtype(dtype, np.integer):
            raise MicroinferError(f"input {tensor.name!r} is {np.dtype(dtype).name}; "
                                  "only integer (quantized) models run on the emulated cores")
    return random_inputs(model, rng)
