"""Walk a TFLite model twice, independently, into plain Python structures that can be compared.

* :func:`tflite_walk` reads the bytes with the PyPI ``tflite`` package (generated FlatBuffers
  bindings, an independent parser of the same schema) and records every field, including the ones
  microinfer does not expose. Options tables are read *generically*: the union name chooses the
  generated class ``tflite.<Name>``, and every accessor of that class is called (vectors through
  ``XxxIsNone`` / ``XxxAsNumpy`` / ``XxxLength``).
* :func:`canonical` turns that raw walk into what microinfer's in-memory model is documented to
  mean (absent strings are ``""``, an empty quantization table is ``None``, an absent options
  table is the defaults of the operator's options table, ...). Each rule is listed there.
* :func:`microinfer_walk` produces the same structure from a :class:`microinfer.tflite.Model`,
  mapping each option dataclass field (snake_case) to the generated accessor (CamelCase).
* :func:`diff` compares two walks and returns readable ``path: expected != got`` lines.

Constant tensor data is compared as arrays: on the ``tflite`` side the buffer bytes are
reinterpreted here by tensor type and shape (with this module's own dtype table and int4 unpacking),
on the microinfer side it is ``Tensor.data``.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import importlib
import inspect
import re
import types

import flatbuffers
import numpy as np
import tflite

# -- enumerations of the generated package ------------------------------------------------------


def enum_members(cls) -> dict[int, str]:
    """code -> name of a generated enum class (``tflite.BuiltinOperator`` ...)."""
    return {v: k for k, v in vars(cls).items() if not k.startswith("_") and isinstance(v, int)}


OPTIONS_UNION_NAMES = enum_members(tflite.BuiltinOptions)
OPTIONS2_UNION_NAMES = enum_members(tflite.BuiltinOptions2)
OPERATOR_NAMES = enum_members(tflite.BuiltinOperator)
TENSOR_TYPE_NAMES = enum_members(tflite.TensorType)

# Element layout of each tensor type, independent of microinfer.types.
_DTYPES = {
    "FLOAT32": "<f4", "FLOAT16": "<f2", "FLOAT64": "<f8", "INT8": "i1", "INT16": "<i2",
    "INT32": "<i4", "INT64": "<i8", "UINT8": "u1", "UINT16": "<u2", "UINT32": "<u4",
    "UINT64": "<u8", "BOOL": "?", "COMPLEX64": "<c8", "COMPLEX128": "<c16",
}
# Types whose buffers microinfer keeps as raw bytes (no NumPy element type).
OPAQUE_TYPES = {"STRING", "RESOURCE", "VARIANT", "BFLOAT16"}


def generated_class(name: str):
    """The generated table class ``tflite.<name>.<name>`` (e.g. ``Conv2DOptions``)."""
    module = importlib.import_module(f"tflite.{name}")
    return getattr(module, name)


def camel(snake: str) -> str:
    """``dilation_w_factor`` -> ``DilationWFactor``: how flatc names the accessor of a field."""
    return "".join(part[:1].upper() + part[1:] for part in snake.split("_"))


# -- generic reading of a generated table --------------------------------------------------------

_SUFFIXES = ("AsNumpy", "IsNone", "Length")


def accessor_names(cls) -> list[str]:
    """Field accessors of a generated table class, in declaration (slot) order."""
    funcs = {n: f for n, f in vars(cls).items() if isinstance(f, types.FunctionType)}
    names = []
    for name in funcs:
        if name.startswith("_") or name == "Init":
            continue
        if any(name.endswith(s) and name[: -len(s)] in funcs for s in _SUFFIXES):
            continue
        names.append(name)
    return names


_OFFSET_RE = re.compile(r"self\._tab\.Offset\((\d+)\)")
_FLAGS_RE = re.compile(r"number_types\.(\w+)Flags")
_FLAG_KINDS = {
    "Bool": "bool", "Int8": "i8", "Uint8": "u8", "Int16": "i16", "Uint16": "u16", "Int32": "i32",
    "Uint32": "u32", "Int64": "i64", "Uint64": "u64", "Float32": "f32", "Float64": "f64",
}


@functools.lru_cache(maxsize=None)
def accessor_layout(cls, name: str) -> tuple[int, str]:
    """(slot, wire kind) of a scalar, string or scalar-vector accessor, read from the generated
    source.

    Vectors are reported as ``[kind]`` (the microinfer ``options`` convention), strings as "str".
    """
    source = inspect.getsource(getattr(cls, name))
    slot = (int(_OFFSET_RE.search(source).group(1)) - 4) // 2
    flags = [f for f in _FLAGS_RE.findall(source) if f != "UOffsetT"]
    kind = _FLAG_KINDS.get(flags[0], flags[0]) if flags else "str" if "._tab.String(" in source else "table"
    is_vector = hasattr(cls, name + "Length")
    return slot, f"[{kind}]" if is_vector else kind


def _plain(value):
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.generic):
        return value.item()
    if hasattr(value, "_tab"):
        return read_table(value)
    return value


def read_table(obj) -> dict:
    """Every field of a generated table object, by accessor name, as plain Python values.

    Scalars by their zero-argument accessor; vectors as ``None`` when absent, else a tuple
    (``AsNumpy`` for numbers, element accessor for strings and tables); sub-tables recursively.
    Union-valued accessors (which need a caller-built table) are skipped: their ``...Type``
    companion is recorded.
    """
    cls = type(obj)
    result = {}
    for name in accessor_names(cls):
        method = getattr(obj, name)
        if hasattr(cls, name + "Length"):
            if hasattr(cls, name + "IsNone") and getattr(obj, name + "IsNone")():
                result[name] = None
            elif hasattr(cls, name + "AsNumpy"):
                result[name] = tuple(np.asarray(getattr(obj, name + "AsNumpy")()).tolist())
            else:
                n = getattr(obj, name + "Length")()
                result[name] = tuple(_plain(method(j)) for j in range(n))
            continue
        params = [p for p in inspect.signature(method).parameters.values()
                  if p.default is inspect.Parameter.empty]
        if params:
            continue
        value = method()
        if isinstance(value, flatbuffers.table.Table):
            continue  # union: see the ...Type accessor
        result[name] = _plain(value)
    return result


def empty_table(cls):
    """An instance of generated class ``cls`` over a table with no fields set (all defaults)."""
    b = flatbuffers.Builder(16)
    b.StartObject(0)
    b.Finish(b.EndObject())
    return cls.GetRootAs(bytes(b.Output()), 0)


@functools.lru_cache(maxsize=None)
def option_defaults(union_name: str) -> dict:
    """The accessor defaults of options table ``union_name`` (what an absent table means)."""
    return read_table(empty_table(generated_class(union_name)))


# -- tensor data ----------------------------------------------------------------------------------


def unpack_int4(raw: bytes, count: int) -> np.ndarray:
    """Signed 4-bit values, two a byte, low nibble first."""
    values = []
    for byte in raw:
        for nibble in (byte & 0x0F, byte >> 4):
            values.append(nibble - 16 if nibble >= 8 else nibble)
    return np.array(values[:count], dtype=np.int8)


def reinterpret(raw: bytes, type_name: str, shape: tuple[int, ...]):
    """Buffer bytes as the tensor's elements, or the raw bytes (uint8) for opaque types."""
    if type_name in OPAQUE_TYPES or type_name not in _DTYPES and type_name != "INT4":
        return np.frombuffer(raw, dtype=np.uint8)
    count = int(np.prod(shape, dtype=np.int64))
    if type_name == "INT4":
        return unpack_int4(raw, count).reshape(shape)
    return np.frombuffer(raw, dtype=_DTYPES[type_name]).reshape(shape)


# -- the tflite-package walk ----------------------------------------------------------------------


def _str(value: bytes | None) -> str | None:
    return None if value is None else value.decode("utf-8")


def _vec(obj, name: str):
    """A scalar vector accessor as None (absent) or a NumPy array (copied)."""
    if getattr(obj, name + "IsNone")():
        return None
    return np.array(getattr(obj, name + "AsNumpy")())


def _ints(obj, name: str):
    v = _vec(obj, name)
    return None if v is None else tuple(int(x) for x in v)


def tflite_walk(buf: bytes) -> dict:
    """Every field of the model, read with the ``tflite`` package. Nothing is normalized."""
    m = tflite.Model.GetRootAs(buf, 0)
    buffers = []
    for i in range(m.BuffersLength()):
        b = m.Buffers(i)
        offset, size = b.Offset(), b.Size()
        if offset > 1:
            content = bytes(buf[offset : offset + size])
        else:
            content = None if b.DataIsNone() else np.asarray(b.DataAsNumpy()).tobytes()
        buffers.append({"data": content, "offset": offset, "size": size, "inline": not b.DataIsNone()})

    operator_codes = []
    for i in range(m.OperatorCodesLength()):
        oc = m.OperatorCodes(i)
        operator_codes.append({
            "deprecated_builtin_code": oc.DeprecatedBuiltinCode(),
            "builtin_code": oc.BuiltinCode(),
            "version": oc.Version(),
            "custom_code": _str(oc.CustomCode()),
        })

    subgraphs = [_subgraph(m.Subgraphs(i), buffers) for i in range(m.SubgraphsLength())]

    metadata = []
    for i in range(m.MetadataLength()):
        md = m.Metadata(i)
        metadata.append({"name": _str(md.Name()), "buffer": md.Buffer()})

    signature_defs = []
    for i in range(m.SignatureDefsLength()):
        sd = m.SignatureDefs(i)
        signature_defs.append({
            "signature_key": _str(sd.SignatureKey()),
            "subgraph_index": sd.SubgraphIndex(),
            "inputs": [(_str(sd.Inputs(j).Name()), sd.Inputs(j).TensorIndex())
                       for j in range(sd.InputsLength())],
            "outputs": [(_str(sd.Outputs(j).Name()), sd.Outputs(j).TensorIndex())
                        for j in range(sd.OutputsLength())],
        })

    return {
        "version": m.Version(),
        "description": _str(m.Description()),
        "operator_codes": operator_codes,
        "subgraphs": subgraphs,
        "buffers": buffers,
        "metadata_buffer": _ints(m, "MetadataBuffer"),
        "metadata": metadata,
        "signature_defs": signature_defs,
    }


def _subgraph(sg, buffers) -> dict:
    return {
        "name": _str(sg.Name()),
        "inputs": _ints(sg, "Inputs"),
        "outputs": _ints(sg, "Outputs"),
        "tensors": [_tensor(sg.Tensors(i), buffers) for i in range(sg.TensorsLength())],
        "operators": [_operator(sg.Operators(i)) for i in range(sg.OperatorsLength())],
        "debug_metadata_index": sg.DebugMetadataIndex(),
    }


def _tensor(t, buffers) -> dict:
    shape = _ints(t, "Shape")
    type_name = TENSOR_TYPE_NAMES.get(t.Type(), f"TYPE_{t.Type()}")
    q = t.Quantization()
    quant = None
    if q is not None:
        quant = {
            "scale": _vec(q, "Scale"),
            "zero_point": _vec(q, "ZeroPoint"),
            "min": _vec(q, "Min"),
            "max": _vec(q, "Max"),
            "quantized_dimension": q.QuantizedDimension(),
            "details_type": q.DetailsType(),
        }
    sparsity = t.Sparsity()
    raw = buffers[t.Buffer()]["data"] if t.Buffer() < len(buffers) else None
    data = None
    if raw and sparsity is None:
        data = reinterpret(raw, type_name, shape or ())
    return {
        "name": _str(t.Name()),
        "shape": shape,
        "shape_signature": _ints(t, "ShapeSignature"),
        "type": t.Type(),
        "buffer": t.Buffer(),
        "is_variable": t.IsVariable(),
        "has_rank": t.HasRank(),
        "quantization": quant,
        "is_sparse": sparsity is not None,
        "sparsity": None if sparsity is None else read_table(sparsity),
        "variant_tensors": t.VariantTensorsLength(),
        "data": data,
    }


def _operator(op) -> dict:
    union_type = op.BuiltinOptionsType()
    union_name = OPTIONS_UNION_NAMES.get(union_type, f"UNKNOWN_{union_type}")
    options = None
    table = op.BuiltinOptions()
    if union_type != 0 and table is not None and union_name in OPTIONS_UNION_NAMES.values():
        obj = generated_class(union_name)()
        obj.Init(table.Bytes, table.Pos)
        options = read_table(obj)
    union2_type = op.BuiltinOptions2Type()
    options2 = None
    table2 = op.BuiltinOptions2()
    if union2_type != 0 and table2 is not None and union2_type in OPTIONS2_UNION_NAMES:
        obj = generated_class(OPTIONS2_UNION_NAMES[union2_type])()
        obj.Init(table2.Bytes, table2.Pos)
        options2 = read_table(obj)
    custom = None if op.CustomOptionsIsNone() else np.asarray(op.CustomOptionsAsNumpy()).tobytes()
    return {
        "opcode_index": op.OpcodeIndex(),
        "inputs": _ints(op, "Inputs"),
        "outputs": _ints(op, "Outputs"),
        "intermediates": _ints(op, "Intermediates"),
        "builtin_options_type": union_name,
        "builtin_options": options,
        "custom_options": custom,
        "custom_options_format": op.CustomOptionsFormat(),
        "mutating_variable_inputs": _ints(op, "MutatingVariableInputs"),
        "large_custom_options_offset": op.LargeCustomOptionsOffset(),
        "large_custom_options_size": op.LargeCustomOptionsSize(),
        "builtin_options_2_type": union2_type,
        "builtin_options_2": options2,
        "debug_metadata_index": op.DebugMetadataIndex(),
    }


# -- canonical form: what microinfer's model means ------------------------------------------------

# Fields of the schema microinfer's Model does not expose (dropped when comparing with it).
TFLITE_ONLY = {
    "model": {"metadata_buffer"},
    "subgraph": {"debug_metadata_index"},
    "tensor": {"sparsity", "variant_tensors"},
    "quantization": {"details_type"},
    "operator": {
        "custom_options_format", "mutating_variable_inputs", "large_custom_options_offset",
        "large_custom_options_size", "builtin_options_2_type", "builtin_options_2",
        "debug_metadata_index",
    },
    "buffer": {"inline"},
}
# Fields that describe the file layout, not the model (ignored by content round trips).
LAYOUT = {"buffer": {"offset", "size", "inline"}}


def canonical(walk: dict, *, operator_options=None, drop=None) -> dict:
    """The raw :func:`tflite_walk` in microinfer's terms.

    Rules (each one is a documented meaning of the schema or of microinfer's model):

    1. absent strings (description, names, signature keys) are ``""``; ``custom_code`` stays
       ``None`` when absent;
    2. ``builtin_code`` is ``max(builtin_code, deprecated_builtin_code)`` (schema.fbs: old files
       only have the int8 field; newer ones put 127 there for codes above 127);
    3. a quantization table holding no scale, zero point, min or max is no quantization; an absent
       scale or zero-point vector is an empty one;
    4. an absent options table (union type NONE, or a type with no table) on an operator whose
       options table is ``operator_options[op_name]`` means that table with all defaults (read from
       the generated class on an empty table);
    5. signature-def tensor maps become dicts name -> tensor index; metadata becomes a list of
       (name, buffer) plus a name -> content dict;
    6. a buffer with no data, or empty data, has data ``None``.

    ``drop`` maps a table kind ('model', 'tensor', ...) to keys removed from it.
    """
    drop = drop or {}
    operator_options = operator_options or {}
    w = dict(walk)
    codes = []
    for oc in w["operator_codes"]:
        oc = dict(oc)
        oc["builtin_code"] = max(oc["builtin_code"], oc["deprecated_builtin_code"])
        codes.append(oc)
    w["operator_codes"] = codes
    w["description"] = w["description"] or ""
    buffers = []
    for b in w["buffers"]:
        b = dict(b)
        if not b["data"]:
            b["data"] = None
        buffers.append(_drop(b, drop.get("buffer")))
    w["buffers"] = buffers
    subgraphs = []
    for sg in w["subgraphs"]:
        sg = dict(sg)
        sg["name"] = sg["name"] or ""
        sg["inputs"] = sg["inputs"] or ()
        sg["outputs"] = sg["outputs"] or ()
        sg["tensors"] = [_canonical_tensor(t, drop) for t in sg["tensors"]]
        sg["operators"] = [
            _canonical_operator(op, codes, operator_options, drop) for op in sg["operators"]
        ]
        subgraphs.append(_drop(sg, drop.get("subgraph")))
    w["subgraphs"] = subgraphs
    w["metadata"] = [(md["name"] or "", md["buffer"]) for md in w["metadata"]]
    w["metadata_data"] = {
        name: (w["buffers"][index]["data"] or b"") if index < len(w["buffers"]) else None
        for name, index in w["metadata"]
    }
    w["signature_defs"] = [
        {
            "signature_key": sd["signature_key"] or "",
            "subgraph_index": sd["subgraph_index"],
            "inputs": {(name or ""): index for name, index in sd["inputs"]},
            "outputs": {(name or ""): index for name, index in sd["outputs"]},
        }
        for sd in w["signature_defs"]
    ]
    return _drop(w, drop.get("model"))


def _drop(d: dict, keys) -> dict:
    return {k: v for k, v in d.items() if not keys or k not in keys}


def _canonical_tensor(t: dict, drop) -> dict:
    t = dict(t)
    t["name"] = t["name"] or ""
    t["shape"] = t["shape"] or ()
    q = t["quantization"]
    if q is not None:
        q = dict(q)
        if all(q[k] is None or len(q[k]) == 0 for k in ("scale", "zero_point")) and q["min"] is None \
                and q["max"] is None:
            q = None
        else:
            if q["scale"] is None:
                q["scale"] = np.zeros(0, np.float32)
            if q["zero_point"] is None:
                q["zero_point"] = np.zeros(0, np.int64)
            q = _drop(q, drop.get("quantization"))
    t["quantization"] = q
    return _drop(t, drop.get("tensor"))


def _canonical_operator(op: dict, codes, operator_options, drop) -> dict:
    op = dict(op)
    op["inputs"] = op["inputs"] or ()
    op["outputs"] = op["outputs"] or ()
    op["intermediates"] = op["intermediates"] or ()
    if op["builtin_options"] is None and op["opcode_index"] < len(codes):
        code = codes[op["opcode_index"]]["builtin_code"]
        expected = operator_options.get(OPERATOR_NAMES.get(code))
        if op["builtin_options_type"] != "NONE":
            op["builtin_options"] = option_defaults(op["builtin_options_type"])
        elif expected is not None:
            op["builtin_options_type"] = expected
            op["builtin_options"] = option_defaults(expected)
    return _drop(op, drop.get("operator"))


# -- the microinfer walk --------------------------------------------------------------------------


def _py(value):
    if isinstance(value, enum.Enum):
        return int(value.value)
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple):
        return tuple(_py(v) for v in value)
    return value


def options_fields(options) -> dict:
    """A microinfer options dataclass as accessor name -> value; fields without an accessor
    in the generated class (deprecated in the schema) are left out."""
    cls = generated_class(type(options).__name__)
    names = set(accessor_names(cls))
    result = {}
    for f in dataclasses.fields(options):
        name = camel(f.name)
        if name in names:
            result[name] = _py(getattr(options, f.name))
    return result


def microinfer_walk(model) -> dict:
    """The same structure as ``canonical(tflite_walk(...), drop=TFLITE_ONLY)`` from a
    :class:`microinfer.tflite.Model`."""
    from microinfer.tflite.options import RawOptions

    def array(a):
        return None if a is None else np.asarray(a)

    def tensor(t) -> dict:
        q = t.quantization
        return {
            "name": t.name,
            "shape": tuple(t.shape),
            "shape_signature": None if t.shape_signature is None else tuple(t.shape_signature),
            "type": int(t.type),
            "buffer": t.buffer,
            "is_variable": t.is_variable,
            "has_rank": t.has_rank,
            "quantization": None if q is None else {
                "scale": array(q.scale),
                "zero_point": array(q.zero_point),
                "min": array(q.min),
                "max": array(q.max),
                "quantized_dimension": q.quantized_dimension,
            },
            "is_sparse": t.is_sparse,
            "data": None if t.data is None else np.asarray(t.data),
        }

    def operator(op) -> dict:
        o = op.options
        if o is None:
            union, fields = "NONE", None
        elif isinstance(o, RawOptions):
            union, fields = o.union_name, UNDECODED
        else:
            union, fields = type(o).__name__, options_fields(o)
        return {
            "opcode_index": op.opcode_index,
            "inputs": tuple(op.inputs),
            "outputs": tuple(op.outputs),
            "intermediates": tuple(op.intermediates),
            "builtin_options_type": union,
            "builtin_options": fields,
            "custom_options": None if op.custom_options is None else bytes(op.custom_options),
        }

    def buffer_data(b):
        return None if b.data is None or len(b.data) == 0 else np.asarray(b.data).tobytes()

    return {
        "version": model.version,
        "description": model.description,
        "operator_codes": [
            {
                "deprecated_builtin_code": oc.deprecated_builtin_code,
                "builtin_code": oc.builtin_code,
                "version": oc.version,
                "custom_code": oc.custom_code,
            }
            for oc in model.operator_codes
        ],
        "subgraphs": [
            {
                "name": sg.name,
                "inputs": tuple(sg.inputs),
                "outputs": tuple(sg.outputs),
                "tensors": [tensor(t) for t in sg.tensors],
                "operators": [operator(op) for op in sg.operators],
            }
            for sg in model.subgraphs
        ],
        "buffers": [
            {"data": buffer_data(b), "offset": b.offset, "size": b.size} for b in model.buffers
        ],
        "metadata": list(model.metadata_buffers.items()),
        # None (builder.model() for an empty payload) reads as empty here; a dedicated test
        # checks the builder's value.
        "metadata_data": {
            name: b"" if d is None else np.asarray(d).tobytes() for name, d in model.metadata.items()
        },
        "signature_defs": [
            {
                "signature_key": sd.signature_key,
                "subgraph_index": sd.subgraph_index,
                "inputs": dict(sd.inputs),
                "outputs": dict(sd.outputs),
            }
            for sd in model.signature_defs
        ],
    }


class _Undecoded:
    """Options microinfer keeps undecoded (RawOptions): only the union type is comparable."""

    def __repr__(self):
        return "<undecoded>"


UNDECODED = _Undecoded()


# -- comparison -----------------------------------------------------------------------------------


def _same_scalar(a, b) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True
    return type(a) is type(b) and a == b


def diff(expected, got, path: str = "model", out: list | None = None) -> list[str]:
    """Differences between two walks as ``path: expected ... got ...`` lines (empty: equal).

    Arrays must agree in dtype, shape and bytes; scalars in type (bool is not int) and value.
    ``UNDECODED`` on either side matches any options value.
    """
    out = [] if out is None else out
    if expected is UNDECODED or got is UNDECODED:
        return out
    if isinstance(expected, np.ndarray) or isinstance(got, np.ndarray):
        if not (isinstance(expected, np.ndarray) and isinstance(got, np.ndarray)):
            out.append(f"{path}: expected {_short(expected)}, got {_short(got)}")
        elif expected.dtype != got.dtype or expected.shape != got.shape \
                or expected.tobytes() != got.tobytes():
            out.append(
                f"{path}: expected {expected.dtype}{list(expected.shape)} {_short(expected)}, "
                f"got {got.dtype}{list(got.shape)} {_short(got)}"
            )
        return out
    if isinstance(expected, dict) and isinstance(got, dict):
        for key in expected.keys() | got.keys():
            if key not in got:
                out.append(f"{path}.{key}: missing in got (expected {_short(expected[key])})")
            elif key not in expected:
                out.append(f"{path}.{key}: unexpected in got ({_short(got[key])})")
            else:
                diff(expected[key], got[key], f"{path}.{key}", out)
        if list(expected) != list(got) and set(expected) == set(got) and path.endswith(("inputs", "outputs")):
            out.append(f"{path}: order differs: expected {list(expected)}, got {list(got)}")
        return out
    if isinstance(expected, (list, tuple)) and isinstance(got, (list, tuple)) \
            and not (isinstance(expected, tuple) and isinstance(got, tuple) and _flat(expected)
                     and _flat(got)):
        if len(expected) != len(got):
            out.append(f"{path}: expected {len(expected)} entries, got {len(got)}")
        for i, (a, b) in enumerate(zip(expected, got)):
            diff(a, b, f"{path}[{i}]", out)
        return out
    if isinstance(expected, tuple) and isinstance(got, tuple):
        if len(expected) != len(got) or not all(map(_same_scalar, expected, got)):
            out.append(f"{path}: expected {expected!r}, got {got!r}")
        return out
    if not _same_scalar(expected, got):
        out.append(f"{path}: expected {expected!r} ({type(expected).__name__}), "
                   f"got {got!r} ({type(got).__name__})")
    return out


def _flat(t: tuple) -> bool:
    return all(not isinstance(v, (dict, list, tuple, np.ndarray)) for v in t)


def _short(value, limit: int = 120) -> str:
    if isinstance(value, np.ndarray):
        text = np.array2string(value.reshape(-1)[:16], threshold=16)
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def format_diff(lines: list[str], what: str, limit: int = 40) -> str:
    head = "\n  ".join(lines[:limit])
    more = f"\n  ... and {len(lines) - limit} more" if len(lines) > limit else ""
    return f"{what}: {len(lines)} difference(s):\n  {head}{more}"
