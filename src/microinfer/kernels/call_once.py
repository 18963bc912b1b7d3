"""CALL_ONCE: run an init subgraph the first time the operator runs, and never again.

Converters use it to give resource variables their initial values. "Once" is once in the
interpreter's life: neither TFLite Micro's ``reset()`` nor LiteRT's ``reset_all_variables()``
makes it run again, and neither does :meth:`~microinfer.Interpreter.reset_variables`.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import _control_flow as cf
from .registry import Node, register


@dataclass(frozen=True)
class CallOnceData:
    init_subgraph: int
    state: cf.SubgraphCalls | None = None  # bound by the interpreter


def _closed_init(node: Node) -> bool:
    """The init subgraph has no inputs and no outputs"""
    subgraphs = cf.called(node)
    return subgraphs is None or (not subgraphs[0].inputs and not subgraphs[0].outputs)


@register("CALL_ONCE", versions=range(1, 2), types=("none",), inputs=0, outputs=0)
class CallOnce(cf.UsesInterpreterState):
    constraints = (
        cf.calls_existing_subgraphs,
        cf.no_recursion,
        _closed_init,
        cf.ONLY_CALLER,
    )

    def prepare(self, node: Node) -> CallOnceData:
        return CallOnceData(node.options.init_subgraph_index)

    def eval(self, data: CallOnceData, inputs):
        data.state.call_once(data.init_subgraph)
        return []
