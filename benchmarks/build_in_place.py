"""How far in-place execution would take the arena of a generated library, below the layer-by-layer
lower bound that kws_ref_model and pretrainedResnet_quant already reach.

    python benchmarks/build_in_place.py [MODEL ...]     (default: the two models of issue 14)

For each model: the arena `microinfer build` plans today (its C kernels' scratch, aliasing, in-place
elementwise operators), then the arena planned with each in-place technique added on top:

- depthwise: a shape-preserving DEPTHWISE_CONV_2D overwrites its dying input, channel by channel,
  through a temporary of one (padded) channel plane (TinyEngine);
- pointwise: a 1x1, stride-1 CONV_2D with as many output as input channels overwrites its dying
  input pixel by pixel, through a temporary of one input pixel;
- line-buffered 3x3 (any kxk, stride 1, SAME, same shape in and out): output row y overwrites
  input row y once the rows it still needs are saved, through a ring of kh - 1 input rows.

Each is modelled as the planner models aliasing: the input and output share one buffer, and the
temporary is a scratch buffer of that operator. The C kernels do not implement these yet; this
says what they would save. The figures are planned arena bytes (add the stack for RAM).
"""

from __future__ import annotations

import sys
from pathlib import Path

from microinfer.build.lower import layout, lower
from microinfer.planner import _best_offsets
from microinfer.planner.aliasing import depthwise_scratch_bytes, merged_buffers, merges
from microinfer.planner.greedy import arena_size, live_set_lower_bound, tflm_greedy_offsets
from microinfer.planner.lifetimes import BufferLifetime, align, buffer_lifetimes, operator_scopes

sys.path.insert(0, str(Path(__file__).parent))
from shared_paths import SHARED_MODELS  # noqa: E402

DEFAULT_MODELS = ("kws_ref_model", "pretrainedResnet_quant")


def _candidates(model, technique: str):
    """(input tensor, output tensor, temporary bytes, operator) of each operator ``technique`` can
    run in place (input dying at it, same shape and type in and out, not a model input or output)."""
    sg = model.main
    pinned = set(sg.inputs) | set(sg.outputs)
    last_use: dict[int, int] = {}
    for op in sg.operators:
        for t in op.inputs:
            if t >= 0:
                last_use[t] = op.index
    found = []
    for op in sg.operators:
        if len(op.outputs) != 1 or not op.inputs:
            continue
        x, y = op.inputs[0], op.outputs[0]
        if x < 0 or x in pinned or y in pinned or last_use.get(x) != op.index:
            continue
        a, b = sg.tensors[x], sg.tensors[y]
        if a.data is not None or a.shape != b.shape or a.type != b.type or len(a.shape) != 4:
            continue
        o = op.options
        if technique == "depthwise" and op.op == "DEPTHWISE_CONV_2D":
            found.append((x, y, depthwise_scratch_bytes(model, op.index), op.index))
        elif op.op == "CONV_2D":
            _, kh, kw, _ = sg.tensors[op.inputs[1]].shape
            stride = (o.stride_h, o.stride_w)
            if technique == "pointwise" and (kh, kw) == (1, 1) and stride == (1, 1):
                found.append((x, y, a.shape[3] * a.nbytes // a.num_elements, op.index))
            elif technique == "line" and (kh, kw) != (1, 1) and stride == (1, 1):
                row = a.shape[2] * a.shape[3] * a.nbytes // a.num_elements
                found.append((x, y, (kh - 1) * row, op.index))
    return found


def planned_arena(model, scratch, techniques) -> tuple[int, int]:
    """(arena bytes, live-set lower bound) with the elementwise/alias merges microinfer build makes
    and the merges of ``techniques``."""
    buffers = buffer_lifetimes(model, scratch)
    pairs = merges(model, buffers, alias=True, in_place=True, in_place_depthwise=False)
    merged_outputs = {out for _, out, _ in pairs}
    extra = []
    scopes = operator_scopes(model, model.main.index)
    for technique in techniques:
        for x, y, temporary, op in _candidates(model, technique):
            if y in merged_outputs:
                continue
            pairs.append((x, y, technique))
            merged_outputs.add(y)
            first, last = scopes[op]
            extra.append(BufferLifetime(f"{technique} temporary of op {op}", align(temporary), first, last,
                                        model.main.index, operator=op))
    merged = merged_buffers(buffers, sorted(pairs, key=lambda p: _producer(model, p[1])), model.main.index) + extra
    offsets, _ = _best_offsets(merged, tflm_greedy_offsets(merged))
    return arena_size(merged, offsets), live_set_lower_bound(merged)


def _producer(model, tensor: int) -> int:
    return next(op.index for op in model.main.operators if tensor in op.outputs)


def report(path: Path) -> list[tuple]:
    lowered = lower(path.read_bytes())
    built = layout(lowered, "best")
    scratch = [(0, layer.index, layer.scratch_bytes) for layer in lowered.layers if layer.scratch_bytes]
    rows = [(path.stem, "microinfer build today (best)", built.bytes, built.plan.lower_bound_bytes)]
    steps = (("depthwise",), ("depthwise", "pointwise"), ("depthwise", "pointwise", "line"))
    names = ("+ in-place depthwise", "+ per-pixel pointwise", "+ line-buffered kxk conv")
    for techniques, name in zip(steps, names):
        size, bound = planned_arena(lowered.simplified, scratch, techniques)
        rows.append((path.stem, name, size, bound))
    return rows


def main(argv: list[str]) -> int:
    names = argv or DEFAULT_MODELS
    print(f"{'model':<24} {'plan':<32} {'arena B':>9} {'bound B':>9}")
    for name in names:
        path = Path(name) if name.endswith(".tflite") else SHARED_MODELS / f"{name}.tflite"
        if not path.is_file():
            print(f"{name}: not found")
            continue
        for model, plan, size, bound in report(path):
            print(f"{model:<24} {plan:<32} {size:>9,} {bound:>9,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
