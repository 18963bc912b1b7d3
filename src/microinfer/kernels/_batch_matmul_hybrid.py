"""LiteRT's hybrid BATCH_MATMUL: a float32 lhs times int8 weights (the rhs), float32 output.

What LiteRT's reference kernel does, step by step (TFLite Micro has no hybrid kernel):

1. Compression: without adj_x, when both operands have more than two dimensions and the rhs's
   third-last dimension is 1, the lhs's last batch dimension is folded into its rows and that rhs
   dimension dropped.
2. Every lhs row (``depth`` values, adj_x undone) is quantized to int8 on its own: symmetric
   (``scale = max|x| / 127``, ``q = round(x * (127 / max|x|))``, in float32) or, with
   asymmetric_quantize_inputs, with a zero point worked out in double.
3. The products run on 5-D extended shapes with the weights as the left operand. The scaling
   factor (and zero point) of a product's lhs row is looked up at ``sum(batch index * rows)``
   over the batch dimensions the lhs does not broadcast, a sum where the layout needs a product:
   with two or more such dimensions LiteRT applies another row's scale, and so does microinfer.
   The same holds for the weights' row sums (asymmetric only).
4. ``total -= row_sum * zero_point`` in float32 (truncated back to int32), then
   ``output = (row scale x weight scale) * total`` in float32.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

KSCALE = 127


@dataclass(frozen=True)
class HybridPlan:
    asymmetric: bool
    lhs_rows_shape: tuple[int, ...]  # (..., rows, depth) after compression: how lhs rows are quantized
    depth: int
    rows: int
    cols: int
    weights: np.ndarray | None  # constant rhs as (..., cols, depth) float64 (exact int8), after compression
    rhs_shape: tuple[int, ...]  # the rhs as stored, after compression
    weight_scales: np.ndarray  # float32: one per tensor, or one per output column
    row_sums: np.ndarray | None  # int64 row sums of the constant weights (asymmetric)
    batch: list[tuple[int, int, int, int]]  # per output batch: weight matrix, lhs matrix, scale base, row-sum base
    output_shape: tuple[int, ...]


def compressed_shapes(lhs: tuple[int, ...], rhs: tuple[int, ...], adj_x: bool) -> tuple[tuple, tuple]:
    """Step 1: the operand shapes LiteRT multiplies."""
    if not adj_x and len(rhs) > 2 and len(lhs) > 2 and rhs[-3] == 1:
        return lhs[:-3] + (lhs[-3] * lhs[-2], lhs[-1]), rhs[:-3] + rhs[-2:]
    return lhs, rhs


def _extended(shape: tuple[int, ...]) -> tuple[int, ...]:
    return (1,) * (5 - len(shape)) + tuple(shape)


def _extent(shape5: tuple[int, ...], axis: int) -> int:
    return 0 if shape5[axis] == 1 else int(np.prod(shape5[axis + 1:]))


def plan(lhs_shape, rhs_shape, adj_x: bool, adj_y: bool, asymmetric: bool, weights, weight_scales,
         output_shape) -> HybridPlan:
    """Everything but the lhs values: shapes, the per-batch lookups, the constant weights."""
    lhs_c, rhs_c = compressed_shapes(tuple(lhs_shape), tuple(rhs_shape), adj_x)
    depth = lhs_c[-2] if adj_x else lhs_c[-1]
    rows = lhs_c[-1] if adj_x else lhs_c[-2]
    cols = rhs_c[-2] if adj_y else rhs_c[-1]
    filt = _extended(rhs_c[:-2] + (cols, depth))
    quant = _extended(lhs_c[:-2] + (depth, rows))
    batch = []
    for b0 in range(max(filt[0], quant[0])):
        for b1 in range(max(filt[1], quant[1])):
            for b2 in range(max(filt[2], quant[2])):
                index = (b0, b1, b2)
                batch.append((
                    sum(b * _extent(filt, x) for x, b in enumerate(index)) // (cols * depth),
                    sum(b * _extent(quant, x) for x, b in enumerate(index)) // (rows * depth),
                    sum(b * rows for x, b in enumerate(index) if quant[x] != 1),
                    sum(b * cols for x, b in enumerate(index) if filt[x] != 1),
                ))
    matrices = None if weights is None else _weight_matrices(np.asarray(weights), adj_y, rhs_c)
    row_sums = None
    if asymmetric and matrices is not None:
        # ReductionSumVector over the first filt[1] * filt[2] weight matrices (dimension 0 of the
        # extended shape is left out: constraints keep it 1)
        row_sums = matrices.astype(np.int64).sum(axis=-1).reshape(-1)
    return HybridPlan(asymmetric, lhs_c[:-2] + (rows, depth), depth, rows, cols, matrices, rhs_c,
                      np.asarray(weight_scales, np.float32), row_sums, batch, tuple(output_shape))


def _weight_matrices(values: np.ndarray, adj_y: bool, rhs_c: tuple[int, ...]) -> np.ndarray:
    """The weights as (matrices, cols, depth)."""
    m = values.reshape(rhs_c).astype(np.float64)
    if not adj_y:
        m = np.swapaxes(m, -1, -2)
    return m.reshape(-1, m.shape[-2], m.shape[-1])


def _round(x: np.ndarray) -> np.ndarray:
    """std::round of float32 values (half away from zero), as float64."""
    x = x.astype(np.float64)
    return np.floor(np.abs(x) + 0.5) * np.sign(x)


def quantize_symmetric(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """PortableSymmetricQuantizeFloats per row: (int8 values, float32 scales, zero offsets)."""
    rng = np.maximum(np.abs(rows.min(axis=1)), np.abs(rows.max(axis=1))).astype(np.float32)
    zero = rng == 0
    safe = np.where(zero, np.float32(1), rng)
    scale = np.where(zero, np.float32(1), safe / np.float32(KSCALE)).astype(np.float32)
    inverse = (np.float32(KSCALE) / safe).astype(np.float32)
    q = np.clip(_round(rows * inverse[:, None]), -KSCALE, KSCALE)
    q = np.where(zero[:, None], 0, q)
    return q, scale, np.zeros(len(rows), np.int64)


def quantize_asymmetric(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """PortableAsymmetricQuantizeFloats per row: (int8 values, float32 scales, zero points)."""
    rmin = np.minimum(np.float32(0), rows.min(axis=1)).astype(np.float64)
    rmax = np.maximum(np.float32(0), rows.max(axis=1)).astype(np.float64)
    flat = rmin == rmax
    scale = np.where(flat, 1.0, (rmax - rmin) / 255.0)
    from_min = -128.0 - rmin / scale
    from_max = 127.0 - rmax / scale
    zero_point = np.where(128.0 + np.abs(rmin / scale) < 127.0 + np.abs(rmax / scale), from_min, from_max)
    nudged = np.where(zero_point <= -128.0, -128, np.where(zero_point >= 127.0, 127,
                                                           np.floor(np.abs(zero_point) + 0.5) * np.sign(zero_point)))
    nudged = np.where(flat, 0, nudged).astype(np.int64)
    scale32 = np.where(flat, np.float32(1), scale.astype(np.float32)).astype(np.float32)
    inverse = (np.float32(1) / scale32).astype(np.float32)
    shifted = nudged.astype(np.float32)[:, None] + rows * inverse[:, None]
    q = np.where(flat[:, None], 0, np.clip(_round(shifted), -128, 127))
    return q, scale32, nudged


def evaluate(p: HybridPlan, lhs: np.ndarray, rhs: np.ndarray | None, adj_x: bool, adj_y: bool) -> np.ndarray:
    """The float32 output of one run."""
    x = lhs.astype(np.float32)
    if adj_x:
        x = np.swapaxes(x, -1, -2)
    rows_in = np.ascontiguousarray(x).reshape(-1, p.depth)
    q, scales, offsets = (quantize_asymmetric if p.asymmetric else quantize_symmetric)(rows_in)
    if len(p.weight_scales) == 1:
        scales = (scales * p.weight_scales[0]).astype(np.float32)
    q = q.reshape(-1, p.rows, p.depth)
    weights = p.weights if p.weights is not None else _weight_matrices(rhs, adj_y, p.rhs_shape)
    out = np.empty((len(p.batch), p.rows, p.cols), np.float32)
    cols = np.arange(p.cols)
    for n, (w_index, q_index, scale_base, sum_base) in enumerate(p.batch):
        total = (q[q_index] @ weights[w_index].T).astype(np.int64).astype(np.float32)  # (rows, cols)
        row_scale = scales[scale_base:scale_base + p.rows]
        if p.asymmetric:
            row_sums = p.row_sums[sum_base + cols].astype(np.float32)
            total = total - row_sums[None, :] * offsets[scale_base:scale_base + p.rows, None].astype(np.float32)
            total = np.trunc(total).astype(np.float32)  # back through int32
        scale = row_scale[:, None] if len(p.weight_scales) == 1 else (row_scale[:, None] * p.weight_scales[None, :])
        out[n] = scale.astype(np.float32) * total
    return out.reshape(p.output_shape)
