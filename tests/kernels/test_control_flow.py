"""Control flow (IF, WHILE, CALL_ONCE) and resource variables (VAR_HANDLE, READ_VARIABLE,
ASSIGN_VARIABLE): bit-exact against both references, within one run and across runs.

Hypothesis draws models of the control-flow family (microinfer.testing.families.control_flow) and
checks each against every reference microinfer accepts it for. Hand-worked cases pin down loops,
branches, nesting and each reference's treatment of state across runs (``reset``, CALL_ONCE,
initial values); refusal tests check that what a reference refuses, crashes on or leaves
undefined is refused, with the message saying why.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kernel_check import accepted_references, assert_bit_exact, assert_each_reference_gives, random_inputs
from microinfer import UnsupportedOpError
from microinfer.errors import InvalidInputError, ModelError
from microinfer.interpreter import Interpreter
from microinfer.planner import plan
from microinfer.planner.reorder import predecessors
from microinfer.reference import ReferenceCrash, ReferenceFailure
from microinfer.testing._draw import ACTIVATION_TYPE
from microinfer.testing.families.control_flow import (
    GENERATED,
    call_once_model,
    if_model,
    variable_model,
    while_model,
)
from microinfer.tflite import ModelBuilder, load
from microinfer.tflite import options as O

REFERENCES = ("tflm", "tflite")
SETTINGS = dict(deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
Q = dict(scale=0.5, zero_point=2)  # int8: q = 2 * real + 2
K = np.full((4,), 12, np.int8)  # 5.0 on that scale


def _check(worker, model: bytes, seed: int) -> None:
    """Bit-exact against each accepting reference; where LiteRT fails a read before any
    assignment, microinfer must fail it too."""
    references = accepted_references(model)
    assert references, "the strategies draw models that at least one reference runs"
    inputs = random_inputs(model, np.random.default_rng(seed))
    for ref in references:
        try:
            Interpreter(model, reference=ref).run(inputs)
        except InvalidInputError:
            with pytest.raises(ReferenceFailure, match="READ_VARIABLE"):
                worker.run(ref, model, inputs)
            continue
        assert_bit_exact(worker, model, inputs, references=(ref,))


def _refusal(model: bytes, reference: str) -> str:
    with pytest.raises(UnsupportedOpError) as refused:
        Interpreter(model, reference=reference)
    return str(refused.value)


def _reference_fails(worker, model: bytes, reference: str, inputs) -> None:
    with pytest.raises((ReferenceFailure, ReferenceCrash)):
        worker.run(reference, model, inputs)


def _runs(interpreter: Interpreter, steps) -> list:
    """microinfer's outputs for ReferenceWorker.run_steps' steps."""
    outputs = []
    for step in steps:
        if step[0] == "reset":
            interpreter.reset_variables()
        else:
            outputs.append(interpreter.run(step[1]))
    return outputs


def _assert_steps_match(worker, model: bytes, steps, references=REFERENCES) -> None:
    for ref in references:
        expected = worker.run_steps(ref, model, steps)
        got = _runs(Interpreter(model, reference=ref), steps)
        assert len(got) == len(expected)
        for k, (g, e) in enumerate(zip(got, expected)):
            for a, b in zip(g, e):
                assert a.dtype == b.dtype and np.array_equal(a, b), f"{ref}: invoke {k}: {a} vs {b}"


# -- every operator and type, drawn ------------------------------------------------------------------

CASES = [(op, label) for op, (labels, _) in GENERATED.items() for label in labels
         if op in ("IF", "WHILE", "READ_VARIABLE")]  # the three resource ops share one strategy


@pytest.mark.parametrize("op,label", CASES, ids=[f"{op}-{label}" for op, label in CASES])
def test_bit_exact(reference_worker, op, label):
    @settings(max_examples=8, **SETTINGS)
    @given(model=GENERATED[op][1](ACTIVATION_TYPE[label]), seed=st.integers(0, 2 ** 16))
    def check(model, seed):
        _check(reference_worker, model, seed)

    check()


# -- IF --------------------------------------------------------------------------------------------------

def _if_int8() -> bytes:
    return if_model("int8", (4,), Q, 1, "input", [("ADD", K)], [("SUB", K)])


def test_if_takes_the_branch_the_condition_names(reference_worker):
    # then: x + 5.0 = q + 10; else: x - 5.0 = q - 10 (saturating at 127 and -128)
    x = np.array([2, 50, 120, -125], np.int8)
    model = _if_int8()
    assert_each_reference_gives(reference_worker, model, [np.array(True), x],
                                {"tflm": [12, 60, 127, -115], "tflite": [12, 60, 127, -115]})
    assert_each_reference_gives(reference_worker, model, [np.array(False), x],
                                {"tflm": [-8, 40, 110, -128], "tflite": [-8, 40, 110, -128]})


def test_if_nested_in_a_branch_with_two_carried_tensors(reference_worker):
    rng = np.random.default_rng(3)
    model = if_model("float32", (3,), {}, 2, "input[1]", [("MUL", rng.uniform(-2, 2, 3).astype(np.float32))],
                     [], nested=(False, [("ADD", np.ones(3, np.float32))], [("SUB", np.ones(3, np.float32))]))
    for condition in (True, False):
        x0, x1 = rng.uniform(-1, 1, (2, 3)).astype(np.float32)
        assert_bit_exact(reference_worker, model, [np.array([condition]), x0, x1])


def test_one_subgraph_for_both_branches(reference_worker):
    # then == else: TFLite Micro marks the subgraph's lifetimes twice within the one operator,
    # which is harmless, so both references run it
    b = ModelBuilder()
    main = b.main
    c = main.add_input("c", (), "bool")
    x = main.add_input("x", (4,), "int8", **Q)
    y = main.add_output("y", (4,), "int8", **Q)
    main.add_operator("IF", [c, x], [y], O.IfOptions(1, 1))
    branch = b.add_subgraph("both")
    bx = branch.add_input("x", (4,), "int8", **Q)
    k = branch.add_constant("k", K, "int8", **Q)
    by = branch.add_output("y", (4,), "int8", **Q)
    branch.add_operator("ADD", [bx, k], [by], O.AddOptions(), version=2)
    for condition in (True, False):
        assert_bit_exact(reference_worker, b.build(), [np.array(condition), np.array([1, 2, 3, 4], np.int8)])


def _two_ifs_sharing_a_branch() -> bytes:
    b = ModelBuilder()
    g = b.main
    c = g.add_input("c", (), "bool")
    x = g.add_input("x", (4,), "int8", **Q)
    y1 = g.add_tensor("y1", (4,), "int8", **Q)
    y2 = g.add_output("y2", (4,), "int8", **Q)
    g.add_operator("IF", [c, x], [y1], O.IfOptions(1, 2))
    g.add_operator("IF", [c, y1], [y2], O.IfOptions(1, 2))
    for name, op in (("then", "ADD"), ("else", "SUB")):
        s = b.add_subgraph(name)
        sx = s.add_input("x", (4,), "int8", **Q)
        k = s.add_constant("k", K, "int8", **Q)
        sy = s.add_output("y", (4,), "int8", **Q)
        s.add_operator(op, [sx, k], [sy], O.AddOptions() if op == "ADD" else O.SubOptions(), version=2)
    return b.build()


def test_subgraph_called_by_two_operators(reference_worker):
    # TFLite Micro plans a subgraph's tensors for its last caller only: refused there; LiteRT runs it
    model = _two_ifs_sharing_a_branch()
    assert "no other operator calls the subgraphs it calls" in _refusal(model, "tflm")
    assert_each_reference_gives(reference_worker, model, [np.array(True), np.array([0, 1, 2, 3], np.int8)],
                                {"tflite": [20, 21, 22, 23]})


@pytest.mark.parametrize("dtype", ["float32", "float16", "float64", "int8", "int16", "int32", "int64",
                                   "uint8", "uint32", "uint64", "bool", "complex64", "complex128"])
def test_every_carried_type_passes_through(reference_worker, dtype):
    # subgraphs whose outputs are their inputs: IF and WHILE only copy bytes
    rng = np.random.default_rng(5)
    x = (rng.integers(0, 2, (2, 3)) if dtype == "bool" else rng.integers(-9, 9, (2, 3))).astype(dtype)
    for condition in (True, False):
        assert_bit_exact(reference_worker, if_model(dtype, (2, 3), {}, 2, "input", [], []),
                         [np.array(condition), x, x[::-1].copy()])


def test_uint16_is_litert_only(reference_worker):
    # TFLite Micro's Python interpreter cannot even take a uint16 input
    model = if_model("uint16", (3,), {}, 1, "input", [], [])
    x = np.array([1, 60000, 7], np.uint16)
    assert "with reference='tflite' also uint16" in _refusal(model, "tflm")
    _reference_fails(reference_worker, model, "tflm", [np.array(True), x])
    assert_bit_exact(reference_worker, model, [np.array(True), x], references=("tflite",))


# -- WHILE -----------------------------------------------------------------------------------------------

def test_while_counts(reference_worker):
    # i from max(n, -2) to 3 in steps of 1; x + 5.0 (q + 10) per step
    model = while_model("int8", (4,), Q, -2, 3, [("ADD", K)])
    x = np.array([2, 50, 120, -125], np.int8)
    for n, steps in ((0, 3), (-100, 5), (3, 0), (1000, 0)):
        expected = [max(n, -2) + steps, np.clip(x.astype(int) + 10 * steps, -128, 127)]
        inputs = [np.array(n, np.int32), x]
        for ref in REFERENCES:
            for outputs in (Interpreter(model, reference=ref).run(inputs),
                            reference_worker.run(ref, model, inputs).outputs):
                for got, want in zip(outputs, expected):
                    np.testing.assert_array_equal(got, want)


def test_while_body_with_nested_if(reference_worker):
    # steps with i < 1 add 5.0, the later ones subtract 5.0
    model = while_model("int8", (4,), Q, -3, 3, [("ADD", K)], split=1, other_steps=[("SUB", K)])
    x = np.array([2, 50, 120, -125], np.int8)
    for n in (-5, 0, 2, 7):
        assert_bit_exact(reference_worker, model, [np.array(n, np.int32), x])


def _while_counter(cond_shape=(), cond_outputs=1, body_shape=None) -> bytes:
    """WHILE over an int32 counter of shape ``cond_shape``: i < 3, i + 1."""
    b = ModelBuilder()
    g = b.main
    i = g.add_input("i", cond_shape, "int32")
    out = g.add_output("out", cond_shape, "int32")
    g.add_operator("WHILE", [i], [out], O.WhileOptions(1, 2))
    cond = b.add_subgraph("cond")
    ci = cond.add_input("i", cond_shape, "int32")
    limit = cond.add_constant("limit", np.full(cond_shape, 3, np.int32))
    c = cond.add_output("c", cond_shape, "bool")
    cond.add_operator("LESS", [ci, limit], [c])
    if cond_outputs == 2:
        cond.outputs.append(ci)
    body = b.add_subgraph("body")
    bi = body.add_input("i", cond_shape, "int32")
    shape = cond_shape if body_shape is None else body_shape
    one = body.add_constant("one", np.ones(shape, np.int32))
    bo = body.add_output("next", shape, "int32")
    body.add_operator("ADD", [bi, one], [bo], O.AddOptions())
    return b.build()


def test_tflm_reads_the_first_element_of_a_longer_condition(reference_worker):
    # TFLite Micro loops while the first element is true: [0, 9, 9] -> [3, 12, 12]; LiteRT
    # requires a condition of one element
    model = _while_counter(cond_shape=(3,))
    i = np.array([0, 9, 9], np.int32)
    assert_each_reference_gives(reference_worker, model, [i], {"tflm": [3, 12, 12]})
    assert "of shape () or (1,)" in _refusal(model, "tflite")
    _reference_fails(reference_worker, model, "tflite", [i])


def test_tflm_ignores_further_condition_outputs(reference_worker):
    model = _while_counter(cond_outputs=2)
    assert_each_reference_gives(reference_worker, model, [np.array(-2, np.int32)], {"tflm": 3})
    assert "its only one" in _refusal(model, "tflite")
    _reference_fails(reference_worker, model, "tflite", [np.array(0, np.int32)])


def test_a_body_that_changes_shapes_is_refused(reference_worker):
    # TFLite Micro fails to run it (static shapes); LiteRT would grow the tensor each step
    model = _while_counter(body_shape=(2,))
    for ref in REFERENCES:
        assert "gives back as many, each with the type and shape it took" in _refusal(model, ref)
    _reference_fails(reference_worker, model, "tflm", [np.array(0, np.int32)])


# -- CALL_ONCE and resource variables across runs ----------------------------------------------------------

def _accumulate(g, name: str, x: int, output: bool) -> None:
    """Append to subgraph builder ``g``: s = variable ``name`` + x, then ``name`` = s (s is an
    output of ``g`` when ``output``)."""
    handle = g.add_tensor(f"{name}_handle", (), "resource")
    g.add_operator("VAR_HANDLE", [], [handle], O.VarHandleOptions(None, name))
    value = g.add_tensor(f"{name}_value", (4,), "int8", **Q)
    g.add_operator("READ_VARIABLE", [handle], [value])
    total = (g.add_output if output else g.add_tensor)(f"{name}_sum", (4,), "int8", **Q)
    g.add_operator("ADD", [value, x], [total], O.AddOptions(), version=2)
    g.add_operator("ASSIGN_VARIABLE", [handle, total], [])


def _init_subgraph(b: ModelBuilder, name: str, value: np.ndarray) -> None:
    """An init subgraph (for CALL_ONCE) that assigns ``value`` to variable ``name``."""
    init = b.add_subgraph("init")
    handle = init.add_tensor("handle", (), "resource")
    init.add_operator("VAR_HANDLE", [], [handle], O.VarHandleOptions(None, name))
    init.add_operator("ASSIGN_VARIABLE", [handle, init.add_constant("value", value, "int8", **Q)], [])


def _counter(init: bool = True) -> bytes:
    """y = v + x, then v = y; CALL_ONCE (when ``init``) first assigns v = 7 (2.5 real)."""
    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", (4,), "int8", **Q)
    if init:
        g.add_operator("CALL_ONCE", [], [], O.CallOnceOptions(1))
        _init_subgraph(b, "v", np.full((4,), 7, np.int8))
    _accumulate(g, "v", x, output=True)
    return b.build()


def test_variables_persist_and_reset_as_each_reference_does(reference_worker):
    # Both run CALL_ONCE once only, reset or not. TFLite Micro's reset() gives the variable its
    # initial value (the zero point, real 0: y = x); LiteRT's reset_all_variables() keeps it.
    x = np.array([4, 5, 6, 7], np.int8)  # 1.0 .. 2.5
    steps = [("invoke", [x])] * 3 + [("reset",)] + [("invoke", [x])] * 2
    _assert_steps_match(reference_worker, _counter(), steps)
    tflm = [y[0].tolist() for y in _runs(Interpreter(_counter(), reference="tflm"), steps)]
    assert tflm == [[9, 10, 11, 12], [11, 13, 15, 17], [13, 16, 19, 22], [4, 5, 6, 7], [6, 8, 10, 12]]
    litert = [y[0].tolist() for y in _runs(Interpreter(_counter(), reference="tflite"), steps)]
    assert litert[3] == [15, 19, 23, 27]


def test_litert_fails_a_read_before_any_assignment(reference_worker):
    model = _counter(init=False)
    x = np.array([4, 5, 6, 7], np.int8)
    _assert_steps_match(reference_worker, model, [("invoke", [x])] * 2 + [("reset",), ("invoke", [x])],
                        references=("tflm",))
    with pytest.raises(InvalidInputError, match="read before any ASSIGN_VARIABLE"):
        Interpreter(model, reference="tflite").run([x])
    _reference_fails(reference_worker, model, "tflite", [x])


@pytest.mark.parametrize("dtype,zero_point", [
    ("int8", -7), ("uint8", 128), ("uint8", 255), ("int16", 5), ("int32", 3), ("int64", -2),
    ("float32", 1), ("float32", None), ("bool", None), ("float16", None), ("complex64", None),
])
def test_tflm_initial_value_is_the_zero_point_in_every_byte(reference_worker, dtype, zero_point):
    # MicroResourceVariables memsets the buffer with the low byte of the first assignment's zero
    # point: int16 zero point 5 gives 0x0505 = 1285, int64 -2 gives -72340172838076674
    q = {} if zero_point is None else dict(scale=0.1, zero_point=zero_point)
    model = variable_model(dtype, (3,), q, True, [])
    x = np.array([1, 0, 1], dtype)
    steps = [("invoke", [x]), ("invoke", [x]), ("reset",), ("invoke", [x])]
    _assert_steps_match(reference_worker, model, steps, references=("tflm",))
    first = Interpreter(model).run([x])[0]
    fill = np.full(first.nbytes, 0 if zero_point is None else zero_point & 0xFF, np.uint8)
    np.testing.assert_array_equal(first, fill.view(dtype))


def test_first_prepared_assignment_gives_the_initial_value(reference_worker):
    # the read's own quantization does not matter: the assignment's zero point 3 does
    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", (3,), "int8", scale=0.1, zero_point=3)
    r = g.add_tensor("r", (), "resource")
    g.add_operator("VAR_HANDLE", [], [r], O.VarHandleOptions(None, "v"))
    g.add_operator("READ_VARIABLE", [r], [g.add_output("v", (3,), "int8", scale=0.2, zero_point=-7)])
    g.add_operator("ASSIGN_VARIABLE", [r, x], [])
    assert_each_reference_gives(reference_worker, b.build(), [np.zeros(3, np.int8)], {"tflm": [3, 3, 3]})


def test_variables_in_a_loop_body(reference_worker):
    # the body adds x into "acc" each step; main reads it after the loop
    def model(init: bool) -> bytes:
        b = ModelBuilder()
        g = b.main
        n = g.add_input("n", (), "int32")
        x = g.add_input("x", (4,), "int8", **Q)
        if init:
            g.add_operator("CALL_ONCE", [], [], O.CallOnceOptions(3))
        loop_outputs = [g.add_tensor("i_out", (), "int32"), g.add_tensor("x_out", (4,), "int8", **Q)]
        g.add_operator("WHILE", [n, x], loop_outputs, O.WhileOptions(1, 2))
        r = g.add_tensor("r", (), "resource")
        g.add_operator("VAR_HANDLE", [], [r], O.VarHandleOptions(None, "acc"))
        g.add_operator("READ_VARIABLE", [r], [g.add_output("acc", (4,), "int8", **Q)])
        cond = b.add_subgraph("cond")
        ci = cond.add_input("i", (), "int32")
        cond.add_input("x", (4,), "int8", **Q)
        limit = cond.add_constant("limit", np.array(3, np.int32))
        cond.add_operator("LESS", [ci, limit], [cond.add_output("c", (), "bool")])
        body = b.add_subgraph("body")
        bi = body.add_input("i", (), "int32")
        bx = body.add_input("x", (4,), "int8", **Q)
        one = body.add_constant("one", np.array(1, np.int32))
        body.add_operator("ADD", [bi, one], [body.add_output("i1", (), "int32")], O.AddOptions())
        body.outputs.append(bx)
        _accumulate(body, "acc", bx, output=False)
        if init:
            _init_subgraph(b, "acc", K)
        return b.build()

    x = np.array([3, 4, -20, 90], np.int8)
    steps = [("invoke", [np.array(0, np.int32), x]), ("invoke", [np.array(1, np.int32), x]), ("reset",),
             ("invoke", [np.array(2, np.int32), x])]
    _assert_steps_match(reference_worker, model(True), steps)
    _assert_steps_match(reference_worker, model(False), steps, references=("tflm",))


def test_call_once_model_runs_the_same_each_time(reference_worker):
    model = call_once_model("int8", (2, 3), Q, np.full((2, 3), -4, np.int8))
    x = np.arange(6, dtype=np.int8).reshape(2, 3)
    _assert_steps_match(reference_worker, model, [("invoke", [x]), ("reset",), ("invoke", [x])])


# -- what the references refuse ---------------------------------------------------------------------------

def _if_branches(kind: str) -> bytes:
    """IF over an int8 (2, 3) tensor whose then-branch declares another ``kind`` of input."""
    b = ModelBuilder()
    g = b.main
    c = g.add_input("c", (), "int32" if kind == "condition" else "bool")
    x = g.add_input("x", (2, 3), "int8")
    g.add_operator("IF", [c, x], [g.add_output("y", (2, 3), "int8")],
                   O.IfOptions(1, 0 if kind == "main" else 2))
    for k in range(2):
        s = b.add_subgraph(f"branch{k}")
        shape = (6,) if kind == "shape" and k == 0 else (2, 3)
        sx = s.add_input("x", shape, "uint8" if kind == "type" and k == 0 else "int8")
        if kind == "count" and k == 1:
            s.add_input("extra", shape, "int8")
        s.outputs.append(sx)
    return b.build()


@pytest.mark.parametrize("kind,message,refused_by", [
    ("condition", "a bool tensor of one element", REFERENCES),
    ("main", "exist and are not the main subgraph", REFERENCES),
    ("count", "as many, of the same types and shapes", ("tflite",)),  # TFLite Micro when it takes else
    ("shape", "as many, of the same types and shapes", ()),  # both copy the bytes
    ("type", "as many, of the same types and shapes", ()),
])
def test_if_refusals(reference_worker, kind, message, refused_by):
    model = _if_branches(kind)
    x = np.zeros((2, 3), np.int8)
    cond = np.array(0, np.int32) if kind == "condition" else np.array(True)
    for ref in REFERENCES:
        assert message in _refusal(model, ref)
    for ref in refused_by:
        _reference_fails(reference_worker, model, ref, [cond, x])


def _recursive_if() -> bytes:
    """An IF whose then-branch calls itself."""
    b = ModelBuilder()
    g = b.main
    c = g.add_input("c", (), "bool")
    x = g.add_input("x", (2,), "int8")
    g.add_operator("IF", [c, x], [g.add_output("y", (2,), "int8")], O.IfOptions(1, 2))
    then = b.add_subgraph("then")
    tx = then.add_input("x", (2,), "int8")
    then.add_operator("IF", [then.add_constant("c", np.array(False)), tx], [then.add_output("y", (2,), "int8")],
                      O.IfOptions(1, 2))
    other = b.add_subgraph("else")
    other.outputs.append(other.add_input("x", (2,), "int8"))
    return b.build()


def test_recursion_is_refused(reference_worker):
    # both references crash
    model = _recursive_if()
    for ref in REFERENCES:
        assert "calls back into the subgraph of the operator" in _refusal(model, ref)
        _reference_fails(reference_worker, model, ref, [np.array(True), np.zeros(2, np.int8)])


def test_plan_refuses_calls_it_cannot_follow():
    with pytest.raises(ModelError, match="calls subgraph 1, which is already running"):
        plan(_recursive_if())
    with pytest.raises(ModelError, match="calls subgraph 0, which is not one of the model's subgraphs 1..2"):
        plan(_if_branches("main"))


def test_call_once_init_with_inputs_is_refused(reference_worker):
    b = ModelBuilder()
    b.main.add_operator("CALL_ONCE", [], [], O.CallOnceOptions(1))
    b.main.outputs.append(b.main.add_input("x", (2,), "int8"))
    b.add_subgraph("init").add_input("z", (2,), "int8")
    model = b.build()
    for ref in REFERENCES:
        assert "no inputs and no outputs" in _refusal(model, ref)
    _reference_fails(reference_worker, model, "tflite", [np.zeros(2, np.int8)])


def _handles(names, read_shape=(2,), read_type="int8") -> bytes:
    """One assignment and read per VAR_HANDLE named (container, shared_name)."""
    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", (2,), "int8")
    for k, (container, name) in enumerate(names):
        r = g.add_tensor(f"r{k}", (), "resource")
        g.add_operator("VAR_HANDLE", [], [r], O.VarHandleOptions(container, name))
        g.add_operator("ASSIGN_VARIABLE", [r, x], [])
        out = g.add_output(f"y{k}", read_shape if k == 0 else (2,), read_type if k == 0 else "int8")
        g.add_operator("READ_VARIABLE", [r], [out])
    return b.build()


def test_variable_names(reference_worker):
    x = np.array([1, 2], np.int8)
    # a handle without container matches the variable of any container
    assert_bit_exact(reference_worker, _handles([("a", "v"), (None, "v")]), [x])
    assert_bit_exact(reference_worker, _handles([(None, "v"), (None, "w")]), [x])
    # TFLite Micro compares a container with a missing one and crashes; LiteRT keeps them apart
    model = _handles([(None, "v"), ("a", "v")])
    assert "compare a missing name and crash" in _refusal(model, "tflm")
    _reference_fails(reference_worker, model, "tflm", [x])
    assert_bit_exact(reference_worker, model, [x], references=("tflite",))
    # two containers of one shared_name need two slots; the Python interpreter makes one
    model = _handles([("a", "v"), ("b", "v")])
    assert "one slot per distinct shared_name" in _refusal(model, "tflm")
    _reference_fails(reference_worker, model, "tflm", [x])
    assert_bit_exact(reference_worker, model, [x], references=("tflite",))
    # unnamed handles: TFLite Micro crashes comparing them
    model = _handles([(None, None), (None, None)])
    assert "give the variable a shared_name" in _refusal(model, "tflm")
    _reference_fails(reference_worker, model, "tflm", [x])
    assert_bit_exact(reference_worker, model, [x], references=("tflite",))


@pytest.mark.parametrize("shape,dtype", [((1,), "int8"), ((2,), "uint8")])
def test_reads_of_another_layout_are_refused(reference_worker, shape, dtype):
    # TFLite Micro would copy the variable's bytes whatever the output; LiteRT checks the type
    model = _handles([(None, "v")], read_shape=shape, read_type=dtype)
    for ref in REFERENCES:
        assert "with the type and shape of the output" in _refusal(model, ref)
    if dtype == "uint8":
        _reference_fails(reference_worker, model, "tflite", [np.zeros(2, np.int8)])


def test_resource_handles_stay_in_their_subgraph():
    # both references would pass the handle's id; microinfer keeps resources local
    b = ModelBuilder()
    g = b.main
    c = g.add_input("c", (), "bool")
    x = g.add_input("x", (2,), "int8")
    r = g.add_tensor("r", (), "resource")
    g.add_operator("VAR_HANDLE", [], [r], O.VarHandleOptions(None, "v"))
    g.add_operator("ASSIGN_VARIABLE", [r, x], [])
    g.add_operator("IF", [c, r], [g.add_output("y", (2,), "int8")], O.IfOptions(1, 1))
    s = b.add_subgraph("branch")
    s.add_operator("READ_VARIABLE", [s.add_input("r", (), "resource")], [s.add_output("y", (2,), "int8")])
    message = _refusal(b.build(), "tflm")
    assert "float16/32/64" in message and "output of a VAR_HANDLE of the same subgraph" in message


# -- the interpreter around control flow -------------------------------------------------------------------

def test_intermediates_are_the_main_subgraphs():
    model = while_model("int8", (4,), Q, -2, 3, [("ADD", K)], split=1, other_steps=[("SUB", K)])
    interpreter = Interpreter(model)
    values = interpreter.run([np.array(0, np.int32), np.zeros(4, np.int8)], intermediates=True)
    main = load(model).main
    assert set(values) == {t.name for t in main.tensors}
    assert set(interpreter.tensor_values()) == {t.index for t in main.tensors}


def test_arena_and_c_backend_run_control_flow_alike():
    rng = np.random.default_rng(9)
    for model in (while_model("int8", (2, 4), Q, -3, 3, [("ADD", np.full((2, 4), 12, np.int8))], split=0,
                              other_steps=[("MAXIMUM", np.full((2, 4), 40, np.int8))]),
                  _counter(), _if_int8()):
        inputs = random_inputs(model, rng)
        expected = Interpreter(model).run(inputs)
        for options in (dict(arena="tflm"), dict(arena="best"), dict(backend="auto")):
            got = Interpreter(model, **options).run(inputs)
            for a, b in zip(expected, got):
                np.testing.assert_array_equal(a, b)


def test_reordering_keeps_reads_and_assignments_in_order():
    model = load(variable_model("int8", (3,), Q, True, []))
    ops = [op.op for op in model.main.operators]
    assert ops == ["VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE", "READ_VARIABLE"]
    assert predecessors(model)[2] >= {1} and predecessors(model)[3] >= {2}


def test_var_handle_names_round_trip():
    model = load(_handles([("a", "v"), (None, "w")]))
    options = [op.options for op in model.main.operators if op.op == "VAR_HANDLE"]
    assert [(o.container, o.shared_name) for o in options] == [("a", "v"), (None, "w")]


def test_arena_of_a_loop_body_with_scratch_buffers(reference_worker):
    # MEAN in the body asks for scratch buffers (subgraph 2's requests), which live in the body's
    # scopes; plan() equals print_allocations() and the smallest arena TFLite Micro runs in
    from microinfer.planner import tail

    b = ModelBuilder()
    g = b.main
    x = g.add_input("x", (1, 4), "int8", **Q)
    outputs = [g.add_output("i_out", (), "int32"), g.add_output("x_out", (1, 4), "int8", **Q)]
    g.add_operator("WHILE", [g.add_constant("start", np.array(0, np.int32)), x], outputs, O.WhileOptions(1, 2))
    cond = b.add_subgraph("cond")
    ci = cond.add_input("i", (), "int32")
    cond.add_input("x", (1, 4), "int8", **Q)
    cond.add_operator("LESS", [ci, cond.add_constant("limit", np.array(3, np.int32))],
                      [cond.add_output("c", (), "bool")])
    body = b.add_subgraph("body")
    bi = body.add_input("i", (), "int32")
    bx = body.add_input("x", (1, 4), "int8", **Q)
    body.add_operator("ADD", [bi, body.add_constant("one", np.array(1, np.int32))],
                      [body.add_output("i1", (), "int32")], O.AddOptions())
    body.add_operator("MEAN", [bx, body.add_constant("axes", np.array([0], np.int32))],
                      [body.add_output("m", (1, 4), "int8", scale=0.25, zero_point=2)],
                      O.ReducerOptions(keep_dims=True), version=2)
    data = b.build()
    model = load(data)
    assert tail.subgraph_scratch_requests(model) == [(2, 1, 16), (2, 1, 8), (2, 1, 4)]
    assert_bit_exact(reference_worker, data, [np.array([[3, -7, 100, -128]], np.int8)])
    live = reference_worker.run("tflm", data, [np.zeros((1, 4), np.int8)])
    arena = plan(model)
    assert (arena.head_bytes, arena.tail_bytes, arena.total_bytes) == (
        live.arena["head"], live.arena["tail"], live.arena["total"])
    assert tail.categories(model) == live.arena_categories
    predicted = arena.min_working_arena_bytes
    assert reference_worker.min_arena(data, predicted // 2 // 16 * 16, predicted * 2, isolated=True) == predicted
