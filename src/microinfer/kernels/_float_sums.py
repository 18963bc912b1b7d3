"""float32 sums of products in the order, and at the precision, of the reference kernels.

The float32 reference kernels of both references (TFLite Micro, LiteRT's BUILTIN_REF) keep one
float32 accumulator per output element, start it at 0.0f and add one product at a time
(``total += a * b``: a float32 multiply, rounded, then a float32 add, rounded; the x86 builds of
the pinned wheels fuse nothing into a multiply-add), in the order of their loops; the bias and the
activation clamp come last. Any other order (BLAS, pairwise summation) or precision (float64)
changes the last bits, and those differences grow through a network. So these helpers run the
references' loop over the reduction index in Python and make each step one NumPy float32 multiply
and one float32 add over every output element at once (NumPy's separate ufuncs never fuse them).

Taps outside the input are skipped, as the references skip them, not added as zero times the
weight: that would differ for non-finite weights (0 * inf is NaN). A tap updates only the block of
outputs for which it lies inside the input. (Skipping an addend or adding +0.0 is the same thing
here: a sum that starts at +0.0 can never become -0.0.)

Memory: products are computed a chunk of reduction steps at a time, at most
:data:`CHUNK_ELEMENTS` values, so a node needs its accumulator, one chunk and its output.
"""

from __future__ import annotations

import numpy as np

from . import _conv_util as cu

CHUNK_ELEMENTS = 1 << 21  # float32 products computed by one multiply (8 MiB)
# Below this many output elements, a Python loop step costs more than the additions it makes:
# np.add.accumulate, whose every prefix is by definition the running sum, does them in C.
SMALL_OUTPUTS = 256
# From this many output elements on, each step multiplies into one reused scratch array (cache
# friendly) instead of computing a chunk of steps' products at once (fewer Python steps).
LARGE_OUTPUTS = 4096


def _steps_per_chunk(outputs: int) -> int:
    return max(1, CHUNK_ELEMENTS // max(outputs, 1))


def _add_each(acc: np.ndarray, terms: np.ndarray) -> None:
    """``acc += terms[0]; acc += terms[1]; ...``: one float32 add per reduction step, in order.
    ``terms`` is a scratch array (overwritten)."""
    if len(terms) == 0:
        return
    if acc.size < SMALL_OUTPUTS:
        terms[0] += acc
        np.add.accumulate(terms, axis=0, out=terms)
        acc[...] = terms[-1]
        return
    for step in terms:
        np.add(acc, step, out=acc)


def _accumulate(acc: np.ndarray, lhs: np.ndarray, rhs: np.ndarray) -> None:
    """``acc += lhs[k] * rhs[k]`` for k = 0, 1, ... in order (float32, ``lhs[k] * rhs[k]``
    broadcast to ``acc``'s shape), in place."""
    with np.errstate(over="ignore", invalid="ignore"):
        if acc.size >= LARGE_OUTPUTS:
            product = np.empty(acc.shape, np.float32)
            for k in range(len(lhs)):
                np.multiply(lhs[k], rhs[k], out=product)
                np.add(acc, product, out=acc)
            return
        step = _steps_per_chunk(acc.size)
        for k in range(0, len(lhs), step):
            _add_each(acc, lhs[k:k + step] * rhs[k:k + step])


def dot(lhs: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """Sums over axis 0 of ``lhs * rhs`` (float32, broadcast over the other axes), each output
    element summed from 0.0f in ascending index order: the references' ``total += a[k] * b[k]``."""
    lhs = np.asarray(lhs, np.float32)
    rhs = np.asarray(rhs, np.float32)
    acc = np.zeros(np.broadcast_shapes(lhs.shape[1:], rhs.shape[1:]), np.float32)
    _accumulate(acc, lhs, rhs)
    return acc


def four_lane_accumulate(acc: np.ndarray, lhs: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """``acc`` plus the sums over axis 0 of ``lhs * rhs`` as LiteRT's x86 build of its float
    MatrixBatchVectorMultiplyAccumulate adds them (its NEON code, through NEON_2_SSE): four
    float32 lanes, lane l summing the products k = l, l + 4, ... below the last multiple of 4;
    then ``acc += ((lane0 + lane1) + lane2) + lane3``; then ``acc += product`` for each remaining
    k. (Measured against ai-edge-litert 2.3.0; SVDF and LSTM use it.)"""
    lhs = np.asarray(lhs, np.float32)
    rhs = np.asarray(rhs, np.float32)
    depth = lhs.shape[0]
    whole = depth - depth % 4
    with np.errstate(over="ignore", invalid="ignore"):
        if whole:
            lanes = [dot(lhs[lane:whole:4], rhs[lane:whole:4]) for lane in range(4)]
            acc = acc + (((lanes[0] + lanes[1]) + lanes[2]) + lanes[3])
        for k in range(whole, depth):
            acc = acc + lhs[k] * rhs[k]
    return np.asarray(acc, np.float32)


def running_sum(values: np.ndarray) -> np.ndarray:
    """Sums over axis 0 of ``values``, from 0.0f in ascending index order."""
    acc = np.zeros(values.shape[1:], np.float32)
    with np.errstate(over="ignore", invalid="ignore"):
        _add_each(acc, np.array(values, np.float32))
    return acc


def conv(x: np.ndarray, weights: np.ndarray, out_hw: tuple[int, int], stride, dilation, pad) -> np.ndarray:
    """CONV_2D's sums (before the bias): for each output element, over (filter_y, filter_x,
    in_channel) in that order, taps outside the input skipped.

    ``x``: (n, h, w, groups * cin) float32; ``weights``: (kh, kw, cin, groups, cout_per_group).
    Returns (n, out_h, out_w, groups, cout_per_group)."""
    n, h, w, _ = x.shape
    kh, kw, cin, groups, per_group = weights.shape
    x = x.reshape(n, h, w, groups, cin)
    acc = np.zeros((n, *out_hw, groups, per_group), np.float32)
    with np.errstate(over="ignore", invalid="ignore"):
        for tap in cu.gather_taps(out_hw, (h, w), (kh, kw), stride, dilation, pad):
            block = acc[:, tap.outputs[0], tap.outputs[1]]
            # one input channel per reduction step: (cin, n, rows, cols, groups, 1) times
            # (cin, 1, 1, 1, groups, per_group)
            channels = np.moveaxis(x[:, tap.inputs[0], tap.inputs[1]], -1, 0)[..., None]
            _accumulate(block, channels, weights[tap.fy, tap.fx][:, None, None, None])
    return acc


def transpose_conv(x: np.ndarray, weights: np.ndarray, out_hw: tuple[int, int], stride, pad) -> np.ndarray:
    """TRANSPOSE_CONV's sums (before the bias), as the references' scatter loops add them: into
    each output element, input pixels in ascending (in_y, in_x), channels in ascending order.

    ``x``: (n, h, w, cin); ``weights``: (kh, kw, cin, cout). Returns (n, out_h, out_w, cout)."""
    n, h, w, cin = x.shape
    kh, kw, _, cout = weights.shape
    acc = np.zeros((n, *out_hw, cout), np.float32)
    with np.errstate(over="ignore", invalid="ignore"):
        for tap in cu.scatter_taps((h, w), out_hw, (kh, kw), stride, pad):
            block = acc[:, tap.outputs[0], tap.outputs[1]]
            # (cin, n, rows, cols, 1) times (cin, 1, 1, 1, cout)
            channels = np.moveaxis(x[:, tap.inputs[0], tap.inputs[1]], -1, 0)[..., None]
            _accumulate(block, channels, weights[tap.fy, tap.fx][:, None, None, None])
    return acc

