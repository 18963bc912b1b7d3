"""Turn a prepared C-backend call into a bare-metal layer program.

The C backend prepares each covered node as a ctypes call into the host library. Rather than
re-deriving every kernel's parameters, the call is made once against a recording stand-in for the
library: the function names and arguments it receives (structs, arrays, integers) are written out
as C, so the emulated core runs exactly the call the host runs.
"""

from __future__ import annotations

import ctypes
import inspect
import re
from dataclasses import dataclass

import numpy as np

from .machine import EmulationError, LayerProgram

_C_TYPES = {np.dtype(np.int8): "int8_t", np.dtype(np.uint8): "uint8_t", np.dtype(np.int16): "int16_t",
            np.dtype(np.int32): "int32_t", np.dtype(np.int64): "int64_t", np.dtype(np.float32): "float"}


@dataclass(frozen=True)
class RecordedCall:
    function: str
    arguments: tuple


class _RecordingFunction:
    """Stands in for a ctypes function: accepts argtypes/restype, records each call, returns MI_OK."""

    def __init__(self, name: str, calls: list[RecordedCall]):
        self.__name__ = name
        self._calls = calls

    def __call__(self, *arguments):
        self._calls.append(RecordedCall(self.__name__, arguments))
        return 0


class RecordingLibrary:
    """Kernel calls are recorded; queries (buffer sizes, version) go to the real host library."""

    _QUERIES = re.compile(r"(_get_buffer_size|_abi_version)$")

    def __init__(self, host_library):
        self._host = host_library
        self.calls: list[RecordedCall] = []

    def __getattr__(self, name: str):
        if self._QUERIES.search(name):
            return getattr(self._host, name)
        return _RecordingFunction(name, self.calls)


def record_call(call, library: RecordingLibrary, input_arrays: list[np.ndarray]) -> list[RecordedCall]:
    """Run ``call`` (prepared against ``library``) on the node's inputs (as many as ``invoke``
    takes: one, or two for binary ops); the kernel calls it made."""
    library.calls.clear()
    taken = len(inspect.signature(call.invoke).parameters)
    call.invoke(*(array.ctypes.data for array in input_arrays[:taken]))
    if not library.calls:
        raise EmulationError(f"{call.op}: the prepared call made no kernel call")
    return list(library.calls)


def _flatten(items) -> list:
    flat = []
    for item in items:
        if isinstance(item, (list, tuple)):
            flat += _flatten(item)
        elif item is not None:
            flat.append(item)
    return flat


def _struct_c_name(struct: ctypes.Structure) -> str:
    """mi_nn_types.h's typedef for a ctypes mirror: ConvParams -> mi_conv_params."""
    words = re.findall(r"[A-Z][a-z0-9]*", type(struct).__name__)
    return "mi_" + "_".join(word.lower() for word in words)


class _Writer:
    """Collects the C declarations of one layer program."""

    def __init__(self, constants: dict[int, np.ndarray], writable: dict[int, np.ndarray]):
        self.constants = constants
        self.writable = writable
        self.symbols: dict[int, str] = {}
        self.blobs: dict[str, bytes] = {}
        self.lines: list[str] = []

    def array(self, address: int | None) -> str:
        if not address:
            return "0"
        if address in self.symbols:
            return f"(void *){self.symbols[address]}"
        if address in self.writable:
            array = self.writable[address]
            symbol = f"layer_ram_{len(self.symbols)}"
            self.lines.append(f"static int64_t {symbol}[{max(1, (array.nbytes + 7) // 8)}];")
        elif address in self.constants:
            array = self.constants[address]
            symbol = f"layer_const_{len(self.symbols)}"
            self.blobs[symbol] = array.tobytes()
            self.lines.append(f"extern const {_C_TYPES.get(array.dtype, 'uint8_t')} {symbol}[];")
        else:
            inside = self._inside(address)
            if inside is None:
                raise EmulationError(f"an argument points at memory the prepared call does not own ({address:#x})")
            start, offset = inside  # a pointer into an array (a block of a copy, a slice's first element)
            return f"(void *)((uint8_t *){self.array(start).removeprefix('(void *)')} + {offset})"
        self.symbols[address] = symbol
        return f"(void *){symbol}"

    def _inside(self, address: int) -> tuple[int, int] | None:
        """(start, offset) of the array that holds ``address``, if one does."""
        for arrays in (self.writable, self.constants):
            for start, array in arrays.items():
                if start < address < start + array.nbytes:
                    return start, address - start
        return None

    def struct(self, struct: ctypes.Structure) -> str:
        symbol = f"layer_struct_{len(self.lines)}"
        self.lines.append(f"static const {_struct_c_name(struct)} {symbol} = {self.initializer(struct)};")
        return f"&{symbol}"

    def initializer(self, struct: ctypes.Structure) -> str:
        fields = []
        for name, field_type in struct._fields_:
            value = getattr(struct, name)
            if isinstance(value, ctypes.Structure):
                fields.append(f".{name} = {self.initializer(value)}")
            elif isinstance(value, ctypes.Array):
                fields.append(f".{name} = {{{', '.join(str(int(v)) for v in value)}}}")
            elif field_type is ctypes.c_void_p:
                fields.append(f".{name} = {self.array(value)}")
            else:
                fields.append(f".{name} = {int(value)}")
        return "{" + ", ".join(fields) + "}"

    def argument(self, value) -> str:
        if value is None:
            return "0"
        if isinstance(value, ctypes._Pointer):
            return self.struct(value.contents)
        if isinstance(value, ctypes.Structure):
            return self.struct(value)
        if isinstance(value, int):
            if value in self.constants or value in self.writable or self._inside(value) is not None:
                return self.array(value)
            return str(value)
        raise EmulationError(f"cannot write argument {value!r} as C")


def layer_program(call, calls: list[RecordedCall], input_arrays: list[np.ndarray],
                  written_inputs: tuple[np.ndarray, ...] = ()) -> LayerProgram:
    """C source that repeats ``calls`` with their data, and puts the output in ``layer_output``.
    ``written_inputs``: inputs the kernel updates in place (recurrent state), placed in RAM."""
    arrays = [a for a in _flatten(call.keep_alive) if isinstance(a, np.ndarray)]
    output = call.output
    scratch = {_context_buffer(c) for rec in calls for c in rec.arguments if _is_context(c)}
    writable = {a.ctypes.data: a for a in arrays if a.ctypes.data in scratch or a is output}
    writable[output.ctypes.data] = output
    writable.update((a.ctypes.data, a) for a in written_inputs)
    constants = {a.ctypes.data: a for a in arrays + list(input_arrays) if a.ctypes.data not in writable}
    writer = _Writer(constants, writable)
    statements = []
    for recorded in calls:
        arguments = ", ".join(writer.argument(value) for value in recorded.arguments)
        statements.append(f"    status = {recorded.function}({arguments});\n    if (status != 0) {{ return status; }}")
    output_symbol = writer.array(output.ctypes.data).removeprefix("(void *)")
    source = "\n".join([
        '#include <stdint.h>', '#include "microinfer_nn.h"', "", *writer.lines, "",
        f"const void *const layer_output = {output_symbol};",
        f"const uint32_t layer_output_size = {output.nbytes}u;", "",
        "int32_t layer_run(void)", "{", "    int32_t status;", *statements, "    return 0;", "}", "",
    ])
    return LayerProgram(source, writer.blobs)


def _is_context(value) -> bool:
    return isinstance(value, ctypes._Pointer) and type(value.contents).__name__ == "Context"


def _context_buffer(value) -> int:
    return value.contents.buf or 0
