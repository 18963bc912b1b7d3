"""Per-layer cost: what each operator's loops repeat over (its geometry), priced on a board."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import UnsupportedTargetError
from ..info import operator_macs
from ..targets import Board
from ..tflite.model import Model, Operator, Subgraph
from .loops import CALIBRATED, LIBRARIES, OP_OVERHEAD, REFERENCE, Kernel, loop_table, measured_counts, unit_mix
from .trips import LoopWork, cmsis_nn_work, microinfer_work, signature, valid_taps
from .value import Cost

# Where a layer's instruction count comes from (``LayerCost.source``), most trustworthy first.
SOURCES = {
    "measured": "a count measured on an emulated core for a layer with the same loops",
    "emulated": "microinfer emulate's count for this layer",
    "calibrated": "loop trip counts x instructions per loop unit fitted to measured or emulated counts",
    "loop model": "loop trip counts x instructions per iteration read from the library's source",
    "generic": "no loop model for this operator: a generic element-wise loop (rough)",
    "npu": "runs on the NPU: not estimated",
}
# CMSIS-NN functions without a measured layer of their own, priced with the constants of the function
# whose loops they share
CMSIS_NN_ALIASES = {"arm_max_pool_s8": "arm_avgpool_s8", "arm_elementwise_mul_s8": "arm_elementwise_add_s8"}

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
    kernel: str  # the kernel function (or the source the loops were read from)
    cost: Cost
    source: str = "loop model"  # where the instruction count comes from: a key of SOURCES

    def to_dict(self, total_cycles: float) -> dict:
        c = self.cost
        return {
            "index": self.index, "op": self.op, "macs": c.macs, "cycles": round(c.cycles),
            "instructions": round(c.instructions), "stall_cycles": round(c.stall_cycles),
            "cycles_per_mac": None if not c.macs else round(c.cycles / c.macs, 3),
            "share": round(c.cycles / total_cycles, 4) if total_cycles else 0.0,
            "bytes_read": {k: round(v) for k, v in c.bytes_read.items()}, "kernel": self.kernel,
            "source": self.source,
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
            work["tap"] = out_elements * kh * kw  # filter positions visited for each output element
            work["mac_in_image"] = macs * _in_image_fraction(sg, op, kh, kw)  # MACs of kernels that skip padding
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
        work["window_in_image"] = window * _in_image_fraction(sg, op, kh, kw)  # kernels that clamp the window
        stride = _strides(op)
        rereads = max(1.0, kh * kw / (stride[0] * stride[1]))
    elif kind == "copy":
        work["byte"] = output_bytes
    else:
        work["element"] = out_elements
    return Geometry(kind, work, weight_bytes, input_bytes, output_bytes, rereads)


def _in_image_fraction(sg: Subgraph, op: Operator, kh: int, kw: int) -> float:
    """The share of a convolution's or pool's window taps that fall inside the input image (not padding)."""
    if op.op not in ("CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "MAX_POOL_2D", "L2_POOL_2D"):
        return 1.0
    try:
        _, ih, iw, _ = sg.tensors[op.inputs[0]].shape
        _, oh, ow, _ = sg.tensors[op.outputs[0]].shape
        taps = oh * ow * kh * kw
        return valid_taps(op, ih, iw, oh, ow, kh, kw) / taps if taps else 1.0
    except (ValueError, IndexError, TypeError, AttributeError):
        return 1.0  # shapes no kernel takes (a malformed model): price every tap


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


def library_work(sg: Subgraph, op: Operator, library: str, path: str) -> tuple[LoopWork, dict[str, float]] | None:
    """The calibrated loops of ``op`` in ``library`` on code path ``path``: the kernel function, its
    loop units, and the instructions per unit (None: the library has no calibrated loop for it)."""
    table = loop_table(library).get(path)
    if not table:
        return None
    try:
        work = cmsis_nn_work(sg, op, path) if library == "cmsis-nn" else microinfer_work(sg, op, table, path)
    except (ValueError, IndexError, TypeError, AttributeError, ZeroDivisionError):
        work = None  # shapes the kernels do not take (a malformed model): the source-read loops price it
    if work is None:
        return None
    constants = table.get(work.function) or table.get(CMSIS_NN_ALIASES.get(work.function, ""))
    return (work, constants) if constants else None


def layer_cost(sg: Subgraph, op: Operator, board: Board, library: str, weights_in: str, arena_in: str,
               counted: float | None = None, counted_source: str = "") -> LayerCost:
    """One layer priced on ``board``. ``counted``: the kernel's instruction count measured or emulated
    for this very layer (``counted_source`` says which), used instead of the loop model's."""
    if op.op in NPU_OPERATORS:  # the CPU only starts the NPU: nothing of ours to price
        return LayerCost(op.index, op.op, "npu", "not estimated: runs on the NPU", Cost(0.0, 0.0, 0, 0.0, {}), "npu")
    g = geometry(sg, op)
    path = board.core.kernel_path(library)
    # the instruction classes of microinfer's C kernels: those of the CMSIS-NN (Arm) or ESP-NN (ESP32)
    # loops of the same shape
    proxy = library
    if library == "microinfer":
        proxy = next((lib for lib in ("cmsis-nn", "esp-nn") if lib in board.core.kernel_libraries), "tflm-reference")
    kernel = kernel_for(g.kind, proxy, board.core.kernel_path(proxy))
    cpi = board.core.cycles
    instructions = cycles = 0.0
    calibrated = library_work(sg, op, library, path) if library in CALIBRATED else None
    if calibrated is not None:
        work, constants = calibrated
        source, name = "calibrated", work.function
        for unit, count in work.units.items():
            n = count * constants.get(unit, 0.0)
            mix = unit_mix(kernel, unit)
            instructions += n
            cycles += n * mix.cycles(cpi) / mix.instructions
        if counted is None:
            counted = measured_counts(library).get(path, {}).get(signature(work.function, work.units))
            counted_source = "measured"
        if counted is not None and instructions:
            cycles *= counted / instructions
            instructions, source = float(counted), counted_source
        if library != "microinfer":
            # TFLite Micro's interpreter step and the kernel's Eval prologue around the library call
            # (`microinfer build`'s library calls its kernels directly: the emulated and measured
            # counts of its layers hold the whole call)
            instructions += OP_OVERHEAD.instructions
            cycles += OP_OVERHEAD.cycles(cpi)
    else:
        source = "generic" if g.kind == "simple" and op.op not in _SIMPLE_MODELLED else "loop model"
        if kernel.counted_by:
            source = "calibrated"
        name = kernel.source
        for driver, units in kernel_work(g, kernel).items():
            mix = kernel.drivers.get(driver)
            if mix is None or not units:
                continue
            instructions += mix.instructions * units
            cycles += mix.cycles(cpi) * units
    macs = int(operator_macs(sg, op))
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
    return LayerCost(op.index, op.op, g.kind, name, cost, source)


# element-wise operators whose per-element loop ELEMENTWISE_SIMPLE describes (quantize, activations...)
_SIMPLE_MODELLED = frozenset({"QUANTIZE", "DEQUANTIZE", "RELU", "RELU6", "RELU_N1_TO_1", "LEAKY_RELU", "LOGISTIC",
                              "TANH", "HARD_SWISH", "PRELU"})


def model_layer_costs(model: Model, board: Board, library: str, weights_in: str, arena_in: str,
                      counted: dict[int, tuple[float, str]] | None = None) -> list[LayerCost]:
    """Every layer of the main subgraph; ``counted``: operator index -> (instructions, source) of
    layers whose kernel's count was measured or emulated."""
    sg = model.main
    counted = counted or {}
    return [layer_cost(sg, op, board, library, weights_in, arena_in, *counted.get(op.index, (None, "")))
            for op in sg.operators]
