"""Resource variables (VAR_HANDLE, READ_VARIABLE, ASSIGN_VARIABLE): which variable each handle
names, and what each reference makes of a variable before and across runs.

A VAR_HANDLE names a variable by ``container`` and ``shared_name``; every handle of the model with
the same names (in any subgraph) denotes the same variable, which lives as long as the
interpreter. The two references differ:

* TFLite Micro (``MicroResourceVariables``) gives each name pair a slot when the VAR_HANDLE is
  prepared (subgraphs in index order, operators in order; a handle without a container matches a
  variable of any container). Its Python interpreter makes one slot per distinct shared_name.
  The first ASSIGN_VARIABLE to be prepared fixes the variable's size and fills it with its
  value tensor's zero point (the low byte of it, in every byte; 0 when the tensor is not
  quantized): a READ_VARIABLE before any assignment at run time gives that. ``reset()`` fills
  every variable with it again.
* LiteRT creates the variable at its first assignment at run time; reading it earlier fails,
  and ``reset_all_variables()`` leaves resource variables alone.

microinfer requires what keeps both well defined: READ_VARIABLE and ASSIGN_VARIABLE take their
handle from a VAR_HANDLE of their own subgraph, and every assignment and read of one variable
has one type and shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from ..tflite.model import Model, Tensor
from ..tflite.types import TensorType
from ._control_flow import CARRIED_TYPES, TFLM_CARRIED_TYPES
from .registry import TFLM, Node

VAR_HANDLE = "VAR_HANDLE"
READ_VARIABLE = "READ_VARIABLE"
ASSIGN_VARIABLE = "ASSIGN_VARIABLE"

Place = tuple[int, int]  # (subgraph, operator index)


class ResourceVariables(Protocol):
    """The interpreter's resource variables, as READ_VARIABLE and ASSIGN_VARIABLE use them."""

    def read_variable(self, variable: int) -> np.ndarray:
        """A copy of the variable's value."""

    def assign_variable(self, variable: int, value: np.ndarray) -> None:
        """Store a copy of ``value`` as the variable's value."""


@dataclass(frozen=True)
class Handles:
    """The variables of a model as one reference sees them."""

    ids: dict[Place, int | None]  # each VAR_HANDLE's variable (None: the reference fails it)
    problems: dict[Place, str]  # why the reference fails a VAR_HANDLE
    count: int  # variables


def handles(model: Model, reference: str) -> Handles:
    """Which variable each VAR_HANDLE of ``model`` denotes under ``reference``."""
    places = [(sg.index, op.index) for sg in model.subgraphs for op in sg.operators
              if op.op == VAR_HANDLE]
    names = [_names(model, place) for place in places]
    if reference != TFLM:
        keys = list(dict.fromkeys((c or "", n or "") for c, n in names))
        return Handles({p: keys.index((c or "", n or "")) for p, (c, n) in zip(places, names)}, {},
                       len(keys))
    slots = len({n for _, n in names})  # the Python interpreter's MicroResourceVariables size
    created: list[tuple[str | None, str | None]] = []
    ids: dict[Place, int | None] = {}
    problems: dict[Place, str] = {}
    for place, (container, name) in zip(places, names):
        found, problem = _tflm_find(created, container, name)
        if problem is None and found is None:
            if len(created) >= slots:
                problem = (f"TFLite Micro's Python interpreter makes {slots} variable slot(s), one "
                           f"per distinct shared_name, and this handle needs another")
            else:
                found = len(created)
                created.append((container, name))
        ids[place] = found
        if problem is not None:
            problems[place] = problem
    return Handles(ids, problems, len(created))


def _names(model: Model, place: Place) -> tuple[str | None, str | None]:
    options = model.subgraphs[place[0]].operators[place[1]].options
    return getattr(options, "container", None), getattr(options, "shared_name", None)


def _tflm_find(created, container, name) -> tuple[int | None, str | None]:
    """MicroResourceVariables::FindId: (slot, None), (None, None) when new, or (None, why it
    crashes: it compares names with strcmp, which a missing name breaks)."""
    for slot, (known_container, known_name) in enumerate(created):
        if container is not None:
            if known_container is None:
                return None, "TFLite Micro would compare its container with a variable that has none and crash"
            if container != known_container:
                continue
        if name is None or known_name is None:
            return None, "TFLite Micro would compare a missing shared_name and crash"
        if name == known_name:
            return slot, None
    return None, None


def handle_place(node: Node) -> Place | None:
    """The VAR_HANDLE (of the node's own subgraph) that gives the node its resource input."""
    resource = node.inputs[0]
    if resource is None:
        return None
    sg = node.model.subgraphs[node.subgraph]
    for op in sg.operators:
        if op.op == VAR_HANDLE and resource.index in op.outputs:
            return sg.index, op.index
    return None


def variable_of(node: Node) -> int | None:
    """The variable a READ_VARIABLE or ASSIGN_VARIABLE node uses, None when unknown."""
    place = handle_place(node)
    return None if place is None else handles(node.model, node.reference).ids.get(place)


def uses(model: Model, reference: str, variable: int, op: str) -> list[Tensor]:
    """The value tensors of every ``op`` (READ_VARIABLE: outputs, ASSIGN_VARIABLE: values) on
    ``variable``, in the order TFLite Micro prepares them (subgraphs in index order)."""
    ids = handles(model, reference).ids
    producers = {(sg.index, t): (sg.index, o.index) for sg in model.subgraphs for o in sg.operators
                 if o.op == VAR_HANDLE for t in o.outputs}
    tensors = []
    for sg in model.subgraphs:
        for o in sg.operators:
            if o.op != op or not o.inputs or ids.get(producers.get((sg.index, o.inputs[0]))) != variable:
                continue
            values = o.outputs[:1] if op == READ_VARIABLE else o.inputs[1:2]
            tensors += [sg.tensors[i] for i in values if i >= 0]
    return tensors


def layout(t: Tensor) -> tuple[TensorType, tuple[int, ...]]:
    return t.type, tuple(t.shape)


def tflm_initial_value(t: Tensor) -> np.ndarray:
    """The value TFLite Micro gives a variable whose first prepared assignment writes ``t``:
    every byte the low byte of t's zero point (0 for a tensor without quantization)."""
    q = t.quantization
    fill = int(q.zero_point[0]) & 0xFF if q is not None and len(q.scale) and len(q.zero_point) else 0
    raw = np.full(t.nbytes, fill, dtype=np.uint8)
    return raw.view(t.type.numpy_dtype).reshape(t.shape)


def from_handle(node: Node) -> bool:
    """The resource input is the output of a VAR_HANDLE of the same subgraph"""
    return handle_place(node) is not None


def value_type(what: str, tensor_of):
    """A constraint: the variable's value tensor (``tensor_of(node)``) has a type both
    references copy (TFLite Micro's Python interpreter has no uint16)."""

    def constraint(node: Node) -> bool:
        allowed = TFLM_CARRIED_TYPES if node.reference == TFLM else CARRIED_TYPES
        return tensor_of(node).type in allowed

    constraint.__doc__ = (f"The {what} is float16/32/64, int8/16/32/64, uint8/32/64, bool or "
                          f"complex64/128 (with reference='tflite' also uint16)")
    return constraint


def same_layout_as_assigned(node: Node, tensor: Tensor, missing_ok: bool) -> bool:
    """Whether ``tensor`` has the type and shape of every assignment to the node's variable
    (with no assignment at all: ``missing_ok``)."""
    variable = variable_of(node)
    if variable is None:
        return True  # the handle's own constraints say why
    values = uses(node.model, node.reference, variable, ASSIGN_VARIABLE)
    if not values:
        return missing_ok
    return all(layout(v) == layout(tensor) for v in values)
