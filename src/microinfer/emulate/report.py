"""Text rendering of an :class:`EmulationResult` (the CLI prints it; JSON is ``to_dict``)."""

from __future__ import annotations

from ..render import table, thousands
from .run import EmulationResult


def format_emulation(name: str, result: EmulationResult) -> str:
    rows = []
    for layer in result.layers:
        if layer.covered:
            per_mac = f"{layer.instructions_per_mac:.2f}" if layer.instructions_per_mac else "-"
            rows.append((layer.index, layer.op, layer.kernel, thousands(layer.macs), thousands(layer.instructions),
                         per_mac, thousands(layer.estimated_cycles),
                         "yes" if layer.bit_exact else (f"NO ({thousands(layer.mismatches)} differ)"
                                                         if not layer.reason else f"NO: {layer.reason}")))
        else:
            rows.append((layer.index, layer.op, f"- ({layer.reason})", thousands(layer.macs), "-", "-", "-", "-"))
    covered = result.covered
    macs = sum(layer.macs for layer in covered)
    per_mac = f"{result.instructions / macs:.2f}" if macs else "-"
    exact = sum(layer.bit_exact for layer in covered)
    return "\n".join([
        f"{name} on an emulated {result.core} (QEMU {result.machine}, {result.isa_path} kernels): "
        f"{len(covered)} of {len(result.layers)} layers run in C",
        "",
        table(("#", "op", "C kernel", "MACs", "instructions", "instr/MAC", "est. cycles", "bit-exact"), rows,
              right=(0, 3, 4, 5, 6)),
        "",
        f"instructions (counted): {thousands(result.instructions)} over {thousands(macs)} MACs, {per_mac} per MAC",
        f"cycles (est., from the executed instruction mix and the {result.core} timing table, "
        f"zero wait states): {thousands(result.estimated_cycles)}",
        f"outputs bit-identical to the NumPy kernels: {exact} of {len(covered)} layers",
    ])
