"""The loops of each kernel library, as data: instructions per unit of work, by instruction class.

A kernel's cost is a sum over *drivers*, the units of work its loops repeat over:

    mac       one multiply-accumulate of the inner loop
    im2col    one element copied into the im2col/patch buffer
    output    one output element (bias, requantization, clamp, store)
    pixel     one output position (loop setup, pointer arithmetic)
    window    one input element visited by a pooling window
    element   one element of an elementwise operator
    byte      one byte moved by a data-movement operator
    op        one operator invocation (TFLite Micro's interpreter loop and the kernel's Eval setup)

The intrinsics CMSIS-NN and ESP-NN use to read packed data (``arm_nn_read_q7x4_ia`` and friends: a
memcpy and a pointer increment) compile to a load plus a separate ADD: the DSP mixes count one ALU
instruction per such load (an emulated Cortex-M4 runs a SXTB16/SMLAD int8 dot product in 13
instructions per 4 elements, not the 10 of the bare loop).

Each ``Mix`` lists how many instructions of each class one group of its loop executes and how many
units of work that group covers (``per``); the core's TOML turns classes into cycles. The counts
are read from each library's inner loops (CMSIS-NN ``Source/``, TFLite Micro
``kernels/internal/reference/integer_ops/``, ESP-NN ``src/``), not fitted per model: adjust them here
when an instruction count measured on a core says otherwise.

Memory traffic per MAC: ``weight_reads`` bytes of weights read per MAC (a kernel that produces two
output columns per pass over a filter row reads each weight once per two MACs: 0.5) and how many
times the input is re-read (``input_reads``: the im2col/window re-read factor is added by the layer
geometry).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

CLASSES = ("alu", "mul", "mac", "simd", "load", "load_seq", "store", "branch", "jump", "call",
           "vector_load", "vector_mac", "vector_alu")


@dataclass(frozen=True)
class Mix:
    """Instructions of each class executed by one group of a loop that covers ``per`` units."""

    per: float = 1.0
    alu: float = 0
    mul: float = 0
    mac: float = 0
    simd: float = 0
    load: float = 0
    load_seq: float = 0
    store: float = 0
    branch: float = 0  # a taken branch closing a loop pass (its back edge)
    jump: float = 0  # any other taken branch
    call: float = 0
    vector_load: float = 0
    vector_mac: float = 0
    vector_alu: float = 0

    def counts(self) -> dict[str, float]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "per" and getattr(self, f.name)}

    @property
    def instructions(self) -> float:
        """Instructions per unit of work."""
        return sum(self.counts().values()) / self.per

    def cycles(self, cycles_per_class: dict[str, float]) -> float:
        """Cycles per unit of work on a core (``cycles_per_class`` from its TOML)."""
        missing = [c for c in self.counts() if c not in cycles_per_class]
        if missing:
            raise KeyError(missing[0])
        return sum(n * cycles_per_class[c] for c, n in self.counts().items()) / self.per


@dataclass(frozen=True)
class Kernel:
    """The loops of one operator in one library's code path."""

    source: str  # where the loop structure was read
    drivers: dict[str, Mix]
    weight_reads: float = 0.0  # bytes of weights read per MAC
    im2col: bool = False  # copies each output position's input patch (im2col) before the MACs
    notes: str = ""
    extra: dict = field(default_factory=dict)
    counted_by: str = ""  # the benchmark whose emulated counts the mixes fit ("": read from the source)


# -- shared pieces --------------------------------------------------------------------------------------
# TFLite Micro's MicroInterpreter::Invoke step and a kernel's Eval prologue (fetch eval tensors, build
# RuntimeShapes, read OpData), about 600 instructions whatever the kernel library.
OP_OVERHEAD = Mix(alu=300, load=150, store=80, branch=40, call=15)

# Per output element: bias, per-channel multiplier and shift loads, the fixed-point multiply (SMULL,
# rounding add, shift: arm_nn_doubling_high_mult_no_sat), the rounding divide by a power of two
# (mask, remainder, threshold compare), output offset, clamp, byte store, and the bookkeeping of the
# 2x2 output block around it: CMSIS-NN's arm_nn_requantize and ESP-NN's scalar equivalent.
REQUANT = Mix(alu=20, mul=2, load=3, store=1, branch=2)

# memcpy-style word copies (reshape, concatenation, padding): per 4 bytes.
COPY = Mix(per=4, load=1, store=1, alu=0.5, branch=0.25)
# Per element of an operator done with a small loop of integer math or a table (quantize, relu...).
ELEMENTWISE_SIMPLE = Mix(load=1, alu=8, mul=1, store=1, branch=1)

# The reference convolutions and pools index every operand through tflite::Offset(shape, i0, i1, i2,
# i3), whose TFLITE_DCHECKs range-check all four indices. They are live unless NDEBUG is defined, and
# neither TFLite Micro's default make build nor ESP-IDF's default configuration (assertions enabled)
# defines it. The compiler cannot hoist the checks of shapes that arrive at run time, so each MAC
# reloads the dimensions, compares and branches for two operands, and how often it reloads depends on
# the registers the ISA has: 50 instructions per MAC of a 1x1 convolution on RV32IMC (31 registers),
# 68 on a Cortex-M4 (13), 92 on a Cortex-M0+ (8 low ones); compiled with NDEBUG, 8 on RV32IMC.
#
# These loops are therefore counted, not read: benchmarks/count_reference_loops.py runs a model of the
# loop nests (benchmarks/fixtures/tflm_reference_loops.c) on each emulated core and writes the
# instructions of each class per unit to targets/loops/tflm-reference.toml. The fit is within 4% on
# every calibration layer but the Cortex-M0+'s pools (8-14%: the average pool's division per output
# is a software call there, and both pools share one loop model); on RV32IMC it is -0.3% over person
# detection's convolutions, worst layer -8%.
#
# A core's TOML names the count it takes (``tflm_reference_path``). The Xtensa cores, which have no
# emulated count, take the Cortex-M4's, a register file of like size: an Xtensa LX106 build of the
# 1x1 convolution, emulated once with Debian's gcc-xtensa-lx106 and qemu-system-xtensa, runs 65
# instructions per MAC, two of them sign extensions the ESP32's SEXT saves. Of the taken branches per
# unit, one is its loop's back edge ("branch", free under Xtensa's zero-overhead loops); the rest are
# "jump"s past the checks, which a zero-overhead loop does not spare. Espressif's published
# person-detection latencies with these kernels (ESP32-C3 3.4 s, 75 cycles per MAC) are those of
# the checked build.
#
# Taps outside the image (padding) skip their MACs and window reads: those priced are the ones
# inside the image (``mac_in_image``, ``window_in_image``); every convolution tap pays its bounds check.
REFERENCE_TABLE = "loops/tflm-reference.toml"
REFERENCE_COUNTED_BY = "benchmarks/count_reference_loops.py"
REFERENCE_SOURCES = {
    "conv": "tensorflow/lite/kernels/internal/reference/integer_ops/conv.h (ConvPerChannel)",
    "depthwise":
        "tensorflow/lite/kernels/internal/reference/integer_ops/depthwise_conv.h (DepthwiseConvPerChannel)",
    "fully_connected": "tensorflow/lite/kernels/internal/reference/integer_ops/fully_connected.h",
    "pool": "tensorflow/lite/kernels/internal/reference/integer_ops/pooling.h",
}
# the weight bytes each MAC reads (the reference kernels reuse none)
REFERENCE_WEIGHT_READS = {"conv": 1.0, "depthwise": 1.0, "fully_connected": 1.0}

# The reference kernels whose loops are read from the source, whatever the core.
REFERENCE_READ: dict[str, Kernel] = {
    "elementwise_quantized": Kernel(
        "tensorflow/lite/kernels/internal/reference/integer_ops/add.h (with broadcast checks)",
        {"element": Mix(alu=30, mul=6, load=6, store=1, branch=4, call=1), "op": OP_OVERHEAD}),
    "softmax": Kernel(
        "tensorflow/lite/kernels/internal/reference/softmax.h (gemmlowp exp on barrel shifters)",
        {"element": Mix(alu=120, mul=12, load=6, store=1, branch=12), "op": OP_OVERHEAD}),
    "copy": Kernel("tensorflow/lite/micro/kernels/reshape.cc (memcpy)", {"byte": COPY, "op": OP_OVERHEAD}),
    "simple": Kernel("tensorflow/lite/kernels/internal/reference/ (per-element loops)",
                     {"element": ELEMENTWISE_SIMPLE, "op": OP_OVERHEAD}),
}


def reference_libraries() -> dict[str, dict[str, Kernel]]:
    """Per counted core (a section of targets/loops/tflm-reference.toml): TFLite Micro's reference
    kernels as counted there, with the loops read from the source for the rest."""
    from ..targets import builtin_dir, read_toml

    libraries = {}
    for path, kinds in read_toml(builtin_dir() / REFERENCE_TABLE).items():
        kernels = dict(REFERENCE_READ)
        for kind, units in kinds.items():
            drivers = {unit: Mix(**{c: float(v) for c, v in mix.items()}) for unit, mix in units.items()}
            kernels[kind] = Kernel(REFERENCE_SOURCES[kind], {**drivers, "op": OP_OVERHEAD},
                                   weight_reads=REFERENCE_WEIGHT_READS.get(kind, 0.0),
                                   counted_by=REFERENCE_COUNTED_BY)
        libraries[path] = kernels
    return libraries


REFERENCE_LIBRARIES = reference_libraries()
# the fallback for a kind a library lacks: the count of a Cortex-M4
REFERENCE = REFERENCE_LIBRARIES["cortex-m4f"]

# -- CMSIS-NN, DSP path (Cortex-M4/M7/M33) ---------------------------------------------------------------
# A 2x2 output tile keeps 4 accumulators, 4 operand words and 4 pointers live: more than the 13 free
# core registers, so GCC spills. GCC 12 -O2 -mcpu=cortex-m4 on a CMSIS-style 2x2 SXTB16/SMLAD tile
# loop written in C emits 4 reloads and 3 stores to the stack per pass; address increments fold
# into post-indexed loads (3 ALU instructions per pass).
TILE_SPILLS = Mix(load=4, store=3)
CMSIS_NN_DSP: dict[str, Kernel] = {
    # arm_nn_mat_mult_kernel_s8_s16: 2 filter rows x 2 im2col columns x 4 depth = 16 MACs per pass:
    # 4 loads of q15 column pairs, 2 filter words unpacked by read_and_pad_reordered (2 SXTB16 each),
    # 8 SMLAD, and the register spills of the 2x2 tile (TILE_SPILLS).
    "conv": Kernel(
        "CMSIS-NN Source/ConvolutionFunctions/arm_convolve_s8.c, arm_nn_mat_mult_kernel_s8_s16.c",
        {"mac": Mix(per=16, load=1, load_seq=5 + TILE_SPILLS.load, store=TILE_SPILLS.store, simd=4, mac=8,
                    alu=3, branch=1),
         # arm_q7_to_q15_with_offset: 4 int8 -> 4 q15 per pass (LDR, 2 SXTAB16, 2 PKH, 2 STR)
         "im2col": Mix(per=4, load=1, simd=4, store=2, alu=4, branch=1),
         "output": REQUANT, "pixel": Mix(alu=20, load=4, branch=4), "op": OP_OVERHEAD},
        weight_reads=0.5, im2col=True),
    # arm_convolve_1x1_s8_fast -> arm_nn_mat_mult_nt_t_s8: 2 input rows x 2 filter rows x 4 depth:
    # 4 word loads, 8 SXTB16/SXTAB16, 8 SMLAD, the 2x2 tile's spills.
    "conv_1x1": Kernel(
        "CMSIS-NN Source/ConvolutionFunctions/arm_convolve_1x1_s8_fast.c, "
        "Source/NNSupportFunctions/arm_nn_mat_mult_nt_t_s8.c",
        {"mac": Mix(per=16, load=1, load_seq=3 + TILE_SPILLS.load, store=TILE_SPILLS.store, simd=8, mac=8,
                    alu=3, branch=1),
         "output": REQUANT, "pixel": Mix(alu=6, branch=1), "op": OP_OVERHEAD},
        weight_reads=0.5),
    # arm_depthwise_conv_3x3_s8 / _s8_opt: 4 channels per pass and tap: one input and one filter word,
    # each unpacked by 2 SXTB16, 4 SMLABB/SMLATT-style MACs, address arithmetic.
    "depthwise": Kernel(
        "CMSIS-NN Source/ConvolutionFunctions/arm_depthwise_conv_3x3_s8.c, arm_depthwise_conv_s8_opt.c",
        {"mac": Mix(per=4, load=1, load_seq=1, simd=4, mac=4, alu=4, branch=0.5),
         "output": REQUANT, "pixel": Mix(alu=16, load=2, branch=3), "op": OP_OVERHEAD},
        weight_reads=1.0),
    # arm_nn_vec_mat_mult_t_s8: 2 filter rows x 4 depth = 8 MACs: one input word (2 SXTAB16 with the
    # offset), two filter words (2 SXTB16 each), 4 SMLAD.
    "fully_connected": Kernel(
        "CMSIS-NN Source/NNSupportFunctions/arm_nn_vec_mat_mult_t_s8.c",
        {"mac": Mix(per=8, load=1, load_seq=2, simd=6, mac=4, alu=4, branch=1),
         "output": REQUANT, "op": OP_OVERHEAD},
        weight_reads=1.0),
    # arm_avgpool_s8 / arm_max_pool_s8: 4 channels per word with QADD16/SEL-style SIMD
    "pool": Kernel(
        "CMSIS-NN Source/PoolingFunctions/arm_avgpool_s8.c, arm_max_pool_s8.c",
        {"window": Mix(per=4, load=1, simd=2, alu=1, branch=0.5), "output": Mix(alu=6, store=1),
         "op": OP_OVERHEAD}),
    # arm_elementwise_add_s8: 4 elements per pass, both inputs and the output requantized
    "elementwise_quantized": Kernel(
        "CMSIS-NN Source/BasicMathFunctions/arm_elementwise_add_s8.c",
        {"element": Mix(per=4, load=2, simd=6, mul=12, alu=24, store=1, branch=1), "op": OP_OVERHEAD}),
    "softmax": Kernel(
        "CMSIS-NN Source/SoftmaxFunctions/arm_softmax_s8.c",
        {"element": Mix(alu=40, mul=6, load=3, store=1, branch=4), "op": OP_OVERHEAD}),
    "copy": REFERENCE["copy"],
    "simple": REFERENCE["simple"],
}

# -- CMSIS-NN, scalar path (Cortex-M0/M0+: plain C, no DSP) --------------------------------------------
# The 2x2 tile in plain C, one depth step (4 MACs) per pass, as GCC 12 -O2 -mcpu=cortex-m0plus emits it
# for the project's C kernel: 4 LDRSH/LDRSB operands, 4 MULS, 4 ADDS, and 9 more ALU instructions
# (MOVs between low and high registers: ARMv6-M arithmetic reaches r0-r7 only) plus a spill.
_SCALAR_MAC = Mix(per=4, load=1, load_seq=5, store=1, mul=4, alu=13, branch=1)
CMSIS_NN_SCALAR: dict[str, Kernel] = {
    "conv": Kernel(
        "CMSIS-NN Source/ConvolutionFunctions/arm_convolve_s8.c (non-DSP branch)",
        {"mac": _SCALAR_MAC, "im2col": Mix(load=1, alu=2, store=1, branch=0.25),
         "output": REQUANT, "pixel": Mix(alu=20, load=4, branch=4), "op": OP_OVERHEAD},
        weight_reads=0.5, im2col=True),
    "conv_1x1": Kernel(
        "CMSIS-NN Source/NNSupportFunctions/arm_nn_mat_mult_nt_t_s8.c (non-DSP branch)",
        {"mac": _SCALAR_MAC, "output": REQUANT, "pixel": Mix(alu=6, branch=1), "op": OP_OVERHEAD},
        weight_reads=0.5),
    "depthwise": Kernel(
        "CMSIS-NN Source/ConvolutionFunctions/arm_depthwise_conv_s8.c",
        {"mac": Mix(load=1, load_seq=1, mul=1, alu=3, branch=0.5),
         "output": REQUANT, "pixel": Mix(alu=16, load=2, branch=3), "op": OP_OVERHEAD},
        weight_reads=1.0),
    "fully_connected": Kernel(
        "CMSIS-NN Source/NNSupportFunctions/arm_nn_vec_mat_mult_t_s8.c (non-DSP branch)",
        {"mac": Mix(per=2, load=1, load_seq=2, mul=2, alu=3, branch=0.5), "output": REQUANT, "op": OP_OVERHEAD},
        weight_reads=1.0),
    "pool": Kernel(
        "CMSIS-NN Source/PoolingFunctions/arm_avgpool_s8.c (non-DSP branch)",
        {"window": Mix(load=1, alu=2, branch=0.5), "output": Mix(alu=8, store=1), "op": OP_OVERHEAD}),
    "elementwise_quantized": Kernel(
        "CMSIS-NN Source/BasicMathFunctions/arm_elementwise_add_s8.c (non-DSP branch)",
        {"element": Mix(load=2, mul=3, alu=12, store=1, branch=1), "op": OP_OVERHEAD}),
    "softmax": CMSIS_NN_DSP["softmax"],
    "copy": REFERENCE["copy"],
    "simple": REFERENCE["simple"],
}

# -- CMSIS-NN, MVE path (Cortex-M55/M85, Helium) --------------------------------------------------------
_MVE_REQUANT = Mix(per=4, vector_load=2, vector_alu=6, store=1, alu=2)  # arm_requantize_mve, 4 lanes
CMSIS_NN_MVE: dict[str, Kernel] = {
    # arm_nn_mat_mult_nt_t_s8 (MVE): 4 input rows x 1 filter row x 16 depth = 64 MACs:
    # 1 + 4 VLDRB.8, 4 VMLADAVA.S8, the LE loop end.
    "conv": Kernel(
        "CMSIS-NN Source/ConvolutionFunctions/arm_convolve_s8.c (MVE), arm_nn_mat_mult_nt_t_s8.c",
        {"mac": Mix(per=64, vector_load=5, vector_mac=4, branch=1),
         # the MVE im2col stays int8: row copies of KW * IC bytes (memcpy with VLDRB/VSTRB)
         "im2col": Mix(per=16, vector_load=1, store=1, alu=0.5),
         "output": _MVE_REQUANT, "pixel": Mix(alu=20, load=4, branch=4), "op": OP_OVERHEAD},
        weight_reads=0.25, im2col=True),
    "conv_1x1": Kernel(
        "CMSIS-NN Source/NNSupportFunctions/arm_nn_mat_mult_nt_t_s8.c (MVE)",
        {"mac": Mix(per=64, vector_load=5, vector_mac=4, branch=1),
         "output": _MVE_REQUANT, "pixel": Mix(alu=4, branch=1), "op": OP_OVERHEAD},
        weight_reads=0.25),
    # arm_depthwise_conv_s8_opt (MVE): 4 channels in 32-bit lanes (VLDRB.S32), one VMLA per tap
    "depthwise": Kernel(
        "CMSIS-NN Source/ConvolutionFunctions/arm_depthwise_conv_s8_opt.c (MVE)",
        {"mac": Mix(per=4, vector_load=2, vector_mac=1, alu=0.5, branch=0.25),
         "output": _MVE_REQUANT, "pixel": Mix(alu=16, load=2, branch=3), "op": OP_OVERHEAD},
        weight_reads=1.0),
    # arm_nn_vec_mat_mult_t_s8 (MVE): 4 filter rows x 16 depth: 1 + 4 VLDRB, 4 VMLADAVA
    "fully_connected": Kernel(
        "CMSIS-NN Source/NNSupportFunctions/arm_nn_vec_mat_mult_t_s8.c (MVE)",
        {"mac": Mix(per=64, vector_load=5, vector_mac=4, branch=1), "output": REQUANT, "op": OP_OVERHEAD},
        weight_reads=1.0),
    "pool": Kernel(
        "CMSIS-NN Source/PoolingFunctions/arm_avgpool_s8.c (MVE)",
        {"window": Mix(per=16, vector_load=1, vector_alu=1, branch=0.25), "output": Mix(per=16, vector_alu=4, store=1),
         "op": OP_OVERHEAD}),
    "elementwise_quantized": Kernel(
        "CMSIS-NN Source/BasicMathFunctions/arm_elementwise_add_s8.c (MVE)",
        {"element": Mix(per=4, vector_load=2, vector_alu=12, store=1, branch=0.25), "op": OP_OVERHEAD}),
    "softmax": CMSIS_NN_DSP["softmax"],
    "copy": REFERENCE["copy"],
    "simple": REFERENCE["simple"],
}

# -- ESP-NN ---------------------------------------------------------------------------------------------
# ansi: ESP-NN's portable C (the path ESP32 builds use): the window loops hoisted out of the MAC,
# acc += (in + input_offset) * filter with direct pointers.
ESP_NN_ANSI: dict[str, Kernel] = {
    "conv": Kernel(
        "esp-nn src/convolution/esp_nn_conv_ansi.c",
        {"mac": Mix(load=1, load_seq=1, alu=2, mac=1, branch=0.25), "output": REQUANT,
         "pixel": Mix(alu=24, load=4, branch=6), "op": OP_OVERHEAD},
        weight_reads=1.0),
    "depthwise": Kernel(
        "esp-nn src/convolution/esp_nn_depthwise_conv_ansi.c",
        {"mac": Mix(load=1, load_seq=1, alu=2, mac=1, branch=0.5), "output": REQUANT,
         "pixel": Mix(alu=24, load=4, branch=6), "op": OP_OVERHEAD},
        weight_reads=1.0),
    "fully_connected": Kernel(
        "esp-nn src/fully_connected/esp_nn_fully_connected_ansi.c",
        {"mac": Mix(load=1, load_seq=1, alu=2, mac=1, branch=0.25), "output": REQUANT, "op": OP_OVERHEAD},
        weight_reads=1.0),
    "pool": Kernel(
        "esp-nn src/pooling/esp_nn_avg_pool_ansi.c, esp_nn_max_pool_ansi.c",
        {"window": Mix(load=1, alu=2, branch=0.25), "output": Mix(alu=8, store=1), "op": OP_OVERHEAD}),
    "elementwise_quantized": Kernel(
        "esp-nn src/basic_math/esp_nn_add_ansi.c",
        {"element": Mix(load=2, mul=3, alu=14, store=1, branch=0.25), "op": OP_OVERHEAD}),
    "softmax": Kernel("esp-nn src/softmax/esp_nn_softmax_ansi.c",
                      {"element": Mix(alu=40, mul=6, load=3, store=1, branch=2), "op": OP_OVERHEAD}),
    "copy": REFERENCE["copy"],
    "simple": REFERENCE["simple"],
}
ESP_NN_ANSI["conv_1x1"] = ESP_NN_ANSI["conv"]

# pie: ESP-NN's ESP32-S3 assembly: EE.VMULAS.S8.ACCX.LD.IP multiplies 16 int8 pairs and loads the
# next 16 bytes in one instruction; 8 channels per pass for depthwise (16-bit lanes).
_PIE_REQUANT = Mix(per=4, vector_alu=5, load=1, store=1, alu=3)
ESP_NN_PIE: dict[str, Kernel] = {
    "conv": Kernel(
        "esp-nn src/convolution/esp_nn_conv_s8_filter_aligned_input_padded_esp32s3.S",
        {"mac": Mix(per=16, vector_mac=1, vector_load=1, alu=0.5), "im2col": Mix(per=16, vector_load=1, store=1, alu=1),
         "output": _PIE_REQUANT, "pixel": Mix(alu=24, load=4, branch=4), "op": OP_OVERHEAD},
        weight_reads=1.0, im2col=True),
    "conv_1x1": Kernel(
        "esp-nn src/convolution/esp_nn_conv_s8_mult8_1x1_esp32s3.S",
        {"mac": Mix(per=16, vector_mac=1, vector_load=1, alu=0.5), "output": _PIE_REQUANT,
         "pixel": Mix(alu=8, branch=1), "op": OP_OVERHEAD},
        weight_reads=1.0),
    "depthwise": Kernel(
        "esp-nn src/convolution/esp_nn_depthwise_conv_s8_mult1_3x3_padded_esp32s3.S",
        {"mac": Mix(per=8, vector_load=2, vector_mac=1, alu=0.5), "output": _PIE_REQUANT,
         "pixel": Mix(alu=16, load=2, branch=3), "op": OP_OVERHEAD},
        weight_reads=1.0),
    "fully_connected": Kernel(
        "esp-nn src/fully_connected/esp_nn_fully_connected_s8_esp32s3.S",
        {"mac": Mix(per=16, vector_mac=1, vector_load=1, alu=0.5), "output": REQUANT, "op": OP_OVERHEAD},
        weight_reads=1.0),
    "pool": Kernel(
        "esp-nn src/pooling/esp_nn_avg_pool_s8_esp32s3.S",
        {"window": Mix(per=16, vector_load=1, vector_alu=1, branch=0.25), "output": Mix(per=16, vector_alu=4, store=1),
         "op": OP_OVERHEAD}),
    "elementwise_quantized": Kernel(
        "esp-nn src/basic_math/esp_nn_add_s8_esp32s3.S",
        {"element": Mix(per=8, vector_load=2, vector_alu=14, store=1, branch=0.25), "op": OP_OVERHEAD}),
    "softmax": ESP_NN_ANSI["softmax"],
    "copy": REFERENCE["copy"],
    "simple": REFERENCE["simple"],
}

# (kernel library, code path) -> the library's kernels. A path with no entry for an operator kind
# falls back to TFLite Micro's reference kernel, as TFLite Micro itself does.
LIBRARIES: dict[tuple[str, str], dict[str, Kernel]] = {
    **{("tflm-reference", path): kernels for path, kernels in REFERENCE_LIBRARIES.items()},
    ("cmsis-nn", "scalar"): CMSIS_NN_SCALAR,
    ("cmsis-nn", "dsp"): CMSIS_NN_DSP,
    ("cmsis-nn", "mve"): CMSIS_NN_MVE,
    ("esp-nn", "ansi"): ESP_NN_ANSI,
    ("esp-nn", "pie"): ESP_NN_PIE,
}

# Approximate code size (bytes of Thumb-2/Xtensa code) each operator kind adds to the firmware, per
# library; TFLite Micro's interpreter, allocator and op resolver come on top (RUNTIME_CODE_BYTES).
CODE_BYTES: dict[str, dict[str, int]] = {
    "tflm-reference": {"conv": 6000, "conv_1x1": 0, "depthwise": 6000, "fully_connected": 3000, "pool": 3000,
                       "elementwise_quantized": 3000, "softmax": 3000, "copy": 1000, "simple": 2000},
    "cmsis-nn": {"conv": 9000, "conv_1x1": 3000, "depthwise": 9000, "fully_connected": 4000, "pool": 3500,
                 "elementwise_quantized": 3500, "softmax": 3000, "copy": 1000, "simple": 2000},
    "microinfer": {"conv": 6000, "conv_1x1": 3000, "depthwise": 6000, "fully_connected": 3000, "pool": 2500,
                   "elementwise_quantized": 2500, "softmax": 2500, "copy": 1000, "simple": 2000},
    "esp-nn": {"conv": 12000, "conv_1x1": 4000, "depthwise": 10000, "fully_connected": 4000, "pool": 4000,
               "elementwise_quantized": 3500, "softmax": 3000, "copy": 1000, "simple": 2000},
}
RUNTIME_CODE_BYTES = 40_000  # MicroInterpreter, allocator, planner, op resolver, error reporter


# -- calibrated loops: instructions per loop unit, read off measured and emulated counts -------------------
# Which hand-read Mix of a kernel gives the instruction classes of each loop unit of trips.py: the
# calibrated tables say how many instructions a unit runs, the Mix what kind they are.
UNIT_DRIVERS = {"mac": "mac", "mac_slow": "mac", "im2col": "im2col", "im2col_padding": "im2col", "weight": "im2col",
                "output": "output", "output_group": "output", "pixel": "pixel", "tap": "pixel", "row": "pixel",
                "call": "op", "window": "window", "element": "element", "byte": "byte",
                # microinfer's C kernels (trips.microinfer_work)
                "gemm": "pixel", "group": "pixel", "tile": "pixel", "tile_any": "pixel", "mac_any": "mac",
                "tile_single": "pixel", "mac_single": "mac", "narrow_pixel": "pixel", "narrow_group": "pixel",
                "narrow_tap": "pixel", "narrow_mac": "mac", "narrow_output": "output",
                "run": "im2col", "widen": "im2col", "block": "pixel", "edge": "pixel", "partial": "pixel",
                "slide_block": "pixel", "tap4_block": "pixel", "slide_row": "mac", "tap4_row": "mac",
                "edge_row": "mac", "edge_tap": "mac", "block_tap": "mac", "max_group": "pixel", "max_window": "window",
                "rest_pixel": "pixel", "rest_tap": "window", "rest_mac": "window", "max_rest_mac": "window",
                "rest_channel": "output", "max_rest_channel": "output", "element_again": "element",
                "filter": "output", "feature_mac": "mac", "state_value": "mac", "unit": "output",
                "broadcast_element": "element"}
# keys of c_kernel_loops.toml that describe a loop's shape, not its cost
SHAPE_KEYS = frozenset({"lanes", "mac_per_iteration", "outputs_per_iteration", "requantization_lanes", "layers",
                        "tile_rows", "tile_cols", "copy_lanes", "group_channels", "widen_chunk", "few_in_channels",
                        "vector_rows"})

# (kernel library) -> file under targets/ with its calibrated loop table, and how it was calibrated
CALIBRATED = {
    "cmsis-nn": ("loops/cmsis-nn.toml", "loop model fitted to measured CMSIS-NN counts"),
    "microinfer": ("emulation/c_kernel_loops.toml", "loop model read off emulated runs"),
}


def loop_table(library: str) -> dict[str, dict[str, dict[str, float]]]:
    """path -> kernel function -> {unit: instructions per unit} of a calibrated library ({} if none)."""
    from ..targets import builtin_dir, read_toml

    if library not in CALIBRATED:
        return {}
    return _loop_table(str(builtin_dir() / CALIBRATED[library][0]))


_TABLES: dict[str, dict] = {}


def _loop_table(path: str) -> dict:
    from pathlib import Path

    from ..targets import read_toml

    stamp = Path(path).stat().st_mtime_ns if Path(path).is_file() else 0
    cached = _TABLES.get(path)
    if cached and cached[0] == stamp:
        return cached[1]
    table = read_toml(Path(path)) if stamp else {}
    def number(v) -> bool:
        return isinstance(v, (int, float)) and not isinstance(v, bool)

    parsed = {isa: {name: ({k: float(v) for k, v in entry.items() if number(v)} if isinstance(entry, dict)
                           else float(entry))
                    for name, entry in kinds.items() if isinstance(entry, dict) or number(entry)}
              for isa, kinds in table.items() if isinstance(kinds, dict)}
    _TABLES[path] = (stamp, parsed)
    return parsed


def measured_counts(library: str) -> dict[str, dict[str, float]]:
    """path -> loop signature (trips.signature) -> instructions measured for a layer with those loops."""
    from ..targets import builtin_dir

    if library != "cmsis-nn":
        return {}
    return _loop_table(str(builtin_dir() / "loops" / "cmsis-nn-measured.toml"))


# Cycles per instruction of a loop unit: the class mix of the hand-read loop it corresponds to.
def unit_mix(kernel: Kernel, unit: str) -> Mix:
    return kernel.drivers.get(UNIT_DRIVERS.get(unit, "op")) or OP_OVERHEAD
