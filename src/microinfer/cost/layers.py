"""Per-layer cost: what each operator's loops repeat over (its geometry), priced on a board."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import UnsupportedTargetError
from ..info import operator_macs
from ..targets import Board
from ..tflite.model import Model, Operator, Subgraph
from .loops import LIBRARIES, REFERENCE, Kernel
from .value import Cost

# operator name -> kind of kernel in loops.py
NPU_OPERATORS = frozenset({"ethos-u"})

_KINDS = {
    "CONV_2D": "conv", "DEPTHWISE_CONV_2D": "depthwise", "FULLY_CONNECTED": "fully_connected",
    "TRANSPOSE_CONV": "conv", "SVDF": "fully_connected", "UNIDIRECTIONAL_SEQUENCE_LSTM": "fully_connected",
    "BATCH_MATMUL": "fully_connected",
    "AVERAGE_POOL_2D": "pool", "MAX_POOL_2D": "pool", "L2_POOL_2D": "pool",
    **{op: "pool" for op in ("MEAN", "SUM", "REDUCE_MAX", "REDUCE_MIN", "REDUCE_PROD", "REDUCE_ANY",
                             "REDUCE_ALL", "ARG_MAX", "ARG_MIN")},
    "ADD": "elementwise_quantized", "SUB": "elementwise_quantized", "MUL": "elementwise_quantized",
    "SOFTMAX": "softmax",
    "RESHAPE": "copy", "SQUEEZE": "copy", "EXPAND_DIMS": "copy", "CONCATENATION": "copy", "PAD": "copy",
    "PADV2": "copy", "STRIDED_SLICE": "copy", "TRANSPOSE": "copy", "PACK": "copy", "UNPACK": "copy",
    "SPLIT": "copy",
}


@dataclass(frozen=True)
class Geometry:
    """How often each loop of an operator's kernel runs, and what it reads."""

    kind: str
    work: dict[str, float]  # driver -> units of work
    weight_bytes: int  # distinct bytes of constant inputs
    input_bytes: int
    output_bytes: int
    input_rereads: float  # times the kernel reads each input byte (window overlap)


@dataclass(frozen=True)
class LayerCost:
    index: int
    op: str
    kind: str
    kernel: str  # the kernel source the loops were read from
    cost: Cost

    def to_dict(self, total_cycles: float) -> dict:
        c = self.cost
        return {
            "index": self.index, "op": self.op, "macs": c.macs, "cycles": round(c.cycles),
            "instructions": round(c.instructions), "stall_cycles": round(c.stall_cycles),
            "cycles_per_mac": None if not c.macs else round(c.cycles / c.macs, 3),
            "share": round(c.cycles / total_cycles, 4) if total_cycles else 0.0,
            "bytes_read": {k: round(v) for k, v in c.bytes_read.items()}, "kernel": self.kernel,
        }


def _nbytes(sg: Subgraph, index: int) -> int:
    return sg.tensors[index].nbytes if index >= 0 else 0


def geometry(sg: Subgraph, op: Operator) -> Geometry:
    kind = _KINDS.get(op.op, "simple")
    tensors = [sg.tensors[i] for i in op.inputs if i >= 0]
    weight_bytes = sum(t.nbytes for t in tensors if t.is_constant)
    input_bytes = sum(t.nbytes for t in tensors if not t.is_constant)
    output_bytes = sum(_nbytes(sg, i) for i in op.outputs)
    out_elements = sum(sg.tensors[i].num_elements for i in op.outputs if i >= 0)
    macs = operator_macs(sg, op)
    work: dict[str, float] = {"op": 1}
    rereads = 1.0
    if kind in ("conv", "depthwise", "fully_connected"):
        work.update(mac=macs, output=out_elements)
        if kind != "fully_connected":
            out_shape = sg.tensors[op.outputs[0]].shape
            pixels = out_elements // out_shape[-1] if out_shape and out_shape[-1] else 0
            kh, kw = _kernel_size(sg, op)
            work["pixel"] = pixels
            in_channels = _last_dimension(sg, op.inputs[0] if op.inputs else -1)
            work["im2col"] = pixels * kh * kw * (in_channels if kind == "conv" else 1)
            stride = _strides(op)
            rereads = max(1.0, kh * kw / (stride[0] * stride[1]))
            if kind == "conv" and (kh, kw) == (1, 1) and stride == (1, 1) and op.op == "CONV_2D":
                kind = "conv_1x1"
    elif kind == "pool":
        kh, kw = _kernel_size(sg, op)
        # a reduction's window is everything it reads
        window = out_elements * kh * kw if op.op.endswith("POOL_2D") else input_bytes
        work.update(window=window, output=out_elements)
        stride = _strides(op)
        rereads = max(1.0, kh * kw / (stride[0] * stride[1]))
    elif kind == "copy":
        work["byte"] = output_bytes
    else:
        work["element"] = out_elements
    return Geometry(kind, work, weight_bytes, input_bytes, output_bytes, rereads)


def _last_dimension(sg: Subgraph, index: int) -> int:
    shape = sg.tensors[index].shape if index >= 0 else ()
    return shape[-1] if shape else 1


def _kernel_size(sg: Subgraph, op: Operator) -> tuple[int, int]:
    if op.op in ("CONV_2D", "TRANSPOSE_CONV", "DEPTHWISE_CONV_2D"):
        index = op.inputs[1] if len(op.inputs) > 1 else -1
        shape = sg.tensors[index].shape if index >= 0 else ()
        return (shape[1], shape[2]) if len(shape) == 4 else (1, 1)
    options = op.options
    return (getattr(options, "filter_height", 1) or 1), (getattr(options, "filter_width", 1) or 1)


def _strides(op: Operator) -> tuple[int, int]:
    options = op.options
    return (getattr(options, "stride_h", 1) or 1), (getattr(options, "stride_w", 1) or 1)


def kernel_for(kind: str, library: str, path: str) -> Kernel:
    try:
        kernels = LIBRARIES[(library, path)]
    except KeyError:
        known = ", ".join(sorted(p for lib, p in LIBRARIES if lib == library))
        raise UnsupportedTargetError(f"kernel library {library!r} has no path {path!r} (its core file's "
                                     f"{library.replace('-', '_')}_path); known paths: {known}") from None
    return kernels.get(kind) or kernels.get("conv" if kind == "conv_1x1" else kind) or REFERENCE[kind.replace("_1x1", "")]


def kernel_work(g: Geometry, kernel: Kernel) -> dict[str, float]:
    """The units of work of each driver ``kernel`` runs (an im2col pass only if it builds one)."""
    work = dict(g.work)
    if not kernel.im2col:
        work.pop("im2col", None)
    return work


def layer_cost(sg: Subgraph, op: Operator, board: Board, library: str, weights_in: str, arena_in: str) -> LayerCost:
    if op.op in NPU_OPERATORS:  # the CPU only starts the NPU: nothing of ours to price
        return LayerCost(op.index, op.op, "npu", "not estimated: runs on the NPU", Cost(0.0, 0.0, 0, 0.0, {}))
    g = geometry(sg, op)
    path = board.core.kernel_path(library)
    kernel = kernel_for(g.kind, library, path)
    cpi = board.core.cycles
    work = kernel_work(g, kernel)
    instructions = cycles = 0.0
    for driver, units in work.items():
        mix = kernel.drivers.get(driver)
        if mix is None or not units:
            continue
        instructions += mix.instructions * units
        cycles += mix.cycles(cpi) * units
    macs = int(work.get("mac", 0))
    weight_read = macs * kernel.weight_reads if macs else g.weight_bytes
    arena_read = g.input_bytes * g.input_rereads
    weights_region, arena_region = board.region(weights_in), board.region(arena_in)
    stall = weights_region.stall_cycles(weight_read, g.weight_bytes)
    # an output line is filled on the write miss and written back when evicted: two line transfers
    stall += arena_region.stall_cycles(arena_read + 2 * g.output_bytes, g.input_bytes + g.output_bytes)
    bytes_read: dict[str, float] = {}
    for region, n in ((weights_in, weight_read), (arena_in, arena_read)):
        if n:
            bytes_read[region] = bytes_read.get(region, 0.0) + n
    cost = Cost(cycles + stall, instructions, macs, stall, bytes_read)
    return LayerCost(op.index, op.op, g.kind, kernel.source, cost)


def model_layer_costs(model: Model, board: Board, library: str, weights_in: str, arena_in: str) -> list[LayerCost]:
    sg = model.main
    return [layer_cost(sg, op, board, library, weights_in, arena_in) for op in sg.operators]
