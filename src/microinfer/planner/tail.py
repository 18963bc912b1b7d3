"""TFLite Micro's persistent arena (the *tail*) and minimum working arena, predicted offline.

TFLM's ``SingleArenaBufferAllocator`` hands out the arena from both ends: the *tail* grows down
from the arena's end and holds everything that lives as long as the interpreter; the *head*
grows up from the start and holds, in turn, the scratch-buffer requests, the temporary
TfLiteTensors of each kernel's Prepare, the memory planner's working space, and finally the
activation plan. A tail allocation moves the tail pointer down by its size and then down to its
alignment, so padding depends on the order; this module replays the exact sequence of
allocations that ``MicroInterpreter::AllocateTensors`` makes (as a ``RecordingMicroAllocator``,
the way the Python wheel and ``print_allocations()`` use it):

1. allocator objects: (Recording)SingleArenaBufferAllocator, GreedyMemoryPlanner,
   (Recording)MicroAllocator; then, if the application creates them, MicroResourceVariables
   and its array of slots (two persistent buffers; TFLM's generic benchmark tool makes 100
   slots, the Python interpreter one per distinct VAR_HANDLE shared_name; examples pass none);
2. ``StartModelAllocation``: MicroBuiltinDataAllocator, the scratch-request list in the head
   (12 ScratchBufferRequests), SubgraphAllocations per subgraph, a TfLiteEvalTensor per tensor,
   a NodeAndRegistration per operator;
3. builtin options structs (``TfLiteConvParams`` ...) per operator;
4. each kernel's Init: its OpData (``AllocatePersistentBuffer``, 16-byte aligned);
5. each kernel's Prepare: persistent buffers (per-channel multiplier and shift arrays of
   conv/depthwise/transpose-conv, per-channel FC), scratch-buffer requests, and temporary
   TfLiteTensors in the head (freed after each operator);
6. ``FinishModelAllocation``: ScratchBufferHandles, variable tensors' buffers (tail), then the
   memory plan: a temporary subgraph-offset array and AllocationInfo array plus the rest of the
   free space for the GreedyMemoryPlanner (40 bytes per planned buffer), after which the head is
   reserved at the plan's size;
7. the interpreter's input and output ``TfLiteTensor*`` arrays and a persistent TfLiteTensor
   (+ TfLiteAffineQuantization + zero-point array when quantized) for every model input/output.

``min_working_arena_bytes`` replays the same sequence against a candidate arena size, with the
exact failure conditions of each allocator call, and returns the smallest size (16-byte steps)
that succeeds. Struct sizes come from :mod:`._structs`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import MicroinferError, ModelError
from ..tflite import flexbuffers
from ..tflite.model import Model, Operator, Subgraph, Tensor
from . import _structs as S
from .lifetimes import offline_planned_variable

ALIGN = 16  # MicroArenaBufferAlignment()
REFERENCE = "tflm-reference"  # the kernel library whose replay is verified on the live interpreter
MAX_SCRATCH_PER_OP = 12  # kMaxScratchBuffersPerOp

# print_allocations() categories
EVAL_TENSORS = "TfLiteEvalTensor data"
PERSISTENT_TENSORS = "Persistent TfLiteTensor data"
QUANTIZATION = "Persistent TfLiteTensor quantization data"
PERSISTENT_BUFFERS = "Persistent buffer data"
VARIABLES = "TfLiteTensor variable buffer data"
NODES = "NodeAndRegistration struct"
UNRECORDED = "(not recorded by print_allocations)"

_COUNT_WORDS = {EVAL_TENSORS: "allocations", PERSISTENT_TENSORS: "tensors", QUANTIZATION: "allocations",
                PERSISTENT_BUFFERS: "allocations", VARIABLES: "allocations",
                NODES: "NodeAndRegistration structs"}


@dataclass(frozen=True)
class PersistentAllocation:
    category: str  # print_allocations() category, or UNRECORDED
    requested: int  # bytes asked for
    used: int  # bytes the tail moved, alignment padding included
    count: int  # allocations, as print_allocations() counts them
    what: str
    alignment: int = 1
    exact: bool = True  # False: a struct size not verified for this ABI


@dataclass(frozen=True)
class _Step:
    kind: str  # "P" tail, "T" temp, "F" free temps, "R" resize head, "PLAN", "RESERVE"
    size: int = 0
    align: int = 1
    category: str = UNRECORDED
    what: str = ""
    count: int = 1
    exact: bool = True
    keep: int | None = None  # temp: leading bytes still read after later tail allocations


class ArenaTooSmall(MicroinferError):
    """The replayed allocations do not fit the arena size tried."""


# -- public API --------------------------------------------------------------------------------------
def persistent_allocations(model: Model, abi: str = "x86_64", *, recording: bool = True,
                           arena_size: int = 1 << 30, kernels: str = REFERENCE,
                           core: str | None = None,
                           resource_variables: int | None = None) -> list[PersistentAllocation]:
    """Every tail allocation TFLM makes for ``model``, in order, with its padding.

    ``kernels="cmsis-nn"`` (with a ``core``) replays the CMSIS-NN glue kernels instead of the
    reference ones (see ``cmsis_nn.py``). ``resource_variables``: the slots of the
    MicroResourceVariables the application hands the interpreter (0: none; None: as TFLite
    Micro's Python interpreter does, :func:`python_interpreter_slots`)."""
    result = []
    state = _Arena(arena_size)
    per_buffer = S.greedy_per_buffer_size(abi)
    for step in _steps(model, abi, recording=recording, kernels=kernels, core=core,
                       resource_variables=resource_variables):
        if step.kind == "P":
            before = state.tail_used
            try:
                state.apply(step, per_buffer=per_buffer)
            except ArenaTooSmall:
                raise ArenaTooSmall(f"TFLite Micro's persistent allocations for this model exceed "
                                    f"{arena_size:,} bytes (at {step.what or 'an allocation'} of "
                                    f"{step.size:,} bytes)") from None
            result.append(PersistentAllocation(step.category, step.size, state.tail_used - before,
                                               step.count, step.what, step.align, step.exact))
        else:
            state.apply(step, per_buffer=per_buffer, head_bytes=0)
    return result


def tail_bytes(model: Model, abi: str = "x86_64", *, recording: bool = True,
               kernels: str = REFERENCE, core: str | None = None,
               resource_variables: int | None = None) -> int:
    """The persistent (tail) bytes print_allocations() reports for ``model``."""
    return sum(a.used for a in persistent_allocations(
        model, abi, recording=recording, kernels=kernels, core=core,
        resource_variables=resource_variables))


def categories(model: Model, abi: str = "x86_64", *, kernels: str = REFERENCE,
               core: str | None = None,
               resource_variables: int | None = None) -> dict[str, tuple[int, int, int]]:
    """print_allocations()' per-category lines: {category: (used, requested, count)}.

    ``used`` as TFLM records it: the growth of head + tail during the category's calls, so
    padding goes to whichever allocation crosses an alignment boundary.
    """
    out: dict[str, list[int]] = {}
    for a in persistent_allocations(model, abi, kernels=kernels, core=core,
                                    resource_variables=resource_variables):
        if a.category == UNRECORDED:
            continue
        entry = out.setdefault(a.category, [0, 0, 0])
        entry[0] += a.used
        entry[1] += a.requested
        entry[2] += a.count
    return {k: tuple(v) for k, v in out.items()}


def subgraph_scratch_requests(model: Model, *, kernels: str = REFERENCE, core: str | None = None,
                              abi: str = "x86_64") -> list[tuple[int, int, int]]:
    """(subgraph, operator, bytes) of every scratch request, in request order: the reference
    kernels of every subgraph (TFLite Micro prepares them in index order); CMSIS-NN's of the
    main subgraph."""
    if kernels != REFERENCE:
        return [(model.main.index, op, size)
                for op, size in scratch_requests(model, kernels=kernels, core=core, abi=abi)]
    pointer = S.abi(abi).pointer
    return [(sg.index, op.index, size) for sg in model.subgraphs for op in sg.operators
            for size in _op_scratch(sg, op, pointer)]


def scratch_requests(model: Model, *, kernels: str = REFERENCE, core: str | None = None,
                     abi: str = "x86_64") -> list[tuple[int, int]]:
    """(operator index in the main subgraph, bytes) of every RequestScratchBufferInArena call
    the kernels make in Prepare, in request order (reference kernels unless ``kernels``)."""
    if kernels != REFERENCE:
        return _library(kernels).scratch_requests(model, core)
    sg = model.main
    pointer = S.abi(abi).pointer
    out = []
    for op in sg.operators:
        for size in _op_scratch(sg, op, pointer):
            out.append((op.index, size))
    return out


def python_interpreter_slots(model: Model) -> int:
    """The MicroResourceVariables slots TFLite Micro's Python interpreter creates for ``model``:
    one per distinct shared_name of its VAR_HANDLEs, in all subgraphs (none without them)."""
    return len({getattr(op.options, "shared_name", None) for sg in model.subgraphs
                for op in sg.operators if op.op == "VAR_HANDLE"})


# Custom operators of TFLite Micro's optional kernels whose allocations are read from their
# sources (the host build does not register them, so they cannot be measured here).
FROM_SOURCE = frozenset({"ethos-u"})
NPU_OPERATORS = frozenset({"ethos-u"})


def unmodelled_operators(model: Model) -> list[str]:
    """Operators of ``model`` whose TFLite Micro allocations microinfer does not know: neither a
    kernel of microinfer's (each is checked against the live interpreter) nor read from source."""
    from ..kernels import REGISTRY

    names = {op.op for sg in model.subgraphs for op in sg.operators}
    return sorted(n for n in names if n not in REGISTRY and n not in FROM_SOURCE)


def min_working_arena_bytes(model: Model, head_bytes: int, abi: str = "x86_64", *,
                            recording: bool = True, kernels: str = REFERENCE,
                            core: str | None = None, resource_variables: int | None = None) -> int:
    """Smallest arena (16-byte steps) with which TFLM allocates and runs ``model``.

    ``head_bytes`` is the activation plan's size (what print_allocations() reports as head).
    Besides ``head + tail`` the arena must hold, while the plan is computed (before the
    input/output TfLiteTensors join the tail), the scratch-request list, the AllocationInfo
    array (one per tensor and scratch buffer) and the GreedyMemoryPlanner's 40 bytes per planned
    buffer; and during each kernel's Prepare its temporary TfLiteTensors, which a persistent
    allocation of the same Prepare must not overwrite (TFLM only checks against the head, but
    overwriting the temporaries' pointers makes Prepare fail).

    Exact for x86_64 (tested against the live interpreter for every shared model and every
    catalogue op). For arm32 it is the same replay with 32-bit struct sizes.
    """
    steps = _steps(model, abi, recording=recording, kernels=kernels, core=core,
                   resource_variables=resource_variables)
    per_buffer = S.greedy_per_buffer_size(abi)

    def fits(size: int) -> bool:
        state = _Arena(size)
        try:
            for step in steps:
                state.apply(step, per_buffer=per_buffer, head_bytes=head_bytes)
        except ArenaTooSmall:
            return False
        return True

    # One replay gives the answer when every alignment divides 16: with a 16-byte multiple as the
    # arena size, every tail offset is the size minus a constant, so each check of the replay
    # is "size >= some bound". Two replays confirm it; the binary search is the fallback.
    guess = _smallest_size(steps, per_buffer, head_bytes)
    # (the second check, that 16 bytes less does not fit, is left out for long replays: it is
    # checked on every shared and catalogue model by the tests)
    if guess is not None and fits(guess) and (guess <= 16 or len(steps) > 20_000 or not fits(guess - 16)):
        return guess
    low, high = 16, 16
    while not fits(high):
        low, high = high, high * 2
    while low < high:
        mid = (low + high) // 32 * 16
        if fits(mid):
            high = mid
        else:
            low = mid + 16
    return high


def _smallest_size(steps: list[_Step], per_buffer: int, head_bytes: int) -> int | None:
    """The smallest 16-byte multiple the replay fits in, computed in one pass (None when some
    alignment does not divide 16)."""
    if any(ALIGN % max(1, step.align) for step in steps):
        return None
    used = 0  # bytes from the arena's end to the tail, whatever the (16-byte multiple) size
    head = temp = floor = 0
    need = 16
    for step in steps:
        if step.kind == "P":
            used = _up(used + step.size, step.align)
            need = max(need, used + max(head, floor))
        elif step.kind == "T":
            start = _up(temp, step.align)
            need = max(need, used + start + step.size)
            temp = start + step.size
            keep = step.size if step.keep is None else step.keep
            if keep:
                floor = max(floor, start + keep)
        elif step.kind == "F":
            temp = floor = head
        elif step.kind == "R":
            start = _up(0, step.align)
            need = max(need, used + start + step.size)
            head = temp = floor = start + step.size
        elif step.kind == "PLAN":
            need = max(need, _up(used, ALIGN) + _up(temp, ALIGN) + step.count * per_buffer)
        elif step.kind == "RESERVE":
            need = max(need, used + head_bytes)
            head = temp = floor = head_bytes
    return _up(need, ALIGN)


def describe(model: Model, abi: str = "x86_64", *, kernels: str = REFERENCE,
             core: str | None = None, resource_variables: int | None = None) -> str:
    lines = []
    allocations = persistent_allocations(model, abi, kernels=kernels, core=core,
                                         resource_variables=resource_variables)
    for a in allocations:
        flag = "" if a.exact else "  (approx)"
        lines.append(f"{a.used:8d} {a.requested:8d}  {a.category:42s} {a.what}{flag}")
    lines.append(f"{sum(a.used for a in allocations):8d}  tail total ({abi})")
    return "\n".join(lines)


# -- the allocator, replayed -------------------------------------------------------------------------
class _Arena:
    """SingleArenaBufferAllocator on offsets: head/temp grow from 0, tail down from ``size``."""

    def __init__(self, size: int):
        self.size = size
        self.tail = size
        self.head = 0
        self.temp = 0
        self.floor = 0  # lowest offset a tail allocation may reach without corrupting live temps

    @property
    def tail_used(self) -> int:
        return self.size - self.tail

    def apply(self, step: _Step, *, per_buffer: int, head_bytes: int = 0) -> None:
        if step.kind == "P":
            result = (self.tail - step.size) // step.align * step.align
            # TFLM only checks against head_, but a tail allocation that reaches into the live
            # temporaries of a kernel's Prepare corrupts them (TfLiteTensor structs the kernel
            # still reads and DeallocateTemp checksums), so in practice it fails too.
            if result < max(self.head, self.floor):
                raise ArenaTooSmall
            self.tail = result
        elif step.kind == "T":
            start = _up(self.temp, step.align)
            if self.tail - start < step.size:
                raise ArenaTooSmall
            self.temp = start + step.size
            # Only the leading pointers of a temporary TfLiteTensor and of its
            # TfLiteAffineQuantization are read again (by DeallocateTempTfLiteTensor) once the
            # kernel allocates persistent memory; the rest may be overwritten harmlessly.
            keep = step.size if step.keep is None else step.keep
            if keep:
                self.floor = max(self.floor, start + keep)
        elif step.kind == "F":  # ResetTempAllocations
            self.temp = self.floor = self.head
        elif step.kind == "R":  # ResizeBuffer at the arena's start
            start = _up(0, step.align)
            if self.tail - start < step.size:
                raise ArenaTooSmall
            self.head = self.temp = self.floor = start + step.size
        elif step.kind == "PLAN":  # planner scratch = all free memory, 40 bytes a buffer
            free = self.tail // ALIGN * ALIGN - _up(self.temp, ALIGN)
            if free < 0 or free // per_buffer < step.count:
                raise ArenaTooSmall
        elif step.kind == "RESERVE":  # ReserveNonPersistentOverlayMemory(plan size)
            if self.tail < head_bytes:
                raise ArenaTooSmall
            self.head = self.temp = self.floor = head_bytes


def _up(x: int, a: int) -> int:
    return (x + a - 1) // a * a


# -- the sequence of allocations -----------------------------------------------------------------------
def _library(kernels: str):
    if kernels == "cmsis-nn":
        from . import cmsis_nn
        return cmsis_nn
    raise ValueError(f"unknown kernel library {kernels!r}")


class _ReferenceKernels:
    """What the reference kernels allocate (the replay verified against the live interpreter)."""

    def __init__(self, a: S.Abi):
        self.a = a

    def opdata(self, op: Operator):
        return S.kernel_opdata(op.op, self.a)

    def prepare_sequence(self, sg: Subgraph, op: Operator) -> list:
        return _prepare_sequence(sg, op)

    def persistent(self, sg: Subgraph, op: Operator) -> list[tuple[int, str, bool]]:
        return [(size, what, True) for size, what in _op_prepare_persistent(sg, op, self.a)]

    def scratch(self, sg: Subgraph, op: Operator) -> list[int]:
        return _op_scratch(sg, op, self.a.pointer)


class _CmsisNnKernels:
    """TFLM's cmsis_nn glue kernels for one core (rules in ``cmsis_nn.py``)."""

    def __init__(self, a: S.Abi, core: str | None):
        from . import cmsis_nn
        self.lib = cmsis_nn
        self.a = a
        self.path = cmsis_nn.isa(core)

    def opdata(self, op: Operator):
        return self.lib.kernel_opdata(op.op, self.a)

    def prepare_sequence(self, sg: Subgraph, op: Operator) -> list:
        return _prepare_sequence(sg, op, self.lib.PREPARE_TEMPS)

    def persistent(self, sg: Subgraph, op: Operator) -> list[tuple[int, str, bool]]:
        needs = self.lib.op_needs(sg, op, self.path, self.a)
        return [(size, what, needs.exact) for size, what in needs.persistent]

    def scratch(self, sg: Subgraph, op: Operator) -> list[int]:
        return list(self.lib.op_needs(sg, op, self.path).scratch)


_STEPS_CACHE: list = []  # [(model, key, steps)]: plan() replays the same steps two or three times


def _steps(model: Model, abi: str, *, recording: bool, kernels: str = REFERENCE,
           core: str | None = None, resource_variables: int | None = None) -> list[_Step]:
    key = (abi, recording, kernels, core, resource_variables)
    for cached_model, cached_key, steps in _STEPS_CACHE:
        if cached_model is model and cached_key == key:
            return steps
    steps = _compute_steps(model, abi, recording=recording, kernels=kernels, core=core,
                           resource_variables=resource_variables)
    _STEPS_CACHE.insert(0, (model, key, steps))
    del _STEPS_CACHE[4:]
    return steps


def _compute_steps(model: Model, abi: str, *, recording: bool, kernels: str = REFERENCE,
                   core: str | None = None, resource_variables: int | None = None) -> list[_Step]:
    a = S.abi(abi)
    steps: list[_Step] = []
    if resource_variables is None:
        resource_variables = python_interpreter_slots(model)
    if kernels == REFERENCE:
        lib = _ReferenceKernels(a)
    elif kernels == "cmsis-nn":
        lib = _CmsisNnKernels(a, core)
    else:
        raise ValueError(f"unknown kernel library {kernels!r}")

    def P(name_or_size, category=UNRECORDED, what="", align=None, count=1, exact=True):
        if isinstance(name_or_size, str):
            size, al = S.layout(name_or_size, a)
            what = what or name_or_size
        else:
            size, al = name_or_size, align
        steps.append(_Step("P", size, align or al, category, what, count, exact))

    alloc = "RecordingSingleArenaBufferAllocator" if recording else "SingleArenaBufferAllocator"
    P(alloc)
    P("GreedyMemoryPlanner")
    P("RecordingMicroAllocator" if recording else "MicroAllocator")
    if resource_variables:  # MicroResourceVariables::Create, before the interpreter exists
        P("MicroResourceVariables", PERSISTENT_BUFFERS, align=ALIGN)
        P(S.sizeof("MicroResourceVariable", a) * resource_variables, PERSISTENT_BUFFERS,
          f"MicroResourceVariable x {resource_variables}", ALIGN)
    # StartModelAllocation
    P("MicroBuiltinDataAllocator")
    request_size, request_align = S.layout("ScratchBufferRequest", a)
    steps.append(_Step("R", request_size * MAX_SCRATCH_PER_OP, request_align, what="scratch requests"))
    sub_size, sub_align = S.layout("SubgraphAllocations", a)
    P(sub_size * len(model.subgraphs), align=sub_align,
      what=f"SubgraphAllocations x {len(model.subgraphs)}")
    ev_size, ev_align = S.layout("TfLiteEvalTensor", a)
    for sg in model.subgraphs:
        P(ev_size * len(sg.tensors), EVAL_TENSORS, f"TfLiteEvalTensor x {len(sg.tensors)} "
          f"(subgraph {sg.index})", ev_align, count=len(sg.tensors))
    nr_size, nr_align = S.layout("NodeAndRegistration", a)
    for sg in model.subgraphs:
        P(nr_size * len(sg.operators), NODES, f"NodeAndRegistration x {len(sg.operators)} "
          f"(subgraph {sg.index})", nr_align, count=len(sg.operators))
    # PrepareNodeAndRegistrationDataFromFlatbuffer: builtin options
    for sg in model.subgraphs:
        for op in sg.operators:
            params = S.builtin_params(op.op, a)
            if params is not None:
                P(params[0], align=params[1], what=f"op {op.index} {op.op} builtin params")
    # InitSubgraphs: OpData
    for sg in model.subgraphs:
        for op in sg.operators:
            opdata = lib.opdata(op)
            if opdata is not None:
                P(opdata[0], PERSISTENT_BUFFERS, f"op {op.index} {op.op} OpData", ALIGN,
                  exact=opdata[1])
            for size, what in _op_init_persistent(sg, op, a):
                P(size, PERSISTENT_BUFFERS, f"op {op.index} {op.op} {what}", ALIGN)
    # PrepareSubgraphs
    tensor_size, tensor_align = S.layout("TfLiteTensor", a)
    quant_size, quant_align = S.layout("TfLiteAffineQuantization", a)
    n_scratch = 0
    first_assignments = _first_assignments(model)
    for sg in model.subgraphs:
        for op in sg.operators:
            sequence = lib.prepare_sequence(sg, op)
            # one "P": every persistent buffer there; several: one each, the last takes the rest
            p_left = sum(1 for item in sequence if not isinstance(item, Tensor))
            persistent = list(lib.persistent(sg, op))
            for item in sequence:
                if isinstance(item, Tensor):  # a temporary TfLiteTensor (AllocateTempXTensor)
                    steps.append(_Step("T", tensor_size, tensor_align, keep=2 * a.pointer))
                    if _quantized(item):
                        steps.append(_Step("T", quant_size, quant_align, keep=2 * a.pointer))
                        steps.append(_Step("T", S.int_array_bytes(len(item.quantization.scale)), 4,
                                           keep=0))
                else:
                    p_left -= 1
                    now, persistent = (persistent, []) if p_left == 0 else (persistent[:1], persistent[1:])
                    for size, what, exact in now:
                        P(size, PERSISTENT_BUFFERS, f"op {op.index} {op.op} {what}", ALIGN,
                          exact=exact)
                    if (sg.index, op.index) in first_assignments:  # the variable's buffer
                        P(sg.tensors[op.inputs[1]].nbytes, PERSISTENT_BUFFERS,
                          f"op {op.index} {op.op} resource variable buffer", ALIGN)
            n_scratch += len(lib.scratch(sg, op))
            steps.append(_Step("F"))
            steps.append(_Step("R", request_size * (n_scratch + MAX_SCRATCH_PER_OP), request_align))
    # FinishModelAllocation
    if n_scratch:
        h_size, h_align = S.layout("ScratchBufferHandle", a)
        P(h_size * n_scratch, align=h_align, what=f"ScratchBufferHandle x {n_scratch}")
    for sg in model.subgraphs:
        for t in sg.tensors:
            if t.is_variable and not offline_planned_variable(model, t, sg.index):
                P(t.nbytes, VARIABLES, f"variable tensor {t.index} ({t.name})", ALIGN)
    # CommitStaticMemoryPlan
    steps.append(_Step("F"))
    steps.append(_Step("T", a.pointer * len(model.subgraphs), a.pointer))  # subgraph offsets
    n_tensors = sum(len(sg.tensors) for sg in model.subgraphs)
    info_size, info_align = S.layout("AllocationInfo", a)
    steps.append(_Step("T", info_size * (n_tensors + n_scratch), info_align))
    n_planned = n_scratch + sum(1 for sg in model.subgraphs for t in sg.tensors
                                if not t.is_constant and t.nbytes > 0
                                and (not t.is_variable or offline_planned_variable(model, t, sg.index)))
    steps.append(_Step("PLAN", count=n_planned))
    steps.append(_Step("F"))
    steps.append(_Step("R", 0, 1))
    steps.append(_Step("RESERVE"))
    # input/output TfLiteTensors of the MicroInterpreter
    main = model.main
    for kind, indices in (("input", main.inputs), ("output", main.outputs)):
        P(a.pointer * len(indices), PERSISTENT_BUFFERS, f"{kind} TfLiteTensor* x {len(indices)}",
          ALIGN)
        for i in indices:
            t = main.tensors[i]
            P(tensor_size, PERSISTENT_TENSORS, f"{kind} TfLiteTensor {i}", tensor_align)
            if _quantized(t):
                P(quant_size, QUANTIZATION, f"{kind} {i} TfLiteAffineQuantization", quant_align)
                P(S.int_array_bytes(len(t.quantization.scale)), QUANTIZATION,
                  f"{kind} {i} zero-point array", 4)
    return steps


def _quantized(t: Tensor) -> bool:
    q = t.quantization
    return q is not None and len(q.scale) > 0 and len(q.zero_point) > 0


# The order in which each reference kernel's Prepare asks for temporary TfLiteTensors
# (AllocateTempInputTensor / AllocateTempOutputTensor) and, at "P", makes its persistent
# allocations. Temporaries are only released all together after the operator's Prepare
# (ResetTempAllocations), so each request takes new head space: a kernel that fetches the same
# tensor twice pays twice. "iN"/"oN": input/output N (skipped when omitted); "I"/"O": all inputs /
# outputs in order. Measured on the live interpreter (gdb on SingleArenaBufferAllocator).
_PREPARE_TEMPS: dict[str, tuple[str, ...]] = {
    "CONV_2D": ("i0", "o0", "i1", "P", "i0", "i1", "i2", "o0"),
    "DEPTHWISE_CONV_2D": ("i0", "o0", "i1", "P", "i0", "i1", "i2", "o0"),
    "TRANSPOSE_CONV": ("i2", "o0", "i1", "P", "i2", "i1", "i3", "o0"),
    "FULLY_CONNECTED": ("i0", "i1", "i2", "o0", "P"),
    # PrepareMeanOrSumHelper (input, output, axes), then PrepareSimple (input, axes, and the
    # output for its scale when the input is int8); "OP/dtype" entries (input 0's type) win.
    "MEAN": ("i0", "o0", "i1", "i0", "i1"), "MEAN/int8": ("i0", "o0", "i1", "i0", "i1", "o0"),
    "SUM": ("i0", "o0", "i1", "i0", "i1"), "SUM/int8": ("i0", "o0", "i1", "i0", "i1", "o0"),
    # PrepareMinMaxHelper: PrepareSimple first, then input, output, axes
    "REDUCE_MAX": ("i0", "i1", "i0", "o0", "i1"), "REDUCE_MAX/int8": ("i0", "i1", "o0", "i0", "o0", "i1"),
    "REDUCE_MIN": ("i0", "i1", "i0", "o0", "i1"), "REDUCE_MIN/int8": ("i0", "i1", "o0", "i0", "o0", "i1"),
    "REDUCE_ALL": ("i0", "i1", "i0", "o0", "i1"),
    "ARG_MAX": (), "ARG_MIN": (),  # no Prepare
    "CUMSUM": ("i0", "i1", "o0", "P"),  # the int8 OpData is allocated in Prepare
    "L2_POOL_2D": ("o0", "i0", "P"),  # then a persistent copy of the output's dims
    "TANH": ("i0", "o0", "i0"),
    "RELU6": ("i0",),
    "CONCATENATION": ("o0", "I", "o0"),
    "PAD": ("i0", "i1", "o0"), "PADV2": ("i0", "i1", "i2", "o0"),
    "STRIDED_SLICE": ("I", "o0"), "SVDF": ("I", "o0"),
    "UNIDIRECTIONAL_SEQUENCE_LSTM": ("I", "o0"),
    # the binary element-wise family
    "MAXIMUM": (), "MINIMUM": (), "LOGICAL_AND": (), "LOGICAL_OR": (),
    "EQUAL": ("i0", "i1"), "NOT_EQUAL": ("i0", "i1"), "GREATER": ("i0", "i1"),
    "GREATER_EQUAL": ("i0", "i1"), "LESS": ("i0", "i1"), "LESS_EQUAL": ("i0", "i1"),
    "ADD_N": ("i0", "o0", *(f"i{n}" for n in range(1, 64))),  # inputs past the count are skipped
    "RESHAPE": ("i0", "o0"), "SQUEEZE": ("i0", "o0"), "EXPAND_DIMS": ("i0", "i1", "o0"),
    "TRANSPOSE": ("i0", "i1", "o0"), "SPLIT": ("i0",),  # SPLIT: only the axis tensor
    "PACK": (), "UNPACK": (),  # no temporaries
    "ethos-u": ("i0",),  # the command stream, for its size
    "SPLIT_V": ("i2",),  # only the axis tensor
    "GATHER": ("i0", "i1", "o0", "P"),  # P: the output's dims copied into the arena
    "GATHER_ND": ("i0", "i1", "o0", "P"),
    "DEPTH_TO_SPACE": ("i0", "o0", "P"), "SPACE_TO_DEPTH": ("i0", "o0", "P"),
    "SPACE_TO_BATCH_ND": ("i0", "o0"), "BATCH_TO_SPACE_ND": ("i0", "o0"),
    "MIRROR_PAD": ("i0", "i1", "o0"),
    "EMBEDDING_LOOKUP": ("i0", "i1", "o0", "P"),  # P: output dims, then the OpData (in Prepare)
    # IF: the condition; READ_VARIABLE: the handle; ASSIGN_VARIABLE: the value, then (the first
    # to be prepared for its variable) the variable's buffer
    "IF": ("i0",), "WHILE": (), "CALL_ONCE": (), "VAR_HANDLE": (),
    "READ_VARIABLE": ("i0",), "ASSIGN_VARIABLE": ("i1", "P"),
    # TFLite Micro's custom operators (signal library, CIRCULAR_BUFFER)
    "SignalWindow": ("i0", "i1", "o0"), "SignalFftAutoScale": ("i0", "o0", "o1"), "SignalEnergy": ("i0", "o0"),
    "SignalFilterBank": ("i0", "i1", "i2", "i3", "i4", "i5", "o0"), "SignalFilterBankSquareRoot": ("i0", "i1", "o0"),
    "SignalFilterBankLog": ("i0", "o0"), "SignalFilterBankSpectralSubtraction": ("i0", "o0", "o1"),
    "SignalPCAN": ("i0", "i1", "i2", "o0"), "SignalStacker": ("i0", "o0", "o1"),
    "SignalDelay": ("i0", "o0", "P"), "SignalFramer": ("i0", "o0", "o1", "P"), "SignalOverlapAdd": ("i0", "o0", "P"),
    "SignalRfft": ("i0", "o0"), "SignalIrfft": ("i0", "o0"), "CIRCULAR_BUFFER": ("i0", "o0", "o1"),
    "TFLite_Detection_PostProcess": ("i0", "i1", "i2"),
}
_DEFAULT_TEMPS = ("I", "O")  # ADD, SUB, MUL, pooling, activations, SOFTMAX, (DE)QUANTIZE, PRELU ...


_SEQUENCES: dict = {}


def _sequence_of(name: str, first_type, overrides: dict | None) -> tuple:
    """The temporaries' token sequence of an operator (cached per op, first input type, table)."""
    cache_key = (name, first_type, id(overrides))
    sequence = _SEQUENCES.get(cache_key)
    if sequence is None:
        keys = ([f"{name}/{first_type.name.lower()}"] if first_type is not None else []) + [name]
        sequence = next((table[k] for table in (overrides or {}, _PREPARE_TEMPS) for k in keys if k in table),
                        _DEFAULT_TEMPS)
        _SEQUENCES[cache_key] = sequence
    return sequence


def _prepare_sequence(sg: Subgraph, op: Operator, overrides: dict | None = None) -> list:
    out: list = []
    first = sg.tensors[op.inputs[0]] if op.inputs and op.inputs[0] >= 0 else None
    sequence = _sequence_of(op.op, None if first is None else first.type, overrides)
    if op.op == "TFLM_DECODE":
        sequence = _decode_sequence(sg, op)
    for token in sequence:
        if token == "P":
            out.append("P")
            continue
        if token in ("I", "O"):
            indices = op.inputs if token == "I" else op.outputs
        else:
            position = int(token[1:])
            source = op.inputs if token[0] == "i" else op.outputs
            indices = source[position:position + 1]
        out.extend(sg.tensors[i] for i in indices if i >= 0)
    if "P" not in out:
        out.append("P")
    return out


def _channels(t: Tensor | None) -> int:
    if t is None or t.quantization is None or not len(t.quantization.scale):
        return 0
    return len(t.quantization.scale)


# Kernels whose Prepare copies the output's dims into the arena to rewrite them.
_WRITABLE_OUTPUT_DIMS = {"GATHER", "GATHER_ND", "DEPTH_TO_SPACE", "SPACE_TO_DEPTH", "EMBEDDING_LOOKUP",
                         "L2_POOL_2D"}


def _op_prepare_persistent(sg: Subgraph, op: Operator, abi: S.Abi | str = "x86_64") -> list[tuple[int, str]]:
    """Persistent buffers a reference kernel's Prepare allocates (16-byte aligned)."""
    name = op.op
    if name == "BATCH_MATMUL":
        return _batch_matmul_persistent(sg, op, abi)
    if name in ("CONV_2D", "DEPTHWISE_CONV_2D", "TRANSPOSE_CONV"):
        # per-channel output multiplier and shift, int32 each, sized by the output channels
        out = sg.tensors[op.outputs[0]]
        channels = out.shape[-1] if out.shape else 1
        return [(4 * channels, "per-channel multipliers"), (4 * channels, "per-channel shifts")]
    if name in _WRITABLE_OUTPUT_DIMS:  # CreateWritableTensorDimsWithCopy: a TfLiteIntArray of the output's rank
        dims = [(S.int_array_bytes(len(sg.tensors[op.outputs[0]].shape)), "output dims")]
        if name == "EMBEDDING_LOOKUP":  # its OpData, allocated in Prepare, not Init
            dims.append((S.sizeof("OpDataEmbeddingLookup", abi), "OpData"))
        return dims
    if name == "CUMSUM" and sg.tensors[op.inputs[0]].dtype_name == "int8":
        return [(36, "OpData")]  # nine 4-byte members, allocated by Prepare
    if name == "FULLY_CONNECTED":
        weights = sg.tensors[op.inputs[1]]
        n = _channels(weights)
        if n > 1:  # per-channel quantized weights
            return [(4 * n, "per-channel multipliers"), (4 * n, "per-channel shifts")]
    if name == "ADD_N" and sg.tensors[op.outputs[0]].dtype_name == "int8":
        return [(40, "ADD_N OpData")]  # ten 4-byte members, allocated in Prepare
    if name == "LOG_SOFTMAX" and sg.tensors[op.inputs[0]].dtype_name == "int8":
        return [(S.sizeof("LogSoftmaxOpData", abi), "LogSoftmaxOpData")]
    if name in ("SignalDelay", "SignalFramer", "SignalOverlapAdd"):
        return _signal_rows_persistent(sg, op, abi)
    if name == "TFLM_DECODE":  # DecodeState* per output, then each output's state
        allocations = [(S.abi(abi).pointer * len(op.outputs), "DecodeState pointers")]
        for k in range(len(op.outputs)):
            allocations += _decode_state(sg, op, k, abi)
        return allocations
    return []


def _first_assignments(model: Model) -> set[tuple[int, int]]:
    """The ASSIGN_VARIABLEs whose Prepare allocates their variable's buffer: the first of each
    variable in preparation order (subgraphs in index order)."""
    from ..kernels._resources import ASSIGN_VARIABLE, VAR_HANDLE, handles

    ids = handles(model, "tflm").ids
    first: dict[int, tuple[int, int]] = {}
    for sg in model.subgraphs:
        producers = {t: (sg.index, op.index) for op in sg.operators if op.op == VAR_HANDLE
                     for t in op.outputs}
        for op in sg.operators:
            if op.op == ASSIGN_VARIABLE and len(op.inputs) == 2 and op.inputs[1] >= 0 \
                    and op.inputs[0] in producers:
                variable = ids.get(producers[op.inputs[0]])
                if variable is not None:
                    first.setdefault(variable, (sg.index, op.index))
    return set(first.values())


def _decode_state(sg: Subgraph, op: Operator, k: int, abi: S.Abi | str) -> list[tuple[int, str]]:
    """TFLM_DECODE's Prepare for output ``k``: its DecodeStateLut or DecodeStatePrune, and a
    pruned int8 per-channel output's int8 zero points (copied by Setup)."""
    if 2 * k + 1 >= len(op.inputs) or op.inputs[2 * k + 1] < 0:
        return []
    ancillary = sg.tensors[op.inputs[2 * k + 1]]
    kind = int(ancillary.data.reshape(-1).view(np.uint8)[0]) if ancillary.data is not None and ancillary.data.size else -1
    if kind == 0:
        return [(S.sizeof("DecodeStateLut", abi), f"output {k} DecodeStateLut")]
    if kind != 2:
        return []
    state = [(S.sizeof("DecodeStatePrune", abi), f"output {k} DecodeStatePrune")]
    y = sg.tensors[op.outputs[k]]
    channels = len(y.quantization.scale) if y.quantization is not None else 0
    if y.dtype_name == "int8" and channels > 1:
        state.append((channels, f"output {k} zero points"))
    return state


def _decode_sequence(sg: Subgraph, op: Operator) -> tuple[str, ...]:
    """TFLM_DECODE's Prepare: the pointer array, then per output its pair and output as
    temporaries followed by that output's state allocations."""
    tokens = ["P"]
    for k in range(len(op.outputs)):
        tokens += [f"i{2 * k}", f"i{2 * k + 1}", f"o{k}"] + ["P"] * len(_decode_state(sg, op, k, "x86_64"))
    return tuple(tokens)


def _custom_values(op: Operator) -> list:
    """A custom operator's option values by position ([] when the blob is malformed)."""
    try:
        return list(flexbuffers.decode_map(op.custom_options).values())
    except ModelError:
        return []


def _option_int(op: Operator, position: int, default: int = 0) -> int:
    values = _custom_values(op)
    try:
        return int(values[position])
    except (IndexError, TypeError, ValueError):
        return default


def _op_init_persistent(sg: Subgraph, op: Operator, abi: S.Abi | str) -> list[tuple[int, str]]:
    """Persistent buffers a custom operator's Init allocates after its parameters (16-byte
    aligned): a state buffer sized by its options."""
    name = op.op
    if name == "SignalFilterBank":  # work area: num_channels + 1 uint64 accumulators
        return [(8 * (_option_int(op, 0) + 1), "work area")]
    if name == "SignalFilterBankSpectralSubtraction":  # noise estimate: num_channels uint32
        return [(4 * _option_int(op, 4), "noise estimate")]
    if name == "SignalStacker":  # one circular buffer of num_channels * (left + right + 1)
        channels, left, right = (_option_int(op, i) for i in range(3))
        return [(S.circular_buffer_bytes(channels * (left + right + 1), abi), "circular buffer")]
    if name in ("SignalRfft", "SignalIrfft"):
        fft_length = _option_int(op, 1)
        part = {7: 2, 2: 4, 0: 4}.get(_option_int(op, 0, -1))
        if part is None or fft_length < 2 or fft_length % 2:
            return []
        state = S.kiss_fftr_bytes(fft_length, part, abi)
        if name == "SignalIrfft" and _option_int(op, 0) == 0:  # IrfftFloatState wraps the config
            state += S.sizeof("IrfftFloatState", abi)
        return [(state, "KISS FFT state")]
    return []


def _signal_rows_persistent(sg: Subgraph, op: Operator, abi: S.Abi | str) -> list[tuple[int, str]]:
    """Delay, Framer and OverlapAdd's Prepare: per row (all but the innermost dimension, for
    OverlapAdd all but the last two) a pointer array or two, then one state buffer a row."""
    x = sg.tensors[op.inputs[0]]
    pointer = S.abi(abi).pointer
    if op.op == "SignalOverlapAdd":
        frame = x.shape[-1] if x.shape else 0
        frames = x.shape[-2] if len(x.shape) >= 2 else 0
        rows = x.num_elements // (frame * frames) if frame * frames else 0
        element = 4 if x.dtype_name == "float32" else 2
        return [(pointer * rows, "state buffer pointers")] + [(element * frame, f"row {i} state") for i in range(rows)]
    frame = x.shape[-1] if x.shape else 0
    rows = x.num_elements // frame if frame else 0
    if op.op == "SignalDelay":
        capacity = frame + _option_int(op, 0)
    else:  # Framer: frame_size rounded up to a multiple of frame_step
        size, step = _option_int(op, 0), max(_option_int(op, 1), 1)
        capacity = (size + step - 1) // step * step
    buffer = S.circular_buffer_bytes(capacity, abi)
    return ([(pointer * rows, "state buffer pointers"), (pointer * rows, "circular buffer pointers")]
            + [(buffer, f"row {i} circular buffer") for i in range(rows)])


def _batch_matmul_persistent(sg: Subgraph, op: Operator, abi: S.Abi | str) -> list[tuple[int, str]]:
    """BATCH_MATMUL's Prepare: the quantization struct (int8/int16); a TfLiteEvalTensor, its dims
    and its data for each operand it transposes (the lhs with adj_x, the rhs without adj_y); a
    writable copy of the output's dims."""
    lhs, rhs, out = (sg.tensors[i] for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
    allocations = []
    if lhs.dtype_name in ("int8", "int16"):
        allocations.append((7 * 4, "quantization parameters"))  # QuantizationOpDataBatchMatmul
    o = op.options
    for transposed, operand, what in ((o.adj_x, lhs, "lhs"), (not o.adj_y, rhs, "rhs")):
        if transposed:
            allocations += [(S.sizeof("TfLiteEvalTensor", abi), f"transposed {what} TfLiteEvalTensor"),
                            (S.int_array_bytes(len(operand.shape)), f"transposed {what} dims"),
                            (operand.nbytes, f"transposed {what} data")]
    allocations.append((S.int_array_bytes(len(out.shape)), "output dims"))
    return allocations


def _op_scratch(sg: Subgraph, op: Operator, pointer: int = 8) -> list[int]:
    """RequestScratchBufferInArena sizes of a reference kernel's Prepare (``pointer``: the ABI's
    sizeof(size_t))."""
    name = op.op
    t = sg.tensors
    if name == "ethos-u":  # base addresses (uint64_t) and sizes (size_t) of every tensor
        count = len(op.inputs) + len(op.outputs)
        return [8 * count, pointer * count]
    if name == "ADD_N" and t[op.outputs[0]].dtype_name in ("float32", "int8"):
        return [pointer * len(op.inputs)]  # one data pointer per input
    if name in ("MEAN", "SUM"):
        # PrepareMeanOrSumHelper: an int32 sum per output element (int8/int16 only), then, for
        # every type, the iteration index (an int per input dimension) and the resolved axes
        # (an int per axis entry), which Eval used to keep on the stack.
        out, inp = t[op.outputs[0]], t[op.inputs[0]]
        axes = t[op.inputs[1]]
        sums = [4 * out.num_elements] if inp.dtype_name in ("int8", "int16") else []
        return [*sums, 4 * len(inp.shape), 4 * max(1, axes.num_elements)]
    if name in ("REDUCE_MAX", "REDUCE_MIN", "REDUCE_ALL"):  # index, resolved axes
        return [4 * len(t[op.inputs[0]].shape), 4 * max(1, t[op.inputs[1]].num_elements)]
    if name == "SVDF" and t[op.inputs[0]].dtype_name == "int8":
        x, w_feature, bias_or_state = t[op.inputs[0]], t[op.inputs[1]], t[op.outputs[0]]
        if not (x.shape and w_feature.shape and bias_or_state.shape):
            return []  # TFLite Micro refuses such an SVDF in Prepare
        batch, filters = x.shape[0], w_feature.shape[0]
        units = bias_or_state.shape[-1]
        return [4 * batch * filters, 4 * batch * units]
    if name == "TRANSPOSE_CONV" and t[op.inputs[2]].dtype_name in ("int8", "int16"):
        out = t[op.outputs[0]]
        return [(4 if t[op.inputs[2]].dtype_name == "int8" else 8) * out.num_elements]
    if name == "MIRROR_PAD":  # the output's and the input's per-dimension element counts
        rank = len(t[op.inputs[0]].shape)
        return [4 * rank, 4 * rank]
    if name == "UNIDIRECTIONAL_SEQUENCE_LSTM":
        cell_state = t[op.inputs[19]]
        return [cell_state.nbytes] * 4
    if name == "SignalRfft":  # the zero-padded frame: fft_length samples
        return [_option_int(op, 1) * (t[op.inputs[0]].type.buffer_bytes(1) or 0)]
    if name == "TFLite_Detection_PostProcess":
        return _detection_postprocess_scratch(sg, op)
    return []


def _detection_postprocess_scratch(sg: Subgraph, op: Operator) -> list[int]:
    """The eleven buffers detection_postprocess.cc's Prepare requests, in its order."""
    from ..kernels.detection_postprocess import DetectionOptions
    from ..errors import ModelError

    try:
        o = DetectionOptions.parse(op.custom_options)
    except ModelError:
        return []
    if len(op.inputs) < 2 or len(sg.tensors[op.inputs[0]].shape) < 2 or len(sg.tensors[op.inputs[1]].shape) < 3:
        return []  # TFLite Micro refuses such a node in Prepare
    boxes = sg.tensors[op.inputs[0]].shape[1]
    scores = sg.tensors[op.inputs[1]].shape
    per_detection = o.max_detections * boxes * 4
    return [boxes, boxes * 16, scores[1] * scores[2] * 4, boxes * 4, boxes * 4, per_detection, per_detection,
            boxes * 4, per_detection, max(o.num_classes, o.max_detections) * boxes * 4,
            min(boxes, o.max_detections) * boxes * 4]
