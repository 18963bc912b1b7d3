"""Layer-by-layer comparison of microinfer with the reference interpreters.

:func:`compare` runs a model with microinfer and with TFLite Micro and/or LiteRT (each in the
reference worker process) on the same inputs, and counts, for every operator output, how many
elements differ and by how much. The lowest operator whose output differs is the *first diverging
layer*: where the two implementations part (later layers inherit the difference).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from . import datasets, reference, testing
from .datasets import InputError
from .errors import MicroinferError  # noqa: F401
from .interpreter import Interpreter
from .tflite import load

REFERENCE_NAMES = reference.TITLES
# float32: an element agrees within FLOAT_RTOL of itself plus FLOAT_RTOL of the tensor's largest
# magnitude (summation order differs between implementations; as ``microinfer fuzz`` checks)
FLOAT_RTOL = 1e-5


@dataclass
class LayerDiff:
    """One operator output compared over every input set."""

    op_index: int
    op: str
    tensor_index: int
    tensor_name: str
    dtype: str
    mismatches: int = 0
    total: int = 0
    max_abs_diff: int | float = 0

    @property
    def identical(self) -> bool:
        return self.mismatches == 0

    def to_dict(self) -> dict:
        return {
            "op_index": self.op_index,
            "op": self.op,
            "tensor_index": self.tensor_index,
            "tensor_name": self.tensor_name,
            "dtype": self.dtype,
            "mismatching_elements": self.mismatches,
            "total_elements": self.total,
            "max_abs_diff": self.max_abs_diff,
        }


@dataclass
class ReferenceComparison:
    """microinfer (run with ``microinfer_reference``) against one reference interpreter."""

    reference: str
    microinfer_reference: str
    runs: int
    layers: list[LayerDiff] = field(default_factory=list)

    @property
    def first_diverging_layer(self) -> int | None:
        """The lowest operator index with a differing output, or ``None``."""
        return min((layer.op_index for layer in self.layers if not layer.identical), default=None)

    @property
    def identical(self) -> bool:
        return self.first_diverging_layer is None

    def to_dict(self) -> dict:
        return {
            "microinfer_reference": self.microinfer_reference,
            "runs": self.runs,
            "layers": [layer.to_dict() for layer in self.layers],
            "first_diverging_layer": self.first_diverging_layer,
            "identical": self.identical,
        }


@dataclass
class ComparisonReport:
    runs: int
    references: dict[str, ReferenceComparison]

    @property
    def identical(self) -> bool:
        return all(r.identical for r in self.references.values())

    def to_dict(self) -> dict:
        return {"runs": self.runs, "references": {k: v.to_dict() for k, v in self.references.items()}}

    def _repr_html_(self) -> str:
        from .report import comparison_html

        return comparison_html(self)


def require_references(against: Sequence[str]) -> None:
    """Raise :class:`~microinfer.reference.ReferenceUnavailable` naming the package to install."""
    for name in against:
        if name not in reference.PACKAGES:
            raise ValueError(f"reference must be one of {tuple(reference.PACKAGES)}, not {name!r}")
        if not reference.available(name):
            package = reference.PACKAGES[name]
            raise reference.ReferenceUnavailable(
                f"comparing against {REFERENCE_NAMES[name]} needs the {package!r} package, which is "
                f"not installed: pip install {package}"
            )


def compare(
    model_bytes: bytes,
    against: Sequence[str] = (reference.TFLM,),
    inputs: Sequence[Sequence[np.ndarray]] = (),
    *,
    microinfer_reference: str | None = None,
    worker: reference.ReferenceWorker | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ComparisonReport:
    """Compare every operator output of microinfer with each reference in ``against``.

    ``inputs``: a list of input sets, each a list of arrays in model input order.
    ``microinfer_reference``: the reference microinfer reproduces (``"tflm"``/``"tflite"``);
    ``None`` (the default) uses the one it is compared against. Every run starts from fresh
    variable state, as each reference run starts a fresh interpreter.
    ``worker``: a :class:`~microinfer.reference.ReferenceWorker` to use (one is started and
    closed otherwise). ``progress(done, total)`` is called after each input set and reference.

    float32 tensors count an element as differing only beyond :data:`FLOAT_RTOL` of itself plus
    :data:`FLOAT_RTOL` of the tensor's largest magnitude (summation order differs between
    implementations); ``max_abs_diff`` is the largest difference all the same.
    """
    against = tuple(dict.fromkeys(against))
    require_references(against)
    inputs = [list(x) for x in inputs]
    if not inputs:
        raise ValueError("compare needs at least one input set")
    model_bytes = bytes(model_bytes)
    model = load(model_bytes)
    sg = model.main
    internal = {i for op in sg.operators for i in op.intermediates}
    own = worker is None
    worker = reference.ReferenceWorker() if own else worker
    interpreters: dict[str, Interpreter] = {}
    report = ComparisonReport(runs=len(inputs), references={})
    done, total = 0, len(inputs) * len(against)
    try:
        for ref in against:
            mode = microinfer_reference or ref
            if mode not in interpreters:
                interpreters[mode] = Interpreter(model, reference=mode)
            interpreter = interpreters[mode]
            layers = {
                (op.index, t): LayerDiff(op.index, op.op, t, sg.tensors[t].name,
                                         np.dtype(sg.tensors[t].type.numpy_dtype).name)
                for op in sg.operators
                for t in op.outputs
                if t >= 0 and t not in internal and sg.tensors[t].type.numpy_dtype is not None
            }
            seen: set[tuple[int, int]] = set()
            for count, input_set in enumerate(inputs, 1):
                if _keeps_state(model):  # reset_variables() does not make CALL_ONCE run again
                    interpreter = interpreters[mode] = Interpreter(model, reference=mode)
                interpreter.reset_variables()
                try:
                    interpreter.run(input_set, intermediates=True)
                except ValueError as exc:  # inputs that do not fit the model
                    raise InputError(str(exc)) from None
                got = interpreter.tensor_values()
                expected = worker.run(ref, model_bytes, input_set, all_tensors=True).tensors or {}
                for key, layer in layers.items():
                    t = layer.tensor_index
                    if t not in expected or t not in got:
                        continue  # the reference does not expose this tensor
                    seen.add(key)
                    _accumulate(layer, got[t], expected[t])
                if progress:
                    progress(done + count, total)
            done += len(inputs)
            report.references[ref] = ReferenceComparison(
                ref, mode, len(inputs), [layer for key, layer in layers.items() if key in seen]
            )
    finally:
        if own:
            worker.close()
    return report


def _keeps_state(model) -> bool:
    """Whether the model keeps state that only a new interpreter starts afresh: resource
    variables and CALL_ONCE (which runs once in an interpreter's life)."""
    return any(op.op in ("CALL_ONCE", "VAR_HANDLE") for sg in model.subgraphs for op in sg.operators)


def _accumulate(layer: LayerDiff, got: np.ndarray, expected: np.ndarray) -> None:
    got = np.asarray(got)
    expected = np.asarray(expected).reshape(got.shape)
    layer.total += int(got.size)
    if np.issubdtype(got.dtype, np.integer) or got.dtype == np.bool_:
        diff = np.abs(got.astype(np.int64) - expected.astype(np.int64))
        layer.mismatches += int(np.count_nonzero(diff))
        if diff.size:
            layer.max_abs_diff = max(int(layer.max_abs_diff), int(diff.max()))
    else:
        a, b = got.astype(np.float64), expected.astype(np.float64)
        both_nan = np.isnan(a) & np.isnan(b)
        finite = np.abs(b[np.isfinite(b)])
        largest = float(finite.max()) if finite.size else 0.0
        with np.errstate(invalid="ignore"):
            beyond = ~(np.abs(a - b) <= FLOAT_RTOL * (np.abs(b) + largest))
        unequal = (a != b) & ~both_nan
        layer.mismatches += int(np.count_nonzero(unequal & beyond))
        if np.any(unequal):
            with np.errstate(invalid="ignore"):
                diff = np.where(unequal, np.abs(a - b), 0.0)
            worst = float(np.nanmax(diff)) if not np.all(np.isnan(diff)) else float("nan")
            layer.max_abs_diff = max(float(layer.max_abs_diff), worst)
        else:
            layer.max_abs_diff = float(layer.max_abs_diff)


# -- input sets ------------------------------------------------------------------------------------
def random_inputs(model_bytes: bytes, count: int, seed: int = 0) -> list[list[np.ndarray]]:
    """``count`` input sets spanning the full range of each input's dtype (floats in [-1, 1])."""
    rng = np.random.default_rng(seed)
    return [testing.random_inputs(model_bytes, rng) for _ in range(count)]


def read_inputs(path: str | os.PathLike, model_bytes: bytes) -> list[list[np.ndarray]]:
    """Input sets from files (see :mod:`microinfer.datasets`): a folder of ``.npy``/``.npz``
    files, one ``.npz`` with a leading sample axis, ``DIR/input_<i>.npy`` (one set), or one
    subfolder of such files per set."""
    return datasets.read_inputs(path, model_bytes)


# -- quantization error against a float original ---------------------------------------------------
@dataclass
class OutputError:
    """One output of a quantized model, dequantized, against the float model's same output."""

    index: int
    name: str
    elements: int
    rmse: float
    mae: float
    max_abs: float
    relative_l2: float  # ||quantized - float|| / ||float||
    cosine: float  # cosine similarity of the two, flattened over every run
    # classifiers (outputs of rank >= 2, last axis > 1): share of rows with the same argmax
    top1_agreement: float | None

    def to_dict(self) -> dict:
        return {"index": self.index, "name": self.name, "elements": self.elements, "rmse": self.rmse,
                "mae": self.mae, "max_abs_error": self.max_abs, "relative_l2": self.relative_l2,
                "cosine_similarity": self.cosine, "top1_agreement": self.top1_agreement}


@dataclass
class QuantizationError:
    runs: int
    outputs: list[OutputError]

    def to_dict(self) -> dict:
        return {"runs": self.runs, "outputs": [o.to_dict() for o in self.outputs]}

    def _repr_html_(self) -> str:
        from .report import quantization_error_html

        return quantization_error_html(self)


def split_inputs(model_bytes: bytes, float_bytes: bytes, inputs: Sequence[Sequence[np.ndarray]]
                 ) -> tuple[list[list[np.ndarray]], list[list[np.ndarray]]]:
    """The input sets for the quantized and for the float model: float arrays are quantized with
    the quantized model's input parameters, integer arrays dequantized for the float model."""
    quantized_inputs = load(model_bytes).main.input_tensors()
    float_inputs = load(float_bytes).main.input_tensors()
    if len(quantized_inputs) != len(float_inputs):
        raise InputError(f"the quantized model takes {len(quantized_inputs)} inputs, the float model "
                         f"{len(float_inputs)}: they are not the same network")
    for q, f in zip(quantized_inputs, float_inputs):
        if tuple(q.shape) != tuple(f.shape):
            raise InputError(f"input {q.name!r} has shape {list(q.shape)} in the quantized model and "
                             f"{list(f.shape)} in the float model")
    inputs = [[np.asarray(x) for x in input_set] for input_set in inputs]
    q_columns, f_columns = [], []
    for position, tensor in enumerate(quantized_inputs):
        column = [input_set[position] for input_set in inputs if position < len(input_set)]
        if len(column) != len(inputs):
            q_columns.append(None)
            continue
        scale, zero_point = _affine(tensor)
        if not np.issubdtype(tensor.type.numpy_dtype, np.integer):  # a float input (QUANTIZE inside)
            q_columns.append([x.astype(tensor.type.numpy_dtype) for x in column])
            f_columns.append([x.astype(np.float32) for x in column])
            continue
        # one vectorised pass per input over all sets when they share a shape and a kind
        same = len({(x.shape, x.dtype) for x in column}) == 1 and column
        if same and np.issubdtype(column[0].dtype, np.floating):
            stacked = np.stack(column)
            q_columns.append(list(_quantize(stacked, tensor, scale, zero_point)))
            f_columns.append(list(stacked.astype(np.float32, copy=False)))
        elif same:
            stacked = np.stack(column)
            q_columns.append(column)
            f_columns.append(list(((stacked.astype(np.float64) - zero_point) * scale).astype(np.float32)))
        else:
            q_columns.append([_quantize(x, tensor, scale, zero_point) if np.issubdtype(x.dtype, np.floating) else x
                              for x in column])
            f_columns.append([x.astype(np.float32) if np.issubdtype(x.dtype, np.floating)
                              else ((x.astype(np.float64) - zero_point) * scale).astype(np.float32) for x in column])
    if any(c is None for c in q_columns):  # a set with too few arrays: the interpreter says which
        return inputs, inputs
    q_sets = [list(row) for row in zip(*q_columns)] if q_columns else [[] for _ in inputs]
    f_sets = [list(row) for row in zip(*f_columns)] if f_columns else [[] for _ in inputs]
    return q_sets, f_sets


def quantization_error(model_bytes: bytes, float_bytes: bytes, inputs: Sequence[Sequence[np.ndarray]],
                       *, microinfer_reference: str = reference.TFLM,
                       progress: Callable[[int, int], None] | None = None) -> QuantizationError:
    """Run the quantized model (as ``microinfer_reference`` does) and its float original (on
    microinfer's float32 kernels) on the same real inputs; the error of each dequantized output."""
    q_sets, f_sets = split_inputs(model_bytes, float_bytes, inputs)
    if not q_sets:
        raise ValueError("quantization_error needs at least one input set")
    model = load(model_bytes)
    quantized = Interpreter(model, reference=microinfer_reference, backend="auto")
    original = Interpreter(float_bytes)
    outputs = model.main.output_tensors()
    got: list[list[np.ndarray]] = [[] for _ in outputs]
    want: list[list[np.ndarray]] = [[] for _ in outputs]
    for count, (q_set, f_set) in enumerate(zip(q_sets, f_sets), 1):
        if progress:
            progress(count - 1, len(q_sets))
        quantized.reset_variables()
        original.reset_variables()
        try:
            q_out, f_out = quantized.run(q_set), original.run(f_set)
        except ValueError as exc:
            raise InputError(str(exc)) from None
        if len(q_out) != len(f_out):
            raise InputError(f"the quantized model has {len(q_out)} outputs, the float model {len(f_out)}")
        for i, (tensor, q, f) in enumerate(zip(outputs, q_out, f_out)):
            scale, zero_point = _affine(tensor)
            got[i].append((np.asarray(q, np.float64) - zero_point) * scale)
            want[i].append(np.asarray(f, np.float64))
    if progress:
        progress(len(q_sets), len(q_sets))
    return QuantizationError(len(q_sets), [
        _output_error(i, t.name, np.stack(got[i]), np.stack(want[i])) for i, t in enumerate(outputs)
    ])


def _affine(tensor) -> tuple[float, int]:
    """(scale, zero point) of a per-tensor quantized tensor; (1, 0) for a float one."""
    q = tensor.quantization
    if q is None or q.scale is None or len(q.scale) == 0 or not np.issubdtype(tensor.type.numpy_dtype, np.integer):
        return 1.0, 0
    if len(q.scale) != 1:
        raise InputError(f"tensor {tensor.name!r} is quantized per channel: not an activation")
    return float(q.scale[0]), int(q.zero_point[0]) if q.zero_point is not None and len(q.zero_point) else 0


def _quantize(x: np.ndarray, tensor, scale: float, zero_point: int) -> np.ndarray:
    """Round half away from zero, as TFLite, in cache-sized blocks (a dataset of inputs is stacked
    into one array: whole-array float64 temporaries would cost memory bandwidth, not arithmetic)."""
    dtype = tensor.type.numpy_dtype
    info = np.iinfo(dtype)
    out = np.empty(x.shape, dtype)
    source, target = x.reshape(-1), out.reshape(-1)
    for start in range(0, source.size, _QUANTIZE_BLOCK):
        real = source[start:start + _QUANTIZE_BLOCK].astype(np.float64)
        real /= scale
        rounded = np.abs(real)
        rounded += 0.5
        np.floor(rounded, out=rounded)
        np.copysign(rounded, real, out=rounded)
        rounded += zero_point
        np.clip(rounded, info.min, info.max, out=rounded)
        target[start:start + _QUANTIZE_BLOCK] = rounded
    return out


_QUANTIZE_BLOCK = 1 << 15


def _output_error(index: int, name: str, got: np.ndarray, want: np.ndarray) -> OutputError:
    diff = got - want
    norm = float(np.linalg.norm(want))
    norms = norm * float(np.linalg.norm(got))
    top1 = None
    if want.ndim >= 3 and want.shape[-1] > 1:  # (runs, ..., classes): a rank >= 2 output
        top1 = float(np.mean(np.argmax(got, axis=-1) == np.argmax(want, axis=-1)))
    return OutputError(
        index, name, int(want.size),
        rmse=float(np.sqrt(np.mean(diff**2))),
        mae=float(np.mean(np.abs(diff))),
        max_abs=float(np.max(np.abs(diff))) if diff.size else 0.0,
        relative_l2=float(np.linalg.norm(diff)) / norm if norm else float("inf"),
        cosine=float(np.vdot(got, want)) / norms if norms else float("nan"),
        top1_agreement=top1,
    )
