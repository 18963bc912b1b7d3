"""Run a TFLite model with microinfer's kernels, bit-exactly as the chosen reference does."""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping, Sequence

import numpy as np

from . import c_backend
from .errors import UnsupportedOpError
from .validation import check_model, operator_problems
from .kernels import REGISTRY
from .kernels.registry import REFERENCES, Node
from .litert_shapes import litert_shapes
from .tflite import Model, load
from .planner import ArenaPlan, plan_head
from .subgraphs import SubgraphCalls, initial_variables, prepared_subgraphs
from .subgraphs import value as _value
from .tflite.model import Subgraph, Tensor

BACKENDS = ("numpy", "c", "auto")


class Interpreter:
    """A prepared model: every kernel's multipliers, shifts and shapes computed once.

    ``reference="tflm"`` reproduces TFLite Micro's reference kernels, ``"tflite"`` LiteRT's
    reference kernels (``OpResolverType.BUILTIN_REF``). float32 results match LiteRT to within
    about 1e-5 relative error (summation order differs); integer results are bit-identical.

    Threads: :meth:`run` and :meth:`invoke` hold the interpreter's lock, so one interpreter may be
    shared by threads, each ``run`` seeing only its own inputs (they take turns; use an
    interpreter per thread to run in parallel). The step-by-step calls (``set_input``, ``invoke``,
    ``get_output``) are meant for one thread at a time.
    """

    def __init__(
        self,
        model: Model | str | os.PathLike | bytes,
        backend: str = "numpy",
        reference: str = "tflm",
        arena: str | ArenaPlan | None = None,
    ):
        """``backend``: ``"numpy"`` (the spec), ``"c"`` (the C kernel library for the ops it
        covers, NumPy for the rest; :class:`~microinfer.c_backend.KernelLibraryError` if the
        library is missing) or ``"auto"`` (C when the library loads, else NumPy).
        ``arena``: run inside one preallocated arena laid out by a plan (``"tflm"``, ``"best"``
        or an :class:`ArenaPlan`), every activation a view at its planned offset, so the plan is
        proven on real data; ``None`` (the default, fastest) gives every tensor its own array."""
        if reference not in REFERENCES:
            raise ValueError(f"reference must be one of {REFERENCES}, not {reference!r}")
        self.model = model if isinstance(model, Model) else load(model)
        if reference == "tflite":
            self.model = litert_shapes(self.model)
        self.backend = _resolve_backend(backend)
        self.reference = reference
        self.subgraph = self.model.main
        self._nodes = [self._node(op) for op in self.subgraph.operators]
        called = {sg.index: [self._node(op, sg) for op in sg.operators]
                  for sg in prepared_subgraphs(self.model, reference)}
        check_model(self.model, reference)
        _raise_unsupported(self._nodes + [n for nodes in called.values() for n in nodes])
        # Control-flow operators call subgraphs, prepared once here; resource variables live here.
        self._calls = SubgraphCalls(self.model, reference, called, self.backend)
        self._steps = [(REGISTRY[n.op.op](), n) for n in self._nodes]
        self._prepared = [self._calls.bound(kernel, kernel.prepare(node)) for kernel, node in self._steps]
        # Per operator: "numpy", "c", or "numpy: <why the C kernel did not take it>".
        self.op_backends = ["numpy"] * len(self._steps)
        if self.backend == "c":
            self._steps, self._prepared, self.op_backends = c_backend.c_steps(self._steps, self._prepared)
        self._values: dict[int, np.ndarray] = {}
        self._variables = self._initial_variables()
        self._inputs: dict[int, np.ndarray] = {}
        self._tensor_keys = _tensor_keys(self.subgraph.tensors)
        self.arena_plan = plan_head(self.model, arena) if isinstance(arena, str) else arena
        self._arena, self._views = self._arena_views()
        # A plan may require another operator order (best with reordering); data dependencies
        # are kept, so results are the same.
        order = None if self.arena_plan is None else self.arena_plan.operator_order
        self._order = tuple(range(len(self._steps))) if order is None else tuple(order)
        if sorted(self._order) != list(range(len(self._steps))):
            raise ValueError(f"the arena plan's operator order {order} does not fit this model")
        self._recorded: dict[int, np.ndarray] | None = None
        self._lock = threading.RLock()
        # Arena views and C kernels' output buffers are overwritten by the next run.
        self._reuses_buffers = self._arena is not None or "c" in self.op_backends
        # The C calls run as one C program, without returning to Python between operators.
        self._chain = None
        self._input_tensors = [(t, np.dtype(t.type.numpy_dtype) if t.type.numpy_dtype is not None else None)
                               for t in self.subgraph.input_tensors()]
        self._output_tensors = [self.subgraph.tensors[i] for i in self.subgraph.outputs]
        if self.backend == "c" and self._arena is None and not self._variables and not self._has_kernel_state():
            self._chain = c_backend.CallChain.of(self._steps, self._prepared, self._order, self.subgraph.inputs,
                                                 self.subgraph)
        # The inputs each step reads when it runs (a C step skips its constants).
        self._step_inputs = [k.used_inputs(n) if hasattr(k, "used_inputs") else n.inputs for k, n in self._steps]

    # -- step by step --------------------------------------------------------------------------
    def set_input(self, key: int | str, value) -> None:
        position = self._input_position(key)
        tensor = self.subgraph.tensors[self.subgraph.inputs[position]]
        self._inputs[position] = _checked_input(tensor, value)

    def invoke(self, record: bool = False) -> None:
        """Run the model once. ``record`` keeps a copy of every tensor as it is produced, which
        an arena run needs to report intermediates (later tensors reuse their bytes)."""
        with self._lock:
            self._invoke(record)

    def _invoke(self, record: bool) -> None:
        if len(self._inputs) != len(self.subgraph.inputs):
            missing = [self.subgraph.tensors[t].name for i, t in enumerate(self.subgraph.inputs) if i not in self._inputs]
            raise ValueError(f"inputs not set: {', '.join(missing)}")
        if self._chain is not None:
            # every tensor has its own buffer in the program: intermediates need no recording
            self._values = self._chain.run([self._inputs[i] for i in range(len(self.subgraph.inputs))])
            self._recorded = {i: v.copy() for i, v in self._values.items()} if record else None
            return
        values: dict[int, np.ndarray] = dict(self._variables)
        recorded: dict[int, np.ndarray] = {}
        for position, tensor_index in enumerate(self.subgraph.inputs):
            values[tensor_index] = self._place(tensor_index, self._inputs[position])
            if record:
                recorded[tensor_index] = self._inputs[position]
        for step in self._order:
            (kernel, node), data = self._steps[step], self._prepared[step]
            args = [None if t is None else _value(values, t) for t in self._step_inputs[step]]
            results = kernel.eval(data, args)
            for tensor, result in zip(node.outputs, results):
                values[tensor.index] = self._place(tensor.index, result)
                if record:
                    recorded[tensor.index] = values[tensor.index].copy()
        for index in self._variables:
            self._variables[index] = values[index]
        self._values = values
        self._recorded = recorded if record else None

    def get_output(self, position: int = 0) -> np.ndarray:
        """Output ``position`` of the last invoke (a constant or input the model lists as an output
        included)."""
        return _value(self._values, self.subgraph.tensors[self.subgraph.outputs[position]])

    def get_tensor(self, key: int | str) -> np.ndarray:
        index = key if isinstance(key, int) else self.subgraph.tensor_by_name(key).index
        return _value(self._values, self.subgraph.tensors[index])

    def tensor_values(self) -> dict[int, np.ndarray]:
        """Every tensor's value after the last invoke, by tensor index (as each was produced,
        when that invoke recorded them; otherwise what the tensor's memory holds now)."""
        values = {**self._values, **(self._recorded or {})}
        return {
            # a constant as the model holds it (the C program may keep a staged copy of its own)
            t.index: t.data if t.data is not None else _value(values, t)
            for t in self.subgraph.tensors
            if t.index in values or t.data is not None or t.num_elements == 0
        }

    def prepared_nodes(self) -> list[tuple[Node, object]]:
        """Each operator's node and what was prepared for it (its NumPy kernel's prepare() data,
        or the C call under backend="c"), in the model's operator order."""
        return [(node, data) for (_, node), data in zip(self._steps, self._prepared)]

    def reset_variables(self) -> None:
        """Reset recurrent state (SVDF/LSTM variable tensors, and the state stateful kernels
        keep themselves, as TFLite Micro's kernels keep it in persistent buffers; in every
        subgraph) to its initial value, and resource variables as the reference does: TFLite
        Micro's ``reset()`` gives them their initial value again, LiteRT's
        ``reset_all_variables()`` leaves them. Neither runs a CALL_ONCE init subgraph again."""
        with self._lock:
            self._variables = self._initial_variables()
            for (kernel, _), data in zip(self._steps, self._prepared):
                if hasattr(kernel, "reset"):
                    kernel.reset(data)
            self._calls.reset()

    def _has_kernel_state(self) -> bool:
        return any(hasattr(kernel, "reset") for kernel, _ in self._steps)

    # -- all at once ---------------------------------------------------------------------------
    def run(self, inputs: Sequence | Mapping[str, object], intermediates: bool = False):
        """Outputs in model order; with ``intermediates=True``, every tensor by name.

        A tensor whose name is empty or shared with another is keyed ``"tensor_<index>"``.
        Operator-internal tensors that no kernel computes (an LSTM's intermediates) are left out.
        Variable tensors (SVDF/LSTM state) and resource variables carry over from one run to
        the next, as on the device, and a CALL_ONCE init subgraph runs in the first run only;
        :meth:`reset_variables` starts variable tensors again from their initial state.
        """
        with self._lock:
            return self._run(inputs, intermediates)

    def _run(self, inputs, intermediates: bool):
        if self._chain is not None and not intermediates and type(inputs) in (list, tuple):
            return self._run_chain(inputs)
        self._inputs = {}
        if isinstance(inputs, Mapping):
            names = {self.subgraph.tensors[t].name for t in self.subgraph.inputs}
            unknown = set(inputs) - names
            if unknown:
                raise ValueError(f"unknown input name(s) {sorted(unknown)}; the model's inputs are {sorted(names)}")
            for name, value in inputs.items():
                self.set_input(name, value)
        else:
            if isinstance(inputs, np.ndarray):
                inputs = [inputs]
            if len(inputs) != len(self.subgraph.inputs):
                raise ValueError(f"the model takes {len(self.subgraph.inputs)} inputs, got {len(inputs)}")
            for position, value in enumerate(inputs):
                self.set_input(position, value)
        self._invoke(record=intermediates and self._reuses_buffers)
        if intermediates:
            return {self._tensor_keys[index]: value for index, value in self.tensor_values().items()}
        outputs = [self.get_output(i) for i in range(len(self.subgraph.outputs))]
        # Arena views and C output buffers are overwritten by the next run: hand out copies.
        return [o.copy() for o in outputs] if self._reuses_buffers else outputs

    def _run_chain(self, inputs) -> list[np.ndarray]:
        """run() on the C program: set_input's checks with the expected dtypes and shapes at hand
        (a C-backend inference takes microseconds, so Python's share counts)."""
        tensors = self._input_tensors
        if len(inputs) != len(tensors):
            raise ValueError(f"the model takes {len(tensors)} inputs, got {len(inputs)}")
        arrays = []
        for (tensor, dtype), value in zip(tensors, inputs):
            array = value if type(value) is np.ndarray else np.asarray(value)
            if array.dtype != dtype or array.shape != tensor.shape:
                array = _checked_input(tensor, value)  # raises, naming what differs
            arrays.append(array)
        self._inputs = dict(enumerate(arrays))
        self._values = self._chain.run(arrays)
        self._recorded = None
        return [_value(self._values, tensor).copy() for tensor in self._output_tensors]

    # -- helpers -------------------------------------------------------------------------------
    def _node(self, op, subgraph: Subgraph | None = None) -> Node:
        sg = subgraph or self.subgraph
        tensors = sg.tensors
        return Node(
            op=op,
            inputs=tuple(None if i < 0 else tensors[i] for i in op.inputs),
            outputs=tuple(tensors[i] for i in op.outputs),
            model=self.model,
            reference=self.reference,
            subgraph=sg.index,
        )

    def _arena_views(self) -> tuple[np.ndarray | None, dict[int, np.ndarray]]:
        if self.arena_plan is None:
            return None, {}
        arena = np.zeros(self.arena_plan.head_bytes, dtype=np.uint8)
        views = {}
        for buffer in self.arena_plan.buffers:
            if buffer.tensor is None or buffer.subgraph != self.subgraph.index:
                continue
            # Aliased and in-place tensors share their buffer's offset: a kernel's result is
            # copied onto the bytes of an input that dies at that operator.
            for index in (buffer.tensor, *buffer.aliases):
                t = self.subgraph.tensors[index]
                raw = arena[buffer.offset : buffer.offset + t.nbytes]
                views[t.index] = raw.view(t.type.numpy_dtype).reshape(t.shape)
        return arena, views

    def _place(self, index: int, value: np.ndarray) -> np.ndarray:
        """Store a tensor's value: into its arena view when running in an arena."""
        view = self._views.get(index)
        if view is None:
            return value
        np.copyto(view, np.asarray(value).reshape(view.shape))
        return view

    def _input_position(self, key: int | str) -> int:
        if isinstance(key, str):
            for position, index in enumerate(self.subgraph.inputs):
                if self.subgraph.tensors[index].name == key:
                    return position
            raise ValueError(f"the model has no input named {key!r}")
        if not 0 <= key < len(self.subgraph.inputs):
            raise ValueError(f"input position {key} is out of range (the model has {len(self.subgraph.inputs)} inputs)")
        return key

    def _initial_variables(self) -> dict[int, np.ndarray]:
        return initial_variables(self.subgraph)


def _resolve_backend(backend: str) -> str:
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, not {backend!r}")
    if backend == "auto":
        return "c" if c_backend.available() else "numpy"
    return backend


def _tensor_keys(tensors) -> dict[int, str]:
    counts: dict[str, int] = {}
    for t in tensors:
        counts[t.name] = counts.get(t.name, 0) + 1
    return {t.index: t.name if t.name and counts[t.name] == 1 else f"tensor_{t.index}" for t in tensors}


def _checked_input(tensor: Tensor, value) -> np.ndarray:
    array = np.asarray(value)
    expected_dtype = tensor.type.numpy_dtype
    if array.dtype != expected_dtype:
        raise ValueError(f"input {tensor.name!r}: expected dtype {expected_dtype}, got {array.dtype}")
    if array.shape != tensor.shape:
        raise ValueError(f"input {tensor.name!r}: expected shape {tensor.shape}, got {array.shape}")
    return array


def _raise_unsupported(nodes: list[Node]) -> None:
    problems = operator_problems(nodes)
    if problems:
        raise UnsupportedOpError("the model uses what microinfer does not support:\n  " + "\n  ".join(problems))
