"""Write the lowered model as C99: ``NAME.h`` (the API, shapes and quantization as constants) and
``NAME.c`` (constants in flash, one static arena, one kernel call after another).

The C initialisers are generated from the recorded ctypes arguments generically: a pointer to a
structure becomes a ``static const`` structure (its C type named after the ctypes mirror:
``ConvParams`` -> ``mi_conv_params``, or the mirror's ``_c_name_``), nested structures and arrays
become nested initialisers, and every address becomes a C expression: a constant array, a place
in the arena (a tensor, or the layer's scratch) or a state buffer. A kernel whose signature or
parameter struct changes needs no change here.
"""

from __future__ import annotations

import ctypes
import hashlib
import math
import re
from dataclasses import dataclass, field

import numpy as np

from .lower import ArenaLayout, BuildError, KernelCall, Layer, LoweredModel

C_TYPES = {
    np.dtype(np.int8): "int8_t", np.dtype(np.uint8): "uint8_t", np.dtype(np.int16): "int16_t",
    np.dtype(np.uint16): "uint16_t", np.dtype(np.int32): "int32_t", np.dtype(np.uint32): "uint32_t",
    np.dtype(np.int64): "int64_t", np.dtype(np.uint64): "uint64_t", np.dtype(np.float32): "float",
    np.dtype(np.float64): "double", np.dtype(np.bool_): "uint8_t",
}
VALUES_PER_LINE = 24
ALIGNMENT = 16


def c_identifier(text: str) -> str:
    """A C identifier made from ``text``: letters, digits and underscores, not starting with a digit."""
    name = re.sub(r"[^0-9A-Za-z_]", "_", text).strip("_") or "model"
    return "m_" + name if name[0].isdigit() else name


def c_type(dtype) -> str:
    try:
        return C_TYPES[np.dtype(dtype)]
    except KeyError:
        raise BuildError(f"no C type for {np.dtype(dtype).name} values") from None


def struct_c_name(struct_type: type) -> str:
    """The C typedef of a ctypes mirror: its ``_c_name_``, else CamelCase -> mi_snake_case."""
    explicit = getattr(struct_type, "_c_name_", None)
    if explicit:
        return explicit
    words = re.findall(r"[A-Z][a-z0-9]*", struct_type.__name__)
    return "mi_" + "_".join(word.lower() for word in words)


def float_literal(value: float, single: bool) -> str:
    value = float(value)
    if math.isnan(value):
        return "NAN"
    if math.isinf(value):
        return ("HUGE_VALF" if single else "HUGE_VAL") if value > 0 else ("-HUGE_VALF" if single else "-HUGE_VAL")
    return value.hex() + ("f" if single else "")


def int_literal(value: int, dtype) -> str:
    value = int(value)
    dtype = np.dtype(dtype)
    if dtype == np.int64:
        return "INT64_MIN" if value == -(1 << 63) else f"INT64_C({value})"
    if dtype == np.uint64:
        return f"UINT64_C({value})"
    if dtype == np.int32 and value == -(1 << 31):
        return "INT32_MIN"
    if dtype == np.uint32:
        return f"{value}u"
    return str(value)


def array_values(array: np.ndarray) -> list[str]:
    flat = np.ascontiguousarray(array).reshape(-1)
    if flat.dtype == np.bool_:
        flat = flat.astype(np.uint8)
    if flat.dtype in (np.float32, np.float64):
        single = flat.dtype == np.float32
        return [float_literal(v, single) for v in flat.tolist()]
    if flat.dtype in (np.int64, np.uint64, np.int32, np.uint32):
        return [int_literal(v, flat.dtype) for v in flat.tolist()]
    return [str(v) for v in flat.tolist()]


@dataclass
class ConstantArray:
    symbol: str
    array: np.ndarray
    what: str  # a comment: whose data


@dataclass
class CSource:
    """What the writer collected: constant arrays, parameter structs, and per layer statements."""

    name: str
    constants: list[ConstantArray] = field(default_factory=list)
    structs: list[str] = field(default_factory=list)  # declarations
    layer_code: list[tuple[Layer, list[str]]] = field(default_factory=list)
    constant_outputs: dict[int, str] = field(default_factory=dict)  # output tensor -> constant array


class _Writer:
    def __init__(self, lowered: LoweredModel, arena: ArenaLayout, name: str):
        self.lowered = lowered
        self.arena = arena
        self.name = name
        self.source = CSource(name)
        self._constants: dict[tuple, str] = {}
        self._structs: dict[tuple[str, str], str] = {}
        self.layer: Layer | None = None
        self._regions: list[tuple[int, int, str]] = []  # (start, end, kind) of the current layer

    # -- constants ---------------------------------------------------------------------------
    def constant(self, array: np.ndarray, what: str) -> str:
        array = np.ascontiguousarray(array)
        if array.dtype == np.bool_:
            array = array.astype(np.uint8)
        key = (array.dtype.str, hashlib.sha256(array.tobytes()).hexdigest(), array.size)
        symbol = self._constants.get(key)
        if symbol is None:
            symbol = f"{self.name}_c{len(self._constants)}"
            self._constants[key] = symbol
            self.source.constants.append(ConstantArray(symbol, array, what))
        return symbol

    # -- addresses ---------------------------------------------------------------------------
    def begin_layer(self, layer: Layer) -> None:
        self.layer = layer
        regions = []
        for address, (tensor, array) in layer.inputs.items():
            regions.append((address, address + max(array.nbytes, 1), ("input", tensor, array)))
        output = layer.call.output
        regions.append((output.ctypes.data, output.ctypes.data + max(output.nbytes, 1), ("output", None, output)))
        for array in _arrays(layer.call.keep_alive):
            start = array.ctypes.data
            if start in layer.scratch:
                regions.append((start, start + max(array.nbytes, 1), ("scratch", start, array)))
        for array in _arrays(layer.call.keep_alive):
            regions.append((array.ctypes.data, array.ctypes.data + max(array.nbytes, 1), ("constant", None, array)))
        self._regions = regions

    def address(self, value: int | None) -> str:
        if not value:
            return "0"
        for start, end, (kind, key, array) in self._regions:
            if start <= value < end:
                return self._resolve(kind, key, array, value - start)
        raise BuildError(f"operator {self.layer.original} {self.layer.op}: an argument points at memory the "
                         f"prepared call does not own ({value:#x})")

    def _resolve(self, kind: str, key, array: np.ndarray, offset: int) -> str:
        layer = self.layer
        if kind == "input":
            tensor = key
            if tensor in self.lowered.constants:
                symbol = self.constant(array, f"tensor {tensor} ({self.lowered.tensor(tensor).name})")
                return _offset_pointer(symbol, offset)
            return self.tensor_pointer(tensor, offset)
        if kind == "output":
            return self.tensor_pointer(layer.node.outputs[0].index, offset)
        if kind == "scratch":
            base = self.arena.scratch_offset[layer.index] + layer.scratch[key]
            return self.arena_pointer(base + offset)
        symbol = self.constant(array, f"operator {layer.original} {layer.op}")
        return _offset_pointer(symbol, offset)

    def arena_pointer(self, offset: int) -> str:
        return f"(void *)({self.name}_arena + {offset})"

    def tensor_pointer(self, tensor: int, offset: int = 0) -> str:
        if tensor in self.lowered.variables:
            return _offset_pointer(f"{self.name}_state{tensor}", offset)
        if tensor not in self.arena.tensor_offset:
            raise BuildError(f"tensor {tensor} has no place in the arena plan")
        return self.arena_pointer(self.arena.tensor_offset[tensor] + offset)

    # -- structures --------------------------------------------------------------------------
    def struct(self, struct: ctypes.Structure) -> str:
        type_name = struct_c_name(type(struct))
        initializer = self.initializer(struct)
        key = (type_name, initializer)
        symbol = self._structs.get(key)
        if symbol is None:
            symbol = f"{self.name}_p{len(self._structs)}"
            self._structs[key] = symbol
            self.source.structs.append(f"static const {type_name} {symbol} = {initializer};")
        return symbol

    def initializer(self, struct: ctypes.Structure) -> str:
        fields = []
        for field_spec in struct._fields_:
            name, field_type = field_spec[0], field_spec[1]
            fields.append(f".{name} = {self.value(getattr(struct, name), field_type)}")
        return "{" + ", ".join(fields) + "}"

    def value(self, value, field_type) -> str:
        if isinstance(value, ctypes.Structure):
            return self.initializer(value)
        if isinstance(value, ctypes.Array):
            return "{" + ", ".join(self.value(v, field_type._type_) for v in value) + "}"
        if isinstance(value, ctypes._Pointer):
            return "0" if not value else "&" + self.struct(value.contents)
        if field_type is ctypes.c_void_p or field_type is ctypes.c_char_p:
            return self.address(value)
        if field_type in (ctypes.c_float, ctypes.c_double):
            return float_literal(value, field_type is ctypes.c_float)
        if field_type in (ctypes.c_int64, ctypes.c_longlong):
            return int_literal(value, np.int64)
        if field_type in (ctypes.c_int32, ctypes.c_int) and int(value) == -(1 << 31):
            return "INT32_MIN"
        return str(int(value))

    # -- calls -------------------------------------------------------------------------------
    def argument(self, value, argtype) -> str:
        if value is None:
            return "0"
        if isinstance(value, ctypes._Pointer):
            return "&" + self.struct(value.contents)
        if type(value).__name__ == "CArgObject":  # ctypes.byref(struct)
            return "&" + self.struct(value._obj)
        if isinstance(value, ctypes.Structure):
            return f"({struct_c_name(type(value))}){self.initializer(value)}"
        if isinstance(value, ctypes.c_void_p):
            return self.address(value.value)
        if isinstance(value, float):
            return float_literal(value, argtype is ctypes.c_float)
        if isinstance(value, (int, np.integer)):
            pointer = argtype is ctypes.c_void_p or (argtype is None and self._owned(int(value)))
            return self.address(int(value)) if pointer else str(int(value))
        if isinstance(value, ctypes._SimpleCData):
            return self.argument(value.value, type(value))
        raise BuildError(f"operator {self.layer.original} {self.layer.op}: cannot write argument {value!r} as C")

    def _owned(self, value: int) -> bool:
        return any(start <= value < end for start, end, _ in self._regions)

    def call(self, recorded: KernelCall) -> str:
        argtypes = recorded.argtypes or (None,) * len(recorded.arguments)
        if len(argtypes) != len(recorded.arguments):
            argtypes = (None,) * len(recorded.arguments)
        arguments = ", ".join(self.argument(v, t) for v, t in zip(recorded.arguments, argtypes))
        return f"{recorded.function}({arguments})"


def _offset_pointer(symbol: str, offset: int) -> str:
    return f"(void *){symbol}" if offset == 0 else f"(void *)((const uint8_t *){symbol} + {offset})"


def _arrays(items) -> list[np.ndarray]:
    found = []
    stack = [items]
    while stack:
        item = stack.pop()
        if isinstance(item, np.ndarray):
            found.append(item)
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return found


# -- the two files --------------------------------------------------------------------------------

@dataclass(frozen=True)
class TensorIO:
    """One model input or output as the API shows it."""

    position: int
    tensor: int
    name: str
    ctype: str
    shape: tuple[int, ...]
    nbytes: int
    scale: tuple[float, ...]
    zero_point: tuple[int, ...]
    offset: int  # in the arena


@dataclass
class GeneratedLibrary:
    name: str
    header: str
    source: str
    functions: list[str]  # kernel functions called
    constant_bytes: int
    arena_bytes: int
    state_bytes: int
    inputs: list[TensorIO]
    outputs: list[TensorIO]
    layers: list[tuple[int, str, list[str]]]  # (original operator index, op, kernel functions) in run order


def generate(lowered: LoweredModel, arena: ArenaLayout, name: str, model_name: str) -> GeneratedLibrary:
    writer = _Writer(lowered, arena, name)
    sg = lowered.main
    for index in arena.order:
        layer = lowered.layers[index]
        statements = []
        if layer.kind == "copy":
            source, target = layer.node.inputs[0].index, layer.node.outputs[0].index
            source = lowered.storage_of.get(source, source)
            if writer.tensor_pointer(source) != writer.tensor_pointer(target):
                statements.append(f"memmove({writer.tensor_pointer(target)}, {writer.tensor_pointer(source)}, "
                                  f"{lowered.tensor(target).nbytes}u);")
        else:
            writer.begin_layer(layer)
            for recorded in layer.calls:
                statements.append(f"status = {writer.call(recorded)};")
                statements.append("if (status != 0) {")
                statements.append("    return status;")
                statements.append("}")
        writer.source.layer_code.append((layer, statements))
    inputs = [_io(lowered, arena, position, t) for position, t in enumerate(sg.inputs)]
    outputs = [_io(lowered, arena, position, t) for position, t in enumerate(sg.outputs)]
    # model outputs that are constants (folded at generation time) are read from flash
    constant_outputs = {io.tensor: writer.constant(np.asarray(lowered.constants[io.tensor]), f"model output {io.name}")
                        for io in outputs if io.offset < 0}
    writer.source.constant_outputs = constant_outputs
    functions = sorted({c.function for layer in lowered.layers for c in layer.calls})
    header = _header(name, model_name, lowered, arena, inputs, outputs)
    source = _source(writer.source, lowered, arena, inputs, outputs, model_name)
    constant_bytes = sum(c.array.nbytes for c in writer.source.constants)
    state_bytes = sum(v.nbytes for v in lowered.variables.values())
    layers = [(lowered.layers[i].original, lowered.layers[i].op, lowered.layers[i].functions) for i in arena.order]
    return GeneratedLibrary(name, header, source, functions, constant_bytes, arena.bytes, state_bytes, inputs,
                            outputs, layers)


def _io(lowered: LoweredModel, arena: ArenaLayout, position: int, index: int) -> TensorIO:
    t = lowered.tensor(index)
    q = t.quantization
    scale = tuple(float(s) for s in q.scale) if q is not None else ()
    zero = tuple(int(z) for z in q.zero_point) if q is not None else ()
    if index in lowered.variables or (index not in arena.tensor_offset and index not in lowered.constants):
        # (a model output that is a state tensor, or a tensor no plan placed)
        raise BuildError(f"model {'input' if index in lowered.main.inputs else 'output'} {t.name!r} has no place "
                         "in the arena")
    return TensorIO(position, index, t.name, c_type(t.type.numpy_dtype), tuple(int(d) for d in t.shape), t.nbytes,
                    scale, zero, arena.tensor_offset.get(index, -1))


def _guard(name: str) -> str:
    return f"{name.upper()}_H"


def _io_macros(prefix: str, io: TensorIO) -> list[str]:
    shape = ", ".join(str(d) for d in io.shape) or "1"
    lines = [
        f"/* {'input' if 'INPUT' in prefix else 'output'} {io.position}: {io.name!r}, "
        f"{io.ctype} {'x'.join(str(d) for d in io.shape) or 'scalar'} */",
        f"#define {prefix}_RANK {len(io.shape)}",
        f"#define {prefix}_SHAPE {{{shape}}}",
        f"#define {prefix}_ELEMENTS {int(np.prod(io.shape, dtype=np.int64))}",
        f"#define {prefix}_BYTES {io.nbytes}",
    ]
    if len(io.scale) == 1:
        lines.append(f"#define {prefix}_SCALE {float_literal(io.scale[0], True)} /* {io.scale[0]:.9g} */")
        lines.append(f"#define {prefix}_ZERO_POINT {io.zero_point[0] if io.zero_point else 0}")
    return lines


def _signature(name: str, inputs: list[TensorIO], outputs: list[TensorIO]) -> str:
    parameters = [f"const {io.ctype} *input{io.position}" for io in inputs]
    parameters += [f"{io.ctype} *output{io.position}" for io in outputs]
    return f"int {name}_invoke({', '.join(parameters) or 'void'})"


def _header(name: str, model_name: str, lowered: LoweredModel, arena: ArenaLayout, inputs: list[TensorIO],
            outputs: list[TensorIO]) -> str:
    upper = name.upper()
    lines = [
        f"/* {name}: {model_name} as a standalone C99 library, generated by `microinfer build`.",
        "",
        "   No interpreter, no flatbuffer, no malloc: every kernel parameter was computed when the",
        "   library was generated; weights are const arrays (flash); activations and scratch share",
        f"   one static arena of {arena.bytes} bytes. Not reentrant: one inference at a time. */",
        f"#ifndef {_guard(name)}",
        f"#define {_guard(name)}",
        "",
        "#include <stdint.h>",
        "",
        "#ifdef __cplusplus",
        'extern "C" {',
        "#endif",
        "",
        f"#define {upper}_ARENA_BYTES {arena.bytes}",
        f"#define {upper}_INPUT_COUNT {len(inputs)}",
        f"#define {upper}_OUTPUT_COUNT {len(outputs)}",
        f"#define {upper}_LAYER_COUNT {len(lowered.layers)}",
        "",
    ]
    for io in inputs:
        lines += _io_macros(f"{upper}_INPUT{io.position}", io) + [""]
    for io in outputs:
        lines += _io_macros(f"{upper}_OUTPUT{io.position}", io) + [""]
    lines += [
        "/* Runs the model once: copies the inputs into the arena, runs every layer, copies the outputs",
        "   out. Returns 0, or the nonzero status of the kernel that refused its arguments. An input",
        "   pointer may be the one {name}_input<i>() returns (no copy is made then). */".replace("{name}", name),
        _signature(name, inputs, outputs) + ";",
        "",
        "/* Zero-copy use: write the inputs where these point, call run, read the outputs where those",
        "   point (valid until the next run). */",
    ]
    for io in inputs:
        lines.append(f"{io.ctype} *{name}_input{io.position}(void);")
    for io in outputs:
        lines.append(f"const {io.ctype} *{name}_output{io.position}(void);")
    lines += [
        f"int {name}_run(void);",
        "",
        "/* Puts recurrent state (SVDF/LSTM variable tensors) back to its initial value; a no-op for",
        "   models without state. State starts initialised. */",
        f"void {name}_reset(void);",
        "",
        "#ifdef __cplusplus",
        "}",
        "#endif",
        "",
        f"#endif /* {_guard(name)} */",
        "",
    ]
    return "\n".join(lines)


def _constant_lines(constant: ConstantArray, name: str) -> list[str]:
    ctype = c_type(constant.array.dtype)
    values = array_values(constant.array)
    count = max(len(values), 1)
    lines = [f"/* {constant.what} */",
             f"static const {ctype} {constant.symbol}[{count}] {name.upper()}_ALIGNED = {{"]
    if not values:
        values = ["0"]
    for start in range(0, len(values), VALUES_PER_LINE):
        lines.append("    " + ", ".join(values[start:start + VALUES_PER_LINE]) + ",")
    lines.append("};")
    return lines


def _source(src: CSource, lowered: LoweredModel, arena: ArenaLayout, inputs: list[TensorIO],
            outputs: list[TensorIO], model_name: str) -> str:
    name = src.name
    upper = name.upper()
    uses_float = any(c.array.dtype.kind == "f" for c in src.constants) or any(
        "HUGE_VAL" in s or "NAN" in s for s in src.structs)
    lines = [
        f"/* {name}.c: generated by `microinfer build` from {model_name}; do not edit. */",
        "#include <stdint.h>",
        "#include <string.h>",
        *(["#include <math.h>"] if uses_float else []),
        "",
        f'#include "{name}.h"',
        '#include "microinfer_nn/microinfer_nn.h"',
        "",
        "#if defined(__GNUC__) || defined(__clang__)",
        f"#define {upper}_ALIGNED __attribute__((aligned({ALIGNMENT})))",
        "#else",
        f"#define {upper}_ALIGNED",
        "#endif",
        "",
        f"/* Per-layer hooks (instruction counting): define {upper}_LAYER_HOOKS and provide the function. */",
        f"#ifdef {upper}_LAYER_HOOKS",
        f"void {name}_layer_hook(int32_t layer);",
        f"#define {upper}_LAYER_DONE(layer) {name}_layer_hook(layer)",
        "#else",
        f"#define {upper}_LAYER_DONE(layer) ((void)0)",
        "#endif",
        "",
        f"/* Activations and scratch buffers, placed by the {arena.plan.planner} arena plan. */",
        f"static uint8_t {name}_arena[{upper}_ARENA_BYTES] {upper}_ALIGNED;",
        "",
    ]
    for index, value in sorted(lowered.variables.items()):
        t = lowered.tensor(index)
        lines.append(f"/* state: tensor {index} ({t.name}) */")
        lines.append(f"static {c_type(value.dtype)} {name}_state{index}[{max(value.size, 1)}] {upper}_ALIGNED;")
    if lowered.variables:
        lines += [f"static int {name}_state_ready;", ""]
    for constant in src.constants:
        lines += _constant_lines(constant, name)
    lines.append("")
    lines += src.structs
    lines += ["", f"int {name}_run(void)", "{"]
    needs_status = any(layer.kind == "kernel" for layer, _ in src.layer_code)
    if needs_status:
        lines.append("    int32_t status;")
    if lowered.variables:
        lines += [f"    if (!{name}_state_ready) {{", f"        {name}_reset();", "    }"]
    for layer, statements in src.layer_code:
        functions = "+".join(layer.functions) if layer.kind == "kernel" else "alias copy"
        lines.append(f"    /* operator {layer.original}: {layer.op} ({functions}) */")
        lines += ["    " + s for s in statements]
        lines.append(f"    {upper}_LAYER_DONE({layer.original});")
    lines += ["    return 0;", "}", ""]
    for io in inputs:
        lines += [f"{io.ctype} *{name}_input{io.position}(void)", "{",
                  f"    return ({io.ctype} *)(void *)({name}_arena + {io.offset});", "}", ""]
    for io in outputs:
        lines += [f"const {io.ctype} *{name}_output{io.position}(void)", "{"]
        if io.offset < 0:
            lines.append(f"    return (const {io.ctype} *)(const void *){src.constant_outputs[io.tensor]};")
        else:
            lines.append(f"    return (const {io.ctype} *)(const void *)({name}_arena + {io.offset});")
        lines += ["}", ""]
    lines += [_signature(name, inputs, outputs), "{"]
    if outputs:
        lines.append("    int status;")
    for io in inputs:
        lines += [f"    if (input{io.position} != {name}_input{io.position}()) {{",
                  f"        memcpy({name}_input{io.position}(), input{io.position}, {io.nbytes}u);", "    }"]
    lines += [f"    status = {name}_run();", "    if (status != 0) {", "        return status;", "    }"]
    for io in outputs:
        lines.append(f"    memcpy(output{io.position}, {name}_output{io.position}(), {io.nbytes}u);")
    lines += ["    return 0;", "}", ""]
    lines += [f"void {name}_reset(void)", "{"]
    for index, value in sorted(lowered.variables.items()):
        fill = np.unique(value.reshape(-1))
        if fill.size == 1:
            lines += ["    {", "        uint32_t i;",
                      f"        for (i = 0; i < {value.size}u; i++) {{",
                      f"            {name}_state{index}[i] = ({c_type(value.dtype)}){array_values(fill)[0]};",
                      "        }", "    }"]
        else:
            raise BuildError(f"state tensor {index} does not start from one repeated value")
    if lowered.variables:
        lines.append(f"    {name}_state_ready = 1;")
    lines += ["}", ""]
    return "\n".join(lines)


