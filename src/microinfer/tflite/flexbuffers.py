"""A bounds-checked reader of FlexBuffers maps: the custom options of custom operators.

Reads a root map of scalars the way ``flexbuffers::GetRoot(...).AsMap()`` and ``Reference::AsInt32``
/ ``AsFloat`` / ``AsBool`` / ``IsNull`` do in the references (keys found by the same binary search,
a missing key reading as null, ints and floats converted into one another as the C++ accessors
convert them). Every offset, width and string is checked against the blob before it is followed:
a malformed blob raises :class:`~microinfer.ModelError`, never ``IndexError`` or ``struct.error``.
Nested maps, vectors, strings and blobs are not values any caller needs and are refused.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from ..errors import ModelError

# FlexBuffers value types (flexbuffers.h, enum Type).
NULL, INT, UINT, FLOAT, KEY = 0, 1, 2, 3, 4
INDIRECT_INT, INDIRECT_UINT, INDIRECT_FLOAT, MAP = 6, 7, 8, 9
BOOL = 26
_INLINE = (NULL, INT, UINT, FLOAT, BOOL)
_INDIRECT = (INDIRECT_INT, INDIRECT_UINT, INDIRECT_FLOAT)
_SIGNED = {1: "<b", 2: "<h", 4: "<i", 8: "<q"}
_UNSIGNED = {1: "<B", 2: "<H", 4: "<I", 8: "<Q"}
# ReadDouble: 1- and 2-byte "floats" are read as signed integers, as flexbuffers.h does.
_FLOATING = {1: "<b", 2: "<h", 4: "<f", 8: "<d"}


@dataclass(frozen=True)
class Value:
    """One scalar of the map: its FlexBuffers type and its value as the C++ reader sees it."""

    type: int
    number: int | float  # the integer (INT, UINT, BOOL) or floating-point (FLOAT) value; 0 for NULL

    @property
    def is_null(self) -> bool:
        return self.type == NULL

    def as_int32(self) -> int:
        """``Reference::AsInt32``: the value as int64 (floats truncated), cut to 32 bits."""
        whole = int(self.number) if self.type != FLOAT else _truncate(self.number)
        return ((whole + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)

    def as_float(self) -> np.float32:
        """``Reference::AsFloat``: float(AsDouble()), integers converted, null 0."""
        return np.float32(float(self.number))

    def as_bool(self) -> bool:
        """``Reference::AsBool``: nonzero (a float truncated to an integer first)."""
        return (int(self.number) if self.type != FLOAT else _truncate(self.number)) != 0


NULL_VALUE = Value(NULL, 0)


def _truncate(x: float) -> int:
    """static_cast<int64_t>(double) as x86 does it: toward zero, INT64_MIN when out of range."""
    if x != x or abs(x) >= 2.0**63:
        return -(1 << 63)
    return int(x)


class FlexMap:
    """The root map of a FlexBuffers blob: ``m[key]`` is a :class:`Value` (null when absent)."""

    def __init__(self, blob: bytes, where: str = "custom options"):
        self._blob = bytes(blob)
        self._where = where
        self._keys, self._values = self._parse_root()

    def __getitem__(self, key: str) -> Value:
        index = self._find(key.encode())
        return NULL_VALUE if index is None else self._values[index]

    def keys(self) -> list[str]:
        return [k.decode("utf-8", "replace") for k in self._keys]

    # -- parsing -----------------------------------------------------------------------------
    def _fail(self, what: str):
        raise ModelError(f"{self._where}: {what} ({len(self._blob)}-byte FlexBuffers blob)")

    def _read(self, fmt: str, at: int):
        size = struct.calcsize(fmt)
        if at < 0 or at + size > len(self._blob):
            self._fail(f"a {size}-byte read at byte {at} runs outside the blob")
        return struct.unpack_from(fmt, self._blob, at)[0]

    def _width(self, width: int, what: str) -> int:
        if width not in _UNSIGNED:
            self._fail(f"{what} has byte width {width}, not 1, 2, 4 or 8")
        return width

    def _indirect(self, at: int, width: int) -> int:
        """The position an offset stored at ``at`` points back to."""
        target = at - self._read(_UNSIGNED[width], at)
        if target < 0 or target >= len(self._blob):
            self._fail(f"the offset at byte {at} points outside the blob")
        return target

    def _parse_root(self) -> tuple[list[bytes], list[Value]]:
        size = len(self._blob)
        if size < 3:
            self._fail("too short for a root value, its type and its width")
        width = self._width(self._blob[-1], "the root")
        packed = self._blob[-2]
        if packed >> 2 != MAP:
            self._fail(f"the root has type {packed >> 2}, not a map")
        root = size - 2 - width
        if root < 0:
            self._fail("the root value runs outside the blob")
        return self._parse_map(self._indirect(root, width), self._width(1 << (packed & 3), "the map"))

    def _parse_map(self, at: int, width: int) -> tuple[list[bytes], list[Value]]:
        length = self._read(_UNSIGNED[width], at - width)
        if length * (width + 1) > len(self._blob):
            self._fail(f"the map claims {length} entries")
        keys_at = self._indirect(at - 3 * width, width)
        keys_width = self._width(self._read(_UNSIGNED[width], at - 2 * width), "the keys vector")
        if self._read(_UNSIGNED[keys_width], keys_at - keys_width) != length:
            self._fail("the map's keys and values differ in number")
        keys = [self._string(self._indirect(keys_at + i * keys_width, keys_width)) for i in range(length)]
        types_at = at + length * width
        values = [self._value(at + i * width, width, self._read("<B", types_at + i)) for i in range(length)]
        return keys, values

    def _string(self, at: int) -> bytes:
        end = self._blob.find(b"\0", at)
        if end < 0:
            self._fail(f"the key at byte {at} is not terminated")
        return self._blob[at:end]

    def _value(self, at: int, parent_width: int, packed: int) -> Value:
        kind, width = packed >> 2, self._width(1 << (packed & 3), "a value")
        if kind in _INLINE:
            return Value(kind, self._scalar(kind, at, parent_width))
        if kind in _INDIRECT:
            direct = {INDIRECT_INT: INT, INDIRECT_UINT: UINT, INDIRECT_FLOAT: FLOAT}[kind]
            return Value(direct, self._scalar(direct, self._indirect(at, parent_width), width))
        self._fail(f"a value of FlexBuffers type {kind} (only scalars are read)")

    def _scalar(self, kind: int, at: int, width: int):
        if kind == NULL:
            return 0
        if kind == FLOAT:
            return float(self._read(_FLOATING[width], at))
        if kind == INT:
            return int(self._read(_SIGNED[width], at))
        return int(self._read(_UNSIGNED[width], at))  # UINT, BOOL

    def _find(self, key: bytes) -> int | None:
        """glibc's bsearch with strcmp over the keys, as flexbuffers::Map::operator[] searches."""
        low, high = 0, len(self._keys)
        while low < high:
            middle = (low + high) // 2
            other = self._keys[middle]
            if key < other:
                high = middle
            elif key > other:
                low = middle + 1
            else:
                return middle
        return None
