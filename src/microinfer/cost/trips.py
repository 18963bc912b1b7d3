"""Loop trip counts: which kernel function a library runs for an operator, and how often each of its
loops runs, from the layer's shapes (padding, strides and tiling included).

A kernel function's loops are named by their *units* (one unit = one pass of that loop's body):

    call      one call of the kernel (argument checks, setup, epilogue)
    row       one batch row / one vector-matrix product
    pixel     one output position (the loops around the MACs, pointer arithmetic)
    tap       one filter tap of one output position (an im2col copy call, a depthwise tap pass)
    im2col    one element copied or widened into the im2col buffer
    mac       one multiply-accumulate (padded to the loop's vector width where it runs padded lanes)
    output    one output element (bias, requantization, clamp, store)
    window    one input element read by a pooling window
    element   one element of an elementwise operator or of a softmax row
    weight    one filter element rearranged on each call

The instructions each unit costs are data (``targets/loops/*.toml`` for CMSIS-NN, read off measured
counts; ``targets/emulation/c_kernel_loops.toml`` for microinfer's C kernels, read off emulated runs);
the unit counts are code, here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..tflite.model import Operator, Subgraph

# microinfer's C kernels (kernels_c/): their tiles and blocks
IM2COL_ROWS = 4  # im2col rows (output pixels) per matrix multiply (MI_IM2COL_ROWS)
GEMM_BLOCK = 64  # output channels summed before a requantization pass (MI_GEMM_BLOCK)
SOFTMAX_KEPT_EXPONENTIALS = 32  # exponentials of a row kept for the output pass (MI_SOFTMAX_KEPT_EXPONENTIALS)
PORTABLE_DW_BLOCK = 32  # channels per block of the portable depthwise path (MI_DW_BLOCK)
POOL_SHORT_SUMS = 256  # windows up to this size sum in 16 bits on the Cortex-M paths


@dataclass(frozen=True)
class LoopWork:
    """The kernel function a library runs for one layer and how often each of its loops runs."""

    function: str
    units: dict[str, float]

    @property
    def kind(self) -> str:
        """The kernel kind (microinfer's C kernels name their loops by kind: conv, depthwise_m1...)."""
        return self.function


def signature(function: str, units: dict[str, float]) -> str:
    """A layer's loops as one string: the same string, the same work (the key of measured counts)."""
    return function + " " + " ".join(f"{u}={units[u]:g}" for u in sorted(units) if units[u])


# -- geometry helpers ---------------------------------------------------------------------------------
def _shape(sg: Subgraph, op: Operator, i: int) -> tuple[int, ...]:
    index = op.inputs[i] if i < len(op.inputs) else -1
    return tuple(sg.tensors[index].shape) if index >= 0 else ()


def _out(sg: Subgraph, op: Operator) -> tuple[int, ...]:
    return tuple(sg.tensors[op.outputs[0]].shape) if op.outputs else ()


def padded(count: int, lanes: int) -> int:
    """Elements a loop of ``lanes`` elements per iteration processes, its last iteration included."""
    return math.ceil(count / lanes) * lanes


def _padding_before(padding: str, size: int, out: int, k: int, stride: int, dilation: int) -> int:
    if padding != "SAME":
        return 0
    effective = (k - 1) * dilation + 1
    return max((out - 1) * stride + effective - size, 0) // 2


def _window_origins(op: Operator, ih: int, iw: int, oh: int, ow: int, kh: int, kw: int):
    o = op.options
    sh, sw = (getattr(o, "stride_h", 1) or 1), (getattr(o, "stride_w", 1) or 1)
    dh = getattr(o, "dilation_h_factor", 1) or 1
    dw = getattr(o, "dilation_w_factor", 1) or 1
    padding = getattr(getattr(o, "padding", None), "name", "VALID")
    ph = _padding_before(padding, ih, oh, kh, sh, dh)
    pw = _padding_before(padding, iw, ow, kw, sw, dw)
    rows = [sum(0 <= y * sh - ph + i * dh < ih for i in range(kh)) for y in range(oh)]
    cols = [sum(0 <= x * sw - pw + j * dw < iw for j in range(kw)) for x in range(ow)]
    return rows, cols


def valid_taps(op: Operator, ih: int, iw: int, oh: int, ow: int, kh: int, kw: int) -> int:
    """Window taps inside the input, summed over output positions (kernels that skip padding)."""
    rows, cols = _window_origins(op, ih, iw, oh, ow, kh, kw)
    return sum(rows) * sum(cols)


def padded_pixels(op: Operator, ih: int, iw: int, oh: int, ow: int, kh: int, kw: int) -> list[bool]:
    """Per output position (row-major): does its window reach into the padding?"""
    rows, cols = _window_origins(op, ih, iw, oh, ow, kh, kw)
    return [r < kh or c < kw for r in rows for c in cols]


def _conv_geometry(sg: Subgraph, op: Operator):
    n, ih, iw, cin = _shape(sg, op, 0)
    _, oh, ow, cout = _out(sg, op)
    filt = _shape(sg, op, 1)
    kh, kw = filt[1], filt[2]
    return n, ih, iw, cin, oh, ow, cout, kh, kw


def _is_4d(sg: Subgraph, op: Operator) -> bool:
    return len(_shape(sg, op, 0)) == 4 and len(_shape(sg, op, 1)) == 4 and len(_out(sg, op)) == 4


def _batch_rows(sg: Subgraph, op: Operator) -> tuple[int, int, int]:
    """Fully connected: (rows, depth, outputs per row)."""
    out = _out(sg, op)
    depth = _shape(sg, op, 1)[-1] if _shape(sg, op, 1) else 1
    units = out[-1] if out else 1
    outputs = math.prod(out) if out else 0
    return (outputs // units if units else 0), depth, units


# -- CMSIS-NN ---------------------------------------------------------------------------------------------
def cmsis_nn_work(sg: Subgraph, op: Operator, path: str) -> LoopWork | None:
    """The CMSIS-NN function TFLite Micro's kernel calls for ``op`` on code path ``path`` (scalar,
    dsp, mve) and its loop units; None where CMSIS-NN has no kernel (TFLite Micro then runs its
    reference kernel)."""
    name = op.op
    mve = path == "mve"
    if name in ("CONV_2D", "DEPTHWISE_CONV_2D") and not _is_4d(sg, op):
        return None
    if name == "CONV_2D":
        n, ih, iw, cin, oh, ow, cout, kh, kw = _conv_geometry(sg, op)
        o = op.options
        pixels = n * oh * ow
        outputs = pixels * cout
        no_pad = valid_taps(op, ih, iw, oh, ow, kh, kw) == oh * ow * kh * kw
        dilated = (getattr(o, "dilation_h_factor", 1) or 1) != 1 or (getattr(o, "dilation_w_factor", 1) or 1) != 1
        if (kh, kw) == (1, 1) and no_pad and not dilated:
            lanes = 16 if mve else 4
            function = "arm_convolve_1x1_s8_fast" if (o.stride_h, o.stride_w) == (1, 1) else "arm_convolve_1x1_s8"
            return LoopWork(function, {"call": 1, "pixel": pixels, "mac": outputs * padded(cin, lanes),
                                       "output": outputs})
        depth = kh * kw * cin
        valid = valid_taps(op, ih, iw, oh, ow, kh, kw) * n
        taps = pixels * kh * kw
        units = {"call": 1, "pixel": pixels, "tap": taps, "im2col": valid * cin, "im2col_padding": (taps - valid) * cin,
                 "output": outputs}
        if mve:
            # groups of 4 columns without padding go to arm_nn_mat_mul_core_4x_s8; groups with
            # padding and the last partial group to arm_nn_mat_mult_s8
            flags = padded_pixels(op, ih, iw, oh, ow, kh, kw) * n
            fast = 0
            for start in range(0, len(flags) - len(flags) % 4, 4):
                fast += not any(flags[start:start + 4])
            fast *= 4
            units["mac"] = fast * cout * padded(depth, 16)
            units["mac_slow"] = (pixels - fast) * cout * padded(depth, 16)
        else:
            paired = pixels - pixels % 2  # two im2col columns per arm_nn_mat_mult_kernel_s8_s16 call
            units["mac"] = paired * cout * depth
            units["mac_slow"] = (pixels - paired) * cout * depth
        return LoopWork("arm_convolve_s8", units)
    if name == "DEPTHWISE_CONV_2D":
        n, ih, iw, cin, oh, ow, cout, kh, kw = _conv_geometry(sg, op)
        o = op.options
        pixels = n * oh * ow
        outputs = pixels * cout
        mult = getattr(o, "depth_multiplier", 1) or 1
        dilated = (getattr(o, "dilation_h_factor", 1) or 1) != 1 or (getattr(o, "dilation_w_factor", 1) or 1) != 1
        valid = valid_taps(op, ih, iw, oh, ow, kh, kw) * n
        if cin == cout and mult == 1 and n == 1 and not dilated:
            pads = max(_padding_before(o.padding.name, ih, oh, kh, o.stride_h, 1),
                       _padding_before(o.padding.name, iw, ow, kw, o.stride_w, 1))
            if not mve and (kh, kw) == (3, 3) and pads <= 1:
                return LoopWork("arm_depthwise_conv_3x3_s8", {"call": 1, "pixel": pixels, "tap": valid,
                                                              "mac": valid * padded(cout, 4), "output": outputs})
            if path != "scalar":
                taps = pixels * kh * kw
                return LoopWork("arm_depthwise_conv_s8_opt", {
                    "call": 1, "pixel": pixels, "tap": taps, "im2col": taps * cin,
                    "mac": taps * padded(cout, 4), "output": outputs})
        return LoopWork("arm_depthwise_conv_s8", {"call": 1, "pixel": pixels, "tap": valid,
                                                  "mac": valid * cout, "output": outputs})
    if name == "FULLY_CONNECTED":
        rows, depth, units = _batch_rows(sg, op)
        lanes = 16 if mve else 4
        return LoopWork("arm_fully_connected_s8", {"call": 1, "row": rows, "mac": rows * units * padded(depth, lanes),
                                                   "output": rows * units})
    if name in ("AVERAGE_POOL_2D", "MAX_POOL_2D"):
        out = _out(sg, op)
        inp = _shape(sg, op, 0)
        if len(out) != 4 or len(inp) != 4:
            return None
        n, oh, ow, c = out
        o = op.options
        valid = valid_taps(op, inp[1], inp[2], oh, ow, o.filter_height, o.filter_width) * n
        function = "arm_avgpool_s8" if name == "AVERAGE_POOL_2D" else "arm_max_pool_s8"
        return LoopWork(function, {"call": 1, "pixel": n * oh * ow, "window": valid * c, "output": n * oh * ow * c})
    if name in ("ADD", "MUL"):
        out = _out(sg, op)
        if _shape(sg, op, 0) != _shape(sg, op, 1):  # broadcasting: TFLite Micro's reference kernel
            return None
        function = "arm_elementwise_add_s8" if name == "ADD" else "arm_elementwise_mul_s8"
        return LoopWork(function, {"call": 1, "element": math.prod(out) if out else 0})
    if name == "SOFTMAX":
        out = _out(sg, op)
        if not out:
            return None
        elements = math.prod(out)
        return LoopWork("arm_softmax_s8", {"call": 1, "row": elements // out[-1] if out[-1] else 0,
                                           "element": elements})
    return None


# -- microinfer's C kernels (kernels_c/, as the C backend, emulate and build call them) -----------------------
# The trip counts follow the kernels' own decisions (which pixels a depthwise kernel takes four at a
# time, which im2col rows are one copy, how a matrix multiply tiles its outputs). ISA paths: "mve"
# (Helium), "dsp" (SXTB16/SMLAD), "scalar" (Thumb-1) and "rv32" (the portable C); the last two share
# every loop structure but the matrix multiply's tiles, which c_kernel_loops.toml's shape keys say
# (tile_rows x tile_cols outputs a tile, lanes columns a pass, widen_chunk columns widened at a time).
def microinfer_kind(sg: Subgraph, op: Operator) -> str:
    """The kernel path microinfer's C wrappers take for this operator."""
    if op.op == "FULLY_CONNECTED":
        return "fully_connected"
    if op.op == "CONV_2D" and len(_shape(sg, op, 1)) == 4:
        _, kh, kw, _ = _shape(sg, op, 1)
        return "conv_1x1" if (kh, kw) == (1, 1) else "conv"  # a 1x1 filter is never padded
    if op.op == "DEPTHWISE_CONV_2D" and len(_shape(sg, op, 1)) == 4:
        # depth multiplier 1 (as many outputs as input channels): mi_nn_depthwise_conv_m1_s8, whatever
        # the filter's size and dilation
        return "depthwise_m1" if _shape(sg, op, 1)[3] == _shape(sg, op, 0)[-1] else "depthwise"
    if op.op in ("AVERAGE_POOL_2D", "MAX_POOL_2D"):
        return "pool"
    if op.op == "SOFTMAX":
        return "softmax"
    if op.op == "ADD":
        return "add"
    if op.op == "QUANTIZE" and op.inputs and op.inputs[0] >= 0 and sg.tensors[op.inputs[0]].type.name == "INT16":
        return "requantize"  # mi_requantize_s16 (float32 and int8 inputs take other kernels, not modelled)
    return op.op.lower()


def microinfer_work(sg: Subgraph, op: Operator, path_constants: dict, isa_path: str) -> LoopWork | None:
    """The trip count of every costed loop of microinfer's C kernel for ``op`` on ISA path
    ``isa_path`` (``path_constants``: that path's section of c_kernel_loops.toml, for its shape
    keys); None where no C kernel is modelled."""
    kind = microinfer_kind(sg, op)
    if kind not in path_constants:
        return None
    keys = path_constants[kind]
    shape = lambda i: _shape(sg, op, i)  # noqa: E731
    out = _out(sg, op)
    outputs = math.prod(out)
    if kind == "fully_connected":
        depth = shape(1)[-1]
        channels = out[-1]
        if keys.get("vector_rows"):  # one vector-matrix product per batch row (mi_nn_vec_mat_mult_t_s8)
            return LoopWork(kind, _vec_mat_units(outputs // channels, channels, depth, keys))
        return LoopWork(kind, {"call": 1, **_gemm_units(outputs // channels, channels, depth, 1, keys, isa_path)})
    if kind == "conv_1x1":
        n, oh, ow, channels = out
        cin = shape(1)[3]
        if cin <= keys.get("few_in_channels", 0):  # summed across a transposed int16 filter, pixel by pixel
            pixels = n * oh * ow
            blocks = math.ceil(channels / GEMM_BLOCK)
            return LoopWork(kind, {"call": 1, "weight": padded(channels, 8) * cin, "narrow_pixel": pixels,
                                   "narrow_group": pixels * blocks, "narrow_tap": pixels * blocks * cin,
                                   "narrow_mac": pixels * cin * channels, "narrow_output": pixels * channels})
        stride_1 = op.options.stride_h == op.options.stride_w == 1
        calls = n if stride_1 else n * oh
        units = _gemm_units(oh * ow * n // calls, channels, cin, calls, keys, isa_path)
        if not stride_1 and isa_path == "dsp":  # rows apart: the tile loop in C, not the written-out one
            units["tile_any"], units["mac_any"] = units.pop("tile"), units.pop("mac")
        return LoopWork(kind, {"call": 1, **units})
    if kind == "conv":
        return LoopWork(kind, _conv_units(sg, op, keys, isa_path))
    if kind == "depthwise_m1":
        return LoopWork(kind, _depthwise_m1_units(sg, op, isa_path))
    if kind == "depthwise":
        n, oh, ow, cout = out
        _, ih, iw, cin = shape(0)
        _, kh, kw, _ = shape(1)
        valid = valid_taps(op, ih, iw, oh, ow, kh, kw) * n
        lanes = int(keys.get("lanes", 1))
        return LoopWork(kind, {"call": 1, "pixel": n * oh * ow, "tap": valid, "output": outputs,
                               "mac": valid * math.ceil(cin / lanes) * (cout // cin)})
    if kind == "pool":
        return LoopWork(kind, _pool_units(sg, op, keys, isa_path))
    if kind == "requantize":
        return LoopWork(kind, {"call": 1, "element": outputs})
    if kind == "svdf":
        return LoopWork(kind, _svdf_units(sg, op))
    if kind == "softmax":
        rows = outputs // out[-1]
        # the exponentials past the first SOFTMAX_KEPT_EXPONENTIALS of a row are computed again
        again = rows * max(0, out[-1] - SOFTMAX_KEPT_EXPONENTIALS)
        return LoopWork(kind, {"call": 1, "row": rows, "element": outputs, "element_again": again})
    if kind == "add":
        lanes = int(keys.get("lanes", 1))
        rows = outputs // out[-1]
        # one input repeated along the innermost axis: rescaled once a row, not once an element
        broadcast = any(shape(i)[-1] == 1 != out[-1] for i in (0, 1))
        unit = "broadcast_element" if broadcast else "element"
        return LoopWork(kind, {"call": 1, "row": rows, unit: rows * math.ceil(out[-1] / lanes)})
    return None


def _gemm_units(rows: int, channels: int, cols: int, calls: int, keys: dict, isa_path: str) -> dict[str, float]:
    """mi_nn_mat_mult_nt_t_s8 called ``calls`` times on ``rows`` lhs rows each: its tiles of
    ``tile_rows`` x ``tile_cols`` outputs, the passes of their dot-product loops (``lanes`` columns
    each), the per-group or per-block setup, and the requantization loop's outputs. Where the lhs
    rows are widened to int16 ``widen_chunk`` columns at a time (the portable C path), every chunk
    runs the block's tiles again, and ``widen`` counts the columns widened."""
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
    units = {"gemm": calls, "group": calls * row_groups * blocks, "tile": calls * tiles,
             "mac": calls * tiles * (cols // lanes + cols % lanes), "output": calls * rows * channels}
    chunk = int(keys.get("widen_chunk", 0))
    if chunk:  # a last single row takes a loop of its own (1 x tile_cols), on every chunk
        chunks = math.ceil(cols / chunk)
        per_row = math.ceil(channels / tile_cols)
        single = calls * (rows % tile_rows) * per_row
        units["tile"] = (calls * tiles - single) * chunks
        units["mac"] = (calls * tiles - single) * cols
        units["tile_single"] = single * chunks
        units["mac_single"] = single * cols
        units["widen"] = calls * row_groups * blocks * cols
    return units


def _vec_mat_units(rows: int, channels: int, cols: int, keys: dict) -> dict[str, float]:
    """mi_nn_vec_mat_mult_t_s8 once per batch row: blocks of 64 output channels, ``vector_rows``
    channels per pass of its dot-product loop and the 0 to vector_rows - 1 left one at a time."""
    per_pass = int(keys["vector_rows"])
    blocks = [min(GEMM_BLOCK, channels - first) for first in range(0, channels, GEMM_BLOCK)]
    tiles = sum(count // per_pass for count in blocks)
    singles = sum(count % per_pass for count in blocks)
    return {"call": 1, "row": rows, "group": rows * len(blocks), "tile": rows * tiles, "mac": rows * tiles * cols,
            "tile_single": rows * singles, "mac_single": rows * singles * cols, "output": rows * channels}


def _conv_units(sg: Subgraph, op: Operator, keys: dict, isa_path: str) -> dict[str, float]:
    """mi_convolve_s8: the im2col rows (one copy or fill per filter row inside the image, one per tap
    where the row is cut by padding) and the matrix multiplies of four rows at a time."""
    n, ih, iw, cin, oh, ow, channels, kh, kw = _conv_geometry(sg, op)
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


def _depthwise_m1_units(sg: Subgraph, op: Operator, isa_path: str) -> dict[str, float]:
    """mi_nn_depthwise_conv_m1_s8 (depth multiplier 1, any filter size and dilation): which pixels
    take which path (Helium: blocks of three or four pixels with all taps inside horizontally,
    single pixels elsewhere; DSP: every pixel, a 3-wide filter's whole rows written out where its
    taps are all inside horizontally; portable C: every pixel, 32 channels a block), and their
    loops. Filters 3 wide at dilation 1 have their taps written out (in the units ``*_row``), others
    loop over them (``block_tap``, ``edge_tap``)."""
    n, ih, iw, _, oh, ow, channels, kh, kw = _conv_geometry(sg, op)
    rows_inside, cols_inside = _window_origins(op, ih, iw, oh, ow, kh, kw)
    o = op.options
    width3 = kw == 3 and (getattr(o, "dilation_w_factor", 1) or 1) == 1
    units = {"call": 1.0}
    add = lambda unit, count: units.__setitem__(unit, units.get(unit, 0.0) + count * n)  # noqa: E731
    if isa_path == "mve":
        groups = math.ceil(channels / 4)
        slide3 = width3 and o.stride_w == 1
        for rows in rows_inside:
            ox = 0
            while ox < ow:
                if cols_inside[ox] == kw:
                    npx = 1
                    while npx < 4 and ox + npx < ow and cols_inside[ox + npx] == kw:
                        npx += 1
                    if slide3 and npx == 4:
                        run = 4
                        while run < 7 and ox + run < ow and cols_inside[ox + run] == kw:
                            run += 1
                        npx = 4 if run == 4 else 3
                    if npx >= 3:
                        kind = "slide" if slide3 and npx == 3 else "tap4"
                        add("pixel", 1)
                        add(f"{kind}_block", groups)
                        add(f"{kind}_row", groups * rows)
                        add("partial", groups * (rows < kh))
                        if not width3:
                            add("block_tap", groups * rows * kw)
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
                whole_row3 = width3 and cols == 3
                add("row" if whole_row3 else "edge_row", groups * rows)
                if not whole_row3:
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
    (Helium: 16, predicated; DSP: 8 for averages, 4 for maxima; averages of windows above
    POOL_SHORT_SUMS taps and the portable paths: none), then the channels left over in a row of
    int32 sums or maxima (``rest_*``: one pass over the window for all of them)."""
    n, oh, ow, channels = _out(sg, op)
    _, ih, iw, _ = _shape(sg, op, 0)
    o = op.options
    average = op.op == "AVERAGE_POOL_2D"
    area = o.filter_height * o.filter_width
    group = int(keys.get("group_channels", 1))
    if isa_path != "mve" and not average and group > 1:
        group = 4
    if average and area > POOL_SHORT_SUMS:
        group = 1
    if group == 1:
        groups, rest = 0, channels
    elif isa_path == "mve":
        groups, rest = math.ceil(channels / group), 0
    else:
        groups, rest = channels // group, channels % group
    window = valid_taps(op, ih, iw, oh, ow, o.filter_height, o.filter_width) * n
    pixels = n * oh * ow
    prefix = "" if average else "max_"
    units = {"call": 1, "pixel": pixels, f"{prefix}group": pixels * groups, f"{prefix}window": window * groups}
    if isa_path == "mve" and average and groups:  # each sum is averaged and stored alone
        units["output"] = pixels * channels
    if rest:
        units.update({"rest_pixel": pixels, "rest_tap": window, f"{prefix}rest_mac": window * rest,
                      f"{prefix}rest_channel": pixels * rest})
    return units


def _svdf_units(sg: Subgraph, op: Operator) -> dict[str, float]:
    """mi_svdf_s8: the state moved one value left, then per batch row each filter's feature dot
    product (requantized into the state's newest slot) and time dot product over its memory, and
    the filters of each unit summed and requantized. The move and the time products visit each
    state value once (``state_value``)."""
    batch, input_size = _shape(sg, op, 0)[:2]
    filters = _shape(sg, op, 1)[0]
    memory = _shape(sg, op, 2)[1]
    rank = max(1, int(getattr(op.options, "rank", 1) or 1))
    return {"call": 1, "filter": batch * filters, "feature_mac": batch * filters * input_size,
            "state_value": batch * filters * memory, "unit": batch * (filters // rank)}
