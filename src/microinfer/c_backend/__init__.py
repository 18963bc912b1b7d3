"""The C backend: the kernels of kernels_c/, called through ctypes for the ops they cover.

``Interpreter(model, backend="c")`` swaps each covered node's NumPy kernel for its C kernel
(prepared from the NumPy kernel's own prepare data, so both use the same constants); other ops,
and nodes a C kernel cannot take (the reason is kept in ``Interpreter.op_backends``), run in NumPy.
"""

from __future__ import annotations

from .binding import C_KERNELS, CCall, CKernel, Fallback
from .chain import CallChain
from .loader import ENV_VAR, KernelLibraryError, available, library_path, load_library, unavailable_reason

__all__ = ["C_KERNELS", "CCall", "CallChain", "CKernel", "ENV_VAR", "Fallback", "KernelLibraryError", "available",
           "library_path", "load_library", "unavailable_reason", "CStep", "c_steps", "prepare_call"]


class CStep:
    """Stands in for a NumPy kernel in the interpreter's step list: eval runs the prepared C call."""

    def __init__(self, call: CCall):
        self.call = call

    def used_inputs(self, node) -> tuple:
        """The node's inputs the C call reads at run time (constants were converted in prepare)."""
        return tuple(t if i in self.call.input_positions else None for i, t in enumerate(node.inputs)
                     if i <= max(self.call.input_positions))

    def eval(self, data: CCall, inputs):
        return data.eval(inputs)


def prepare_call(lib, node, data) -> CCall | str:
    """The C call for ``node``, prepared against ``lib`` from its NumPy kernel's prepare()
    ``data``; or, when no C kernel takes the node, why not."""
    from . import ops  # noqa: F401  (registers the C kernels)

    c_kernel = C_KERNELS.get(node.op.op)
    if c_kernel is None:
        return "no C kernel"
    try:
        return c_kernel(lib).prepare(node, data)
    except Fallback as reason:
        return str(reason)


def c_steps(steps, prepared) -> tuple[list, list, list[str]]:
    """Replace each (kernel, node) whose op has a C kernel that takes the node; returns the new
    steps and prepared data, and for each node "c" or "numpy: <why>"."""
    lib = load_library()
    new_steps, new_prepared, backends = [], [], []
    for (kernel, node), data in zip(steps, prepared):
        call = prepare_call(lib, node, data)
        if isinstance(call, str):
            new_steps.append((kernel, node))
            new_prepared.append(data)
            backends.append(f"numpy: {call}")
            continue
        new_steps.append((CStep(call), node))
        new_prepared.append(call)
        backends.append("c")
    return new_steps, new_prepared, backends
