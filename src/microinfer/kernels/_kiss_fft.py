"""KISS FFT as TFLite Micro's signal library builds it (kissfft 1.3.0 with TFLM's patch), for
the SignalRfft and SignalIrfft kernels: int16 (Q15), int32 (Q31) and float32.

A real FFT of ``fft_length`` samples is a complex FFT of ``n = fft_length / 2`` points over the
samples taken in pairs, followed by a split step with "super twiddles" (tools/kiss_fftr.c). The
complex FFT is KISS FFT's recursive mixed-radix decimation in time: ``n`` factored into 4s, then
2s, then odd primes, each stage a radix-4, 2, 3 or 5 butterfly. Everything here reproduces the C
operation for operation:

* twiddles ``floor(0.5 + SAMP_MAX * cos(phase))`` (fixed point) or ``(float) cos(phase)``, the
  phases computed in double as the C computes them (``math.cos`` is the same libm);
* fixed point: every butterfly input is first divided by the radix (``C_FIXDIV``: a Q15/Q31
  multiply by ``SAMP_MAX / radix`` with rounding), products round by adding half an LSB and
  shifting (``sround``), and every store into a ``kiss_fft_scalar`` wraps to 16 or 32 bits;
* float: float32 operations in the C order (no fused multiply-adds on x86-64).

TFLM's patch makes KISS FFT's temporary allocations fail, so the generic butterfly (radices other
than 2, 3, 4, 5) would crash: those lengths are refused by the kernels (:func:`supported`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

KINDS = ("int16", "int32", "float32")
_FRACBITS = {"int16": 15, "int32": 31}
_SAMP_MAX = {"int16": (1 << 15) - 1, "int32": (1 << 31) - 1}
_BITS = {"int16": 16, "int32": 32}
RADICES = (2, 3, 4, 5)


def factors(n: int) -> list[tuple[int, int]]:
    """kf_factor: [(radix, remaining length), ...], radix 4 first, then 2, then odd numbers."""
    result, p = [], 4
    floor_sqrt = math.floor(math.sqrt(n))
    while True:
        while n % p:
            p = {4: 2, 2: 3}.get(p, p + 2)
            if p > floor_sqrt:
                p = n
        n //= p
        result.append((p, n))
        if n <= 1:
            return result


def supported(fft_length: int) -> bool:
    """A real FFT length TFLite Micro's KISS FFT runs: even, at least 4, its half a product of
    2, 3, 4 and 5 (the radices with butterflies that need no temporary buffer)."""
    return fft_length >= 4 and fft_length % 2 == 0 and all(p in RADICES for p, _ in factors(fft_length // 2))


class _Arith:
    """The scalar operations of one kiss_fft_scalar type; values are int64 arrays holding the
    fixed-point values, or float32 arrays."""

    def __init__(self, kind: str):
        self.kind = kind
        self.fixed = kind != "float32"
        if self.fixed:
            self.frac = _FRACBITS[kind]
            self.bits = _BITS[kind]
            self.samp_max = _SAMP_MAX[kind]

    def wrap(self, x):
        if not self.fixed:
            return x
        half = 1 << (self.bits - 1)
        return ((x + half) & ((1 << self.bits) - 1)) - half

    def sround(self, x):
        return self.wrap((x + (1 << (self.frac - 1))) >> self.frac)

    def add(self, a, b):
        return self.wrap(a + b) if self.fixed else (a + b).astype(np.float32)

    def sub(self, a, b):
        return self.wrap(a - b) if self.fixed else (a - b).astype(np.float32)

    def neg(self, a):
        return self.wrap(-a) if self.fixed else (-a).astype(np.float32)

    def smul(self, a, b):
        """S_MUL."""
        return self.sround(a * b) if self.fixed else (a * b).astype(np.float32)

    def cmul(self, ar, ai, br, bi):
        """C_MUL: (m.r, m.i) = a * b."""
        if self.fixed:
            return self.sround(ar * br - ai * bi), self.sround(ar * bi + ai * br)
        return (ar * br - ai * bi).astype(np.float32), (ar * bi + ai * br).astype(np.float32)

    def fixdiv(self, x, div: int):
        """C_FIXDIV on one part: a no-op in floating point."""
        return self.sround(x * (self.samp_max // div)) if self.fixed else x

    def half(self, x):
        """HALF_OF applied to an expression of scalars (computed in int, or float)."""
        return self.wrap(x >> 1) if self.fixed else (x * np.float32(0.5)).astype(np.float32)

    def cexp(self, phase: float) -> tuple:
        if self.fixed:
            return (math.floor(0.5 + self.samp_max * math.cos(phase)),
                    math.floor(0.5 + self.samp_max * math.sin(phase)))
        return np.float32(math.cos(phase)), np.float32(math.sin(phase))

    def array(self, values):
        return np.asarray(values, np.int64 if self.fixed else np.float32)


@dataclass(frozen=True)
class RealFft:
    """A prepared kiss_fftr configuration (kiss_fftr_alloc) for one length and direction."""

    kind: str
    fft_length: int
    inverse: bool
    stages: tuple  # (radix, m, fstride) from the outermost stage in
    order: np.ndarray  # input index of each output slot after kf_work's leaf copies
    twiddles: tuple  # (re, im) arrays of n entries
    super_twiddles: tuple  # (re, im) arrays of n/2 entries

    @classmethod
    def plan(cls, kind: str, fft_length: int, inverse: bool) -> "RealFft":
        arith = _Arith(kind)
        n = fft_length // 2
        pi = 3.141592653589793  # both of kissfft's pi literals round to this double
        twiddles = [arith.cexp((-1 if inverse else 1) * (-2 * pi * i / n)) for i in range(n)]
        supers = [arith.cexp((-1 if inverse else 1) * (-pi * ((i + 1) / n + 0.5))) for i in range(n // 2)]
        stages, fstride = [], 1
        for radix, m in factors(n):
            stages.append((radix, m, fstride))
            fstride *= radix
        return cls(kind, fft_length, inverse, tuple(stages), _leaf_order(stages),
                   tuple(arith.array([t[k] for t in twiddles]) for k in (0, 1)),
                   tuple(arith.array([t[k] for t in supers]) for k in (0, 1)))

    # -- the complex FFT (kf_work) -----------------------------------------------------------
    def complex_fft(self, re, im):
        """kiss_fft on rows of n complex values (arrays of shape (rows, n))."""
        arith = _Arith(self.kind)
        re, im = re[:, self.order], im[:, self.order]
        rows = re.shape[0]
        for radix, m, fstride in reversed(self.stages):
            shape = (rows, fstride, radix, m)
            parts = [(re.reshape(shape)[:, :, q], im.reshape(shape)[:, :, q]) for q in range(radix)]
            parts = _BUTTERFLIES[radix](self, arith, parts, m, fstride)
            re = np.stack([p[0] for p in parts], axis=2).reshape(rows, -1)
            im = np.stack([p[1] for p in parts], axis=2).reshape(rows, -1)
        return re, im

    def tw(self, index):
        return self.twiddles[0][index], self.twiddles[1][index]

    # -- the real transforms (tools/kiss_fftr.c) -------------------------------------------------
    def forward(self, samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """kiss_fftr: rows of fft_length samples to rows of n + 1 bins (re, im)."""
        arith = _Arith(self.kind)
        n = self.fft_length // 2
        x = arith.array(samples)
        tr, ti = self.complex_fft(x[:, 0::2], x[:, 1::2])
        rows = x.shape[0]
        out_r, out_i = arith.array(np.zeros((rows, n + 1))), arith.array(np.zeros((rows, n + 1)))
        dc_r, dc_i = arith.fixdiv(tr[:, 0], 2), arith.fixdiv(ti[:, 0], 2)
        out_r[:, 0], out_r[:, n] = arith.add(dc_r, dc_i), arith.sub(dc_r, dc_i)
        k = np.arange(1, n // 2 + 1)
        if k.size:
            (f1_r, f1_i), (tw_r, tw_i) = self._split(arith, tr, ti, k)
            out_r[:, k], out_i[:, k] = arith.half(f1_r + tw_r), arith.half(f1_i + tw_i)
            # for k = n / 2 both writes hit one bin: the second (n - k) one stays
            out_r[:, n - k], out_i[:, n - k] = arith.half(f1_r - tw_r), arith.half(tw_i - f1_i)
        return out_r, out_i

    def _split(self, arith: _Arith, re, im, k: np.ndarray):
        """Both directions' split step for bins k and n - k: with f = X[k] / 2 and g =
        conj(X[n - k]) / 2, the sum f + g and the twiddled difference (f - g) * super twiddle."""
        n = self.fft_length // 2
        f_r, f_i = arith.fixdiv(re[:, k], 2), arith.fixdiv(im[:, k], 2)
        g_r, g_i = arith.fixdiv(re[:, n - k], 2), arith.fixdiv(arith.neg(im[:, n - k]), 2)
        total = (arith.add(f_r, g_r), arith.add(f_i, g_i))
        twiddled = arith.cmul(arith.sub(f_r, g_r), arith.sub(f_i, g_i), self.super_twiddles[0][k - 1],
                              self.super_twiddles[1][k - 1])
        return total, twiddled

    def inverse_transform(self, re: np.ndarray, im: np.ndarray) -> np.ndarray:
        """kiss_fftri: rows of n + 1 bins to rows of fft_length samples (unscaled)."""
        arith = _Arith(self.kind)
        n = self.fft_length // 2
        re, im = arith.array(re), arith.array(im)
        tr, ti = arith.array(np.zeros((re.shape[0], n))), arith.array(np.zeros((re.shape[0], n)))
        tr[:, 0] = arith.fixdiv(arith.add(re[:, 0], re[:, n]), 2)
        ti[:, 0] = arith.fixdiv(arith.sub(re[:, 0], re[:, n]), 2)
        k = np.arange(1, n // 2 + 1)
        if k.size:
            (fe_r, fe_i), (fo_r, fo_i) = self._split(arith, re, im, k)
            tr[:, k], ti[:, k] = arith.add(fe_r, fo_r), arith.add(fe_i, fo_i)
            tr[:, n - k] = arith.sub(fe_r, fo_r)
            ti[:, n - k] = arith.neg(arith.sub(fe_i, fo_i))
        out_r, out_i = self.complex_fft(tr, ti)
        samples = np.empty((re.shape[0], 2 * n), out_r.dtype)
        samples[:, 0::2], samples[:, 1::2] = out_r, out_i
        return samples


def _leaf_order(stages) -> np.ndarray:
    """The input index kf_work copies into each output slot (its recursion's leaves)."""

    def walk(level: int, offset: int, fstride: int) -> list[int]:
        radix, m, _ = stages[level]
        if m == 1:
            return [offset + j * fstride for j in range(radix)]
        return [i for j in range(radix) for i in walk(level + 1, offset + j * fstride, fstride * radix)]

    return np.array(walk(0, 0, 1), np.int64)


# -- butterflies: parts[q] = (re, im) of Fout[q*m + k] for k < m, over (rows, blocks, m) ----------
def _bfly2(fft: RealFft, a: _Arith, parts, m: int, fstride: int):
    (r0, i0), (r1, i1) = [(a.fixdiv(r, 2), a.fixdiv(i, 2)) for r, i in parts]
    tr, ti = a.cmul(r1, i1, *fft.tw(np.arange(m) * fstride))
    return [(a.add(r0, tr), a.add(i0, ti)), (a.sub(r0, tr), a.sub(i0, ti))]


def _bfly4(fft: RealFft, a: _Arith, parts, m: int, fstride: int):
    (r0, i0), (r1, i1), (r2, i2), (r3, i3) = [(a.fixdiv(r, 4), a.fixdiv(i, 4)) for r, i in parts]
    k = np.arange(m)
    s0 = a.cmul(r1, i1, *fft.tw(k * fstride))
    s1 = a.cmul(r2, i2, *fft.tw(2 * k * fstride))
    s2 = a.cmul(r3, i3, *fft.tw(3 * k * fstride))
    s5 = (a.sub(r0, s1[0]), a.sub(i0, s1[1]))
    r0, i0 = a.add(r0, s1[0]), a.add(i0, s1[1])
    s3 = (a.add(s0[0], s2[0]), a.add(s0[1], s2[1]))
    s4 = (a.sub(s0[0], s2[0]), a.sub(s0[1], s2[1]))
    out2 = (a.sub(r0, s3[0]), a.sub(i0, s3[1]))
    out0 = (a.add(r0, s3[0]), a.add(i0, s3[1]))
    if fft.inverse:
        out1 = (a.sub(s5[0], s4[1]), a.add(s5[1], s4[0]))
        out3 = (a.add(s5[0], s4[1]), a.sub(s5[1], s4[0]))
    else:
        out1 = (a.add(s5[0], s4[1]), a.sub(s5[1], s4[0]))
        out3 = (a.sub(s5[0], s4[1]), a.add(s5[1], s4[0]))
    return [out0, out1, out2, out3]


def _bfly3(fft: RealFft, a: _Arith, parts, m: int, fstride: int):
    (r0, i0), (r1, i1), (r2, i2) = [(a.fixdiv(r, 3), a.fixdiv(i, 3)) for r, i in parts]
    k = np.arange(m)
    epi3_i = fft.twiddles[1][fstride * m]
    s1 = a.cmul(r1, i1, *fft.tw(k * fstride))
    s2 = a.cmul(r2, i2, *fft.tw(2 * k * fstride))
    s3 = (a.add(s1[0], s2[0]), a.add(s1[1], s2[1]))
    s0 = (a.sub(s1[0], s2[0]), a.sub(s1[1], s2[1]))
    m_r, m_i = a.sub(r0, a.half(s3[0])), a.sub(i0, a.half(s3[1]))
    s0 = (a.smul(s0[0], epi3_i), a.smul(s0[1], epi3_i))
    out0 = (a.add(r0, s3[0]), a.add(i0, s3[1]))
    out2 = (a.add(m_r, s0[1]), a.sub(m_i, s0[0]))
    out1 = (a.sub(m_r, s0[1]), a.add(m_i, s0[0]))
    return [out0, out1, out2]


def _bfly5(fft: RealFft, a: _Arith, parts, m: int, fstride: int):
    f = [(a.fixdiv(r, 5), a.fixdiv(i, 5)) for r, i in parts]
    u = np.arange(m)
    ya = fft.tw(fstride * m)
    yb = fft.tw(2 * fstride * m)
    s0 = f[0]
    s1, s2, s3, s4 = (a.cmul(*f[q], *fft.tw(q * u * fstride)) for q in range(1, 5))
    s7 = (a.add(s1[0], s4[0]), a.add(s1[1], s4[1]))
    s10 = (a.sub(s1[0], s4[0]), a.sub(s1[1], s4[1]))
    s8 = (a.add(s2[0], s3[0]), a.add(s2[1], s3[1]))
    s9 = (a.sub(s2[0], s3[0]), a.sub(s2[1], s3[1]))
    out0 = (a.add(s0[0], a.add(s7[0], s8[0])), a.add(s0[1], a.add(s7[1], s8[1])))
    s5 = (a.add(a.add(s0[0], a.smul(s7[0], ya[0])), a.smul(s8[0], yb[0])),
          a.add(a.add(s0[1], a.smul(s7[1], ya[0])), a.smul(s8[1], yb[0])))
    s6 = (a.add(a.smul(s10[1], ya[1]), a.smul(s9[1], yb[1])),
          a.sub(a.neg(a.smul(s10[0], ya[1])), a.smul(s9[0], yb[1])))
    out1 = (a.sub(s5[0], s6[0]), a.sub(s5[1], s6[1]))
    out4 = (a.add(s5[0], s6[0]), a.add(s5[1], s6[1]))
    s11 = (a.add(a.add(s0[0], a.smul(s7[0], yb[0])), a.smul(s8[0], ya[0])),
           a.add(a.add(s0[1], a.smul(s7[1], yb[0])), a.smul(s8[1], ya[0])))
    s12 = (a.add(a.neg(a.smul(s10[1], yb[1])), a.smul(s9[1], ya[1])),
           a.sub(a.smul(s10[0], yb[1]), a.smul(s9[0], ya[1])))
    out2 = (a.add(s11[0], s12[0]), a.add(s11[1], s12[1]))
    out3 = (a.sub(s11[0], s12[0]), a.sub(s11[1], s12[1]))
    return [out0, out1, out2, out3, out4]


_BUTTERFLIES = {2: _bfly2, 3: _bfly3, 4: _bfly4, 5: _bfly5}
