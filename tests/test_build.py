"""``microinfer build``: the generated C library, compiled for the host and the emulated cores, gives
the interpreter's bits; its RAM beats TFLite Micro's arena; the folder builds with CMake and Make.

Truth: microinfer's interpreter (the NumPy kernels) for every output bit; TFLite Micro's arena as
``microinfer plan --abi arm32 --kernels cmsis-nn`` gives it (the same core). CI keeps one shared
model per core (short); ``benchmarks/build_sweep.py`` builds every shared model on every core.
"""

from __future__ import annotations

import ctypes
import json
import shutil
import subprocess

import numpy as np
import pytest

from microinfer import cli
from microinfer.build import BuildRefusedError, build
from microinfer.build.emit import _Writer, struct_c_name
from microinfer.build.generate import generate_library
from microinfer.build.verify import expected_outputs, seeded_inputs, verify_host
from microinfer.c_backend import unavailable_reason
from microinfer.examples import EXAMPLES
from microinfer.planner import plan as plan_arena
from microinfer.tflite import ModelBuilder, load

from build_models import mixed_model
from conftest import shared_model_path

_C_REASON = unavailable_reason()
requires_c = pytest.mark.skipif(_C_REASON is not None, reason=f"C kernel library unavailable: {_C_REASON}")
requires_cc = pytest.mark.skipif(shutil.which("cc") is None and shutil.which("gcc") is None,
                                 reason="no host C compiler")
_MISSING = [t for t in ("arm-none-eabi-gcc", "qemu-system-arm") if shutil.which(t) is None]
requires_toolchain = pytest.mark.skipif(bool(_MISSING), reason=f"emulation needs {', '.join(_MISSING)}")
_MISSING_RISCV = [t for t in ("riscv64-unknown-elf-gcc", "qemu-system-riscv32") if shutil.which(t) is None]
requires_riscv = pytest.mark.skipif(bool(_MISSING_RISCV), reason=f"RISC-V emulation needs {', '.join(_MISSING_RISCV)}")
pytestmark = requires_c


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    path = tmp_path_factory.mktemp("models") / "mixed.tflite"
    path.write_bytes(mixed_model())
    return path


# -- the generated folder ---------------------------------------------------------------------------

@requires_cc
def test_host_library_is_bit_exact_without_warnings(mixed, tmp_path):
    result = build(mixed, tmp_path / "lib", verify=True, inputs=20)
    assert result.bit_exact and result.verified_inputs == 20
    assert result.measurement.warnings == []
    src = tmp_path / "lib" / "src"
    header = (src / "mixed.h").read_text()
    assert "int mixed_invoke(const float *input0, const int8_t *input1, int8_t *output0, float *output1)" in header
    assert "#define MIXED_INPUT1_ZERO_POINT -5" in header and "void mixed_reset(void);" in header
    source = (src / "mixed.c").read_text()
    assert "malloc" not in source and "static uint8_t mixed_arena[MIXED_ARENA_BYTES]" in source
    # only the kernels the model calls (and what they call)
    kernels = sorted(p.name for p in (src / "microinfer_nn").glob("*.c"))
    assert "mi_convolve_wrapper_s8.c" in kernels and "mi_lookup_s8.c" in kernels and "mi_copy_nd.c" in kernels
    assert not any("resize" in k or "batch_matmul" in k or "svdf" in k for k in kernels)
    for name in ("CMakeLists.txt", "Makefile", "library.properties", "README.md"):
        assert (tmp_path / "lib" / name).is_file()
    readme = (tmp_path / "lib" / "README.md").read_text()
    assert "flash total" in readme and "bit-identical" in readme
    # the constant TRANSPOSE ran at generation time, the RESHAPE is an alias
    ops = result.all_operators
    assert [ops[i] for i in result.folded] == ["TRANSPOSE"] and [ops[i] for i in result.aliased] == ["RESHAPE"]


@requires_cc
def test_host_library_is_clean_under_sanitizers(mixed, tmp_path):
    generated = generate_library(mixed, tmp_path / "lib")
    inputs = seeded_inputs(generated.lowered.model, 5, seed=3)
    result = verify_host(generated, inputs, expected_outputs(generated.lowered.model, inputs), sanitize=True)
    assert result.bit_exact and result.sanitized and result.warnings == []


@requires_cc
def test_any_difference_is_reported(mixed, tmp_path):
    generated = generate_library(mixed, tmp_path / "lib")
    inputs = seeded_inputs(generated.lowered.model, 2)
    expected = expected_outputs(generated.lowered.model, inputs)
    expected[1][0] = expected[1][0].copy()
    expected[1][0].reshape(-1)[3] ^= 1
    result = verify_host(generated, inputs, expected)
    assert not result.bit_exact
    assert result.mismatches == [result.mismatches[0]] and result.mismatches[0].startswith("input set 1, output 0")


@requires_cc
def test_cli_json_and_exit_code(mixed, tmp_path, capsys, monkeypatch):
    assert cli.main(["build", str(mixed), "-o", str(tmp_path / "a"), "--verify", "--inputs", "3", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    for key in ("model", "core", "planner", "bit_exact", "verified_inputs", "instructions", "layers", "flash_bytes",
                "ram_bytes", "arena_bytes", "stack_bytes", "tflm_arena_bytes"):
        assert key in report
    assert report["bit_exact"] is True and report["verified_inputs"] == 3 and report["planner"] == "best"
    assert {layer["op"] for layer in report["layers"]} >= {"CONV_2D", "RESHAPE", "TRANSPOSE", "SOFTMAX"}

    import microinfer.build as build_module

    real = build_module.expected_outputs

    def off_by_one(model, inputs, reference="tflm"):
        outputs = real(model, inputs, reference)
        outputs[0][0] = outputs[0][0] + np.int8(1)
        return outputs

    monkeypatch.setattr(build_module, "expected_outputs", off_by_one)
    assert cli.main(["build", str(mixed), "-o", str(tmp_path / "b"), "--verify", "--inputs", "2"]) == 1
    assert "DIFFERENT" in capsys.readouterr().out


def test_refuses_with_every_operator_lacking_a_c_kernel(tmp_path, capsys):
    builder = ModelBuilder()
    g = builder.main
    x = g.add_input("x", (1, 8), "float32")
    w = g.add_constant("w", np.ones((4, 8), np.float32))
    h = g.add_tensor("h", (1, 4), "float32")
    g.add_operator("FULLY_CONNECTED", [x, w, -1], [h])
    y = g.add_output("y", (1, 4), "float32")
    g.add_operator("LOGISTIC", [h], [y])
    path = tmp_path / "float.tflite"
    path.write_bytes(builder.build())
    with pytest.raises(BuildRefusedError) as refused:
        build(path, tmp_path / "out", measure=False)
    assert len(refused.value.problems) == 2
    assert refused.value.problems[0].startswith("operator 0 FULLY_CONNECTED")
    assert refused.value.problems[1].startswith("operator 1 LOGISTIC")
    assert cli.main(["build", str(path), "-o", str(tmp_path / "out")]) == 2
    assert "operator 1 LOGISTIC (float32)" in capsys.readouterr().err


@requires_cc
def test_model_output_behind_a_reshape_and_stateful_model(tmp_path):
    """A RESHAPE that produces a model output stays (aliased by the plan: no copy); SVDF state
    persists across invokes and starts over after reset, as in the interpreter."""
    path = shared_model_path("keyword_scrambled.tflite")
    result = build(path, tmp_path / "kws", verify=True, inputs=6)
    assert result.bit_exact and result.state_bytes > 0
    source = (tmp_path / "kws" / "src" / "keyword_scrambled.c").read_text()
    assert "keyword_scrambled_reset();" in source and "mi_svdf_s8(" in source

    builder = ModelBuilder()
    g = builder.main
    x = g.add_input("x", (1, 2, 3), "int8", scale=0.1, zero_point=1)
    h = g.add_tensor("h", (1, 2, 3), "int8", scale=1 / 256, zero_point=-128)
    g.add_operator("LOGISTIC", [x], [h], version=2)
    y = g.add_output("y", (1, 6), "int8", scale=1 / 256, zero_point=-128)
    g.add_operator("RESHAPE", [h], [y])
    model = tmp_path / "reshape_out.tflite"
    model.write_bytes(builder.build())
    result = build(model, tmp_path / "r", verify=True, inputs=4)
    assert result.bit_exact and result.aliased == []
    assert "memmove" not in (tmp_path / "r" / "src" / "reshape_out.c").read_text()  # the plan aliased it


@requires_cc
def test_folder_builds_with_make_and_cmake(mixed, tmp_path):
    build(mixed, tmp_path / "lib", measure=False)
    done = subprocess.run(["make", "-C", str(tmp_path / "lib")], capture_output=True, text=True)
    assert done.returncode == 0 and "warning" not in done.stderr, done.stderr
    assert (tmp_path / "lib" / "libmixed.a").is_file()
    if shutil.which("cmake") is None:
        pytest.skip("cmake not installed")
    out = tmp_path / "cmake"
    for command in (["cmake", "-S", str(tmp_path / "lib"), "-B", str(out)], ["cmake", "--build", str(out)]):
        done = subprocess.run(command, capture_output=True, text=True)
        assert done.returncode == 0 and "warning" not in done.stdout.lower(), done.stdout + done.stderr


def test_struct_initialisers_come_from_the_ctypes_mirrors():
    """A parameter struct is written from its ctypes fields, whatever they are: a kernel whose
    struct gains a field needs no change in the generator."""

    class Inner(ctypes.Structure):
        _fields_ = [("a", ctypes.c_int32), ("b", ctypes.c_int32)]

    class FancyNewParams(ctypes.Structure):
        _fields_ = [("count", ctypes.c_int32), ("inner", Inner), ("row", ctypes.c_int32 * 3),
                    ("scale", ctypes.c_float), ("wide", ctypes.c_int64), ("table", ctypes.c_void_p)]

    writer = _Writer.__new__(_Writer)
    writer.address = lambda value: "0" if not value else "(void *)TABLE"
    text = writer.initializer(FancyNewParams(7, Inner(-1, 2), (ctypes.c_int32 * 3)(4, 5, 6), 0.375, -(1 << 63), 8))
    assert text == ("{.count = 7, .inner = {.a = -1, .b = 2}, .row = {4, 5, 6}, .scale = 0x1.8000000000000p-2f, "
                    ".wide = INT64_MIN, .table = (void *)TABLE}")
    assert struct_c_name(FancyNewParams) == "mi_fancy_new_params"


# -- emulated cores (CI: one shared model per core, 20 inputs) ----------------------------------------

@requires_toolchain
@pytest.mark.parametrize("core,model,ratio", [
    ("cortex-m0plus", "ad01_int8.tflite", 0.75),
    ("cortex-m4f", "kws_ref_model.tflite", 0.95),
    ("cortex-m55", "pretrainedResnet_quant.tflite", 0.95),
])
def test_emulated_core_is_bit_exact_and_smaller_than_tflm(core, model, ratio, tmp_path):
    result = build(shared_model_path(model), tmp_path / "lib", core=core, verify=True, inputs=20)
    assert result.bit_exact and result.verified_inputs == 20
    assert result.measurement.warnings == []
    size = result.size
    assert size.stack and 0 < size.stack < 4096 and size.bss >= result.arena_bytes
    assert result.ram_bytes == size.data + size.bss + size.stack
    assert result.ram_bytes <= ratio * result.tflm_arena_bytes, (result.ram_bytes, result.tflm_arena_bytes)
    assert size.model_flash > result.constant_bytes * 0.9 and size.kernel_flash > 0
    # per-layer counts add up to the whole invoke (the glue between layers aside)
    layers = result.layer_instructions()
    assert len(layers) == len(result.operators)
    assert abs(sum(layer.instructions for layer in layers) - result.instructions) < 0.01 * result.instructions


@requires_riscv
def test_rv32imc_library_is_bit_exact_against_a_32_bit_tflm_arena(tmp_path):
    """The same generated library on a RISC-V core: its own startup, semihosting and minstret; the
    small-data sections stay below the painted stack."""
    path = shared_model_path("hello_world_int8.tflite")
    result = build(path, tmp_path / "lib", core="rv32imc", verify=True, inputs=5)
    assert result.bit_exact and result.verified_inputs == 5
    assert result.measurement.warnings == []
    assert result.size.stack and 0 < result.size.stack < 4096
    # TFLite Micro's plan with 32-bit pointers (ILP32, as arm32) and its reference kernels
    assert result.tflm_arena_bytes == plan_arena(load(path), "tflm", abi="arm32").total_bytes
    assert result.ram_bytes <= 0.75 * result.tflm_arena_bytes, (result.ram_bytes, result.tflm_arena_bytes)
    layers = result.layer_instructions()
    assert abs(sum(layer.instructions for layer in layers) - result.instructions) < 0.01 * result.instructions


@requires_toolchain
def test_person_detect_ram_is_under_three_quarters_of_tflm(tmp_path):
    path = tmp_path / "person_detect.tflite"
    path.write_bytes(EXAMPLES["person-detect"](seed=0))
    result = build(path, tmp_path / "lib", core="cortex-m4f", verify=True, inputs=2, layers=False)
    assert result.bit_exact
    assert result.ram_bytes <= 0.75 * result.tflm_arena_bytes, (result.ram_bytes, result.tflm_arena_bytes)


@requires_toolchain
def test_fit_prices_and_measures_microinfer_kernels(capsys):
    path = shared_model_path("ad01_int8.tflite")
    assert cli.main(["fit", str(path), "--core", "cortex-m0plus", "--kernels", "microinfer", "--json"]) == 0
    estimated = json.loads(capsys.readouterr().out)
    assert estimated["kernels"] == "microinfer" and estimated["estimate"] is True and estimated["planner"] == "best"
    assert cli.main(["fit", str(path), "--board", "raspberry-pi-pico", "--kernels", "microinfer", "--measure",
                     "--json"]) == 0
    measured = json.loads(capsys.readouterr().out)
    assert set(measured["measured"]) == {"arena", "ram", "flash", "instructions"}
    assert measured["arena_bytes"] == estimated["arena_bytes"]
    # the loop model of microinfer's kernels is within 15% of the measured count
    assert abs(estimated["instructions"] / measured["instructions"] - 1) < 0.15
    assert cli.main(["fit", str(path), "--core", "cortex-m4f", "--measure"]) == 2


@requires_cc
def test_output_computed_at_generation_time_is_read_from_flash(tmp_path):
    builder = ModelBuilder()
    g = builder.main
    x = g.add_input("x", (1, 4), "int8", scale=0.1, zero_point=0)
    y = g.add_output("y", (1, 4), "int8", scale=1 / 256, zero_point=-128)
    g.add_operator("LOGISTIC", [x], [y], version=2)
    c = g.add_constant("c", np.arange(6, dtype=np.int8).reshape(2, 3), "int8", scale=0.1, zero_point=0)
    perm = g.add_constant("perm", np.array([1, 0], np.int32))
    z = g.add_output("z", (3, 2), "int8", scale=0.1, zero_point=0)
    g.add_operator("TRANSPOSE", [c, perm], [z], version=2)
    path = tmp_path / "constant_output.tflite"
    path.write_bytes(builder.build())
    result = build(path, tmp_path / "lib", verify=True, inputs=3)
    assert result.bit_exact and result.folded == [1]
