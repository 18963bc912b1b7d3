"""microinfer's TFLite loader against an independent parser, and builder/writer round trips.

Acceptance criteria checked here:

(a) for every model in ../shared/models, every model generated below and every op model of
    ``microinfer.testing.op_models`` (when present), ALL fields microinfer's loader returns agree
    with the independent parse of the PyPI ``tflite`` package (``tflite_walk`` walks both);
(b) builder round trip: build -> load gives back the same graph; load -> serialize -> load gives
    back an equal model (and the ``tflite`` package sees the same content in both files).

Plus the schema tables of microinfer (operator codes, option union codes, tensor types, option
field slots, wire types and defaults) against the generated bindings.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect

import flatbuffers
import numpy as np
import pytest
import tflite

from microinfer.tflite import ModelBuilder, OfflineMemoryAllocation, Quantization, load, serialize
from microinfer.tflite import options as opts
from microinfer.tflite import schema_codes, types
from microinfer.tflite.schema_codes import BUILTIN_OPERATOR_CODES

import tflite_walk as tw
from tflite_walk import LAYOUT, TFLITE_ONLY, canonical, diff, format_diff, microinfer_walk, tflite_walk

try:  # written concurrently by another helper; optional
    from microinfer.testing.op_models import OP_CASES as _OP_CASES

    OP_CASES = list(_OP_CASES.items()) if isinstance(_OP_CASES, dict) else list(_OP_CASES)
except ImportError:
    OP_CASES = []

OPERATOR_OPTION_NAMES = {op: cls.__name__ for op, cls in opts.OPERATOR_OPTIONS.items()}


# -- comparison entry points ----------------------------------------------------------------------


def assert_loader_agrees(data: bytes, what: str) -> None:
    """Everything ``load`` returns equals what the ``tflite`` package reads."""
    expected = canonical(tflite_walk(data), operator_options=OPERATOR_OPTION_NAMES, drop=TFLITE_ONLY)
    model = load(data)
    got = microinfer_walk(model)
    lines = diff(expected, got)
    assert not lines, format_diff(lines, f"{what}: tflite package (expected) vs microinfer (got)")
    # What the walk leaves out: sizes, positions, shared objects, read-only views, parsed metadata.
    assert model.size_bytes == len(data), what
    for i, sg in enumerate(model.subgraphs):
        assert sg.index == i, what
        for j, t in enumerate(sg.tensors):
            assert t.index == j, f"{what}: subgraph {i} tensor {j}"
            if t.data is not None:
                assert not t.data.flags.writeable, f"{what}: tensor {t.name!r} data is writeable"
        for j, op in enumerate(sg.operators):
            assert op.index == j, f"{what}: subgraph {i} operator {j}"
            assert op.opcode == model.operator_codes[op.opcode_index], f"{what}: operator {j}"
    raw = expected["metadata_data"].get("OfflineMemoryAllocation")
    if raw is not None:
        words = np.frombuffer(raw, "<i4")
        assert model.offline_memory_allocation == (
            OfflineMemoryAllocation(int(words[0]), int(words[1]), tuple(int(w) for w in words[3:])))


def assert_serialize_round_trip(data: bytes, what: str) -> None:
    """load -> serialize -> load: same content for the tflite package and for microinfer."""
    m = load(data)
    b2 = serialize(m)
    m2 = load(b2)
    walk1 = canonical(tflite_walk(data), operator_options=OPERATOR_OPTION_NAMES, drop=LAYOUT)
    walk2 = canonical(tflite_walk(b2), operator_options=OPERATOR_OPTION_NAMES, drop=LAYOUT)
    lines = diff(walk1, walk2)
    assert not lines, format_diff(lines, f"{what}: tflite package, original (expected) vs "
                                         f"serialize(load(original)) (got)")
    mi1, mi2 = _without_layout(microinfer_walk(m)), _without_layout(microinfer_walk(m2))
    lines = diff(mi1, mi2)
    assert not lines, format_diff(lines, f"{what}: load(original) vs load(serialize(load(original)))")
    assert serialize(m2) == b2, f"{what}: serialize(load(b)) is not a fixpoint of the writer"


def _without_layout(walk: dict) -> dict:
    walk = dict(walk)
    walk["buffers"] = [{"data": b["data"]} for b in walk["buffers"]]
    return walk


# -- non-default option values --------------------------------------------------------------------

N_SUBGRAPHS = 3  # generated option models have this many subgraphs, for *_subgraph_index fields


def nondefault(f: dataclasses.Field, salt: int):
    """A value of the field's wire type that differs from its schema default; ``salt`` varies it
    so that fields of one table get different values (a slot mix-up cannot go unnoticed)."""
    kind, enum, default = f.metadata["wire"], f.metadata["enum"], f.default
    if enum is not None:
        members = [m for m in enum if m != default]
        return members[salt % len(members)]
    if f.name.endswith("subgraph_index"):
        return 1 + salt % (N_SUBGRAPHS - 1)
    if kind == "bool":
        return not default
    if kind == "str":
        return f"name{salt}"
    if kind in ("f32", "f64"):
        return float(default) + 0.5 + salt * 1.25 * (-1) ** salt
    # Values stay plausible for the operator (the loader may check them): positive sizes and
    # counts, axis -1, shapes with at most one -1.
    if kind.startswith("["):
        return (salt + 1, -1, salt + 3)
    if "axis" in f.name:
        return -1
    return int(default) + 2 + salt


def options_all_fields(cls: type[opts.Options], salt: int = 0) -> opts.Options:
    """``cls`` with every field at a non-default value."""
    fields = dataclasses.fields(cls)
    return cls(**{f.name: nondefault(f, salt + i + 1) for i, f in enumerate(fields)})


def options_one_field(cls: type[opts.Options], index: int) -> opts.Options:
    """``cls`` with only field ``index`` at a non-default value."""
    f = dataclasses.fields(cls)[index]
    return cls(**{f.name: nondefault(f, index + 1)})


# -- generated models -----------------------------------------------------------------------------


def _rich_model() -> ModelBuilder:
    """Every tensor type with constant data, every quantization flavour, optional inputs,
    intermediates, variables, shape signatures, op codes above 127, custom ops, several
    subgraphs, metadata and signature defs."""
    b = ModelBuilder(description="rich model ✓ (microinfer agreement test)")
    g = b.main
    x = g.add_input("x", (1, 4, 4, 3), "int8", scale=0.05, zero_point=-3,
                    shape_signature=(-1, 4, 4, 3))
    # constants of every type the kernels use
    c_int4 = g.add_constant("w_int4", np.array([[-8, -1, 0], [1, 7, -3], [2, -5, 6]], np.int8),
                            "int4", scale=[0.1, 0.2, 0.3], zero_point=[0, 0, 0], axis=0)
    c_int8_pc = g.add_constant("w_int8_per_channel_axis3",
                               np.arange(-18, 18, dtype=np.int8).reshape(1, 3, 4, 3),
                               scale=[0.01, 0.02, 0.03], zero_point=[0, 0, 0], axis=3)
    c_int8_pt3 = g.add_constant(  # per-tensor quantization with quantized_dimension 3 (TFLM quirk)
        "w_int8_per_tensor_axis3", np.array([[[[1, -2, 3]]]], np.int8),
        quant=Quantization(np.array([0.5], "<f4"), np.array([-1], "<i8"), quantized_dimension=3))
    c_int16 = g.add_constant("c_int16", np.array([[-32768, 0, 32767], [1, -2, 3]], np.int16),
                             scale=0.001, zero_point=0)
    c_int32 = g.add_constant("bias_int32", np.array([-(2**31), 0, 2**31 - 1], np.int32),
                             scale=[1e-4, 2e-4, 3e-4], zero_point=[0, 0, 0], axis=0)
    c_int64 = g.add_constant("c_int64", np.array([2**40, -(2**50)], np.int64))
    c_uint8 = g.add_constant("c_uint8", np.array([0, 1, 128, 254, 255], np.uint8), scale=0.25,
                             zero_point=128)
    c_f16 = g.add_constant("c_float16", np.array([[1.5, -2.25], [65504.0, 6e-8]], np.float16))
    c_f32 = g.add_constant("c_float32", np.array([[0.0, -0.0, np.nan], [np.inf, -1.5, 3e38]],
                                                 np.float32))
    c_bool = g.add_constant("c_bool", np.array([True, False, True, True, False, False, True]))
    c_scalar = g.add_constant("c_scalar", np.float32(3.25))
    c_minmax = g.add_tensor(
        "t_min_max_only", (2, 2), "float32",
        quant=Quantization(np.zeros(0, "<f4"), np.zeros(0, "<i8"), 0,
                           min=np.array([-6.0], "<f4"), max=np.array([6.0], "<f4")))
    c_minmax_scale = g.add_tensor(
        "t_scale_and_min_max", (2, 2), "int8",
        quant=Quantization(np.array([0.05], "<f4"), np.array([4], "<i8"), 0,
                           min=np.array([-1.0], "<f4"), max=np.array([1.0], "<f4")))
    state = g.add_tensor("lstm_state", (1, 8), "int16", scale=2**-15, zero_point=0,
                         is_variable=True)
    cell = g.add_tensor("lstm_cell", (1, 8), "int16", scale=2**-11, zero_point=0,
                        is_variable=True, shape_signature=(-1, 8))
    g.tensors[cell] = dataclasses.replace(g.tensors[cell], has_rank=True)
    inter = [g.add_tensor(f"intermediate_{i}", (), "int16", scale=0.001 * (i + 1), zero_point=i)
             for i in range(5)]
    unnamed = g.add_tensor("", (3,), "int32")

    y_fc = g.add_output("y_fc", (1, 3), "int8", scale=0.1, zero_point=2)
    g.add_operator("FULLY_CONNECTED", [c_minmax_scale, c_int8_pt3, -1], [y_fc],
                   options_all_fields(opts.FullyConnectedOptions), version=4)
    y_conv = g.add_tensor("y_conv", (1, 4, 4, 3), "int8", scale=0.2, zero_point=-128)
    g.add_operator("DEPTHWISE_CONV_2D", [x, c_int8_pc, c_int32], [y_conv],
                   options_all_fields(opts.DepthwiseConv2DOptions, 3), version=7)
    lstm_in = [x] + [-1] * 17 + [state, cell] + [-1] * 4
    y_lstm = g.add_tensor("y_lstm", (1, 8), "int8", scale=0.01, zero_point=0)
    g.add_operator("UNIDIRECTIONAL_SEQUENCE_LSTM", lstm_in, [y_lstm],
                   options_all_fields(opts.UnidirectionalSequenceLSTMOptions), intermediates=inter)
    g.add_operator("CALL_ONCE", [], [], opts.CallOnceOptions(init_subgraph_index=1))  # code 129
    y_gelu = g.add_tensor("y_gelu", (1, 3), "int8", scale=0.1, zero_point=2)
    g.add_operator("GELU", [y_fc], [y_gelu], version=2)  # code 150, no options table
    y_hlo = g.add_tensor("y_stablehlo", (2, 2), "float32")
    g.add_operator(BUILTIN_OPERATOR_CODES["STABLEHLO_ADD"], [c_minmax, c_minmax], [y_hlo])
    y_custom = g.add_tensor("y_custom", (5,), "uint8")
    g.add_operator("CUSTOM", [c_uint8, c_int4, c_int16, c_int64, c_f16, c_f32, c_bool, c_scalar,
                              unnamed], [y_custom],
                   custom_code="MyCustomOp", custom_options=b"\x01\x02flexbuffer\x00\xff",
                   version=3)
    g.add_operator("CUSTOM", [y_custom], [unnamed], custom_code="OtherCustom")

    init = b.add_subgraph("init_subgraph")
    v = init.add_tensor("var", (1, 8), "int16", is_variable=True)
    shape = init.add_constant("shape", np.array([8], np.int32))
    out = init.add_output("flat", (8,), "int16")
    init.add_operator("RESHAPE", [v, shape], [out], opts.ReshapeOptions(new_shape=(8,)))
    b.add_subgraph("")  # an empty subgraph without a name

    # one offset per tensor of every subgraph, as TFLite Micro requires
    b.add_offline_memory_allocation([-1] * (len(g.tensors) - 2) + [0, 64] + [-1] * len(init.tensors))
    b.add_metadata("custom_metadata", b"hello\x00world\xff")
    b.add_metadata("empty_metadata", b"")
    b.add_signature("serving_default", {"x": x}, {"y_fc": y_fc, "y_conv": y_conv}, 0)
    b.add_signature("init", {}, {"flat": out}, 1)
    return b


def _option_subgraphs(b: ModelBuilder) -> None:
    for i in range(1, N_SUBGRAPHS):
        sg = b.add_subgraph(f"branch_{i}")
        t = sg.add_input(f"t{i}", (1,), "float32")
        sg.outputs.append(t)


def _options_all_fields_model() -> ModelBuilder:
    """One operator per entry of OPERATOR_OPTIONS, every option field at a non-default value."""
    b = ModelBuilder(description="every option field non-default")
    g = b.main
    x = g.add_input("x", (1, 2, 2, 2), "float32")
    for i, (op, cls) in enumerate(opts.OPERATOR_OPTIONS.items()):
        y = g.add_tensor(f"{op.lower()}_out", (1, 2, 2, 2), "float32")
        g.add_operator(op, [x], [y], options_all_fields(cls, salt=i))
        g.outputs.append(y)
    _option_subgraphs(b)
    return b


def _options_one_field_model() -> ModelBuilder:
    """One operator per option field of every options class, only that field non-default: a field
    read from the wrong slot reads a default where the value is expected."""
    b = ModelBuilder(description="one non-default option field per operator")
    g = b.main
    x = g.add_input("x", (4,), "float32")
    first_op = {}
    for op, cls in opts.OPERATOR_OPTIONS.items():
        first_op.setdefault(cls, op)
    for cls, op in first_op.items():
        for index, f in enumerate(dataclasses.fields(cls)):
            y = g.add_tensor(f"{op.lower()}.{f.name}", (4,), "float32")
            g.add_operator(op, [x], [y], options_one_field(cls, index))
    _option_subgraphs(b)
    return b


def _options_default_model() -> ModelBuilder:
    """Every op with its default options (the writer then stores empty tables)."""
    b = ModelBuilder(description="")
    g = b.main
    x = g.add_input("x", (4,), "float32")
    for op in opts.OPERATOR_OPTIONS:
        y = g.add_tensor(op, (4,), "float32")
        g.add_operator(op, [x], [y])
    return b


def _minimal_model() -> ModelBuilder:
    b = ModelBuilder(description="")
    b.main.add_input("x", (1,), "float32")
    return b


GENERATED = {
    "rich": _rich_model,
    "options_all_fields": _options_all_fields_model,
    "options_one_field": _options_one_field_model,
    "options_default": _options_default_model,
    "minimal": _minimal_model,
}


@functools.lru_cache(maxsize=None)
def generated_bytes(name: str) -> bytes:
    return GENERATED[name]().build()


# -- op models of microinfer.testing.op_models (optional) -----------------------------------------


def _case_id(i: int, case) -> str:
    if isinstance(case, tuple) and case and isinstance(case[0], str):
        return case[0]
    for attr in ("name", "id", "op"):
        value = getattr(case, attr, None)
        if isinstance(value, str):
            return f"{value}-{i}"
    return f"case{i}"


def _case_bytes(case, depth: int = 0) -> bytes | None:
    """The .tflite bytes of an op case, whatever reasonable shape OP_CASES has."""
    if depth > 3:
        return None
    if isinstance(case, (bytes, bytearray, memoryview)):
        return bytes(case)
    if isinstance(case, ModelBuilder):
        return case.build()
    if isinstance(case, tuple):
        for item in case:
            found = _case_bytes(item, depth + 1)
            if found is not None:
                return found
        return None
    for attr in ("model_bytes", "tflite_bytes", "tflite", "data", "bytes", "model", "builder"):
        value = getattr(case, attr, None)
        if value is not None and not callable(value):
            found = _case_bytes(value, depth + 1)
            if found is not None:
                return found
    for attr in ("build", "make", "make_model"):
        method = getattr(case, attr, None)
        if callable(method):
            try:
                return _case_bytes(method(), depth + 1)
            except TypeError:
                pass
    if callable(case) and not isinstance(case, type):
        try:
            params = inspect.signature(case).parameters.values()
        except (TypeError, ValueError):
            return None
        if all(p.default is not inspect.Parameter.empty for p in params):
            return _case_bytes(case(), depth + 1)
    return None


OP_CASE_PARAMS = [pytest.param(case, id=_case_id(i, case)) for i, case in enumerate(OP_CASES)] or [
    pytest.param(None, marks=pytest.mark.skip(reason="microinfer.testing.op_models not available"))
]


def op_case_bytes(case) -> bytes:
    data = _case_bytes(case)
    if data is None:
        pytest.skip(f"cannot get .tflite bytes from op case {case!r}")
    return data


# == (a) loader agreement =========================================================================


def test_shared_model_agrees(shared_model):
    assert_loader_agrees(shared_model.read_bytes(), shared_model.name)


@pytest.mark.parametrize("name", GENERATED)
def test_generated_model_agrees(name):
    assert_loader_agrees(generated_bytes(name), name)


@pytest.mark.parametrize("case", OP_CASE_PARAMS)
def test_op_model_agrees(case):
    assert_loader_agrees(op_case_bytes(case), _case_id(0, case))


def test_walk_sees_every_option_field():
    """The all-fields model really puts non-default values in every accessor of every class."""
    walk = tflite_walk(generated_bytes("options_all_fields"))
    by_union = {}
    for op in walk["subgraphs"][0]["operators"]:
        by_union.setdefault(op["builtin_options_type"], op["builtin_options"])
    for name, cls in opts.OPTIONS_CLASSES.items():
        assert name in by_union, f"no operator carries {name}"
        defaults = tw.option_defaults(name)
        fields = by_union[name]
        assert fields.keys() == defaults.keys()
        same = [k for k in fields if fields[k] == defaults[k]]
        assert not same, f"{name}: fields {same} still at their defaults on the wire"


def test_comparison_detects_a_difference():
    """Guard against a vacuous walk: a changed option value, scale or data byte is reported."""
    data = generated_bytes("rich")
    expected = canonical(tflite_walk(data), operator_options=OPERATOR_OPTION_NAMES, drop=TFLITE_ONLY)
    got = microinfer_walk(load(data))
    ops = got["subgraphs"][0]["operators"]
    ops[0]["builtin_options"]["KeepNumDims"] = not ops[0]["builtin_options"]["KeepNumDims"]
    tensor = got["subgraphs"][0]["tensors"][1]
    tensor["quantization"]["scale"] = tensor["quantization"]["scale"] * 2
    tensor["data"] = tensor["data"].copy()
    tensor["data"].flat[0] += 1
    lines = diff(expected, got)
    assert len(lines) == 3, lines


# == (b) round trips ==============================================================================


def test_shared_model_serialize_round_trip(shared_model):
    assert_serialize_round_trip(shared_model.read_bytes(), shared_model.name)


@pytest.mark.parametrize("name", GENERATED)
def test_generated_model_serialize_round_trip(name):
    assert_serialize_round_trip(generated_bytes(name), name)


@pytest.mark.parametrize("case", OP_CASE_PARAMS)
def test_op_model_serialize_round_trip(case):
    assert_serialize_round_trip(op_case_bytes(case), _case_id(0, case))


@pytest.mark.parametrize("name", GENERATED)
def test_builder_round_trip(name):
    """build -> load gives back the tensors, operators, options, metadata and signatures that
    were given to the builder."""
    builder = GENERATED[name]()
    given = builder.model()
    loaded = load(builder.build())
    lines = diff(_without_layout(microinfer_walk(given)), _without_layout(microinfer_walk(loaded)))
    assert not lines, format_diff(lines, f"{name}: builder.model() (expected) vs load(build()) (got)")
    # The option dataclasses themselves, deprecated fields (no tflite accessor) included.
    for sg_given, sg_loaded in zip(given.subgraphs, loaded.subgraphs):
        for op_given, op_loaded in zip(sg_given.operators, sg_loaded.operators):
            assert op_loaded.options == op_given.options, (
                f"{name}: subgraph {sg_given.index} operator {op_given.index} ({op_given.op})")
            assert op_loaded.opcode == op_given.opcode
        for t_given, t_loaded in zip(sg_given.tensors, sg_loaded.tensors):
            for f in ("index", "name", "shape", "type", "buffer", "is_variable", "shape_signature",
                      "has_rank", "is_sparse"):
                assert getattr(t_loaded, f) == getattr(t_given, f), f"{name}: {t_given.name}.{f}"
    assert loaded.metadata_buffers == given.metadata_buffers
    assert loaded.signature_defs == given.signature_defs
    assert loaded.offline_memory_allocation == given.offline_memory_allocation


def test_builder_round_trip_deprecated_option_fields():
    """ResizeBilinearOptions.new_height/new_width have no accessor in the generated bindings but
    still occupy slots 0 and 1: the writer and the loader must agree on them."""
    b = _minimal_model()
    g = b.main
    y = g.add_tensor("y", (1,), "float32")
    options = opts.ResizeBilinearOptions(new_height=7, new_width=-9, align_corners=True,
                                         half_pixel_centers=True)
    g.add_operator("RESIZE_BILINEAR", [0], [y], options)
    data = b.build()
    assert load(data).main.operators[0].options == options
    generated = tflite.ResizeBilinearOptions()
    op = tflite.Model.GetRootAs(data, 0).Subgraphs(0).Operators(0)
    table = op.BuiltinOptions()
    generated.Init(table.Bytes, table.Pos)
    assert generated.AlignCorners() is True and generated.HalfPixelCenters() is True
    assert generated._tab.Offset(4) and generated._tab.Offset(6)  # slots 0 and 1 are present


def test_builder_round_trip_zero_element_constant():
    """A constant of zero elements (e.g. the shape operand of a reshape to a scalar)."""
    b = _minimal_model()
    b.main.add_constant("empty_shape", np.zeros((0,), np.int32))
    given = b.model().main.tensors[1]
    loaded = load(b.build()).main.tensors[1]
    assert (given.data is None) == (loaded.data is None), (
        "MICROINFER BUG (builder.py SubgraphBuilder/ModelBuilder._add_tensor_data): a zero-element "
        "constant gets an empty buffer (no data vector is written) but builder.model() gives it "
        f"data={given.data!r}; load(build()) gives data={loaded.data!r} (not constant). "
        "Fix: return view None (and buffer 0) for an empty payload.")


def test_builder_round_trip_empty_metadata():
    """An empty metadata payload: builder.model() and load(build()) hold the same value."""
    b = _minimal_model()
    b.add_metadata("empty", b"")
    given, loaded = b.model().metadata["empty"], load(b.build()).metadata["empty"]
    assert isinstance(given, np.ndarray) and given.tobytes() == loaded.tobytes(), (
        "MICROINFER BUG (builder.py ModelBuilder.model, metadata=...): "
        f"builder.model().metadata['empty'] is {given!r}, load(build()) gives {loaded!r}. "
        "Fix: use np.zeros(0, np.uint8) when the buffer's data is None, as the loader does.")


# == schema tables against the generated bindings =================================================


def test_builtin_operator_codes():
    assert schema_codes.BUILTIN_OPERATOR_NAMES == tw.OPERATOR_NAMES


def test_builtin_options_union_codes():
    assert schema_codes.BUILTIN_OPTIONS_UNION_NAMES == tw.OPTIONS_UNION_NAMES


@pytest.mark.parametrize("ours, generated", [
    (types.TensorType, tflite.TensorType),
    (types.ActivationFunction, tflite.ActivationFunctionType),
    (types.Padding, tflite.Padding),
    (types.FullyConnectedWeightsFormat, tflite.FullyConnectedOptionsWeightsFormat),
], ids=lambda c: c.__name__)
def test_enums(ours, generated):
    assert {m.value: m.name for m in ours} == tw.enum_members(generated)


def test_options_classes_cover_their_union_names():
    for name, cls in opts.OPTIONS_CLASSES.items():
        assert cls.__name__ == name
        assert name in schema_codes.BUILTIN_OPTIONS_UNION_CODES
        assert opts.union_code(cls()) == schema_codes.BUILTIN_OPTIONS_UNION_CODES[name]


# Schema fields marked deprecated that flatc no longer generates accessors for.
DEPRECATED_FIELDS = {("ResizeBilinearOptions", "new_height"), ("ResizeBilinearOptions", "new_width")}


@pytest.mark.parametrize("name", opts.OPTIONS_CLASSES)
def test_option_fields_slots_types_defaults(name):
    """Each dataclass field is the generated accessor of the same slot, wire type and default;
    every accessor of the generated class has a field."""
    cls = opts.OPTIONS_CLASSES[name]
    generated = tw.generated_class(name)
    accessors = tw.accessor_names(generated)
    defaults = tw.option_defaults(name)
    fields = dataclasses.fields(cls)
    covered = set()
    for slot, f in enumerate(fields):
        accessor = tw.camel(f.name)
        if (name, f.name) in DEPRECATED_FIELDS:
            assert accessor not in accessors
            continue
        assert accessor in accessors, f"{name}.{f.name}: no accessor {accessor} in tflite.{name}"
        covered.add(accessor)
        gen_slot, gen_kind = tw.accessor_layout(generated, accessor)
        assert (slot, f.metadata["wire"]) == (gen_slot, gen_kind), f"{name}.{f.name}"
        default = f.default
        value = default if default is None else tw._py(default)
        assert value == defaults[accessor] and type(value) is type(defaults[accessor]) or (
            default is None and defaults[accessor] is None), (
            f"{name}.{f.name}: default {default!r}, generated accessor on an empty table "
            f"returns {defaults[accessor]!r}")
        if f.metadata["enum"] is not None:
            assert f.metadata["enum"](defaults[accessor]) == default
    assert covered == set(accessors), f"{name}: accessors without a field: {set(accessors) - covered}"


@pytest.mark.parametrize("op, cls", list(opts.OPERATOR_OPTIONS.items()), ids=str)
def test_operator_options_table_exists(op, cls):
    assert op in schema_codes.BUILTIN_OPERATOR_CODES
    assert hasattr(tflite, cls.__name__)


# == models written by an independent writer (the tflite package's generated builders) ==========
#
# The microinfer writer and loader share one idea of the schema; these files are written with the
# generated ``tflite.*Start/Add/End`` functions instead, and use layouts the microinfer writer never
# produces: fields left absent (names, shapes, versions), old-style operator codes (only the int8
# field), empty quantization tables, buffers stored after the flatbuffer (offset/size), options
# tables microinfer does not decode, sparse tensors and fields microinfer ignores.

def _ivec(b, values, dtype="<i4"):
    return b.CreateNumpyVector(np.asarray(values, dtype=dtype))


def _table_vec(b, start, offsets):
    start(b, len(offsets))
    for o in reversed(offsets):
        b.PrependUOffsetTRelative(o)
    return b.EndVector()


def _write_independent(variant: str, external_offset: int = 0) -> bytes:
    b = flatbuffers.Builder(1024)
    T = tflite
    # buffers: 0 empty, 1 inline int8[4], 2 external float32[3] (offset/size), 3 metadata,
    # 4 sparse values int8[2]
    buffers = []
    T.BufferStart(b)
    buffers.append(T.BufferEnd(b))
    data1 = _ivec(b, [1, -2, 3, -4], "i1")
    T.BufferStart(b); T.BufferAddData(b, data1); buffers.append(T.BufferEnd(b))
    T.BufferStart(b)
    T.BufferAddOffset(b, external_offset or 1 << 20)
    T.BufferAddSize(b, 12)
    buffers.append(T.BufferEnd(b))
    data3 = _ivec(b, list(b"indep-meta"), "u1")
    T.BufferStart(b); T.BufferAddData(b, data3); buffers.append(T.BufferEnd(b))
    data4 = _ivec(b, [5, -6], "i1")
    T.BufferStart(b); T.BufferAddData(b, data4); buffers.append(T.BufferEnd(b))

    # operator codes: old style (only deprecated_builtin_code), new style, custom without version
    codes = []
    T.OperatorCodeStart(b); T.OperatorCodeAddDeprecatedBuiltinCode(b, 9)  # FULLY_CONNECTED
    codes.append(T.OperatorCodeEnd(b))
    T.OperatorCodeStart(b); T.OperatorCodeAddDeprecatedBuiltinCode(b, 22)
    T.OperatorCodeAddBuiltinCode(b, 22); T.OperatorCodeAddVersion(b, 2)  # RESHAPE
    codes.append(T.OperatorCodeEnd(b))
    custom_name = b.CreateString("IndependentCustom")
    T.OperatorCodeStart(b); T.OperatorCodeAddDeprecatedBuiltinCode(b, 32)
    T.OperatorCodeAddCustomCode(b, custom_name)
    codes.append(T.OperatorCodeEnd(b))
    T.OperatorCodeStart(b); T.OperatorCodeAddDeprecatedBuiltinCode(b, 16)
    T.OperatorCodeAddBuiltinCode(b, 16)  # LSTM: LSTMOptions, not decoded by microinfer
    codes.append(T.OperatorCodeEnd(b))

    # tensors
    tensors = []
    # 0: no name, no shape (a scalar), no quantization, type default (FLOAT32)
    T.TensorStart(b); tensors.append(T.TensorEnd(b))
    # 1: int8 constant (buffer 1), empty quantization table, shape signature
    shape = _ivec(b, [2, 2]); sig = _ivec(b, [2, -1]); name = b.CreateString("w")
    T.QuantizationParametersStart(b); q_empty = T.QuantizationParametersEnd(b)
    T.TensorStart(b); T.TensorAddShape(b, shape); T.TensorAddType(b, T.TensorType.INT8)
    T.TensorAddBuffer(b, 1); T.TensorAddName(b, name); T.TensorAddQuantization(b, q_empty)
    T.TensorAddShapeSignature(b, sig); T.TensorAddHasRank(b, True)
    tensors.append(T.TensorEnd(b))
    # 2: float32 constant stored after the flatbuffer; min/max-only quantization
    shape = _ivec(b, [3]); name = b.CreateString("external")
    qmin = _ivec(b, [-1.0], "<f4"); qmax = _ivec(b, [1.0], "<f4")
    T.QuantizationParametersStart(b); T.QuantizationParametersAddMin(b, qmin)
    T.QuantizationParametersAddMax(b, qmax); q_minmax = T.QuantizationParametersEnd(b)
    T.TensorStart(b); T.TensorAddShape(b, shape); T.TensorAddBuffer(b, 2)
    T.TensorAddName(b, name); T.TensorAddQuantization(b, q_minmax)
    tensors.append(T.TensorEnd(b))
    # 3: int8 per-channel (axis 1) quantized activation, variable
    shape = _ivec(b, [1, 2]); name = b.CreateString("act")
    scale = _ivec(b, [0.5, 0.25], "<f4"); zp = _ivec(b, [-1, 1], "<i8")
    T.QuantizationParametersStart(b); T.QuantizationParametersAddScale(b, scale)
    T.QuantizationParametersAddZeroPoint(b, zp); T.QuantizationParametersAddQuantizedDimension(b, 1)
    q_pc = T.QuantizationParametersEnd(b)
    T.TensorStart(b); T.TensorAddShape(b, shape); T.TensorAddType(b, T.TensorType.INT8)
    T.TensorAddName(b, name); T.TensorAddQuantization(b, q_pc); T.TensorAddIsVariable(b, True)
    tensors.append(T.TensorEnd(b))
    if variant == "sparse":
        # 4: a sparse int8 constant: 2 stored values of a [4] tensor (CSR over one dimension)
        segments = _ivec(b, [0, 2]); indices = _ivec(b, [1, 3])
        T.Int32VectorStart(b); T.Int32VectorAddValues(b, segments); seg = T.Int32VectorEnd(b)
        T.Int32VectorStart(b); T.Int32VectorAddValues(b, indices); idx = T.Int32VectorEnd(b)
        T.DimensionMetadataStart(b); T.DimensionMetadataAddFormat(b, 1)
        T.DimensionMetadataAddArraySegmentsType(b, T.SparseIndexVector.Int32Vector)
        T.DimensionMetadataAddArraySegments(b, seg)
        T.DimensionMetadataAddArrayIndicesType(b, T.SparseIndexVector.Int32Vector)
        T.DimensionMetadataAddArrayIndices(b, idx)
        dim = T.DimensionMetadataEnd(b)
        order = _ivec(b, [0]); dims = _table_vec(b, T.SparsityParametersStartDimMetadataVector, [dim])
        T.SparsityParametersStart(b); T.SparsityParametersAddTraversalOrder(b, order)
        T.SparsityParametersAddDimMetadata(b, dims); sparsity = T.SparsityParametersEnd(b)
        shape = _ivec(b, [4]); name = b.CreateString("sparse")
        T.TensorStart(b); T.TensorAddShape(b, shape); T.TensorAddType(b, T.TensorType.INT8)
        T.TensorAddBuffer(b, 4); T.TensorAddName(b, name); T.TensorAddSparsity(b, sparsity)
        tensors.append(T.TensorEnd(b))

    # operators
    ops = []
    ins = _ivec(b, [3, 1, -1]); outs = _ivec(b, [0])
    T.OperatorStart(b); T.OperatorAddOpcodeIndex(b, 0); T.OperatorAddInputs(b, ins)
    T.OperatorAddOutputs(b, outs)  # FULLY_CONNECTED without an options table
    ops.append(T.OperatorEnd(b))
    ins = _ivec(b, [2]); outs = _ivec(b, [0])
    T.OperatorStart(b); T.OperatorAddOpcodeIndex(b, 1); T.OperatorAddInputs(b, ins)
    T.OperatorAddOutputs(b, outs)
    T.OperatorAddBuiltinOptionsType(b, T.BuiltinOptions.ReshapeOptions)  # type without a table
    ops.append(T.OperatorEnd(b))
    ins = _ivec(b, [0]); outs = _ivec(b, [3]); custom = _ivec(b, list(b"\x00\x01\x02"), "u1")
    T.OperatorStart(b); T.OperatorAddOpcodeIndex(b, 2); T.OperatorAddInputs(b, ins)
    T.OperatorAddOutputs(b, outs); T.OperatorAddCustomOptions(b, custom)
    ops.append(T.OperatorEnd(b))
    if variant == "raw_options":
        T.LSTMOptionsStart(b); T.LSTMOptionsAddFusedActivationFunction(b, 4)
        T.LSTMOptionsAddCellClip(b, 10.5); T.LSTMOptionsAddProjClip(b, -3.25)
        T.LSTMOptionsAddKernelType(b, 1); T.LSTMOptionsAddAsymmetricQuantizeInputs(b, True)
        lstm = T.LSTMOptionsEnd(b)
        ins = _ivec(b, [3] + [-1] * 23); outs = _ivec(b, [0])
        T.OperatorStart(b); T.OperatorAddOpcodeIndex(b, 3); T.OperatorAddInputs(b, ins)
        T.OperatorAddOutputs(b, outs)
        T.OperatorAddBuiltinOptionsType(b, T.BuiltinOptions.LSTMOptions)
        T.OperatorAddBuiltinOptions(b, lstm)
        ops.append(T.OperatorEnd(b))
    if variant == "ignored_fields":
        ins = _ivec(b, [3, 1, -1]); outs = _ivec(b, [0]); mutating = _ivec(b, [1, 0, 0], "?")
        T.OperatorStart(b); T.OperatorAddOpcodeIndex(b, 0); T.OperatorAddInputs(b, ins)
        T.OperatorAddOutputs(b, outs); T.OperatorAddMutatingVariableInputs(b, mutating)
        T.OperatorAddDebugMetadataIndex(b, 0)
        ops.append(T.OperatorEnd(b))

    tensors_vec = _table_vec(b, T.SubGraphStartTensorsVector, tensors)
    ops_vec = _table_vec(b, T.SubGraphStartOperatorsVector, ops)
    sg_in = _ivec(b, [3]); sg_out = _ivec(b, [0])
    T.SubGraphStart(b); T.SubGraphAddTensors(b, tensors_vec); T.SubGraphAddInputs(b, sg_in)
    T.SubGraphAddOutputs(b, sg_out); T.SubGraphAddOperators(b, ops_vec)  # no name
    subgraph = T.SubGraphEnd(b)

    meta_name = b.CreateString("independent")
    T.MetadataStart(b); T.MetadataAddName(b, meta_name); T.MetadataAddBuffer(b, 3)
    metadata = T.MetadataEnd(b)
    in_name = b.CreateString("act_in"); out_name = b.CreateString("out")
    T.TensorMapStart(b); T.TensorMapAddName(b, in_name); T.TensorMapAddTensorIndex(b, 3)
    tm_in = T.TensorMapEnd(b)
    T.TensorMapStart(b); T.TensorMapAddName(b, out_name); tm_out = T.TensorMapEnd(b)  # index 0
    sig_in = _table_vec(b, T.SignatureDefStartInputsVector, [tm_in])
    sig_out = _table_vec(b, T.SignatureDefStartOutputsVector, [tm_out])
    T.SignatureDefStart(b); T.SignatureDefAddInputs(b, sig_in); T.SignatureDefAddOutputs(b, sig_out)
    signature = T.SignatureDefEnd(b)  # no key, subgraph 0 by default

    codes_vec = _table_vec(b, T.ModelStartOperatorCodesVector, codes)
    sg_vec = _table_vec(b, T.ModelStartSubgraphsVector, [subgraph])
    buf_vec = _table_vec(b, T.ModelStartBuffersVector, buffers)
    meta_vec = _table_vec(b, T.ModelStartMetadataVector, [metadata])
    sig_vec = _table_vec(b, T.ModelStartSignatureDefsVector, [signature])
    meta_buf = _ivec(b, [3]) if variant == "ignored_fields" else None
    T.ModelStart(b); T.ModelAddVersion(b, 3); T.ModelAddOperatorCodes(b, codes_vec)
    T.ModelAddSubgraphs(b, sg_vec); T.ModelAddBuffers(b, buf_vec)  # no description
    T.ModelAddMetadata(b, meta_vec); T.ModelAddSignatureDefs(b, sig_vec)
    if meta_buf is not None:
        T.ModelAddMetadataBuffer(b, meta_buf)
    b.Finish(T.ModelEnd(b), file_identifier=b"TFL3")
    return bytes(b.Output())


EXTERNAL_DATA = np.array([1.5, -2.0, 1e-3], "<f4").tobytes()


@functools.lru_cache(maxsize=None)
def independent_bytes(variant: str) -> bytes:
    """An independently written model; buffer 2's 12 bytes live after the flatbuffer."""
    size = len(_write_independent(variant))
    offset = (size + 15) // 16 * 16
    flat = _write_independent(variant, offset)
    assert len(flat) == size
    return flat + b"\x00" * (offset - size) + EXTERNAL_DATA


INDEPENDENT = ["plain", "raw_options", "sparse", "ignored_fields"]


@pytest.mark.parametrize("variant", INDEPENDENT)
def test_independent_model_agrees(variant):
    data = independent_bytes(variant)
    assert_loader_agrees(data, f"independent[{variant}]")
    model = load(data)
    external = model.main.tensors[2]
    assert external.data.tobytes() == EXTERNAL_DATA and model.buffers[2].offset > 1
    assert model.main.tensors[0].shape == () and model.main.tensors[0].name == ""
    assert model.operator_codes[0].builtin_code == 9 and model.main.operators[0].op == "FULLY_CONNECTED"
    assert model.main.operators[0].options == opts.FullyConnectedOptions()  # absent table: defaults
    assert model.main.operators[1].options == opts.ReshapeOptions()  # type without a table


@pytest.mark.parametrize("variant", ["plain", "raw_options"])
def test_independent_model_serialize_round_trip(variant):
    # "ignored_fields" is left out: microinfer's Model does not carry Model.metadata_buffer,
    # Operator.mutating_variable_inputs or debug_metadata_index, so they cannot survive it.
    assert_serialize_round_trip(independent_bytes(variant), f"independent[{variant}]")


def test_sparse_tensors_are_read_but_not_written_back():
    model = load(independent_bytes("sparse"))
    assert any(t.is_sparse for t in model.main.tensors)
    with pytest.raises(ValueError, match="sparse tensor"):
        serialize(model)


def test_undecoded_options_are_read_but_not_written_back():
    builder = ModelBuilder()
    g = builder.main
    x = g.add_input("x", (1, 4), "float32")
    y = g.add_output("y", (1, 4), "float32")
    g.add_operator("RNN", [x], [y], opts.RawOptions(union_type=7, union_name="RNNOptions"))
    with pytest.raises(ValueError, match="cannot write RNNOptions"):
        builder.build()


def test_offline_plan_must_cover_every_tensor():
    builder = ModelBuilder()
    g = builder.main
    x = g.add_input("x", (4,), "float32")
    y = g.add_output("y", (4,), "float32")
    g.add_operator("RELU", [x], [y])
    builder.add_offline_memory_allocation([0])
    with pytest.raises(ValueError, match="1 offsets for 2 tensors"):
        builder.build()
    builder.add_offline_memory_allocation([0, 16])
    assert load(builder.build()).offline_memory_allocation.offsets == (0, 16)
