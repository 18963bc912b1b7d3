"""The support table, generated from the kernel registry: ``python -m microinfer.support``.

The constraint docstrings that make up each row are the same sentences UnsupportedOpError shows.
"""

from __future__ import annotations

from .kernels import REGISTRY
from .kernels.registry import constraint_text

HEADER = """# Supported operators

Generated from microinfer's kernel registry by `python -m microinfer.support > SUPPORTED_OPS.md`;
a test checks that this file is current. Each constraint is also the message microinfer gives
when a model breaks it. Integer results are bit-identical to TFLite Micro (`reference="tflm"`)
and to LiteRT's reference kernels (`reference="tflite"`); float32 results agree with LiteRT to
within 1e-5 relative error.

| operator | versions | types | constraints |
|---|---|---|---|
"""


def supported_ops_markdown() -> str:
    rows = []
    for op in sorted(REGISTRY):
        kernel = REGISTRY[op]
        versions = f"{kernel.versions.start}-{kernel.versions.stop - 1}"
        lines = [kernel.arity_text(), *(constraint_text(c) for c in kernel.constraints)]
        constraints = "<br>".join(line for line in lines if line) or "-"
        rows.append(f"| {op} | {versions} | {', '.join(kernel.types)} | {constraints} |")
    return HEADER + "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(supported_ops_markdown(), end="")
