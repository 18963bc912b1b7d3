"""The loop model of `microinfer fit`: CMSIS-NN's functions from trip counts x instructions per loop
unit (fitted to measured counts, checked on held-out models), measured and emulated counts used and
marked per layer, microinfer's own kernels, Helium's beats, and the RISC-V cores."""

from __future__ import annotations

import csv
import importlib.util
import json
import shutil
import statistics
import sys

import numpy as np

import pytest

from conftest import REPO, SHARED_MODELS, shared_model_path
from microinfer import load
from microinfer.build.lower import BuildRefusedError
from microinfer.cli import main
from microinfer.cost import estimate
from microinfer.cost.loops import OP_OVERHEAD
from microinfer.cost.trips import cmsis_nn_work
from microinfer.errors import UnsupportedTargetError
from microinfer.examples import EXAMPLES
from microinfer.targets import load_core
from microinfer.testing import build

ANCHORS = SHARED_MODELS.parent / "anchors" / "cmsis_nn_instructions.csv"
CORES = {"cortex-m0plus": "scalar", "cortex-m4f": "dsp", "cortex-m55": "mve"}


def _anchor_rows():
    if not ANCHORS.is_file():
        pytest.skip(f"{ANCHORS} not found (set MICROINFER_SHARED_MODELS)")
    with open(ANCHORS, newline="") as f:
        return list(csv.DictReader(f))


def _fit_script():
    spec = importlib.util.spec_from_file_location("fit_cmsis_nn_loops", REPO / "benchmarks" / "fit_cmsis_nn_loops.py")
    sys.path.insert(0, str(REPO / "benchmarks"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.ANCHORS = ANCHORS
    return module


def test_trip_model_names_the_function_cmsis_nn_ran():
    """Every anchor layer: the dispatch of cost.trips is the one CMSIS-NN's wrappers made."""
    models = {}
    for row in _anchor_rows():
        model = models.get(row["model"]) or models.setdefault(row["model"], load(shared_model_path(row["model"])))
        work = cmsis_nn_work(model.main, model.main.operators[int(row["layer"])], CORES[row["core"]])
        assert work.function == row["cmsis_nn_function"], row


def test_held_out_layers_within_the_acceptance_bounds():
    """Each model's layers predicted by loop constants fitted on the other three models only: per core,
    median |error| at most 10% and at least 90% of layers within 25%; totals within 15%."""
    script = _fit_script()
    rows = script.anchor_rows(SHARED_MODELS)
    pairs = script.held_out(rows)
    for core in CORES:
        these = [(r, p) for r, p in pairs if r["core"] == core]
        errors = [abs(p / r["measured"] - 1) for r, p in these]
        assert statistics.median(errors) <= 0.10, core
        assert sum(e <= 0.25 for e in errors) >= 0.9 * len(errors), core
        total = sum(p for _, p in these) / sum(r["measured"] for r, _ in these)
        assert abs(total - 1) <= 0.15, (core, total)


def test_loop_constants_file_is_what_the_script_writes():
    script = _fit_script()
    rows = script.anchor_rows(SHARED_MODELS)
    assert (REPO / "targets" / "loops" / "cmsis-nn.toml").read_text() == script.toml_text(rows)


def test_measured_layers_use_the_measured_count_and_say_so():
    rows = [r for r in _anchor_rows() if r["model"] == "kws_ref_model.tflite" and r["core"] == "cortex-m4f"]
    result = estimate(shared_model_path("kws_ref_model.tflite"), core="cortex-m4f", kernels="cmsis-nn")
    for row in rows:
        layer = result.layers[int(row["layer"])]
        assert layer.source == "measured" and layer.kernel == row["cmsis_nn_function"]
        assert layer.cost.instructions == pytest.approx(int(row["instructions"]) + OP_OVERHEAD.instructions)
    reshape = result.layers[10]
    assert reshape.op == "RESHAPE" and reshape.source == "loop model"
    assert {layer["source"] for layer in result.to_dict()["layers"]} == {"measured", "loop model"}


def test_layers_outside_the_anchor_file_are_priced_by_the_calibrated_loops():
    for name in ("CONV_2D/int8/per_channel", "DEPTHWISE_CONV_2D/int8/multiplier1", "AVERAGE_POOL_2D/int8"):
        for core in CORES:
            (layer,) = estimate(build(name), core=core, kernels="cmsis-nn").layers
            assert layer.source == "calibrated" and layer.kernel.startswith("arm_"), (name, core)
    # person_detect is VWW's network on one input channel: past its first layers, VWW's measured counts
    result = estimate(EXAMPLES["person-detect"](), core="cortex-m55", kernels="cmsis-nn")
    assert {layer.source for layer in result.layers[1:] if layer.op == "DEPTHWISE_CONV_2D"} == {"measured"}


def test_generic_loop_is_marked(capsys):
    model = build("GATHER/int8")
    result = estimate(model, core="cortex-m4f")
    assert [layer.source for layer in result.layers] == ["generic"]


def test_table_and_csv_carry_the_source(tmp_path, capsys):
    path = tmp_path / "m.tflite"
    path.write_bytes(EXAMPLES["magic-wand"]())
    assert main(["fit", str(path), "--core", "cortex-m4f", "--csv", str(tmp_path / "l.csv")]) == 0
    out = capsys.readouterr().out
    assert "instr. from" in out and "calibrated" in out and "instructions from:" in out
    header = (tmp_path / "l.csv").read_text().splitlines()[0]
    assert header.endswith("source,kernel")


def test_helium_cycles_follow_beats_and_overlap():
    """4 beats at 2 per cycle: a vector MAC takes 2 cycles, a load overlapping it by 2 beats 1."""
    for name in ("cortex-m55", "cortex-m85"):
        cycles = load_core(name).cycles
        assert (cycles["vector_mac"], cycles["vector_alu"], cycles["vector_load"]) == (2.0, 2.0, 1.0)


def test_microinfer_kernels_on_every_path():
    model = EXAMPLES["person-detect"]()
    for core in ("cortex-m0plus", "cortex-m4f", "cortex-m55", "esp32c3"):
        result = estimate(model, core=core, kernels="microinfer")
        assert result.kernel_path == load_core(core).kernel_path("microinfer")
        assert {layer.source for layer in result.layers if layer.op == "CONV_2D"} == {"calibrated"}


def test_emulated_counts_replace_the_loop_model_on_the_same_path():
    model = build("FULLY_CONNECTED/int8/per_tensor")
    emulated = {"core": "rv32imc", "isa_path": "rv32",
                "layers": [{"index": 0, "covered": True, "bit_exact": True, "instructions": 12345}]}
    result = estimate(model, "esp32-c3-devkitm-1", kernels="microinfer", emulated=emulated)
    (layer,) = result.layers
    # the generated library calls the kernel directly: no interpreter step on top of the kernel's count
    assert layer.source == "emulated" and layer.cost.instructions == pytest.approx(12345)
    with pytest.raises(UnsupportedTargetError, match="rv32"):
        estimate(model, "nucleo-l4r5zi", kernels="microinfer", emulated=emulated)


@pytest.mark.parametrize("board", ["esp32-c3-devkitm-1", "esp32-c6-devkitc-1", "seeed-xiao-esp32c3"])
def test_riscv_boards_price_every_shared_model(board, shared_model):
    model = load(shared_model)
    for kernels in ("esp-nn", "tflm-reference", "microinfer"):
        try:
            result = estimate(model, board, kernels=kernels)
        except BuildRefusedError:  # microinfer's library exists only where microinfer build generates it
            assert kernels == "microinfer"
            continue
        assert result.board.core.architecture.startswith("rv32")
        assert result.cycles > 0 and result.ram.total > 0 and result.flash.total > 0


def test_fit_cli_on_an_esp32_c3(tmp_path, capsys):
    path = tmp_path / "m.tflite"
    path.write_bytes(EXAMPLES["magic-wand"]())
    assert main(["fit", str(path), "--board", "esp32-c3-devkitm-1", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["core"] == "esp32c3" and d["kernels"] == "esp-nn" and all("source" in layer for layer in d["layers"])


_MISSING_RISCV = [t for t in ("riscv64-unknown-elf-gcc", "qemu-system-riscv32") if shutil.which(t) is None]
_MISSING_ARM = [t for t in ("arm-none-eabi-gcc", "qemu-system-arm") if shutil.which(t) is None]


def _reference_loops_script():
    spec = importlib.util.spec_from_file_location("count_reference_loops",
                                                  REPO / "benchmarks" / "count_reference_loops.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("core", [
    pytest.param("rv32imc", marks=pytest.mark.skipif(bool(_MISSING_RISCV), reason=f"needs {_MISSING_RISCV}")),
    pytest.param("cortex-m4f", marks=pytest.mark.skipif(bool(_MISSING_ARM), reason=f"needs {_MISSING_ARM}"))])
@pytest.mark.parametrize("layer", [("conv", (7, 7, 40), (1, 1), 10, 1, 0), ("conv", (8, 8, 6), (3, 3), 5, 2, 0),
                                   ("conv", (8, 8, 6), (3, 3), 5, 2, 1), ("depthwise", (9, 9, 20), (3, 3), 2, 1, 0),
                                   ("depthwise", (10, 10, 24), (3, 3), 1, 1, 1),
                                   ("average_pool", (9, 9, 10), (3, 3), 0, 2, 1),
                                   ("max_pool", (6, 6, 32), (2, 2), 0, 2, 0),
                                   ("fully_connected", (2, 1, 120), (1, 1), 12, 1, 0)])
def test_reference_loops_match_the_emulated_count_of_their_loop_nests(layer, core):
    """TFLite Micro's reference convolutions, pools and fully connected layers with their DCHECKs live
    (the default build): the loop table of ``core`` against the instructions QEMU counts for a model of
    the same loop nests, on layers the table was not fitted on (the padded ones skip the MACs of taps
    outside the image)."""
    from microinfer.cost.loops import LIBRARIES
    from microinfer.emulate.machine import core_named, run_layer

    script = _reference_loops_script()
    script.ARCH = "riscv" if core.startswith("rv") else "arm"
    program, units = script.layer_program(*layer, ndebug=False, rng=np.random.default_rng(3))
    emulated = run_layer(program, core_named(core)).instructions
    kernel = LIBRARIES["tflm-reference", core][script._loop_kind(layer[0])]
    modelled = sum(kernel.drivers[unit].instructions * count for unit, count in units.items()
                   if unit in kernel.drivers)
    assert modelled == pytest.approx(emulated, rel=0.05)


@pytest.mark.skipif(bool(_MISSING_RISCV), reason=f"needs {', '.join(_MISSING_RISCV)}")
def test_reference_convolution_checks_are_most_of_its_instructions():
    """Compiled with NDEBUG (TFLITE_DCHECKs out), a 1x1 reference convolution runs under a third of the
    instructions of the default build: what the loop model prices is the checked build."""
    from microinfer.emulate.machine import core_named, run_layer

    script = _reference_loops_script()
    layer = ("conv", (7, 7, 40), (1, 1), 10, 1, 0)
    counts = [run_layer(script.layer_program(*layer, ndebug=ndebug, rng=np.random.default_rng(3))[0],
                        core_named("rv32imc")).instructions for ndebug in (False, True)]
    assert counts[1] < counts[0] / 3


def test_reference_convolutions_say_their_loops_are_calibrated():
    """The reference convolutions' and pools' mixes are fitted to emulated counts; the other reference
    kernels' loops are read from the source, and the per-layer table says which is which."""
    result = estimate(EXAMPLES["person-detect"](), board="esp32-c3-devkitm-1", kernels="tflm-reference")
    sources = {layer.op: layer.source for layer in result.layers}
    assert sources["CONV_2D"] == sources["DEPTHWISE_CONV_2D"] == sources["AVERAGE_POOL_2D"] == "calibrated"
    assert sources["SOFTMAX"] == sources["RESHAPE"] == "loop model"
