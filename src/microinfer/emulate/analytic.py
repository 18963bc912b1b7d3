"""The analytic instruction count of microinfer's C kernels, layer by layer, to check against the
counts measured on the emulated cores.

The loop structure is code (how often each loop of a kernel runs, from the layer's shapes,
padding included); the instructions per loop iteration are data, per ISA path, in
``targets/emulation/c_kernel_loops.toml`` (read from the kernels' disassembly; see that file).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import MicroinferError
from ..targets import read_toml
from ..tflite import Model
from ..tflite.model import Operator, Subgraph
from .machine import core_named, emulation_dir

DEPTHWISE_3X3_BLOCK = 32  # channels mi_depthwise_conv_3x3_s8 sums together (MI_DW3X3_BLOCK)
FEW_INPUT_CHANNELS_1X1 = 8  # up to this, mi_convolve_1x1_s8 sums across a transposed filter (MI_1X1_FEW_IN_CH)


@dataclass(frozen=True)
class LoopWork:
    """How often each costed loop of one layer's kernel runs (``units``) for kernel ``kind``."""

    kind: str
    units: dict[str, float]


def loop_constants() -> dict[str, dict[str, dict[str, float]]]:
    """path -> kind -> {unit: instructions per unit, "lanes": ...}."""
    path = emulation_dir() / "c_kernel_loops.toml"
    table = read_toml(path)
    return {isa: {kind: {k: float(v) for k, v in entry.items() if not isinstance(v, str)}
                  for kind, entry in kinds.items()} for isa, kinds in table.items()}


def layer_kinds(model: Model) -> list[str]:
    sg = model.main
    return [_kind(sg, op) for op in sg.operators]


def analytic_layer_instructions(model: Model, core: str) -> list[float | None]:
    """Per operator: the instructions the loop model predicts on ``core`` (None: no C kernel modelled)."""
    constants = loop_constants()
    isa_path = core_named(core).isa_path
    if isa_path not in constants:
        raise MicroinferError(f"c_kernel_loops.toml has no [{isa_path}] loops")
    sg = model.main
    estimates = []
    for op in sg.operators:
        work = loop_work(sg, op, constants[isa_path])
        if work is None:
            estimates.append(None)
            continue
        per_unit = constants[isa_path][work.kind]
        estimates.append(sum(count * per_unit.get(unit, 0.0) for unit, count in work.units.items()))
    return estimates


def cost_model_instructions(model: Model, core: str) -> list[float | None]:
    """Per operator: the instructions microinfer's cost model (``microinfer.cost``) gives its
    CMSIS-NN loops on ``core``, without TFLite Micro's per-operator interpreter overhead (the
    emulated layers run the kernel alone). None where the cost model has no CMSIS-NN loop."""
    from ..cost.layers import geometry, kernel_for, kernel_work
    from ..cost.loops import LIBRARIES

    isa_path = core_named(core).isa_path
    kernels = LIBRARIES[("cmsis-nn", isa_path)]
    sg = model.main
    estimates = []
    for op in sg.operators:
        g = geometry(sg, op)
        if g.kind not in kernels and g.kind.replace("_1x1", "") not in kernels:
            estimates.append(None)
            continue
        kernel = kernel_for(g.kind, "cmsis-nn", isa_path)
        work = kernel_work(g, kernel)
        work.pop("op", None)  # TFLite Micro's per-operator work: not part of an emulated layer
        estimates.append(sum(kernel.drivers[d].instructions * n for d, n in work.items() if d in kernel.drivers))
    return estimates


def loop_work(sg: Subgraph, op: Operator, path_constants: dict) -> LoopWork | None:
    work = _kernel_loop_work(sg, op, path_constants)
    group = path_constants[work.kind].get("requantization_lanes") if work else None
    if group:  # a vector requantizer handles `group` outputs per pass (mi_requantize_block_s8)
        work.units["output_group"] = math.ceil(work.units["output"] / group)
    return work


def _kernel_loop_work(sg: Subgraph, op: Operator, path_constants: dict) -> LoopWork | None:
    kind = _kind(sg, op)
    if kind not in path_constants:
        return None
    lanes = int(path_constants[kind].get("lanes", 1))
    shape = lambda i: sg.tensors[op.inputs[i]].shape  # noqa: E731
    out = sg.tensors[op.outputs[0]].shape
    outputs = math.prod(out)
    if kind == "fully_connected":
        depth = shape(1)[-1]
        return LoopWork(kind, {"call": 1, "row": outputs // out[-1], "output": outputs,
                               "mac": outputs * _padded(depth, lanes)})
    if kind in ("conv_1x1", "conv_1x1_narrow"):
        cout, _, _, cin = shape(1)
        pixels = outputs // cout
        units = {"call": 1, "pixel": pixels, "im2col": pixels * _padded(cin, lanes), "output": outputs,
                 "mac": outputs * _padded(cin, lanes)}
        if kind == "conv_1x1_narrow":
            units["weight"] = cout * cin  # the filter transposed to int16 on each call
        return LoopWork(kind, units)
    if kind == "conv":
        n, oh, ow, cout = out
        _, kh, kw, cin = shape(1)
        pixels = n * oh * ow
        return LoopWork(kind, {"call": 1, "pixel": pixels, "tap": pixels * kh * kw,
                               "im2col": pixels * kh * kw * _padded(cin, lanes), "output": outputs,
                               "mac": outputs * _padded(kh * kw * cin, lanes)})
    if kind in ("depthwise_3x3", "depthwise"):
        n, oh, ow, cout = out
        _, ih, iw, cin = shape(0)
        _, kh, kw, _ = shape(1)
        valid = _valid_taps(op, ih, iw, oh, ow, kh, kw) * n
        blocks = math.ceil(cout / DEPTHWISE_3X3_BLOCK) if kind == "depthwise_3x3" else 1
        per_block = min(cout, DEPTHWISE_3X3_BLOCK) if kind == "depthwise_3x3" else cin
        return LoopWork(kind, {"call": 1, "pixel": n * oh * ow, "tap": valid * blocks, "output": outputs,
                               "mac": valid * blocks * _padded(per_block, lanes) * (cout // cin)})
    if kind == "pool":
        n, oh, ow, channels = out
        _, ih, iw, _ = shape(0)
        options = op.options
        valid = _valid_taps(op, ih, iw, oh, ow, options.filter_height, options.filter_width) * n
        return LoopWork(kind, {"call": 1, "pixel": n * oh * ow, "window": valid * channels, "output": outputs})
    if kind == "softmax":
        return LoopWork(kind, {"call": 1, "row": outputs // out[-1], "element": outputs})
    if kind == "add":
        return LoopWork(kind, {"call": 1, "row": outputs // out[-1], "element": outputs})
    return None


def _kind(sg: Subgraph, op: Operator) -> str:
    """The kernel path microinfer's C wrappers take for this operator."""
    if op.op == "FULLY_CONNECTED":
        return "fully_connected"
    if op.op == "CONV_2D":
        _, kh, kw, cin = sg.tensors[op.inputs[1]].shape
        if (kh, kw) != (1, 1):
            return "conv"
        return "conv_1x1" if cin > FEW_INPUT_CHANNELS_1X1 else "conv_1x1_narrow"  # 1x1 is never padded
    if op.op == "DEPTHWISE_CONV_2D":
        _, kh, kw, _ = sg.tensors[op.inputs[1]].shape
        o = op.options
        simple = (kh, kw) == (3, 3) and o.depth_multiplier == 1 and o.dilation_h_factor == o.dilation_w_factor == 1
        return "depthwise_3x3" if simple else "depthwise"
    if op.op in ("AVERAGE_POOL_2D", "MAX_POOL_2D"):
        return "pool"
    if op.op == "SOFTMAX":
        return "softmax"
    if op.op == "ADD":
        return "add"
    return op.op.lower()


def _padded(count: int, lanes: int) -> int:
    """Elements a loop of ``lanes`` elements per iteration processes, its last iteration included."""
    return math.ceil(count / lanes) * lanes


def _valid_taps(op: Operator, ih: int, iw: int, oh: int, ow: int, kh: int, kw: int) -> int:
    """Window taps inside the input, summed over output positions (the kernels skip padding)."""
    o = op.options
    stride_h, stride_w = o.stride_h, o.stride_w
    dilation_h = getattr(o, "dilation_h_factor", 1) or 1
    dilation_w = getattr(o, "dilation_w_factor", 1) or 1
    pad_h = _padding_before(o.padding.name, ih, oh, kh, stride_h, dilation_h)
    pad_w = _padding_before(o.padding.name, iw, ow, kw, stride_w, dilation_w)
    rows = sum(_inside(y * stride_h - pad_h, kh, dilation_h, ih) for y in range(oh))
    cols = sum(_inside(x * stride_w - pad_w, kw, dilation_w, iw) for x in range(ow))
    return rows * cols


def _padding_before(padding: str, size: int, out: int, k: int, stride: int, dilation: int) -> int:
    if padding != "SAME":
        return 0
    effective = (k - 1) * dilation + 1
    return max((out - 1) * stride + effective - size, 0) // 2


def _inside(origin: int, k: int, dilation: int, size: int) -> int:
    return sum(0 <= origin + i * dilation < size for i in range(k))
