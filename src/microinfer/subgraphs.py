"""The subgraphs that control-flow operators call, and the state a model keeps across runs.

An :class:`~microinfer.Interpreter` runs its main subgraph itself. The other subgraphs the
reference prepares are prepared once here (their nodes, kernels and prepared data); IF, WHILE and
CALL_ONCE run them through :class:`SubgraphCalls`, which also holds the resource variables of
VAR_HANDLE, READ_VARIABLE and ASSIGN_VARIABLE and remembers which CALL_ONCE inits have run.
"""

from __future__ import annotations

import numpy as np

from . import c_backend
from .errors import InvalidInputError, ModelError
from .kernels import REGISTRY
from .kernels._control_flow import copies, reachable_subgraphs
from .kernels._resources import ASSIGN_VARIABLE, handles, tflm_initial_value, uses
from .kernels.common import zero_point_of
from .kernels.registry import Node
from .tflite.model import Subgraph, Tensor
from .tflite.types import TensorType
from .validation import graph_problems, memory_problems


def value(values: dict[int, np.ndarray], t: Tensor) -> np.ndarray:
    """A tensor's value in a run: computed, constant, or (empty) zeros."""
    if t.index in values:
        return values[t.index]
    if t.data is not None:
        return t.data
    if t.num_elements == 0 and t.type.numpy_dtype is not None:
        return np.zeros(t.shape, t.type.numpy_dtype)  # empty constants have no buffer data
    raise KeyError(f"tensor {t.index} ({t.name!r}) has no value: not computed by this run")


def initial_variables(subgraph: Subgraph) -> dict[int, np.ndarray]:
    """Both references start int8 state at its zero point and other state at zero, whatever
    the tensor's buffer holds."""
    state = {}
    for t in subgraph.tensors:
        if t.is_variable:
            fill = zero_point_of(t) if t.type is TensorType.INT8 else 0
            state[t.index] = np.full(t.shape, fill, dtype=t.type.numpy_dtype)
    return state


def prepared_subgraphs(model, reference: str) -> list[Subgraph]:
    """The subgraphs besides the main one that the reference prepares: TFLite Micro every one,
    LiteRT those the main subgraph calls, directly or not."""
    indices = range(1, len(model.subgraphs)) if reference == "tflm" else reachable_subgraphs(model)
    return [model.subgraphs[i] for i in indices]


class _PreparedSubgraph:
    """A called subgraph, prepared once: its nodes' kernels and prepared data, and its variable
    tensors' state."""

    def __init__(self, subgraph: Subgraph, steps: list, prepared: list):
        self.subgraph = subgraph
        self.steps = steps
        self.prepared = prepared
        self.step_inputs = [k.used_inputs(n) if hasattr(k, "used_inputs") else n.inputs for k, n in steps]
        self.variables = initial_variables(subgraph)

    def run(self, inputs) -> list[np.ndarray]:
        sg = self.subgraph
        values = dict(self.variables)
        values.update(zip(sg.inputs, copies(inputs)))
        for (kernel, node), data, used in zip(self.steps, self.prepared, self.step_inputs):
            args = [None if t is None else value(values, t) for t in used]
            for tensor, result in zip(node.outputs, kernel.eval(data, args)):
                values[tensor.index] = result
        for index in self.variables:
            self.variables[index] = values[index]
        return copies([value(values, sg.tensors[i]) for i in sg.outputs])

    def reset(self) -> None:
        """Variable tensors and the state stateful kernels keep back to their initial values."""
        self.variables = initial_variables(self.subgraph)
        for (kernel, _), data in zip(self.steps, self.prepared):
            if hasattr(kernel, "reset"):
                kernel.reset(data)


class SubgraphCalls:
    """What the control-flow and resource-variable kernels use when they run: the subgraphs they
    call (each prepared once), the resource variables, and the CALL_ONCE inits that have run.
    All of it persists across runs, as on the device."""

    def __init__(self, model, reference: str, nodes: dict[int, list[Node]], backend: str):
        reachable = reachable_subgraphs(model)
        problems = [p for i in reachable for p in graph_problems(model, model.subgraphs[i])
                    + memory_problems(model.subgraphs[i])]
        if problems:
            raise ModelError("the model cannot run as it is:\n  " + "\n  ".join(problems))
        self.reference = reference
        self._subgraphs: dict[int, _PreparedSubgraph] = {}
        for index, sg_nodes in nodes.items():
            steps = [(REGISTRY[n.op.op](), n) for n in sg_nodes]
            prepared = [self.bound(kernel, kernel.prepare(node)) for kernel, node in steps]
            if backend == "c":
                steps, prepared, _ = c_backend.c_steps(steps, prepared)
            self._subgraphs[index] = _PreparedSubgraph(model.subgraphs[index], steps, prepared)
        self._initial = _initial_resource_values(model, reference)
        self._variables = dict(self._initial)
        self._ran_once: set[int] = set()

    def bound(self, kernel, data):
        """A kernel's prepared data, given this object when the kernel calls subgraphs or uses
        resource variables."""
        bind = getattr(kernel, "bind", None)
        return data if bind is None else bind(data, self)

    def invoke(self, subgraph: int, inputs) -> list[np.ndarray]:
        return self._subgraphs[subgraph].run(inputs)

    def call_once(self, subgraph: int) -> None:
        if subgraph not in self._ran_once:
            self.invoke(subgraph, [])
            self._ran_once.add(subgraph)

    def read_variable(self, variable: int) -> np.ndarray:
        stored = self._variables.get(variable)
        if stored is None:
            raise InvalidInputError(
                f"READ_VARIABLE: resource variable {variable} is read before any ASSIGN_VARIABLE "
                f"wrote it (LiteRT fails the same way)")
        return stored.copy()

    def assign_variable(self, variable: int, value: np.ndarray) -> None:
        self._variables[variable] = np.array(value, copy=True)

    def reset(self) -> None:
        for sg in self._subgraphs.values():
            sg.reset()
        if self.reference == "tflm":
            self._variables = dict(self._initial)


def _initial_resource_values(model, reference: str) -> dict[int, np.ndarray]:
    """The resource variables that exist before anything runs: with TFLite Micro every variable
    some ASSIGN_VARIABLE writes (its Prepare allocates and fills it); with LiteRT none."""
    if reference != "tflm":
        return {}
    initial = {}
    for variable in range(handles(model, reference).count):
        values = uses(model, reference, variable, ASSIGN_VARIABLE)
        if values:
            initial[variable] = tflm_initial_value(values[0])
    return initial
