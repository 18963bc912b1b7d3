"""The analytic instruction count of microinfer's C kernels, layer by layer, to check against the
counts measured on the emulated cores.

The loop structure is code: how often each loop of a kernel runs (its trip count), from the
layer's shapes, padding included, following the kernel's own decisions (which pixels a depthwise
kernel takes four at a time, which im2col rows are one copy). The instructions per loop pass are
data, per ISA path, in ``targets/emulation/c_kernel_loops.toml`` (read from traced runs of the
kernels; see that file). A few shape keys there say how a path tiles its loops (``tile_rows`` x
``tile_cols`` outputs per matrix-multiply tile, ``lanes`` columns per pass of its innermost loop,
``group_channels`` channels per pooling group).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import MicroinferError
from ..targets import read_toml
from ..tflite import Model
from ..tflite.model import Operator, Subgraph
from .machine import core_named, emulation_dir

IM2COL_ROWS = 4  # im2col rows (output pixels) per matrix multiply (MI_IM2COL_ROWS)
GEMM_BLOCK = 64  # output channels summed before a requantization pass (MI_GEMM_BLOCK)
PORTABLE_DW_BLOCK = 32  # channels per block of the portable depthwise path (MI_DW_BLOCK)
POOL_SHORT_SUMS = 256  # windows up to this size sum in 16 bits on the Cortex-M paths


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
        work = loop_work(sg, op, constants[isa_path], isa_path)
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


def loop_work(sg: Subgraph, op: Operator, path_constants: dict, isa_path: str) -> LoopWork | None:
    """The trip count of every costed loop of the kernel ``op`` runs on ISA path ``isa_path``."""
    kind = _kind(sg, op)
    if kind not in path_constants:
        return None
    shape_keys = path_constants[kind]
    shape = lambda i: sg.tensors[op.inputs[i]].shape  # noqa: E731
    out = tuple(sg.tensors[op.outputs[0]].shape)
    outputs = math.prod(out)
    if kind == "fully_connected":
        depth = shape(1)[-1]
        channels = out[-1]
        return LoopWork(kind, {"call": 1, **_gemm_units(outputs // channels, channels, depth, 1, shape_keys,
                                                        isa_path)})
    if kind == "conv_1x1":
        n, oh, ow, channels = out
        cin = shape(1)[3]
        stride_1 = op.options.stride_h == op.options.stride_w == 1
        calls = n if stride_1 else n * oh
        units = _gemm_units(oh * ow * n // calls, channels, cin, calls, shape_keys, isa_path)
        if not stride_1 and isa_path == "dsp":  # rows apart: the tile loop in C, not the written-out one
            units["tile_any"], units["mac_any"] = units.pop("tile"), units.pop("mac")
        return LoopWork(kind, {"call": 1, **units})
    if kind == "conv":
        return LoopWork(kind, _conv_units(sg, op, shape_keys, isa_path))
    if kind == "depthwise_3x3":
        return LoopWork(kind, _depthwise_3x3_units(sg, op, isa_path))
    if kind == "depthwise":
        n, oh, ow, cout = out
        _, ih, iw, cin = shape(0)
        _, kh, kw, _ = shape(1)
        valid = _valid_taps(op, ih, iw, oh, ow, kh, kw) * n
        lanes = int(shape_keys.get("lanes", 1))
        return LoopWork(kind, {"call": 1, "pixel": n * oh * ow, "tap": valid, "output": outputs,
                               "mac": valid * math.ceil(cin / lanes) * (cout // cin)})
    if kind == "pool":
        return LoopWork(kind, _pool_units(sg, op, shape_keys, isa_path))
    if kind == "softmax":
        return LoopWork(kind, {"call": 1, "row": outputs // out[-1], "element": outputs})
    if kind == "add":
        lanes = int(shape_keys.get("lanes", 1))
        rows = outputs // out[-1]
        # one input repeated along the innermost axis: rescaled once a row, not once an element
        broadcast = any(shape(i)[-1] == 1 != out[-1] for i in (0, 1))
        unit = "broadcast_element" if broadcast else "element"
        return LoopWork(kind, {"call": 1, "row": rows, unit: rows * math.ceil(out[-1] / lanes)})
    return None


def _gemm_units(rows: int, channels: int, cols: int, calls: int, keys: dict, isa_path: str) -> dict[str, float]:
    """mi_nn_mat_mult_nt_t_s8 called ``calls`` times on ``rows`` lhs rows each: its tiles of
    ``tile_rows`` x ``tile_cols`` outputs, the passes of their dot-product loops (``lanes`` columns
    each), the per-group or per-block setup, and the requantization loop's outputs."""
    lanes = int(keys.get("lanes", 1))
    tile_rows = int(keys.get("tile_rows", 1))
    tile_cols = int(keys.get("tile_cols", 1))
    if isa_path == "mve":  # four channels over every row
        groups = math.ceil(channels / 4)
        tiles = rows * groups
        return {"gemm": calls, "group": calls * groups, "tile": calls * tiles,
                "mac": calls * tiles * math.ceil(cols / lanes), "output": 0}
    row_groups = math.ceil(rows / tile_rows)
    blocks = math.ceil(channels / GEMM_BLOCK)
    tiles = row_groups * math.ceil(channels / tile_cols)
    return {"gemm": calls, "group": calls * row_groups * blocks, "tile": calls * tiles,
            "mac": calls * tiles * (cols // lanes + cols % lanes), "output": calls * rows * channels}


def _conv_units(sg: Subgraph, op: Operator, keys: dict, isa_path: str) -> dict[str, float]:
    """mi_convolve_s8: the im2col rows (one copy or fill per filter row inside the image, one per tap
    where the row is cut by padding) and the matrix multiplies of four rows at a time."""
    out = sg.tensors[op.outputs[0]].shape
    n, oh, ow, channels = out
    _, ih, iw, cin = sg.tensors[op.inputs[0]].shape
    _, kh, kw, _ = sg.tensors[op.inputs[1]].shape
    o = op.options
    dil_h = getattr(o, "dilation_h_factor", 1) or 1
    dil_w = getattr(o, "dilation_w_factor", 1) or 1
    pad_h = _padding_before(o.padding.name, ih, oh, kh, o.stride_h, dil_h)
    pad_w = _padding_before(o.padding.name, iw, ow, kw, o.stride_w, dil_w)
    copy_lanes = int(keys.get("copy_lanes", 1))
    runs = copied = 0
    for oy in range(oh):
        for ox in range(ow):
            ix0 = ox * o.stride_w - pad_w
            whole = dil_w == 1 and ix0 >= 0 and ix0 + kw <= iw
            for ky in range(kh):
                iy = oy * o.stride_h - pad_h + ky * dil_h
                if iy < 0 or iy >= ih or whole:
                    runs += 1
                    copied += _passes(kw * cin, copy_lanes)
                else:
                    runs += kw
                    copied += kw * _passes(cin, copy_lanes)
    pixels = n * oh * ow
    calls = math.ceil(pixels / IM2COL_ROWS)
    gemm = _gemm_units(IM2COL_ROWS, channels, kh * kw * cin, calls, keys, isa_path)
    return {"call": 1, "pixel": pixels, "run": runs * n, "im2col": copied * n, **gemm}


def _passes(count: int, lanes: int) -> int:
    """Passes of a copy loop of ``lanes`` bytes a pass and one byte for the rest (Helium: predicated)."""
    if lanes >= 16:
        return math.ceil(count / lanes)
    return count // lanes + count % lanes


def _depthwise_3x3_units(sg: Subgraph, op: Operator, isa_path: str) -> dict[str, float]:
    """mi_nn_depthwise_conv_m1_s8 on a 3x3 filter: which pixels take which path (Helium: blocks of
    three or four pixels with all taps inside horizontally, single pixels elsewhere; DSP: every
    pixel, whole filter rows where its taps are all inside horizontally), and their loops."""
    n, oh, ow, channels = sg.tensors[op.outputs[0]].shape
    _, ih, iw, _ = sg.tensors[op.inputs[0]].shape
    o = op.options
    pad_h = _padding_before(o.padding.name, ih, oh, 3, o.stride_h, 1)
    pad_w = _padding_before(o.padding.name, iw, ow, 3, o.stride_w, 1)
    rows_inside = [_inside(y * o.stride_h - pad_h, 3, 1, ih) for y in range(oh)]
    cols_inside = [_inside(x * o.stride_w - pad_w, 3, 1, iw) for x in range(ow)]
    units = {"call": 1.0}
    add = lambda unit, count: units.__setitem__(unit, units.get(unit, 0.0) + count * n)  # noqa: E731
    if isa_path == "mve":
        groups = math.ceil(channels / 4)
        slide3 = o.stride_w == 1
        for rows in rows_inside:
            ox = 0
            while ox < ow:
                if cols_inside[ox] == 3:
                    npx = 1
                    while npx < 4 and ox + npx < ow and cols_inside[ox + npx] == 3:
                        npx += 1
                    if slide3 and npx == 4:
                        run = 4
                        while run < 7 and ox + run < ow and cols_inside[ox + run] == 3:
                            run += 1
                        npx = 4 if run == 4 else 3
                    if npx >= 3:
                        kind = "slide" if slide3 and npx == 3 else "tap4"
                        add("pixel", 1)
                        add(f"{kind}_block", groups)
                        add(f"{kind}_row", groups * rows)
                        add("partial", groups * (rows < 3))
                        ox += npx
                        continue
                add("pixel", 1)
                add("edge", groups)
                add("edge_row", groups * rows)
                add("edge_tap", groups * rows * cols_inside[ox])
                ox += 1
        return units
    if isa_path == "dsp":
        groups = channels // 4
        for rows in rows_inside:
            for cols in cols_inside:
                add("pixel", 1)
                add("group", groups)
                add("row" if cols == 3 else "edge_row", groups * rows)
                if cols != 3:
                    add("edge_tap", groups * rows * cols)
        add("output", oh * ow * channels)
        return units
    blocks = math.ceil(channels / PORTABLE_DW_BLOCK)
    for rows in rows_inside:
        for cols in cols_inside:
            add("pixel", 1)
            add("block", blocks)
            add("tap", blocks * rows * cols)
            add("mac", channels * rows * cols)
    add("output", oh * ow * channels)
    return units


def _pool_units(sg: Subgraph, op: Operator, keys: dict, isa_path: str) -> dict[str, float]:
    """mi_nn_pool_s8: per output pixel, its clipped window reduced a group of channels at a time
    (16 on Helium, 8 on the DSP path for averages, 1 on the portable path), then finalized."""
    n, oh, ow, channels = sg.tensors[op.outputs[0]].shape
    _, ih, iw, _ = sg.tensors[op.inputs[0]].shape
    o = op.options
    area = o.filter_height * o.filter_width
    group = int(keys.get("group_channels", 1))
    if isa_path != "mve" and op.op == "MAX_POOL_2D" and group > 1:
        group = 4
    if op.op == "AVERAGE_POOL_2D" and area > POOL_SHORT_SUMS:
        group = 1
    groups = math.ceil(channels / group) if group > 1 else channels
    window = _valid_taps(op, ih, iw, oh, ow, o.filter_height, o.filter_width) * n
    pixels = n * oh * ow
    if op.op == "MAX_POOL_2D":
        return {"call": 1, "pixel": pixels, "max_group": pixels * groups, "max_window": window * groups,
                "max_output": pixels * channels if group == 1 else 0}
    return {"call": 1, "pixel": pixels, "group": pixels * groups, "window": window * groups,
            "output": pixels * channels}


def _kind(sg: Subgraph, op: Operator) -> str:
    """The kernel path microinfer's C wrappers take for this operator."""
    if op.op == "FULLY_CONNECTED":
        return "fully_connected"
    if op.op == "CONV_2D":
        _, kh, kw, _ = sg.tensors[op.inputs[1]].shape
        return "conv_1x1" if (kh, kw) == (1, 1) else "conv"  # a 1x1 filter is never padded
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
