"""``microinfer build`` as text for people (``BuildResult.to_dict`` is the JSON)."""

from __future__ import annotations

from ..render import table, thousands


def _b(value) -> str:
    return "-" if value is None else f"{thousands(value)} B"


def format_build(result) -> str:
    s = result.size
    lines = [f"{result.model} -> {result.folder}/ (src/{result.name}.h, src/{result.name}.c), "
             f"planner {result.planner}, measured on {result.core}", ""]
    ratio = "" if result.ram_ratio is None else f"   ({result.ram_ratio:.2f}x TFLite Micro's arena)"
    rows = [("RAM", _b(result.ram_bytes) + ratio)]
    if s is not None:
        rows += [("  arena (.bss)", _b(result.arena_bytes)),
                 ("  other .data + .bss", _b(s.data + s.bss - result.arena_bytes)),
                 ("  peak stack of an invoke", _b(s.stack) if s.stack is not None else "not measured on the host")]
        rows += [("flash", f"{_b(s.flash)}   (model {_b(s.model_flash)}, kernels {_b(s.kernel_flash)})")]
    else:
        rows += [("  arena", _b(result.arena_bytes))]
    if result.tflm_arena_bytes:
        rows.append(("TFLite Micro's arena", f"{_b(result.tflm_arena_bytes)}   (head {_b(result.tflm_head_bytes)} + "
                                             f"tail {_b(result.tflm_tail_bytes)}; {result.tflm_target})"))
    if result.instructions is not None:
        rows.append(("instructions", f"{thousands(result.instructions)} per inference (emulated {result.core})"))
    if result.verified:
        if result.bit_exact:
            rows.append(("verified", f"bit-identical to microinfer's interpreter on {result.verified_inputs} input sets"))
        else:
            rows.append(("verified", f"DIFFERENT from microinfer's interpreter ({len(result.measurement.mismatches)} "
                                     f"outputs differ)"))
    width = max(len(r[0]) for r in rows)
    lines += [f"{label.ljust(width)}  {value}" for label, value in rows]
    counted = {layer.index: layer.instructions for layer in result.layer_instructions()}
    if counted:
        lines += ["", table(("#", "op", "kernels", "instructions"),
                            [(index, op, "+".join(functions) or "alias copy", thousands(counted[index])
                              if index in counted else "-") for index, op, functions in result.operators])]
    warnings = result.measurement.warnings if result.measurement else []
    if warnings:
        lines += ["", f"compiler warnings ({len(warnings)}):", *[f"  {w}" for w in warnings[:20]]]
    if result.measurement and result.measurement.mismatches:
        lines += ["", "differences:", *[f"  {m}" for m in result.measurement.mismatches[:20]]]
    for note in result.notes:
        lines.append(f"note: {note}")
    return "\n".join(lines)
