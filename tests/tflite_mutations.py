"""Mutations of .tflite files, shared by tests/test_loader_mutations.py and benchmarks/fuzz_loader.py.

A mutation draws its choices from a ``Draw`` (``integer(lo, hi)``, inclusive), so the same code
runs under Hypothesis (which can then shrink a failing mutant) and under ``random.Random`` (the
standalone fuzzing campaign). Structure-aware mutations use positions the loader itself reports
while reading the seed: uoffsets it follows, tables, vtables and vector-length words.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import numpy as np

import microinfer
from microinfer import ModelError
from microinfer.tflite import ModelBuilder, options
from microinfer.tflite.flatbuf import FlatBuffer
from microinfer.tflite.loader import _ModelReader

INTERESTING_U8 = (0x00, 0x01, 0x7F, 0x80, 0xFF, 0x10, 0x20, 0x40)
INTERESTING_U16 = (0x0000, 0x0001, 0x0002, 0x0004, 0x7FFF, 0x8000, 0xFFFF, 0xFFFE)
INTERESTING_U32 = (
    0x00000000, 0x00000001, 0x00000003, 0x00000004, 0x0000007F, 0x00000080, 0x000000FF,
    0x00007FFF, 0x0000FFFF, 0x00010000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFF0, 0xFFFFFFFC,
    0xFFFFFFFF, 0x3FFFFFFF, 0x40000000,
)
INTERESTING_U64 = (0, 1, 0x7FFFFFFFFFFFFFFF, 0x8000000000000000, 0xFFFFFFFFFFFFFFFF, 0xFFFFFFF0)
INTERESTING_F32 = (float("nan"), float("inf"), float("-inf"), -0.0, 1e38, -1.0, 1e-45)


class RandomDraw:
    """A ``Draw`` backed by ``random.Random``."""

    def __init__(self, rng):
        self.rng = rng

    def integer(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)


class HypothesisDraw:
    """A ``Draw`` backed by Hypothesis' ``st.data()``."""

    def __init__(self, data):
        from hypothesis import strategies as st

        self._st = st
        self.data = data

    def integer(self, lo: int, hi: int) -> int:
        return self.data.draw(self._st.integers(lo, hi))


# -- seed models ---------------------------------------------------------------------------------
def builder_seeds() -> dict[str, bytes]:
    """Small models covering the loader's features, built without any file on disk."""
    return {"builder_fc": _fc_model(), "builder_conv": _conv_model(), "builder_control": _control_model()}


def _fc_model() -> bytes:
    b = ModelBuilder("fc with per-channel weights")
    g = b.main
    x = g.add_input("x", (1, 8), "int8", scale=0.05, zero_point=-3)
    w = g.add_constant(
        "w", np.arange(32, dtype=np.int8).reshape(4, 8), scale=[0.01, 0.02, 0.03, 0.04], zero_point=0
    )
    bias = g.add_constant("b", np.array([1, -2, 3, -4], dtype=np.int32), scale=[5e-4, 1e-3, 1.5e-3, 2e-3], zero_point=0)
    y = g.add_tensor("y", (1, 4), "int8", scale=0.1, zero_point=2)
    g.add_operator("FULLY_CONNECTED", [x, w, bias], [y], options.FullyConnectedOptions())
    g.outputs.append(y)
    b.add_signature("serving_default", {"x": x}, {"y": y})
    b.add_offline_memory_allocation([-1, -1, -1, 0])
    return b.build()


def _conv_model() -> bytes:
    b = ModelBuilder("conv, int4 weights, reshape, softmax, custom op")
    g = b.main
    x = g.add_input("image", (1, 4, 4, 2), "int8", scale=0.5, zero_point=0)
    w = g.add_constant(
        "filters", (np.arange(36).reshape(2, 3, 3, 2) % 15 - 7).astype(np.int8), dtype="int4",
        scale=[0.1, 0.2], zero_point=[0, 0], axis=0,
    )
    c = g.add_tensor("conv", (1, 4, 4, 2), "int8", scale=0.25, zero_point=-1)
    g.add_operator("CONV_2D", [x, w, -1], [c], options.Conv2DOptions(stride_w=1, stride_h=1), version=3)
    shape = g.add_constant("shape", np.array([1, 32], dtype=np.int32))
    r = g.add_tensor("flat", (1, 32), "int8", scale=0.25, zero_point=-1, shape_signature=(-1, 32))
    g.add_operator("RESHAPE", [c, shape], [r], options.ReshapeOptions(new_shape=(1, 32)))
    s = g.add_tensor("probs", (1, 32), "int8", scale=1 / 256, zero_point=-128)
    g.add_operator("SOFTMAX", [r], [s], options.SoftmaxOptions(beta=1.0))
    f = g.add_constant("f32", np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3))
    out = g.add_tensor("custom_out", (1, 32), "float32")
    g.add_operator("CUSTOM", [s, f], [out], custom_code="MyOp", custom_options=b"\x01\x02\x03abc")
    g.outputs.append(out)
    b.add_metadata("min_runtime_version", b"1.5.0\x00")
    return b.build()


def _control_model() -> bytes:
    b = ModelBuilder("two subgraphs")
    g = b.main
    cond = g.add_input("cond", (1,), "bool")
    x = g.add_input("x", (2, 3), "int16", scale=1 / 4096, zero_point=0)
    y = g.add_tensor("y", (2, 3), "int16", scale=1 / 4096, zero_point=0)
    g.add_operator("IF", [cond, x], [y], options.IfOptions(then_subgraph_index=1, else_subgraph_index=1))
    g.outputs.append(y)
    body = b.add_subgraph("body")
    bx = body.add_input("bx", (2, 3), "int16", scale=1 / 4096, zero_point=0)
    k = body.add_constant("k", np.full((2, 3), 7, dtype=np.int16), scale=1 / 4096, zero_point=0)
    by = body.add_output("by", (2, 3), "int16", scale=1 / 4096, zero_point=0)
    body.add_operator("ADD", [bx, k], [by], options.AddOptions())
    return b.build()


# -- structure the loader reports ----------------------------------------------------------------
@dataclass
class Seed:
    name: str
    data: bytes
    offsets: list[int] = field(default_factory=list)  # positions of uoffsets the loader follows
    tables: list[int] = field(default_factory=list)  # positions of tables (their soffset word)
    vtables: list[int] = field(default_factory=list)  # positions of vtables
    vectors: list[int] = field(default_factory=list)  # positions of vector-length words


class _RecordingFlatBuffer(FlatBuffer):
    __slots__ = ("seen",)

    def __init__(self, data: bytes):
        super().__init__(data)
        self.seen = {"offsets": set(), "tables": set(), "vtables": set(), "vectors": set()}

    def check_range(self, pos, length, path, what):
        if what == "table" and length == 4:
            self.seen["tables"].add(pos)
        elif what == "vtable" and length == 4:
            self.seen["vtables"].add(pos)
        super().check_range(pos, length, path, what)

    def u32(self, pos, path, what):
        if what == "vector length":
            self.seen["vectors"].add(pos)
        return super().u32(pos, path, what)

    def follow(self, pos, path, what):
        self.seen["offsets"].add(pos)
        return super().follow(pos, path, what)


def make_seed(name: str, data: bytes) -> Seed:
    fb = _RecordingFlatBuffer(data)
    _ModelReader(fb).read()
    return Seed(name, data, *(sorted(fb.seen[k]) for k in ("offsets", "tables", "vtables", "vectors")))


# -- mutations -----------------------------------------------------------------------------------
def _pick(draw, seq):
    return seq[draw.integer(0, len(seq) - 1)]


def _position(draw, buf: bytearray, seed: Seed, width: int) -> int:
    """A position to overwrite: mostly structural (as the loader saw the seed), sometimes anywhere."""
    kind = draw.integer(0, 5)
    pools = (seed.offsets, seed.tables, seed.vtables, seed.vectors)
    if kind < 4 and pools[kind]:
        pos = _pick(draw, pools[kind])
        if kind == 2:  # a vtable: its size words or one of its entries
            pos += 2 * draw.integer(0, 7)
    else:
        pos = draw.integer(0, max(0, len(buf) - 1))
    return min(pos, max(0, len(buf) - width))


def flip_bits(draw, buf: bytearray, seed: Seed, corpus) -> bytearray:
    if buf:
        for _ in range(draw.integer(1, 8)):
            pos = _position(draw, buf, seed, 1) if draw.integer(0, 1) else draw.integer(0, len(buf) - 1)
            buf[pos] ^= 1 << draw.integer(0, 7)
    return buf


def overwrite_interesting(draw, buf: bytearray, seed: Seed, corpus) -> bytearray:
    width = _pick(draw, (1, 2, 4, 4, 4, 8))
    if len(buf) < width:
        return buf
    pos = _position(draw, buf, seed, width)
    if width == 1:
        buf[pos] = _pick(draw, INTERESTING_U8)
    elif width == 2:
        struct.pack_into("<H", buf, pos, _pick(draw, INTERESTING_U16))
    elif width == 8:
        struct.pack_into("<Q", buf, pos, _pick(draw, INTERESTING_U64))
    else:
        choice = draw.integer(0, 3)
        if choice == 0:
            struct.pack_into("<f", buf, pos, _pick(draw, INTERESTING_F32))
        elif choice == 1:  # relative to the file: point just inside or just past the end
            value = (len(buf) - pos + draw.integer(-8, 8)) & 0xFFFFFFFF
            struct.pack_into("<I", buf, pos, value)
        else:
            struct.pack_into("<I", buf, pos, _pick(draw, INTERESTING_U32))
    return buf


def truncate(draw, buf: bytearray, seed: Seed, corpus) -> bytearray:
    if draw.integer(0, 2) == 0:
        return buf[: draw.integer(0, min(len(buf), 64))]
    return buf[: draw.integer(0, len(buf))]


def splice(draw, buf: bytearray, seed: Seed, corpus) -> bytearray:
    """Copy a chunk of another model (or of this one) over or into this one."""
    donor = buf if draw.integer(0, 2) == 0 else _pick(draw, corpus).data
    if not donor or not buf:
        return buf
    start = draw.integer(0, len(donor) - 1)
    length = draw.integer(1, min(len(donor) - start, _pick(draw, (4, 16, 64, 512, 1 << 20))))
    chunk = bytes(donor[start : start + length])
    pos = draw.integer(0, len(buf) - 1)
    if draw.integer(0, 1):
        buf[pos : pos + length] = chunk  # overwrite (may extend the file)
    else:
        buf[pos:pos] = chunk  # insert: shifts everything after it
    return buf


def delete_chunk(draw, buf: bytearray, seed: Seed, corpus) -> bytearray:
    if buf:
        pos = draw.integer(0, len(buf) - 1)
        del buf[pos : pos + draw.integer(1, _pick(draw, (1, 4, 16, 256)))]
    return buf


def inflate_vector_length(draw, buf: bytearray, seed: Seed, corpus) -> bytearray:
    """Make a vector claim more (or fewer) elements than it holds."""
    if not seed.vectors:
        return buf
    pos = _pick(draw, seed.vectors)
    if pos + 4 > len(buf):
        return buf
    (length,) = struct.unpack_from("<I", buf, pos)
    choice = draw.integer(0, 5)
    if choice == 0:
        new = length + draw.integer(1, 16)
    elif choice == 1:
        new = length * _pick(draw, (2, 4, 16, 1024))
    elif choice == 2:
        new = (len(buf) - pos - 4) // _pick(draw, (1, 2, 4, 8)) + draw.integer(-1, 1)
    elif choice == 3:
        new = _pick(draw, INTERESTING_U32)
    elif choice == 4:
        new = max(0, length - draw.integer(1, 4))
    else:
        new = draw.integer(0, 0xFFFFFFFF)
    struct.pack_into("<I", buf, pos, new & 0xFFFFFFFF)
    return buf


def random_bytes(draw, buf: bytearray, seed: Seed, corpus) -> bytearray:
    """Replace the file by random bytes, sometimes with a plausible header."""
    n = _pick(draw, (0, 1, 7, 8, 16, 64, 256, 4096))
    out = bytearray(draw.integer(0, 255) for _ in range(min(n, 64)))
    if n > 64:
        out += np.random.default_rng(draw.integer(0, 2**32 - 1)).bytes(n - 64)
    if n >= 8 and draw.integer(0, 1):
        out[0:4] = struct.pack("<I", draw.integer(0, n))
        out[4:8] = b"TFL3"
    return out


def random_region(draw, buf: bytearray, seed: Seed, corpus) -> bytearray:
    """Overwrite a region of the file with random bytes."""
    if buf:
        pos = draw.integer(0, len(buf) - 1)
        n = min(len(buf) - pos, _pick(draw, (1, 4, 16, 128)))
        buf[pos : pos + n] = np.random.default_rng(draw.integer(0, 2**32 - 1)).bytes(n)
    return buf


MUTATIONS = (
    flip_bits, overwrite_interesting, overwrite_interesting, truncate, splice, delete_chunk,
    inflate_vector_length, inflate_vector_length, random_bytes, random_region,
)


def mutate(draw, seed: Seed, corpus: list[Seed]) -> bytes:
    """One mutant of ``seed``: one to four mutations stacked."""
    buf = bytearray(seed.data)
    for _ in range(_pick(draw, (1, 1, 1, 2, 2, 3, 4))):
        buf = _pick(draw, MUTATIONS)(draw, buf, seed, corpus)
    return bytes(buf)


# -- the property ----------------------------------------------------------------------------------
def load_and_touch(data: bytes) -> microinfer.Model | None:
    """Load ``data``; on success read every byte of constant data. None when it raised ModelError.

    Any other exception propagates: that is the failure the mutation tests look for.
    """
    try:
        model = microinfer.load(data)
    except ModelError as exc:
        if not str(exc):
            raise AssertionError("ModelError without a message") from exc
        return None
    checksum = 0
    for buffer in model.buffers:
        if buffer.data is not None:
            checksum += _touch(buffer.data)
    for sg in model.subgraphs:
        for tensor in sg.tensors:
            if tensor.data is not None:
                assert not tensor.data.flags.writeable, f"tensor {tensor.name!r}: data is writeable"
                checksum += _touch(tensor.data)
            if tensor.quantization is not None:
                q = tensor.quantization
                checksum += int(np.nansum(q.scale, dtype=np.float64) != 0) + int(q.zero_point.sum())
        for op in sg.operators:
            if op.custom_options is not None:
                checksum += sum(op.custom_options)
    for value in model.metadata.values():
        checksum += _touch(value)
    return model


def _touch(array: np.ndarray) -> int:
    flat = np.ascontiguousarray(array).reshape(-1)
    return int(flat.view(np.uint8).sum(dtype=np.uint64)) if flat.size else 0
