"""A whole model as one C program: its C calls run in one foreign call, without returning to Python
between operators.

Every C call of the C backend writes a preallocated output buffer, so with the model inputs copied
into fixed buffers too, every address a call reads or writes is known once the model is prepared.
:class:`CallChain` binds them all into an array of ``mi_step`` (kernels_c/include/mi_nn_program.h)
and ``mi_run_steps`` runs the array. What C does not cover still runs: RESHAPE, SQUEEZE and
EXPAND_DIMS become views of their input's buffer (no step at all), any other NumPy operator splits
the program in two and runs in Python between the halves (its result copied into a fixed buffer
when a C call reads it). A call the C kernel refuses at run time (a softmax row the references
abort on) is handed to its Python ``eval``, as the step-by-step interpreter would, and the program
goes on after it.

Each :class:`CallChain` owns its buffers: one per interpreter, so interpreters in different
threads run in parallel (ctypes releases the GIL during the foreign call).
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass

import numpy as np

from ..subgraphs import value as _value
from .binding import CCall, Input

ALIAS_OPS = frozenset({"RESHAPE", "SQUEEZE", "EXPAND_DIMS"})
MAX_ARGS = 14  # MI_STEP_MAX_ARGS
SIG_PIIPP, SIG_P9_I_PP = 101, 102


class Step(ctypes.Structure):
    """Mirror of mi_step."""

    _fields_ = [("fn", ctypes.c_void_p), ("signature", ctypes.c_int32), ("reserved", ctypes.c_int32),
                ("args", ctypes.c_ssize_t * MAX_ARGS)]


def signature_of(argtypes) -> int | None:
    """The mi_signature code of a foreign function with these argtypes, or None."""
    if not argtypes:
        return None
    kinds = "".join("i" if t is ctypes.c_int32 else "p" for t in argtypes)
    if "i" not in kinds and len(kinds) <= 12:
        return len(kinds)
    return {"piipp": SIG_PIIPP, "p" * 9 + "ipp": SIG_P9_I_PP}.get(kinds)


def argument_value(value, argtype) -> int | None:
    """The integer a C step stores for one bound argument, or None when it cannot be bound."""
    if value is None:
        return 0
    if isinstance(value, (int, np.integer)):
        return int(value)
    if argtype is ctypes.c_int32:
        return int(value.value) if isinstance(value, ctypes.c_int32) else None
    if isinstance(value, ctypes._Pointer):
        return ctypes.cast(value, ctypes.c_void_p).value or 0
    if isinstance(value, (ctypes.Structure, ctypes.Array)):
        return ctypes.addressof(value)
    if isinstance(value, ctypes.c_void_p):
        return value.value or 0
    return None


@dataclass
class _CSegment:
    steps: ctypes.Array
    calls: list  # (CStep, node, CCall, used input tensors) per step
    count: int

    def __post_init__(self):
        self.address = ctypes.addressof(self.steps)


_STEP_SIZE = ctypes.sizeof(Step)


@dataclass
class _PySegment:
    kernel: object
    node: object
    data: object
    inputs: tuple  # tensors (or None) the kernel reads
    stages: dict  # output tensor index -> fixed buffer a C call reads


class CallChain:
    """The model's operators as C program segments and Python steps; see the module docstring."""

    def __init__(self, lib, input_indices, input_buffers, static_values, segments):
        self._lib = lib
        self._run_steps = lib.mi_run_steps
        self.input_indices = tuple(input_indices)
        self.input_buffers = input_buffers  # fixed buffers the model inputs are copied into
        self._static = static_values  # tensor index -> buffer, for every tensor with a fixed one
        self._segments = segments
        self._failed = ctypes.c_int32(-1)
        self._failed_ref = ctypes.byref(self._failed)
        self.c_steps = sum(s.count for s in segments if isinstance(s, _CSegment))  # run from C
        self.python_steps = sum(1 for s in segments if isinstance(s, _PySegment))

    @classmethod
    def of(cls, steps, prepared, order, input_indices, subgraph=None) -> CallChain | None:
        """The program for these interpreter steps, or None when some step cannot be bound
        (a C call without a bindable argument list, a library without ``mi_run_steps``)."""
        from . import CStep
        from .loader import load_library

        lib = load_library()
        if not hasattr(lib, "mi_run_steps") or lib.mi_step_size() != ctypes.sizeof(Step):
            return None
        lib.mi_run_steps.argtypes = [ctypes.c_void_p, ctypes.c_int32, ctypes.POINTER(ctypes.c_int32)]
        lib.mi_run_steps.restype = ctypes.c_int32
        if not any(isinstance(steps[i][0], CStep) for i in order):
            return None
        if any(isinstance(steps[i][0], CStep) and len(steps[i][1].outputs) != 1 for i in order):
            return None
        static: dict[int, np.ndarray] = {}
        input_buffers = []
        for t in input_indices:
            tensor = _tensor(steps, t, subgraph)
            if tensor is None or tensor.type.numpy_dtype is None or any(d < 0 for d in tensor.shape):
                return None
            static[t] = np.empty(tensor.shape, tensor.type.numpy_dtype)
            input_buffers.append(static[t])
        python_outputs: dict[int, _PySegment] = {}
        segments: list = []
        pending: list = []  # (Step, call info) of the current C segment

        def close_segment():
            if pending:
                array = (Step * len(pending))(*(s for s, _ in pending))
                segments.append(_CSegment(array, [info for _, info in pending], len(pending)))
                pending.clear()

        for index in order:
            (kernel, node), data = steps[index], prepared[index]
            if isinstance(kernel, CStep):
                step = _bind(kernel, node, data, static, python_outputs)
                if step is not None:
                    pending.append(step)
                    for tensor in node.outputs:
                        static[tensor.index] = data.output
                    continue
                # a C call the program cannot bind (no argument list to read): it runs from Python
                # between two C segments, into its own fixed output buffer
            if node.op.op in ALIAS_OPS and _aliasable(node, data, static):
                source = static[node.inputs[0].index]
                static[node.outputs[0].index] = source.reshape(tuple(data.output_shape))
                continue
            close_segment()
            used = kernel.used_inputs(node) if hasattr(kernel, "used_inputs") else node.inputs
            segment = _PySegment(kernel, node, data, tuple(used), {})
            segments.append(segment)
            for tensor in node.outputs:
                if isinstance(kernel, CStep):
                    static[tensor.index] = data.output  # CCall.eval writes this buffer
                else:
                    python_outputs[tensor.index] = segment
        close_segment()
        return cls(lib, input_indices, input_buffers, static, segments)

    def run(self, inputs) -> dict[int, np.ndarray]:
        """Every tensor's value after running on ``inputs`` (arrays in model input order, already
        checked for dtype and shape), by tensor index. The arrays are this program's buffers: the
        next run overwrites them."""
        for buffer, x in zip(self.input_buffers, inputs):
            np.copyto(buffer, x)
        values = dict(self._static)
        for segment in self._segments:
            if isinstance(segment, _CSegment):
                self._run_c(segment, values)
            else:
                self._run_python(segment, values)
        return values

    def _run_c(self, segment: _CSegment, values) -> None:
        start, count = 0, segment.count
        size, base = _STEP_SIZE, segment.address
        while start < count:
            status = self._run_steps(base + start * size, count - start, self._failed_ref)
            if status == 0:
                return
            failed = start + self._failed.value
            kernel, node, call, used = segment.calls[failed]
            # the Python eval either computes what the references compute or raises their error
            args = [None if t is None else _value(values, t) for t in used]
            results = kernel.eval(call, args)
            if results[0] is not call.output:
                np.copyto(call.output, np.asarray(results[0]).reshape(call.output.shape))
            start = failed + 1

    @staticmethod
    def _run_python(segment: _PySegment, values) -> None:
        args = [None if t is None else _value(values, t) for t in segment.inputs]
        results = segment.kernel.eval(segment.data, args)
        for tensor, result in zip(segment.node.outputs, results):
            stage = segment.stages.get(tensor.index)
            if stage is not None:
                result = np.asarray(result)
                if result.dtype != stage.dtype or result.size != stage.size:
                    raise ValueError(f"{segment.node.op.op} produced {result.dtype}{result.shape} for tensor "
                                     f"{tensor.index}, which a C call reads as {stage.dtype} x {stage.size}")
                np.copyto(stage, result.reshape(stage.shape))
            values[tensor.index] = result


def _tensor(steps, index, subgraph):
    if subgraph is not None:
        return subgraph.tensors[index]
    for _, node in steps:
        for t in (*node.inputs, *node.outputs):
            if t is not None and t.index == index:
                return t
    return None


def _aliasable(node, data, static) -> bool:
    source, target = node.inputs[0], node.outputs[0]
    shape = getattr(data, "output_shape", None)
    if source is None or source.index not in static or not isinstance(shape, tuple):
        return False
    buffer = static[source.index]
    return (target.type.numpy_dtype == buffer.dtype and int(np.prod(shape, dtype=np.int64)) == buffer.size
            and buffer.flags.c_contiguous)


def _bind(kernel, node, call: CCall, static, python_outputs):
    """(Step, (kernel, node, call, used inputs)) for one C call, or None when it cannot be bound."""
    foreign = getattr(call.invoke, "foreign", None)
    if foreign is None or len(foreign.arguments) > MAX_ARGS:
        return None
    argtypes = getattr(foreign.fn, "argtypes", None)
    signature = signature_of(argtypes)
    if signature is None or len(argtypes) != len(foreign.arguments):
        return None
    step = Step()
    step.fn = ctypes.cast(foreign.fn, ctypes.c_void_p).value
    step.signature = signature
    for slot, (value, argtype) in enumerate(zip(foreign.arguments, argtypes)):
        if isinstance(value, Input):
            k = value.position
            if k >= len(call.input_positions):
                return None
            tensor = node.inputs[call.input_positions[k]]
            buffer = _input_buffer(tensor, call.input_dtypes[k], call.input_sizes[k], static, python_outputs)
            if buffer is None:
                return None
            step.args[slot] = buffer.ctypes.data
            continue
        number = argument_value(value, argtype)
        if number is None:
            return None
        step.args[slot] = number
    return step, (kernel, node, call, kernel.used_inputs(node))


def _input_buffer(tensor, dtype, size, static, python_outputs):
    """The fixed buffer a C call reads ``tensor`` from: a C output, a model input, a view, a
    staging buffer a Python step fills, or the constant's data."""
    if tensor is None:
        return None
    buffer = static.get(tensor.index)
    if buffer is None and tensor.index in python_outputs:
        stages = python_outputs[tensor.index].stages
        buffer = stages.setdefault(tensor.index, np.empty(size, dtype))
    if buffer is None and tensor.data is not None:
        buffer = np.ascontiguousarray(np.asarray(tensor.data))
        static[tensor.index] = buffer
    if buffer is None or buffer.dtype != dtype or buffer.size != size or not buffer.flags.c_contiguous \
            or not buffer.flags.aligned:
        return None
    return buffer
