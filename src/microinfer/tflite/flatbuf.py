"""A bounds-checked reader of the FlatBuffers wire format.

Every offset and length is checked against the buffer before it is followed, so a truncated or
crafted file raises :class:`~microinfer.ModelError` naming the table path and byte offset, never
``IndexError`` or ``struct.error``. Reading is driven by the TFLite schema (see ``loader.py``), so
the nesting depth is bounded by the schema itself; a work budget bounds the total work of
decoding (tables, vectors and their elements, each weighted by what it costs to decode), which
stops a small file whose tables share one table or one large vector many times over from
inflating into gigabytes or minutes: any file decodes in time and memory linear in its size.
"""

from __future__ import annotations

import struct

import numpy as np

from ..errors import ModelError

_U16 = struct.Struct("<H")
_I32 = struct.Struct("<i")
_U32 = struct.Struct("<I")

# Work units, roughly 0.1 us of decoding each: one vector element is one unit; a table, and the
# objects the loader builds from it, cost far more than an element, a vector header a little more.
# The shared models spend under two units per byte, so the budget leaves real models a wide margin
# while a crafted file that shares one table or vector many times over is refused in about a second
# at most (a few tenths for files of a few hundred KB).
TABLE_COST = 64
VECTOR_COST = 8
BUDGET_PER_BYTE = 16
BUDGET_BASE = 1_000_000

SCALAR_FORMATS = {
    "bool": struct.Struct("<?"),
    "i8": struct.Struct("<b"),
    "u8": struct.Struct("<B"),
    "i16": struct.Struct("<h"),
    "u16": struct.Struct("<H"),
    "i32": struct.Struct("<i"),
    "u32": struct.Struct("<I"),
    "i64": struct.Struct("<q"),
    "u64": struct.Struct("<Q"),
    "f32": struct.Struct("<f"),
    "f64": struct.Struct("<d"),
}

VECTOR_DTYPES = {
    "bool": np.dtype("?"),
    "i8": np.dtype("i1"),
    "u8": np.dtype("u1"),
    "i16": np.dtype("<i2"),
    "u16": np.dtype("<u2"),
    "i32": np.dtype("<i4"),
    "u32": np.dtype("<u4"),
    "i64": np.dtype("<i8"),
    "u64": np.dtype("<u8"),
    "f32": np.dtype("<f4"),
    "f64": np.dtype("<f8"),
}


class FlatBuffer:
    """The raw bytes of one flatbuffer and the work budget for decoding it."""

    __slots__ = ("data", "size", "budget", "_int_tuples")

    def __init__(self, data: bytes, budget: int | None = None):
        self.data = data
        self.size = len(data)
        self.budget = budget if budget is not None else BUDGET_PER_BYTE * self.size + BUDGET_BASE
        self._int_tuples: dict[tuple[int, int], tuple[int, ...]] = {}

    def spend(self, units: int, path: str) -> None:
        self.budget -= units
        if self.budget < 0:
            raise ModelError(
                f"{path}: the model references far more data than its {self.size} bytes hold "
                "(tables or vectors shared many times over); refusing to decode it"
            )

    def check_range(self, pos: int, length: int, path: str, what: str) -> None:
        if pos < 0 or length < 0 or pos + length > self.size:
            raise ModelError(
                f"{path}: {what} at byte {pos} (length {length}) lies outside the file "
                f"of {self.size} bytes"
            )

    def u32(self, pos: int, path: str, what: str) -> int:
        self.check_range(pos, 4, path, what)
        return _U32.unpack_from(self.data, pos)[0]

    def follow(self, pos: int, path: str, what: str) -> int:
        """The position a uoffset stored at ``pos`` points to."""
        target = pos + self.u32(pos, path, what)
        if target >= self.size:
            raise ModelError(
                f"{path}: {what} at byte {pos} points to byte {target}, past the end of the "
                f"file ({self.size} bytes)"
            )
        return target

    def root(self) -> "Table":
        if self.size < 8:
            raise ModelError(f"file is {self.size} bytes long: too short to be a TFLite flatbuffer")
        return Table(self, self.follow(0, "<root>", "root table offset"), "model")


class Table:
    """One table of a flatbuffer: a vtable of field offsets and the inline field data."""

    __slots__ = ("fb", "pos", "path", "_vtable", "_vtable_size", "_object_size")

    def __init__(self, fb: FlatBuffer, pos: int, path: str):
        fb.spend(TABLE_COST, path)
        fb.check_range(pos, 4, path, "table")
        vtable = pos - _I32.unpack_from(fb.data, pos)[0]
        fb.check_range(vtable, 4, path, "vtable")
        vtable_size, object_size = struct.unpack_from("<HH", fb.data, vtable)
        if vtable_size < 4 or vtable_size % 2:
            raise ModelError(f"{path}: vtable at byte {vtable} has invalid size {vtable_size}")
        if object_size < 4:
            raise ModelError(f"{path}: table at byte {pos} has invalid inline size {object_size}")
        fb.check_range(vtable, vtable_size, path, "vtable")
        fb.check_range(pos, object_size, path, "table")
        self.fb = fb
        self.pos = pos
        self.path = path
        self._vtable = vtable
        self._vtable_size = vtable_size
        self._object_size = object_size

    def _field(self, slot: int, width: int, name: str) -> int | None:
        """Absolute position of field ``slot`` (0-based), or None when it is absent."""
        entry = 4 + 2 * slot
        if entry + 2 > self._vtable_size:
            return None
        offset = _U16.unpack_from(self.fb.data, self._vtable + entry)[0]
        if offset == 0:
            return None
        if offset + width > self._object_size:
            raise ModelError(
                f"{self.path}.{name}: field offset {offset} (+{width} bytes) runs past the end "
                f"of its table ({self._object_size} bytes) at byte {self.pos}"
            )
        return self.pos + offset

    def has(self, slot: int) -> bool:
        entry = 4 + 2 * slot
        if entry + 2 > self._vtable_size:
            return False
        return _U16.unpack_from(self.fb.data, self._vtable + entry)[0] != 0

    def scalar(self, slot: int, kind: str, default, name: str):
        fmt = SCALAR_FORMATS[kind]
        pos = self._field(slot, fmt.size, name)
        if pos is None:
            return default
        return fmt.unpack_from(self.fb.data, pos)[0]

    def _target(self, slot: int, name: str) -> int | None:
        pos = self._field(slot, 4, name)
        if pos is None:
            return None
        return self.fb.follow(pos, f"{self.path}.{name}", "offset")

    def table(self, slot: int, name: str) -> "Table | None":
        target = self._target(slot, name)
        return None if target is None else Table(self.fb, target, f"{self.path}.{name}")

    def _vector_header(self, slot: int, elem_size: int, name: str) -> tuple[int, int] | None:
        target = self._target(slot, name)
        if target is None:
            return None
        path = f"{self.path}.{name}"
        length = self.fb.u32(target, path, "vector length")
        if length * elem_size > self.fb.size - target - 4:
            raise ModelError(
                f"{path}: vector at byte {target} claims {length} elements of {elem_size} bytes, "
                f"more than the {self.fb.size - target - 4} bytes left in the file"
            )
        self.fb.spend(VECTOR_COST + length, path)
        return target + 4, length

    def vector(self, slot: int, kind: str, name: str) -> np.ndarray | None:
        """A vector of scalars as a read-only NumPy view into the file (no copy)."""
        dtype = VECTOR_DTYPES[kind]
        header = self._vector_header(slot, dtype.itemsize, name)
        if header is None:
            return None
        start, length = header
        return np.frombuffer(self.fb.data, dtype=dtype, count=length, offset=start)

    def int_tuple(self, slot: int, name: str) -> tuple[int, ...] | None:
        """A vector of int32 as a tuple of ints; tables sharing one vector share one tuple."""
        header = self._vector_header(slot, 4, name)
        if header is None:
            return None
        values = self.fb._int_tuples.get(header)
        if values is None:
            start, length = header
            array = np.frombuffer(self.fb.data, dtype="<i4", count=length, offset=start)
            values = self.fb._int_tuples[header] = tuple(array.tolist())
        return values

    def byte_span(self, slot: int, name: str) -> tuple[int, int] | None:
        """(start, length) of a vector of bytes, for zero-copy views of constant data."""
        return self._vector_header(slot, 1, name)

    def tables(self, slot: int, name: str) -> list["Table"]:
        header = self._vector_header(slot, 4, name)
        if header is None:
            return []
        start, length = header
        path = f"{self.path}.{name}"
        return [
            Table(self.fb, self.fb.follow(start + 4 * i, f"{path}[{i}]", "offset"), f"{path}[{i}]")
            for i in range(length)
        ]

    def string(self, slot: int, name: str) -> str | None:
        header = self._vector_header(slot, 1, name)
        if header is None:
            return None
        start, length = header
        raw = self.fb.data[start : start + length]
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ModelError(
                f"{self.path}.{name}: string at byte {start} is not valid UTF-8 ({exc.reason})"
            ) from None

    def strings(self, slot: int, name: str) -> list[str]:
        header = self._vector_header(slot, 4, name)
        if header is None:
            return []
        start, length = header
        path = f"{self.path}.{name}"
        result = []
        for i in range(length):
            target = self.fb.follow(start + 4 * i, f"{path}[{i}]", "offset")
            n = self.fb.u32(target, f"{path}[{i}]", "string length")
            self.fb.check_range(target + 4, n, f"{path}[{i}]", "string")
            self.fb.spend(VECTOR_COST + n, f"{path}[{i}]")
            try:
                result.append(self.fb.data[target + 4 : target + 4 + n].decode("utf-8"))
            except UnicodeDecodeError as exc:
                raise ModelError(f"{path}[{i}]: string is not valid UTF-8 ({exc.reason})") from None
        return result
