"""A bounds-checked reader of FlexBuffers, the schema-less format of custom operators' options.

TFLite Micro's custom operators (the signal library's audio front end, CIRCULAR_BUFFER,
TFLite_Detection_PostProcess) read their parameters from ``Operator.custom_options``, a FlexBuffer
whose root is usually a map of named values. ``decode(blob)`` turns a blob into Python values:
maps become ``dict`` (keys in stored order: FlexBuffers stores them sorted), vectors ``list``,
integers ``int``, floats ``float``, booleans ``bool``, strings ``str``, blobs ``bytes``, null
``None``. Every offset, width and length is checked before it is followed, nesting is bounded and
the work is bounded by the blob's size, so a truncated or crafted blob raises
:class:`~microinfer.ModelError` saying what is wrong and where, never another exception.

Kernels that read a parameter as the C++ ``flexbuffers::Reference`` accessors do (``AsInt32``,
``AsFloat``, ``AsBool``: integers, floats and booleans converted into one another, null and absent
keys reading as 0) use :func:`as_int32`, :func:`as_float32` and :func:`as_bool` on the decoded
value; any other value (a string, vector, map or blob) is a ModelError there.

The wire format (flatbuffers/flexbuffers.h): the last byte is the root's byte width, the byte
before it the root's packed type (type << 2 | log2 of the child's byte width), and the root value
sits just before those. Scalars are stored inline; strings, vectors and maps are stored before
their parent and referenced by a backwards offset; a vector's length precedes its elements.
"""

from __future__ import annotations

import struct

import numpy as np

from ..errors import ModelError

# FlexBuffers types (flexbuffers::Type)
NULL, INT, UINT, FLOAT, KEY, STRING = 0, 1, 2, 3, 4, 5
INDIRECT_INT, INDIRECT_UINT, INDIRECT_FLOAT = 6, 7, 8
MAP, VECTOR, VECTOR_INT, VECTOR_UINT, VECTOR_FLOAT, VECTOR_KEY = 9, 10, 11, 12, 13, 14
VECTOR_STRING_DEPRECATED = 15
VECTOR_INT2, VECTOR_UINT2, VECTOR_FLOAT2 = 16, 17, 18
VECTOR_INT3, VECTOR_UINT3, VECTOR_FLOAT3 = 19, 20, 21
VECTOR_INT4, VECTOR_UINT4, VECTOR_FLOAT4 = 22, 23, 24
BLOB, BOOL, VECTOR_BOOL = 25, 26, 36

_TYPED_VECTORS = {VECTOR_INT: INT, VECTOR_UINT: UINT, VECTOR_FLOAT: FLOAT, VECTOR_KEY: KEY,
                  VECTOR_STRING_DEPRECATED: STRING, VECTOR_BOOL: BOOL}
_FIXED_VECTORS = {VECTOR_INT2: (INT, 2), VECTOR_UINT2: (UINT, 2), VECTOR_FLOAT2: (FLOAT, 2),
                  VECTOR_INT3: (INT, 3), VECTOR_UINT3: (UINT, 3), VECTOR_FLOAT3: (FLOAT, 3),
                  VECTOR_INT4: (INT, 4), VECTOR_UINT4: (UINT, 4), VECTOR_FLOAT4: (FLOAT, 4)}
_INLINE = (NULL, INT, UINT, FLOAT, BOOL)
_INDIRECT_SCALARS = {INDIRECT_INT: INT, INDIRECT_UINT: UINT, INDIRECT_FLOAT: FLOAT}
_WIDTHS = (1, 2, 4, 8)
_INT_FORMATS = {1: "<b", 2: "<h", 4: "<i", 8: "<q"}
_UINT_FORMATS = {1: "<B", 2: "<H", 4: "<I", 8: "<Q"}
_FLOAT_FORMATS = {4: "<f", 8: "<d"}  # TFLite's FlexBuffers builder writes no 16-bit floats

MAX_DEPTH = 32  # nesting of vectors and maps
WORK_PER_BYTE = 4  # elements decoded per byte of blob, at most: sharing cannot inflate a blob


def decode(blob: bytes, where: str = "custom_options"):
    """The value a FlexBuffer holds (a dict for the usual map of named parameters)."""
    return _Reader(bytes(blob), where).root()


def decode_map(blob: bytes | None, where: str = "custom_options") -> dict:
    """The map at the root of ``blob``: keys unique and sorted, as FlexBuffers requires (TFLite
    Micro finds a key by binary search and reads the values by position). An empty or absent blob
    is an empty map, as TFLite Micro's kernels treat it."""
    if not blob:
        return {}
    value = decode(blob, where)
    if not isinstance(value, dict):
        raise ModelError(f"{where}: the FlexBuffer root is a {type(value).__name__}, not a map")
    return value


# -- the C++ reader's conversions of one scalar ---------------------------------------------------
def _number(value, where: str) -> int | float:
    """A decoded scalar as a number: null (or an absent key) is 0, a bool 0 or 1."""
    if value is None:
        return 0
    if isinstance(value, (bool, int, float)):
        return value
    raise ModelError(f"{where}: a {type(value).__name__} where a number is read")


def _truncate(x: float) -> int:
    """static_cast<int64_t>(double) as x86 does it: toward zero, INT64_MIN when out of range."""
    if x != x or abs(x) >= 2.0**63:
        return -(1 << 63)
    return int(x)


def _as_int64(value, where: str) -> int:
    number = _number(value, where)
    return _truncate(number) if isinstance(number, float) else int(number)


def as_int32(value, where: str = "custom_options") -> int:
    """``Reference::AsInt32``: the value as int64 (floats truncated), cut to its low 32 bits."""
    return ((_as_int64(value, where) + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


def as_float32(value, where: str = "custom_options") -> np.float32:
    """``Reference::AsFloat``: the value as a double (integers converted), then as float32."""
    return np.float32(float(_number(value, where)))


def as_bool(value, where: str = "custom_options") -> bool:
    """``Reference::AsBool``: nonzero (a float truncated to an integer first)."""
    return _as_int64(value, where) != 0


class _Reader:
    def __init__(self, data: bytes, where: str):
        self.data = data
        self.where = where
        self.work = WORK_PER_BYTE * len(data) + 64

    def fail(self, message: str, offset: int | None = None):
        at = "" if offset is None else f" at byte {offset}"
        raise ModelError(f"{self.where}: malformed FlexBuffer{at}: {message}")

    def root(self):
        n = len(self.data)
        if n < 3:
            self.fail(f"{n} bytes is too short (a root needs a value, a type and a width)")
        width = self.data[-1]
        if width not in _WIDTHS:
            self.fail(f"root byte width {width} is not 1, 2, 4 or 8", n - 1)
        packed = self.data[-2]
        position = n - 2 - width
        if position < 0:
            self.fail(f"the root value of {width} bytes does not fit", n - 2)
        return self.value(position, width, packed, 0)

    # -- scalars -------------------------------------------------------------------------------
    def _bytes(self, position: int, count: int) -> bytes:
        if position < 0 or count < 0 or position + count > len(self.data):
            self.fail(f"{count} bytes at {position} run outside the {len(self.data)}-byte blob", position)
        return self.data[position:position + count]

    def _int(self, position: int, width: int) -> int:
        return struct.unpack(_INT_FORMATS[width], self._bytes(position, width))[0]

    def _uint(self, position: int, width: int) -> int:
        return struct.unpack(_UINT_FORMATS[width], self._bytes(position, width))[0]

    def _float(self, position: int, width: int) -> float:
        if width not in _FLOAT_FORMATS:
            self.fail(f"a float of {width} bytes", position)
        return struct.unpack(_FLOAT_FORMATS[width], self._bytes(position, width))[0]

    def _scalar(self, kind: int, position: int, width: int):
        if kind == INT:
            return self._int(position, width)
        if kind == UINT:
            return self._uint(position, width)
        if kind == FLOAT:
            return self._float(position, width)
        if kind == BOOL:
            return self._uint(position, width) != 0
        return None  # NULL

    def _target(self, position: int, width: int) -> int:
        """Follow the backwards offset stored at ``position``."""
        offset = self._uint(position, width)
        target = position - offset
        if offset == 0 or target < 0:
            self.fail(f"offset {offset} points outside the blob", position)
        return target

    # -- values --------------------------------------------------------------------------------
    def value(self, position: int, parent_width: int, packed: int, depth: int):
        """The value stored at ``position`` in a slot of ``parent_width`` bytes."""
        self.work -= 1
        if self.work < 0:
            self.fail("decoding would take more work than the blob's size allows")
        kind, width = packed >> 2, 1 << (packed & 3)
        if kind in _INLINE:
            return self._scalar(kind, position, parent_width)
        target = self._target(position, parent_width)
        if kind in _INDIRECT_SCALARS:
            return self._scalar(_INDIRECT_SCALARS[kind], target, width)
        if depth >= MAX_DEPTH:
            self.fail(f"nesting deeper than {MAX_DEPTH}", position)
        if kind == KEY:
            return self._key(target)
        if kind in (STRING, BLOB):
            raw = self._bytes(target, self._length(target, width))
            return raw if kind == BLOB else self._text(raw, target)
        if kind == VECTOR:
            return self._vector(target, width, depth)
        if kind == MAP:
            return self._map(target, width, depth)
        if kind in _TYPED_VECTORS:
            return self._typed(target, width, _TYPED_VECTORS[kind], self._length(target, width), depth)
        if kind in _FIXED_VECTORS:
            element, count = _FIXED_VECTORS[kind]
            return self._typed(target, width, element, count, depth)
        self.fail(f"unknown value type {kind}", position)

    def _length(self, target: int, width: int) -> int:
        length = self._uint(target - width, width)
        if length > len(self.data):
            self.fail(f"length {length} exceeds the blob", target - width)
        return length

    def _text(self, raw: bytes, position: int) -> str:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            self.fail("a string is not UTF-8", position)

    def _key(self, position: int) -> str:
        end = self.data.find(b"\0", position)
        if end < 0:
            self.fail("a key has no terminating zero byte", position)
        return self._text(self.data[position:end], position)

    def _spend(self, count: int, position: int) -> None:
        self.work -= count
        if self.work < 0:
            self.fail("decoding would take more work than the blob's size allows", position)

    def _vector(self, target: int, width: int, depth: int) -> list:
        length = self._length(target, width)
        self._spend(length, target)
        types = self._bytes(target + length * width, length)
        self._bytes(target, length * width)
        return [self.value(target + i * width, width, types[i], depth + 1) for i in range(length)]

    def _typed(self, target: int, width: int, element: int, count: int, depth: int) -> list:
        self._spend(count, target)
        self._bytes(target, count * width)
        if element == KEY:
            return [self._key(self._target(target + i * width, width)) for i in range(count)]
        if element == STRING:
            return [self.value(target + i * width, width, STRING << 2 | (_WIDTHS.index(width)), depth + 1)
                    for i in range(count)]
        return [self._scalar(element, target + i * width, width) for i in range(count)]

    def _map(self, target: int, width: int, depth: int) -> dict:
        values = self._vector(target, width, depth)
        keys_at = target - 3 * width
        keys_target = self._target(keys_at, width)
        keys_width = self._uint(target - 2 * width, width)
        if keys_width not in _WIDTHS:
            self.fail(f"key vector byte width {keys_width} is not 1, 2, 4 or 8", target - 2 * width)
        keys = self._typed(keys_target, keys_width, KEY, self._length(keys_target, keys_width), depth)
        if len(keys) != len(values):
            self.fail(f"{len(keys)} keys for {len(values)} values", target)
        if any(a >= b for a, b in zip(keys, keys[1:])):
            self.fail("map keys are not unique and sorted", keys_target)
        return dict(zip(keys, values))
