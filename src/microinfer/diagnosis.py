"""What microinfer says about an operator it has no kernel for: whose it is and what to do.

A refusal that only says "no kernel for XC_conv2d_v2" leaves a user guessing; these sentences
name the vendor or the reason and the way out. They serve :class:`~microinfer.UnsupportedOpError`,
``microinfer info`` and ``microinfer fit``.
"""

from __future__ import annotations

from .tflite.model import Operator, Subgraph

ETHOS_U = "ethos-u"


def no_kernel_reason(sg: Subgraph, op: Operator) -> str:
    """One sentence on why microinfer cannot run ``op``, for which it has no kernel."""
    name = op.op
    if name == ETHOS_U:
        return (f"an Arm Ethos-U NPU command stream ({_constant_bytes(sg, op, 0):,} B, compiled by "
                f"Vela): it runs on the NPU, which microinfer does not emulate; give microinfer the "
                f"model as it was before Vela compiled it")
    if name.startswith("XC_"):
        return ("an XMOS xcore custom operator (from xmos-ai-tools' xformer): it runs only with "
                "XMOS's own TFLite Micro kernels on xcore; give microinfer the model as it was "
                "before xformer optimised it")
    if name.startswith("BUILTIN_"):
        return (f"builtin operator code {name.removeprefix('BUILTIN_')} is newer than the TFLite "
                f"schema microinfer knows")
    if op.opcode.custom_code is not None:
        return (f"the custom operator {name!r} is not part of TFLite: TFLite Micro runs it only "
                f"when the application registers a kernel for it, and microinfer has none")
    return f"microinfer has no kernel for {name}"


def _constant_bytes(sg: Subgraph, op: Operator, position: int) -> int:
    if position >= len(op.inputs) or op.inputs[position] < 0:
        return 0
    return sg.tensors[op.inputs[position]].nbytes


def no_kernel_notes(sg: Subgraph, operators: list[Operator]) -> list[str]:
    """One line per family of ``operators`` (all without a kernel): the operators by name and
    index, then why microinfer cannot run them."""
    families: dict[str, list[Operator]] = {}
    for op in operators:
        families.setdefault(_family(op), []).append(op)
    lines = []
    for ops in families.values():
        names = ", ".join(dict.fromkeys(op.op for op in ops))
        where = ", ".join(str(op.index) for op in ops[:8]) + (", ..." if len(ops) > 8 else "")
        label = "operator" if len(ops) == 1 else "operators"
        reason = no_kernel_reason(sg, ops[0])
        if ops[0].op == ETHOS_U and len(ops) > 1:
            total = sum(_constant_bytes(sg, op, 0) for op in ops)
            reason = reason.replace(f"({_constant_bytes(sg, ops[0], 0):,} B,", f"({total:,} B in all,")
        lines.append(f"{names} ({label} {where}): {reason}")
    return lines


def _family(op: Operator) -> str:
    return "XC_" if op.op.startswith("XC_") else op.op
