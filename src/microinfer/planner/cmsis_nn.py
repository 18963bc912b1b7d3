"""Arena needs of TFLite Micro's CMSIS-NN kernels (``tensorflow/lite/micro/kernels/cmsis_nn``).

The CMSIS-NN glue kernels differ from the reference kernels in three ways that move the arena:

* **scratch buffers**: in Prepare they ask ``RequestScratchBufferInArena`` for what CMSIS-NN's
  ``*_get_buffer_size`` functions return, and those depend on the instruction set the library is
  compiled for (``ARM_MATH_DSP``, ``ARM_MATH_MVEI``, neither), so on the core. Scratch buffers
  are planned in the head, like activations, alive during their operator only;
* **OpData**: each glue kernel's Init allocates its own struct (the reference struct plus a
  scratch-buffer index and, for some, cached shapes), in the tail;
* **persistent buffers** of Prepare: as the reference kernels (per-channel multipliers and
  shifts), plus CMSIS-NN's precomputed kernel sums on MVE (fully connected, SVDF) and the
  per-channel arrays of a fully connected layer that runs as a 1x1 convolution.

The rules below were read from CMSIS-NN (``Source/*/arm_*_get_buffer_sizes_*.c``, 2023 versions:
convolve V.1.4.0, depthwise V.1.1.0, fully connected V.1.1.0, avgpool V.1.0.0, svdf V.1.0.0) and
from TFLM's cmsis_nn glue (2024 versions of conv.cc, depthwise_conv.cc, fully_connected.cc,
pooling.cc, softmax.cc, svdf.cc, add.cc, mul.cc). They are written here as small functions; no
code is copied. Whatever could not be checked against those sources is marked ``exact=False``.
Figures are for ``arm32`` only (CMSIS-NN runs on Cortex-M).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import UnsupportedTargetError
from ..tflite.model import Model, Operator, Subgraph, Tensor
from . import _structs as S

SCALAR, DSP, MVE = "scalar", "dsp", "mve"

# Core -> the CMSIS-NN code path it is compiled for. Cores with the M-profile Vector Extension
# define both ARM_MATH_DSP and ARM_MATH_MVEI; MVE code paths take precedence everywhere.
CORES: dict[str, str] = {
    "cortex-m0plus": SCALAR,
    "cortex-m4f": DSP,
    "cortex-m7": DSP,
    "cortex-m33": DSP,
    "cortex-m55": MVE,
    "cortex-m85": MVE,
}

CH_IN_BLOCK_MVE = 124  # channels a depthwise-conv MVE block processes (arm_nnsupportfunctions.h)

# Operators whose cmsis_nn glue we did not read: their reference figures are used, marked inexact.
UNVERIFIED_GLUE = frozenset({
    "TRANSPOSE_CONV", "UNIDIRECTIONAL_SEQUENCE_LSTM", "BATCH_MATMUL", "PAD", "PADV2", "TRANSPOSE",
    "MAXIMUM", "MINIMUM",
})


def isa(core: str | None) -> str:
    """The CMSIS-NN code path (``scalar``, ``dsp``, ``mve``) of ``core``."""
    if core is None:
        raise UnsupportedTargetError(
            f"kernel library 'cmsis-nn' needs a core; choose one of {', '.join(CORES)}")
    try:
        return CORES[core]
    except KeyError:
        raise UnsupportedTargetError(
            f"core {core!r} is not supported for cmsis-nn; choose one of {', '.join(CORES)}"
        ) from None


# -- CMSIS-NN's buffer-size rules, per ISA -------------------------------------------------------------
def _align4(n: int) -> int:
    return (n + 3) // 4 * 4


def convolve_s8_buffer(path: str, in_c: int, kernel_w: int, kernel_h: int) -> int:
    """arm_convolve_s8_get_buffer_size: the im2col buffer.

    MVE: four im2col columns of int8, each rounded up to whole 8-lane vectors. Otherwise (DSP and
    scalar builds alike): two columns of int16, the column length rounded up to a multiple of 4.
    """
    cols = in_c * kernel_w * kernel_h
    if path == MVE:
        return 4 * ((cols + 7) // 8) * 8
    return 2 * _align4(cols) * 2


def convolve_wrapper_s8_buffer(path: str, *, in_c: int, in_h: int, kernel_w: int, kernel_h: int,
                               stride_w: int, pad_w: int, pad_h: int, dilation_w: int = 1,
                               dilation_h: int = 1) -> int:
    """arm_convolve_wrapper_s8_get_buffer_size: which kernel the wrapper picks, and its buffer.

    * unpadded 1x1, no dilation (arm_convolve_1x1_s8_fast or the strided 1x1): no buffer;
    * 1xN over a one-row input (arm_convolve_1_x_n_s8) when stride_w * in_c is a multiple of 4:
      no buffer on MVE, else the im2col buffer;
    * otherwise arm_convolve_s8: the im2col buffer.
    """
    dilated = dilation_w != 1 or dilation_h != 1
    if pad_w == 0 and pad_h == 0 and kernel_w == 1 and kernel_h == 1 and not dilated:
        return 0
    if in_h == 1 and dilation_w == 1 and kernel_h == 1 and (stride_w * in_c) % 4 == 0:
        return 0 if path == MVE else convolve_s8_buffer(path, in_c, kernel_w, kernel_h)
    return convolve_s8_buffer(path, in_c, kernel_w, kernel_h)


def convolve_wrapper_s16_buffer(path: str, *, in_c: int, kernel_w: int, kernel_h: int,
                                dilation_w: int = 1, dilation_h: int = 1) -> int:
    """arm_convolve_wrapper_s16_get_buffer_size: only DSP builds (without MVE) take the fast
    kernel, for kernels of fewer than 512 taps and no dilation: two int16 im2col columns."""
    if path != DSP:
        return 0
    if kernel_w * kernel_h * in_c < 512 and dilation_w == 1 and dilation_h == 1:
        return 2 * in_c * kernel_w * kernel_h * 2
    return 0


def depthwise_wrapper_s8_buffer(path: str, *, in_c: int, out_c: int, batches: int, kernel_w: int,
                                kernel_h: int, pad_w: int, pad_h: int, dilation_w: int = 1,
                                dilation_h: int = 1) -> int:
    """arm_depthwise_conv_wrapper_s8_get_buffer_size.

    Only the optimised kernel (depth multiplier 1, one batch, no dilation) takes a buffer; on
    DSP and scalar builds a 3x3 kernel with padding <= 1 runs arm_depthwise_conv_3x3_s8 without
    one. arm_depthwise_conv_s8_opt's buffer: MVE 4 * CH_IN_BLOCK_MVE * taps int8; DSP
    in_c * taps int16; scalar none.
    """
    if not (in_c == out_c and batches == 1 and dilation_w == 1 and dilation_h == 1):
        return 0
    if path != MVE and kernel_w == 3 and kernel_h == 3 and pad_h <= 1 and pad_w <= 1:
        return 0
    taps = kernel_w * kernel_h
    if path == MVE:
        return 4 * CH_IN_BLOCK_MVE * taps
    if path == DSP:
        return in_c * taps * 2
    return 0


def depthwise_wrapper_s16_buffer(path: str, *, in_c: int, kernel_w: int, kernel_h: int,
                                 depth_multiplier: int = 1, dilation_w: int = 1,
                                 dilation_h: int = 1) -> int:
    """arm_depthwise_conv_wrapper_s16_get_buffer_size (the fast kernel: depth multiplier 1, no
    dilation, fewer than 512 taps): MVE 4 * in_c * taps int16 + 8, DSP in_c * taps int16."""
    taps = kernel_w * kernel_h
    if not (depth_multiplier == 1 and dilation_w == 1 and dilation_h == 1 and taps < 512):
        return 0
    if path == MVE:
        return 4 * in_c * taps * 2 + 8
    if path == DSP:
        return in_c * taps * 2
    return 0


def fully_connected_s8_buffer(path: str, output_depth: int) -> int:
    """arm_fully_connected_s8_get_buffer_size: MVE keeps one int32 kernel sum per output."""
    return 4 * output_depth if path == MVE else 0


def avgpool_buffer(path: str, channels: int) -> int:
    """arm_avgpool_s8/s16_get_buffer_size: DSP builds (without MVE) sum in an int32 row."""
    return 4 * channels if path == DSP else 0


def svdf_s8_buffer(path: str, num_filters: int) -> int:
    """arm_svdf_s8_get_buffer_size: MVE keeps one int32 kernel sum per filter."""
    return 4 * num_filters if path == MVE else 0


# -- TFLM's cmsis_nn glue: what each kernel asks for ------------------------------------------------
@dataclass(frozen=True)
class OpNeeds:
    scratch: tuple[int, ...] = ()  # RequestScratchBufferInArena sizes, in order
    persistent: tuple[tuple[int, str], ...] = ()  # Prepare's AllocatePersistentBuffer calls
    exact: bool = True  # False: the glue's behaviour here was not verified


def _padding(in_size: int, out_size: int, stride: int, kernel: int, dilation: int) -> int:
    """TFLM's ComputePaddingHeightWidth: the leading padding of one axis."""
    effective = (kernel - 1) * dilation + 1
    return max(0, (out_size - 1) * stride + effective - in_size) // 2


def _dtype(t: Tensor) -> str:
    return t.dtype_name


def op_needs(sg: Subgraph, op: Operator, path: str, abi: str | S.Abi = "arm32") -> OpNeeds:
    """Scratch requests and Prepare-time persistent buffers of the cmsis_nn kernel for ``op``
    (struct sizes laid out for ``abi``)."""
    from . import tail

    t = sg.tensors
    name = op.op
    o = op.options
    if not _expected_ranks(sg, op):
        return OpNeeds(exact=False)  # TFLite Micro refuses such a node in Prepare
    if name == "CONV_2D":
        x, w, y = t[op.inputs[0]], t[op.inputs[1]], t[op.outputs[0]]
        if _dtype(x) not in ("int8", "int16"):
            return OpNeeds()
        channels = w.shape[0]
        persistent = ((4 * channels, "per-channel multipliers"), (4 * channels, "per-channel shifts"))
        _, in_h, in_w, in_c = x.shape
        _, kh, kw, _ = w.shape
        _, out_h, out_w, _ = y.shape
        pad_h = _padding(in_h, out_h, o.stride_h, kh, o.dilation_h_factor)
        pad_w = _padding(in_w, out_w, o.stride_w, kw, o.dilation_w_factor)
        if _dtype(x) == "int8":
            size = convolve_wrapper_s8_buffer(
                path, in_c=in_c, in_h=in_h, kernel_w=kw, kernel_h=kh, stride_w=o.stride_w,
                pad_w=pad_w, pad_h=pad_h, dilation_w=o.dilation_w_factor,
                dilation_h=o.dilation_h_factor)
            exact = _dtype(w) == "int8"  # int4 filters: arm_convolve_wrapper_s4 (not read)
        else:
            size = convolve_wrapper_s16_buffer(path, in_c=in_c, kernel_w=kw, kernel_h=kh,
                                               dilation_w=o.dilation_w_factor,
                                               dilation_h=o.dilation_h_factor)
            exact = True
        return OpNeeds((size,) if size > 0 else (), persistent, exact)
    if name == "DEPTHWISE_CONV_2D":
        x, w, y = t[op.inputs[0]], t[op.inputs[1]], t[op.outputs[0]]
        if _dtype(x) not in ("int8", "int16"):
            return OpNeeds()
        channels = w.shape[3]
        persistent = ((4 * channels, "per-channel multipliers"), (4 * channels, "per-channel shifts"))
        if _dtype(x) == "int16":
            # the 2024 glue requests no scratch for int16; newer ones may (s16 rule above)
            return OpNeeds((), persistent, exact=False)
        n, in_h, in_w, in_c = x.shape
        _, kh, kw, _ = w.shape
        _, out_h, out_w, out_c = y.shape
        size = depthwise_wrapper_s8_buffer(
            path, in_c=in_c, out_c=out_c, batches=n, kernel_w=kw, kernel_h=kh,
            pad_w=_padding(in_w, out_w, o.stride_w, kw, o.dilation_w_factor),
            pad_h=_padding(in_h, out_h, o.stride_h, kh, o.dilation_h_factor),
            dilation_w=o.dilation_w_factor, dilation_h=o.dilation_h_factor)
        return OpNeeds((size,) if size > 0 else (), persistent, exact=_dtype(w) == "int8")
    if name == "FULLY_CONNECTED":
        x, w, y = t[op.inputs[0]], t[op.inputs[1]], t[op.outputs[0]]
        exact = not (w.quantization is not None and len(w.quantization.scale) > 1)
        if _dtype(x) != "int8" or _dtype(w) != "int8":
            return OpNeeds(exact=exact and _dtype(x) in ("int16", "float32"))
        accum_depth, output_depth = w.shape[-1], y.shape[-1]
        if len(y.shape) > 2 and accum_depth % 4 == 0:  # runs as arm_convolve_1x1_s8_fast
            return OpNeeds((), ((4 * output_depth, "1x1-conv multipliers"),
                                (4 * output_depth, "1x1-conv shifts")), exact)
        size = fully_connected_s8_buffer(path, output_depth)
        if size and w.is_constant:  # kernel sums precomputed into a persistent buffer
            return OpNeeds((), ((size, "kernel sums"),), exact)
        return OpNeeds((size,) if size else (), (), exact)
    if name == "AVERAGE_POOL_2D":
        x, y = t[op.inputs[0]], t[op.outputs[0]]
        if _dtype(x) not in ("int8", "int16"):
            return OpNeeds()
        size = avgpool_buffer(path, y.shape[3])
        # int16 scratch only in newer glue (2024+); the 2024 int8 path is verified
        return OpNeeds((size,) if size else (), (), exact=_dtype(x) == "int8")
    if name == "SVDF" and _dtype(t[op.inputs[0]]) == "int8":
        x, w_feature, y = t[op.inputs[0]], t[op.inputs[1]], t[op.outputs[0]]
        batch, filters, units = x.shape[0], w_feature.shape[0], y.shape[-1]
        sums = svdf_s8_buffer(path, filters)
        # KERNELS_OPTIMIZED_FOR_SPEED (default): kernel sums persistent, not scratch
        persistent = ((sums, "kernel sums"),) if sums else ()
        return OpNeeds((4 * batch * filters, 4 * batch * units), persistent)
    # reference kernels (or glue identical to them in what it allocates)
    scratch = tuple(tail._op_scratch(sg, op, pointer=4))
    persistent = tuple(tail._op_prepare_persistent(sg, op, abi))
    return OpNeeds(scratch, persistent, exact=name not in UNVERIFIED_GLUE)


# The ranks op_needs reads of (input, weights, output), by operator.
_RANKS = {"CONV_2D": (4, 4, 4), "DEPTHWISE_CONV_2D": (4, 4, 4), "FULLY_CONNECTED": (None, 2, None),
          "AVERAGE_POOL_2D": (4, None, 4), "SVDF": (2, 2, 2)}


def _expected_ranks(sg: Subgraph, op: Operator) -> bool:
    ranks = _RANKS.get(op.op)
    if ranks is None:
        return True
    indices = (op.inputs[0] if op.inputs else -1, op.inputs[1] if len(op.inputs) > 1 else -1,
               op.outputs[0] if op.outputs else -1)
    return all(rank is None or (i >= 0 and len(sg.tensors[i].shape) == rank)
               for rank, i in zip(ranks, indices))


def scratch_requests(model: Model, core: str) -> list[tuple[int, int]]:
    """(operator index in the main subgraph, bytes) of every RequestScratchBufferInArena call the
    cmsis_nn kernels make in Prepare for ``core``, in request order."""
    path = isa(core)
    sg = model.main
    return [(op.index, size) for op in sg.operators for size in op_needs(sg, op, path).scratch]


# OpData that each cmsis_nn kernel's Init allocates: a struct name of ``_structs`` (laid out per
# ABI) or a size in bytes of a struct of 4-byte members only.
KERNEL_OPDATA: dict[str, object] = {
    "CONV_2D": "CmsisNnOpDataConv", "DEPTHWISE_CONV_2D": "CmsisNnOpDataConv",
    "FULLY_CONNECTED": "CmsisNnOpDataFullyConnected", "SOFTMAX": "CmsisNnSoftmaxParams",
    "SVDF": "CmsisNnOpDataSvdf",
    # pooling.cc: {OpDataPooling (32 bytes, 4-byte members) ; int buffer_idx}
    "AVERAGE_POOL_2D": 36, "MAX_POOL_2D": 36,
    # add.cc: own OpData: bool + 12 x int/int32 + 2 floats = 60, as the reference's
    "ADD": 60,
}


def kernel_opdata(op: str, abi: str) -> tuple[int, bool] | None:
    """(bytes, exact) of the OpData the cmsis_nn kernel's Init allocates, or None."""
    entry = KERNEL_OPDATA.get(op)
    if entry is None:
        reference = S.kernel_opdata(op, abi)
        if reference is None or op not in UNVERIFIED_GLUE:
            return reference
        return reference[0], False
    if isinstance(entry, int):
        return entry, True
    return S.sizeof(entry, abi), True


# The order of temporary TfLiteTensors / persistent allocations ("P") in the glue's Prepare (see
# tail._PREPARE_TEMPS); kernels not listed behave as the reference ones.
PREPARE_TEMPS: dict[str, tuple[str, ...]] = {
    # input, filter, output (the 2024 glue fetches the bias as an *output* tensor, which does not
    # exist: no temporary), per-channel buffers, then CalculateOpDataConv's temporaries
    "CONV_2D": ("i0", "i1", "o0", "P", "i0", "i1", "i2", "o0"),
    "DEPTHWISE_CONV_2D": ("i0", "i1", "o0", "P", "i0", "i1", "i2", "o0"),
    "FULLY_CONNECTED": ("i0", "i1", "i2", "o0", "P"),
    "AVERAGE_POOL_2D": ("i0", "o0", "i0", "o0"),  # PoolingPrepare, then the scratch sizing
    "SOFTMAX": ("i0", "o0"),
}
