"""A model that is one chain of C calls runs as one loop of foreign calls.

When every operator is a one-input C call fed by the model's single input or by an earlier call's
output buffer (fixed addresses), the interpreter's per-operator bookkeeping is left out: the
addresses are known in advance, and a run is the model input's check plus one call per operator.
"""

from __future__ import annotations

import numpy as np

from .binding import CCall


class CallChain:
    def __init__(self, input_index: int, links: list, readers: list[CCall], outputs: dict[int, np.ndarray]):
        self.input_index = input_index
        self._links = links  # (invoke, source address or None for the model input, call)
        self._readers = readers  # the calls that read the model input
        self.outputs = outputs  # tensor index -> the call's output buffer

    @classmethod
    def of(cls, steps, prepared, order, input_indices) -> CallChain | None:
        """The chain for these interpreter steps, or None when the model is not one."""
        from . import CStep

        if len(input_indices) != 1:
            return None
        input_index = input_indices[0]
        produced: dict[int, int] = {}
        links, readers, outputs = [], [], {}
        for step in order:
            (kernel, node), call = steps[step], prepared[step]
            if not (isinstance(kernel, CStep) and type(call) is CCall and call.input_positions == (0,)
                    and len(node.outputs) == 1 and node.inputs and node.inputs[0] is not None):
                return None
            source = node.inputs[0].index
            if source == input_index:
                links.append((call.invoke, None, call))
                readers.append(call)
            elif source in produced:
                links.append((call.invoke, produced[source], call))
            else:
                return None
            produced[node.outputs[0].index] = call.output.ctypes.data
            outputs[node.outputs[0].index] = call.output
        return cls(input_index, links, readers, outputs)

    def run(self, x: np.ndarray) -> dict[int, np.ndarray]:
        """Every operator's output after running on model input ``x``, by tensor index."""
        for call in self._readers:
            call._check(x, call.input_dtypes[0], call.input_sizes[0])
        if not (x.flags.c_contiguous and x.flags.aligned):
            x = np.ascontiguousarray(x).copy()
        address = x.ctypes.data
        for invoke, source, call in self._links:
            status = invoke(address if source is None else source)
            if status:
                call._raise_on_error(status)
        return self.outputs
