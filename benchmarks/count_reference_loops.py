"""Instructions of TFLite Micro's reference CONV_2D and DEPTHWISE_CONV_2D loops, counted on an emulated core.

``benchmarks/fixtures/tflm_reference_loops.c`` models the reference kernels' loop nests (the same
loops, every operand read through a range-checked 4-D index as ``tflite::Offset`` does). This runs it
on single layers under QEMU (``microinfer.emulate``'s machinery, traced to get the instruction mix),
fits the instructions of each class per unit of work (per MAC, per filter tap of each output, per
output) by non-negative least squares over calibration layers, and checks the fit on the convolution
layers of TFLite Micro's person-detection model. The fitted mixes are the reference loops of
``src/microinfer/cost/loops.py``.

    PYTHONPATH=src python benchmarks/count_reference_loops.py [--core rv32imc] [--ndebug] [--no-check]

``--ndebug`` counts the build with NDEBUG (TFLITE_DCHECKs compiled out) for comparison; ``--optimize O3``
compiles the kernels as esp-tflite-micro does (the emulation's own level is -O2, TFLite Micro's make
build's for kernels). ``abort()`` is linked from assembly, as the C library's is: a body the compiler
can see changes how it compiles the checks. About two minutes on one core.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

import numpy as np
from scipy.optimize import nnls

from microinfer.emulate.machine import LayerProgram, core_named, run_layer
from microinfer.emulate.timing import instruction_mix
from microinfer.examples import EXAMPLES
from microinfer.kernels._conv_util import padding_before
from microinfer.tflite import load

FIXTURE = Path(__file__).parent / "fixtures" / "tflm_reference_loops.c"
UNITS = {"conv": ("mac_in_image", "tap", "output"), "depthwise": ("mac_in_image", "output"),
         "pool": ("window_in_image", "output"), "fully_connected": ("mac", "output")}
POOLS = ("average_pool", "max_pool")
# loops.py's instruction classes; a not-taken conditional branch issues like an ALU instruction, and
# a call's return is part of loops.py's "call"
ARCH = "riscv"
CLASSES = ("alu", "mul", "divide", "load", "store", "branch", "call")

# Calibration layers: (kind, input HxWxC, filter HxW, output channels or depth multiplier, stride),
# unpadded so that every nominal MAC runs; shapes not taken from the check model.
CALIBRATION = [
    ("conv", (6, 6, 4), (1, 1), 8, 1), ("conv", (6, 6, 24), (1, 1), 8, 1), ("conv", (5, 5, 96), (1, 1), 6, 1),
    ("conv", (10, 10, 1), (3, 3), 8, 1), ("conv", (10, 10, 3), (3, 3), 8, 1), ("conv", (9, 9, 12), (3, 3), 6, 2),
    ("conv", (8, 8, 2), (5, 5), 4, 1),
    ("depthwise", (10, 10, 12), (3, 3), 1, 1), ("depthwise", (9, 9, 40), (3, 3), 1, 2),
    ("depthwise", (10, 10, 3), (3, 3), 4, 1), ("depthwise", (9, 9, 8), (5, 5), 1, 1),
    ("average_pool", (8, 8, 16), (2, 2), 0, 2), ("average_pool", (7, 7, 20), (3, 3), 0, 1),
    ("max_pool", (8, 8, 16), (2, 2), 0, 2), ("max_pool", (9, 9, 12), (3, 3), 0, 2),
    # fully connected: (batches, 1, accum depth), outputs
    ("fully_connected", (1, 1, 64), (1, 1), 32, 1), ("fully_connected", (1, 1, 250), (1, 1), 10, 1),
    ("fully_connected", (4, 1, 40), (1, 1), 16, 1),
]


OPTIMIZE = ""  # "O3": the level esp-tflite-micro builds TFLite Micro with (the emulation compiles at -O2)


def layer_program(kind, in_shape, filter_hw, channels, stride, pad, ndebug, rng) -> tuple[LayerProgram, dict]:
    h, w, c = in_shape
    fh, fw = filter_hw
    oh, ow = (h + 2 * pad - fh) // stride + 1, (w + 2 * pad - fw) // stride + 1
    if kind == "conv":
        out_c, filter_shape, multiplier = channels, (channels, fh, fw, c), 1
    elif kind == "depthwise":
        out_c, filter_shape, multiplier = c * channels, (1, fh, fw, c * channels), channels
    else:
        out_c, filter_shape, multiplier = c, (1, fh, fw, 1), 1
    in_rows = sum(0 <= y * stride - pad + i < h for y in range(oh) for i in range(fh))
    in_cols = sum(0 <= x * stride - pad + j < w for x in range(ow) for j in range(fw))
    units = {"output": oh * ow * out_c, "tap": oh * ow * out_c * fh * fw,
             "mac_in_image": in_rows * in_cols * out_c * (c if kind == "conv" else 1)}
    if kind in POOLS:
        units = {"output": oh * ow * out_c, "window_in_image": in_rows * in_cols * out_c}
    if kind == "fully_connected":
        out_c, filter_shape = channels, (channels, c, 1, 1)
        units = {"output": h * out_c, "mac": h * out_c * c}
    blobs = {"layer_in": rng.integers(-128, 128, h * w * c, dtype=np.int8).tobytes(),
             "layer_filter": rng.integers(-127, 128, int(np.prod(filter_shape)), dtype=np.int8).tobytes()}
    dims = [1, h, w, c, *filter_shape, 1, oh, ow, out_c]
    call = {"conv": "ref_conv", "depthwise": "ref_depthwise"}.get(kind, f"ref_{kind}")
    arguments = {"average_pool": f"{fh}, {fw}, &in_shape, layer_in, &out_shape, out",
                 "max_pool": f"{fh}, {fw}, &in_shape, layer_in, &out_shape, out",
                 "fully_connected": f"2, {h}, {c}, {channels}, layer_in, layer_filter, out"}.get(
        kind, "&in_shape, layer_in, &filter_shape, layer_filter, &out_shape, out")
    abort_loop = "j abort" if ARCH == "riscv" else "b abort"
    header = (f'#pragma GCC optimize ("{OPTIMIZE}")\n' if OPTIMIZE else "")
    header += "#define REFERENCE_NDEBUG 1\n" if ndebug else ""
    source = header + FIXTURE.read_text() + f"""
extern const int8_t layer_in[], layer_filter[];
static int32_t multiplier[{out_c}], shift[{out_c}], bias[{out_c}];
static int8_t out[{oh * ow * out_c}];
const void *const layer_output = out;
const uint32_t layer_output_size = sizeof out;
/* abort() as the C library gives it: a body the compiler does not see */
__asm__(".text\\n.global abort\\nabort:\\n{abort_loop}\\n");
static volatile int32_t dims_at_run_time[12] = {{{", ".join(map(str, dims))}}};
static ref_shape in_shape, filter_shape, out_shape;
int32_t layer_run(void)
{{
    in_shape.rank = filter_shape.rank = out_shape.rank = 4;
    for (int k = 0; k < 4; k++) {{
        in_shape.dims[k] = dims_at_run_time[k];
        filter_shape.dims[k] = dims_at_run_time[4 + k];
        out_shape.dims[k] = dims_at_run_time[8 + k];
    }}
    for (int k = 0; k < {out_c}; k++) {{
        multiplier[k] = 1300000000 + k;
        shift[k] = -8;
        bias[k] = 7 * k;
    }}
    const ref_params params = {{{stride}, {pad}, {multiplier}, 5, -3, -128, 127, multiplier, shift, bias}};
    {call}(&params, {arguments});
    return 0;
}}
"""
    return LayerProgram(source, blobs), units


def class_counts(measurement) -> Counter:
    """Executed instructions of the kernel by loops.py class."""
    mix = instruction_mix(measurement, ARCH)
    counts = Counter()
    for name, n in mix.classes.items():
        if name in ("multiply", "long_multiply"):
            counts["mul"] += n
        elif name == "branch":
            counts["branch"] += mix.taken_branches
            counts["alu"] += n - mix.taken_branches
        elif name == "indirect":
            pass  # a call's return
        else:
            counts[name if name in CLASSES else "alu"] += n
    return counts


def measure(core, layers, ndebug: bool, rng) -> list[tuple[dict, Counter, int]]:
    rows = []
    for layer in layers:
        program, units = layer_program(*layer, ndebug=ndebug, rng=rng)
        measurement = run_layer(program, core, trace=True)
        rows.append((units, class_counts(measurement), measurement.instructions))
    return rows


def fit(rows, units_fitted) -> dict[str, dict[str, float]]:
    """unit -> class -> instructions per unit."""
    a = np.array([[units[u] for u in units_fitted] for units, _, _ in rows], dtype=float)
    scale = np.array([sum(counts.values()) for _, counts, _ in rows], dtype=float)
    mixes = {u: {} for u in units_fitted}
    for name in CLASSES:
        b = np.array([counts[name] for _, counts, _ in rows], dtype=float)
        solution, _ = nnls(a / scale[:, None], b / scale)
        for unit, value in zip(units_fitted, solution):
            if value > 0.005:
                mixes[unit][name] = round(float(value), 2)
    return mixes


def _loop_kind(kind: str) -> str:
    """loops.py's kernel kind: both pools share one."""
    return "pool" if kind in POOLS else kind


def predict(mixes, units) -> float:
    return sum(units[u] * sum(mix.values()) for u, mix in mixes.items())


def person_detect_layers():
    model = load(EXAMPLES["person-detect"]())
    sg = model.main
    for op in sg.operators:
        if op.op not in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            continue
        x, w, y = (sg.tensors[i] for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
        kind = "conv" if op.op == "CONV_2D" else "depthwise"
        stride = op.options.stride_w
        pad = padding_before(stride, 1, x.shape[2], w.shape[2], y.shape[2])
        channels = w.shape[0] if kind == "conv" else op.options.depth_multiplier
        yield op.index, (kind, tuple(x.shape[1:]), (w.shape[1], w.shape[2]), channels, stride, pad)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--core", default="rv32imc")
    parser.add_argument("--ndebug", action="store_true", help="count the build with NDEBUG defined")
    parser.add_argument("--optimize", choices=("O2", "O3", "Os"), default="O2",
                        help="optimisation level of the kernels (TFLite Micro's make build: O2; esp-tflite-micro: O3)")
    parser.add_argument("--no-check", action="store_true", help="skip the person-detection check")
    args = parser.parse_args()
    core = core_named(args.core)
    global ARCH, OPTIMIZE
    OPTIMIZE = "" if args.optimize == "O2" else args.optimize
    ARCH = "riscv" if core.name.startswith("rv") else "arm"
    rng = np.random.default_rng(0)
    rows = measure(core, [(*layer, 0) for layer in CALIBRATION], args.ndebug, rng)
    mixes = {}
    print(f"{args.core}, {'NDEBUG' if args.ndebug else 'TFLITE_DCHECKs live'}: instructions per unit, by class")
    for kind, units_fitted in UNITS.items():
        mixes[kind] = fit([row for row, layer in zip(rows, CALIBRATION) if _loop_kind(layer[0]) == kind],
                          units_fitted)
        for unit, mix in mixes[kind].items():
            print(f"  {kind:9s} {unit:7s} {sum(mix.values()):6.2f}  {mix}")
    for (units, counts, measured), layer in zip(rows, CALIBRATION):
        predicted = predict(mixes[_loop_kind(layer[0])], units)
        print(f"  calibration {layer}: {measured:,} measured, fit {predicted / measured - 1:+.1%}")
    if args.no_check:
        return
    total_measured = total_predicted = total_macs = 0
    print("check: person detection's convolutions")
    for index, layer in person_detect_layers():
        program, units = layer_program(*layer, ndebug=args.ndebug, rng=rng)
        measured = run_layer(program, core).instructions
        predicted = predict(mixes[_loop_kind(layer[0])], units)
        total_measured += measured
        total_predicted += predicted
        total_macs += units["mac_in_image"]
        print(f"  #{index:<3d} {layer[0]:9s} {str(layer[1]):14s} {measured:>12,} measured  {predicted / measured - 1:+6.1%}"
              f"  {measured / units['mac_in_image']:5.1f} per MAC")
    print(f"  total {total_measured:,} instructions ({total_measured / total_macs:.1f} per MAC), "
          f"fit {total_predicted / total_measured - 1:+.1%}")


if __name__ == "__main__":
    main()
