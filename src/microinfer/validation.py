"""Checks of a whole model before anything runs it: what no single operator's constraints see.

The loader refuses what is malformed on the wire; each kernel's constraints refuse what its
operator cannot compute. In between lie properties of the graph: every tensor an operator reads
must hold a value by then (a constant, a model input, a variable, or an earlier operator's
output), every model output must be written, no tensor may be written twice or be both constant
and variable, an offline memory plan must be one TFLite Micro accepts and cannot corrupt, and the
model must fit in memory at all. TFLite Micro reads uninitialised arena bytes or overwrites live
tensors where these fail, so its results are undefined: microinfer refuses such a model with
:class:`~microinfer.ModelError`, naming the operator and tensor.
"""

from __future__ import annotations

from .errors import ModelError
from .tflite.model import Model, Subgraph
from .tflite.types import TensorType

TFLM = "tflm"
LITERT = "tflite"
TITLES = {TFLM: "TFLite Micro", LITERT: "LiteRT"}

# TFLite Micro's RuntimeShape keeps dimensions in a fixed array; a kernel taking the shape of a
# tensor with more dimensions writes past it.
TFLM_MAX_RANK = 6

# No microcontroller model comes near these; beyond them a malformed shape would only make the
# host allocate gigabytes before failing.
MAX_TENSOR_BYTES = 1 << 30
MAX_ACTIVATION_BYTES = 4 << 30


def check_model(model: Model, reference: str) -> None:
    """Raise :class:`ModelError` listing every graph-level problem that makes ``reference``
    refuse ``model`` or makes its results undefined."""
    problems = [f"{w} ({TITLES[reference]} refuses the model for this)" for w in model.refusals(reference)]
    problems += graph_problems(model, model.main)
    problems += quantization_problems(model.main)
    if reference == TFLM:
        problems += offline_plan_problems(model)
        problems += rank_problems(model)
    problems += memory_problems(model.main)
    if problems:
        raise ModelError("the model cannot run as it is:\n  " + "\n  ".join(problems))


def rank_problems(model: Model) -> list[str]:
    """Tensors an operator reads or writes with more dimensions than TFLite Micro's shapes hold."""
    problems = []
    for subgraph in model.subgraphs:
        used = sorted({t for op in subgraph.operators for t in (*op.inputs, *op.outputs)
                       if 0 <= t < len(subgraph.tensors)})
        for index in used:
            tensor = subgraph.tensors[index]
            if len(tensor.shape) > TFLM_MAX_RANK:
                problems.append(f"subgraphs[{subgraph.index}] tensor {index} {tensor.name!r} has {len(tensor.shape)} "
                                f"dimensions: TFLite Micro's kernels hold shapes of at most {TFLM_MAX_RANK} "
                                f"(a larger one overruns its RuntimeShape, so its results are undefined)")
    return problems


def operator_problems(nodes) -> list[str]:
    """Why microinfer cannot run each of ``nodes`` (kernel.registry.Node), one line a reason."""
    from .diagnosis import no_kernel_reason
    from .kernels import REGISTRY

    problems = []
    for node in nodes:
        kernel = REGISTRY.get(node.op.op)
        types = "/".join(t.type.name.lower() for t in node.inputs if t is not None)
        where = f"operator {node.op.index} {node.op.op} v{node.op.version} ({types})"
        if node.subgraph:
            where = f"subgraph {node.subgraph} {where}"
        if kernel is None:
            problems.append(f"{where}: {no_kernel_reason(node.model.subgraphs[node.subgraph], node.op)}")
            continue
        problems += [f"{where}: {reason}" for reason in kernel.unsupported_reasons(node)]
    return problems


def refusals(model: Model, reference: str = TFLM) -> list[str]:
    """What makes microinfer refuse ``model`` under ``reference``, without raising: for reports
    (plan, fit) about models microinfer does not run. Operators it has no kernel for are left
    out (the reports say what they know of those)."""
    from .kernels import REGISTRY
    from .kernels.registry import Node

    sg = model.main
    nodes = [Node(op, tuple(None if i < 0 else sg.tensors[i] for i in op.inputs),
                  tuple(sg.tensors[i] for i in op.outputs), model, reference)
             for op in sg.operators if op.op in REGISTRY]
    problems = operator_problems(nodes)
    try:
        check_model(model, reference)
    except ModelError as exc:
        problems += [line.strip() for line in str(exc).splitlines()[1:]]
    return problems


def check_structure(model: Model) -> None:
    """Raise :class:`ModelError` when an operator microinfer knows lists more or fewer tensors
    than it takes, or omits one it needs: TFLite Micro fails to prepare such a node, so no arena
    plan or cost exists for the model. (Operators without a kernel are not checked.)"""
    problems = structure_problems(model)
    if problems:
        raise ModelError("TFLite Micro cannot prepare the model:\n  " + "\n  ".join(problems))


def structure_problems(model: Model) -> list[str]:
    from .kernels import REGISTRY
    from .kernels.registry import Node

    problems = []
    for sg in model.subgraphs:
        for op in sg.operators:
            kernel = REGISTRY.get(op.op)
            if kernel is None:
                continue
            node = Node(op, tuple(None if i < 0 else sg.tensors[i] for i in op.inputs),
                        tuple(sg.tensors[i] for i in op.outputs), model, TFLM, sg.index)
            problems += [f"subgraphs[{sg.index}].operators[{op.index}] ({op.op}) {p}"
                         for p in kernel.wiring_problems(node)]
    return problems


def graph_problems(model: Model, sg: Subgraph) -> list[str]:
    """Wiring: what each operator reads holds a value, what it writes may be written, and every
    output of the subgraph is produced."""
    where = f"subgraphs[{sg.index}]"
    problems = []
    inputs = set(sg.inputs)
    for i in sg.inputs:
        t = sg.tensors[i]
        if t.is_constant:
            problems.append(f"{where}: input {_name(sg, i)} is a constant tensor (its data would be "
                            f"overwritten by the caller's input)")
        elif t.is_variable:
            problems.append(f"{where}: input {_name(sg, i)} is a variable tensor (state a kernel keeps from one "
                            f"run to the next; the caller's input and the kept state would compete for it)")
    for t in sg.tensors:
        if t.is_constant and t.is_variable:
            problems.append(f"{where}: tensor {_name(sg, t.index)} is constant and marked variable "
                            f"(TFLite Micro would replace its data by a zeroed state buffer)")
    from .kernels import REGISTRY

    written: dict[int, int] = {}
    for op in sg.operators:
        label = f"{where}.operators[{op.index}] ({op.op})"
        # what an operator microinfer does not know reads is its own business (an NPU's
        # scratch area, a vendor's weight buffer)
        for i in op.inputs if op.op in REGISTRY else ():
            if i < 0 or i in written:
                continue
            t = sg.tensors[i]
            if not (t.is_constant or t.is_variable or i in inputs or t.num_elements == 0):
                problems.append(f"{label} reads tensor {_name(sg, i)}, which no earlier operator "
                                f"writes and which is not a model input, a constant or a variable")
        for i in op.outputs:
            t = sg.tensors[i]
            if t.is_constant:
                problems.append(f"{label} writes tensor {_name(sg, i)}, which is a constant")
            elif i in inputs:
                problems.append(f"{label} writes tensor {_name(sg, i)}, which is a model input")
            elif i in written:
                problems.append(f"{label} writes tensor {_name(sg, i)}, which operator "
                                f"{written[i]} already wrote")
            written.setdefault(i, op.index)
    for i in sg.outputs:
        t = sg.tensors[i]
        if not (i in written or i in inputs or t.is_constant or t.is_variable or t.num_elements == 0):
            problems.append(f"{where}: output {_name(sg, i)} is written by no operator")
    for kind, indices in (("input", sg.inputs), ("output", sg.outputs)):
        for i in indices:
            if 0 <= i < len(sg.tensors) and sg.tensors[i].type is TensorType.INT4:
                problems.append(f"{where}: {kind} {_name(sg, i)} is INT4: the references keep INT4 packed two "
                                "values to a byte and unpack it only inside kernels, as constant weights")
    return problems


# The value ranges of the quantized activation types.
_RANGES = {TensorType.INT8: (-128, 127), TensorType.UINT8: (0, 255), TensorType.INT16: (-32768, 32767)}


def quantization_problems(sg: Subgraph) -> list[str]:
    """Quantized tensors with a zero point outside their type, and activations (the tensors
    operators read and write, not the weights) with a scale that is not finite and positive: the
    kernels' multipliers and clamps are meaningless (or undefined in C) for them."""
    used = {i for op in sg.operators for i in (*op.inputs, *op.outputs) if i >= 0}
    problems = []
    for i in sorted(used):
        t = sg.tensors[i]
        q = t.quantization
        if t.type not in _RANGES or q is None or not len(q.scale):
            continue
        if t.is_constant:
            problems += _weight_scale_problems(sg, i)
        else:
            bad_scale = next((float(s) for s in q.scale if not 0 < float(s) < float("inf")), None)
            if bad_scale is not None:
                problems.append(f"tensor {_name(sg, i)} has scale {bad_scale}: quantized activations need a "
                                f"finite, positive scale")
        lo, hi = _RANGES[t.type]
        bad_zero = next((int(z) for z in q.zero_point if not lo <= int(z) <= hi), None)
        if bad_zero is not None:
            problems.append(f"tensor {_name(sg, i)} has zero point {bad_zero}, outside {t.type.name.lower()}'s "
                            f"range [{lo}, {hi}]")
    return problems


def _weight_scale_problems(sg: Subgraph, index: int) -> list[str]:
    """Weights may have zero scales (all-zero channels) but not infinite or NaN ones: the
    references turn such a scale into an int32 multiplier by a float-to-integer cast that C
    leaves undefined."""
    bad = next((float(s) for s in sg.tensors[index].quantization.scale
                if not -float("inf") < float(s) < float("inf")), None)
    if bad is None:
        return []
    return [f"tensor {_name(sg, index)} has scale {bad}: quantized weights need finite scales"]


def offline_plan_problems(model: Model) -> list[str]:
    """The model's OfflineMemoryAllocation as TFLite Micro would use it: well formed (else
    ModelError from the metadata itself); never placing two tensors that are alive together on
    the same bytes (TFLite Micro would compute with one overwritten by the other); and never
    sharing the bytes of a variable it places (state must survive from one run to the next)."""
    if model.offline_memory_allocation is None:
        return []
    from .planner.greedy import offline_overlaps, tflm_greedy_offsets
    from .planner.lifetimes import buffer_lifetimes

    from .kernels import REGISTRY

    buffers = buffer_lifetimes(model)
    foreign = {(sg.index, t) for sg in model.subgraphs for op in sg.operators if op.op not in REGISTRY
               for t in (*op.inputs, *op.outputs)}  # an NPU's scratch area overlaps by design
    problems = []
    for a, b in offline_overlaps(buffers):
        if a.tensor is not None and b.tensor is not None and not (
                {(a.subgraph, a.tensor), (b.subgraph, b.tensor)} & foreign):
            problems.append(f"the offline memory plan puts {_buffer_name(model, a)} and "
                            f"{_buffer_name(model, b)}, which are alive "
                            f"together, on overlapping bytes: TFLite Micro would compute with one "
                            f"overwritten by the other")
    offsets = tflm_greedy_offsets(buffers)
    for i, a in enumerate(buffers):
        if a.tensor is None or not model.subgraphs[a.subgraph].tensors[a.tensor].is_variable:
            continue
        for j, b in enumerate(buffers):
            if j != i and offsets[i] < offsets[j] + b.size and offsets[j] < offsets[i] + a.size:
                problems.append(f"the offline memory plan places variable {_buffer_name(model, a)} where "
                                f"TFLite Micro also keeps {_buffer_name(model, b)}: the state would not survive from one "
                                f"run to the next")
                break
    return problems


def _buffer_name(model: Model, buffer) -> str:
    if buffer.subgraph == 0 or buffer.tensor is None:
        return repr(buffer.name)
    return f"{buffer.name!r} (subgraph {model.subgraphs[buffer.subgraph].name or buffer.subgraph})"


def memory_problems(sg: Subgraph) -> list[str]:
    """Shapes that are not static, or that no microcontroller (and no sensible host run) can hold."""
    problems = []
    total = 0
    for t in sg.tensors:
        if t.is_constant:
            continue
        if any(d < 0 for d in t.shape):
            problems.append(f"tensor {_name(sg, t.index)} has shape {list(t.shape)}: TFLite Micro needs every "
                            f"dimension known (-1 marks one that is not)")
            continue
        if t.nbytes > MAX_TENSOR_BYTES:
            problems.append(f"tensor {_name(sg, t.index)} of shape {list(t.shape)} would take "
                            f"{t.nbytes:,} bytes, more than the {MAX_TENSOR_BYTES:,} microinfer allows")
        total += t.nbytes
    if total > MAX_ACTIVATION_BYTES and not problems:
        problems.append(f"the activations of subgraph {sg.index} would take {total:,} bytes, more than "
                        f"the {MAX_ACTIVATION_BYTES:,} microinfer allows")
    return problems


def _name(sg: Subgraph, index: int) -> str:
    name = sg.tensors[index].name
    return f"{index} {name!r}" if name else str(index)
