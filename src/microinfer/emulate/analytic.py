"""The analytic instruction count of microinfer's C kernels, layer by layer, to check against the
counts measured on the emulated cores.

The loop structure is code (how often each loop of a kernel runs, from the layer's shapes,
padding included: ``microinfer.cost.trips``, shared with the cost model of ``microinfer fit``); the
instructions per loop iteration are data, per ISA path, in ``targets/emulation/c_kernel_loops.toml``
(read from the kernels' traced runs by ``benchmarks/emulate_loop_constants.py``).
"""

from __future__ import annotations

from ..cost.trips import DEPTHWISE_3X3_BLOCK, FEW_INPUT_CHANNELS_1X1, LoopWork, microinfer_kind, microinfer_work
from ..errors import MicroinferError
from ..targets import read_toml
from ..tflite import Model
from ..tflite.model import Operator, Subgraph
from .machine import core_named, emulation_dir

__all__ = ["DEPTHWISE_3X3_BLOCK", "FEW_INPUT_CHANNELS_1X1", "LoopWork", "analytic_layer_instructions",
           "cost_model_instructions", "layer_kinds", "loop_constants", "loop_work"]


def loop_constants() -> dict[str, dict[str, dict[str, float]]]:
    """path -> kind -> {unit: instructions per unit, "lanes": ...}."""
    path = emulation_dir() / "c_kernel_loops.toml"
    table = read_toml(path)
    return {isa: {kind: {k: float(v) for k, v in entry.items() if not isinstance(v, str)}
                  for kind, entry in kinds.items()} for isa, kinds in table.items()}


def path_constants(isa_path: str) -> dict[str, dict[str, float]]:
    """One ISA path's loops; a path not calibrated yet gets the portable C loops' shapes (scalar) at
    zero cost, for the calibration to fill in."""
    constants = loop_constants()
    if isa_path in constants:
        return constants[isa_path]
    return {kind: {k: v for k, v in entry.items() if k in ("lanes", "mac_per_iteration", "outputs_per_iteration")}
            for kind, entry in constants["scalar"].items()}


def layer_kinds(model: Model) -> list[str]:
    sg = model.main
    return [_kind(sg, op) for op in sg.operators]


def analytic_layer_instructions(model: Model, core: str) -> list[float | None]:
    """Per operator: the instructions the loop model predicts on ``core`` (None: no C kernel modelled)."""
    constants = loop_constants()
    isa_path = core_named(core).isa_path
    if isa_path not in constants:
        raise MicroinferError(f"c_kernel_loops.toml has no [{isa_path}] loops")
    sg = model.main
    estimates = []
    for op in sg.operators:
        work = loop_work(sg, op, constants[isa_path])
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


def loop_work(sg: Subgraph, op: Operator, path_constants: dict) -> LoopWork | None:
    """How often each loop of microinfer's C kernel for ``op`` runs (microinfer.cost.trips: the same
    loop model ``microinfer fit --kernels microinfer`` prices)."""
    return microinfer_work(sg, op, path_constants)


_kind = microinfer_kind
