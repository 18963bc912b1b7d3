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

DEPTHWISE_3X3_BLOCK = 32  # channels mi_depthwise_conv_3x3_s8 sums together (MI_DW3X3_BLOCK)
FEW_INPUT_CHANNELS_1X1 = 8  # up to this, mi_convolve_1x1_s8 sums across a transposed filter (MI_1X1_FEW_IN_CH)


@dataclass(frozen=True)
class LoopWork:
    """The kernel function a library runs for one layer and how often each of its loops runs."""

    function: str
    units: dict[str, float]

    @property
    def kind(self) -> str:
        """The kernel kind (microinfer's C kernels name their loops by kind: conv, depthwise_3x3...)."""
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


# -- microinfer's C kernels (kernels_c/, as the C backend and emulate call them) ---------------------------
def microinfer_kind(sg: Subgraph, op: Operator) -> str:
    """The kernel path microinfer's C wrappers take for this operator."""
    if op.op == "FULLY_CONNECTED":
        return "fully_connected"
    if op.op == "CONV_2D" and len(_shape(sg, op, 1)) == 4:
        _, kh, kw, cin = _shape(sg, op, 1)
        if (kh, kw) != (1, 1):
            return "conv"
        return "conv_1x1" if cin > FEW_INPUT_CHANNELS_1X1 else "conv_1x1_narrow"  # 1x1 is never padded
    if op.op == "DEPTHWISE_CONV_2D" and len(_shape(sg, op, 1)) == 4:
        _, kh, kw, _ = _shape(sg, op, 1)
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


def microinfer_work(sg: Subgraph, op: Operator, path_constants: dict) -> LoopWork | None:
    """Loop units of microinfer's C kernel for ``op`` (``path_constants``: the ISA path's section of
    c_kernel_loops.toml, for the vector widths); None where no C kernel is modelled."""
    work = _microinfer_loop_work(sg, op, path_constants)
    group = path_constants[work.function].get("requantization_lanes") if work else None
    if group:  # a vector requantizer handles `group` outputs per pass (mi_requantize_block_s8)
        work.units["output_group"] = math.ceil(work.units["output"] / group)
    return work


def _microinfer_loop_work(sg: Subgraph, op: Operator, path_constants: dict) -> LoopWork | None:
    kind = microinfer_kind(sg, op)
    if kind not in path_constants:
        return None
    lanes = int(path_constants[kind].get("lanes", 1))
    shape = lambda i: _shape(sg, op, i)  # noqa: E731
    out = _out(sg, op)
    outputs = math.prod(out)
    if kind == "fully_connected":
        depth = shape(1)[-1]
        return LoopWork(kind, {"call": 1, "row": outputs // out[-1], "output": outputs,
                               "mac": outputs * padded(depth, lanes)})
    if kind in ("conv_1x1", "conv_1x1_narrow"):
        cout, _, _, cin = shape(1)
        pixels = outputs // cout
        units = {"call": 1, "pixel": pixels, "im2col": pixels * padded(cin, lanes), "output": outputs,
                 "mac": outputs * padded(cin, lanes)}
        if kind == "conv_1x1_narrow":
            units["weight"] = cout * cin  # the filter transposed to int16 on each call
        return LoopWork(kind, units)
    if kind == "conv":
        n, oh, ow, cout = out
        _, kh, kw, cin = shape(1)
        pixels = n * oh * ow
        return LoopWork(kind, {"call": 1, "pixel": pixels, "tap": pixels * kh * kw,
                               "im2col": pixels * kh * kw * padded(cin, lanes), "output": outputs,
                               "mac": outputs * padded(kh * kw * cin, lanes)})
    if kind in ("depthwise_3x3", "depthwise"):
        n, oh, ow, cout = out
        _, ih, iw, cin = shape(0)
        _, kh, kw, _ = shape(1)
        valid = valid_taps(op, ih, iw, oh, ow, kh, kw) * n
        blocks = math.ceil(cout / DEPTHWISE_3X3_BLOCK) if kind == "depthwise_3x3" else 1
        per_block = min(cout, DEPTHWISE_3X3_BLOCK) if kind == "depthwise_3x3" else cin
        return LoopWork(kind, {"call": 1, "pixel": n * oh * ow, "tap": valid * blocks, "output": outputs,
                               "mac": valid * blocks * padded(per_block, lanes) * (cout // cin)})
    if kind == "pool":
        n, oh, ow, channels = out
        _, ih, iw, _ = shape(0)
        options = op.options
        valid = valid_taps(op, ih, iw, oh, ow, options.filter_height, options.filter_width) * n
        return LoopWork(kind, {"call": 1, "pixel": n * oh * ow, "window": valid * channels, "output": outputs})
    if kind in ("softmax", "add"):
        return LoopWork(kind, {"call": 1, "row": outputs // out[-1], "element": outputs})
    return None
