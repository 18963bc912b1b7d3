"""The analytic instruction count of microinfer's C kernels, layer by layer, to check against the
counts measured on the emulated cores.

The loop structure is code: how often each loop of a kernel runs (its trip count), from the
layer's shapes, padding included, following the kernel's own decisions (which pixels a depthwise
kernel takes four at a time, which im2col rows are one copy). It lives in ``microinfer.cost.trips``,
the one loop model ``microinfer fit --kernels microinfer`` prices too. The instructions per loop pass
are data, per ISA path, in ``targets/emulation/c_kernel_loops.toml`` (the non-negative least-squares
fit of counts measured on the emulated cores, by ``benchmarks/emulate_loop_constants.py``), with a few
shape keys saying how a path tiles its loops.
"""

from __future__ import annotations

from ..cost.trips import LoopWork, microinfer_kind, microinfer_work
from ..errors import MicroinferError
from ..targets import read_toml
from ..tflite import Model
from ..tflite.model import Operator, Subgraph
from .machine import core_named, emulation_dir

__all__ = ["LoopWork", "analytic_layer_instructions",
           "cost_model_instructions", "layer_kinds", "loop_constants", "loop_work"]


def loop_constants() -> dict[str, dict[str, dict[str, float]]]:
    """path -> kind -> {unit: instructions per unit, "lanes": ...}."""
    path = emulation_dir() / "c_kernel_loops.toml"
    table = read_toml(path)
    return {isa: {kind: {k: float(v) for k, v in entry.items() if not isinstance(v, str)}
                  for kind, entry in kinds.items()} for isa, kinds in table.items()}


def layer_kinds(model: Model) -> list[str]:
    sg = model.main
    return [microinfer_kind(sg, op) for op in sg.operators]


def analytic_layer_instructions(model: Model, core: str) -> list[float | None]:
    """Per operator: the instructions the loop model predicts on ``core`` (None: no C kernel modelled)."""
    constants = loop_constants()
    isa_path = core_named(core).isa_path
    if isa_path not in constants:
        raise MicroinferError(f"c_kernel_loops.toml has no [{isa_path}] loops")
    sg = model.main
    estimates = []
    for op in sg.operators:
        work = loop_work(sg, op, constants[isa_path], isa_path)
        if work is None:
            estimates.append(None)
            continue
        per_unit = constants[isa_path][work.function]
        estimates.append(sum(count * per_unit.get(unit, 0.0) for unit, count in work.units.items()))
    return estimates


def cost_model_instructions(model: Model, core: str) -> list[float | None]:
    """Per operator: the instructions microinfer's cost model (``microinfer.cost``) gives CMSIS-NN's
    kernel on ``core``'s ISA path, without TFLite Micro's per-operator interpreter overhead (the
    emulated layers run the kernel alone). None where the cost model has no calibrated CMSIS-NN loop
    (and on cores CMSIS-NN does not run on)."""
    from ..cost.layers import library_work

    isa_path = core_named(core).isa_path
    estimates = []
    for op in model.main.operators:
        found = library_work(model.main, op, "cmsis-nn", isa_path)
        estimates.append(None if found is None else
                         sum(n * found[1].get(u, 0.0) for u, n in found[0].units.items()))
    return estimates


def loop_work(sg: Subgraph, op: Operator, path_constants: dict, isa_path: str) -> LoopWork | None:
    """The trip count of every costed loop of the kernel ``op`` runs on ISA path ``isa_path``
    (microinfer.cost.trips: the same loop model ``microinfer fit --kernels microinfer`` prices)."""
    return microinfer_work(sg, op, path_constants, isa_path)

