"""Per-layer quantization error: where a quantized model loses accuracy against its float original.

:func:`layer_errors` runs the quantized model (bit-exactly, as TFLite Micro or LiteRT would, on the
C backend when it is built) and its float original on the same inputs, matches their tensors, and
accumulates per matched tensor the error of the dequantized quantized values against the float
ones: RMSE, mean and largest absolute error, signal-to-noise ratio, cosine similarity, and the RMSE
in quantization steps of that tensor. Operators are ranked by the SNR they lose themselves: the
*dB lost* at an operator is the SNR of its worst input minus that of its output (an exact input
counts as :data:`EXACT_DB`), so error inherited from earlier layers does not count against it and
the layer where the error is made comes first; a loss of :data:`JUMP_DB` or more is marked as a
jump.
With labels, the accuracy of both models and their agreement come along, with confusion matrices.

Tensors are matched by name first (the TFLite converter and Google's AI Edge Quantizer keep the
float model's names), then by graph position: the operators left unmatched in both models, without
QUANTIZE and DEQUANTIZE, are aligned by operator type and output shape (longest common
subsequence). Each match says which way it was made.

Samples are spread over worker processes (``jobs``); each worker runs whole samples and returns
sums, so the result does not depend on how samples were split. The float model runs on LiteRT when
it is installed (``float_engine="auto"``; it exposes every intermediate tensor), else on
microinfer's own float32 kernels.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field

import numpy as np

from .datasets import InputError
from .tflite import Model, load

JUMP_DB = 6.0  # an operator that loses this much SNR (the error doubles) is marked as a jump
# An exact input counts as this SNR when ranking: above the ~50 dB of an ideally quantized 8-bit
# tensor, so the first operator after an integer input is charged the error it makes itself.
EXACT_DB = 60.0
FLOAT_ENGINES = ("auto", "microinfer", "litert")
SKIP_OPS = frozenset({"QUANTIZE", "DEQUANTIZE"})
STAT_FIELDS = 7  # count, sum sq err, sum |err|, sum f^2, sum q^2, sum q*f, max |err|


# -- matching --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TensorMatch:
    """A tensor of the quantized model and its counterpart in the float model."""

    quant_tensor: int
    float_tensor: int
    op_index: int | None  # the quantized model's operator writing it; None for a model input
    op: str  # its type, or "input"
    name: str  # the quantized tensor's name
    how: str  # "name", "position" or "input"
    float_op_index: int | None = None


def match_tensors(quantized: Model, original: Model) -> tuple[list[TensorMatch], list[int]]:
    """(matches in the quantized model's operator order, quantized op outputs left unmatched)."""
    qs, fs = quantized.main, original.main
    matches: list[TensorMatch] = []
    used: set[int] = set()
    for position, (qi, fi) in enumerate(zip(qs.inputs, fs.inputs)):
        if qs.tensors[qi].num_elements == fs.tensors[fi].num_elements:
            matches.append(TensorMatch(qi, fi, None, "input", qs.tensors[qi].name, "input"))
            used.add(fi)
    names: dict[str, int] = {}
    duplicate: set[str] = set()
    for t in fs.tensors:
        if t.data is None and t.name:
            if t.name in names:
                duplicate.add(t.name)
            names[t.name] = t.index
    float_producer = {t: op.index for op in fs.operators for t in op.outputs if t >= 0}
    by_output: dict[int, TensorMatch] = {}
    for op in qs.operators:
        for t in op.outputs:
            tensor = qs.tensors[t]
            f = names.get(tensor.name)
            if f is None or tensor.name in duplicate or f in used or \
                    fs.tensors[f].num_elements != tensor.num_elements:
                continue
            by_output[t] = TensorMatch(t, f, op.index, op.op, tensor.name, "name", float_producer.get(f))
            used.add(f)
    q_left = [(op.index, op.op, t) for op in qs.operators if op.op not in SKIP_OPS
              for t in op.outputs[:1] if t >= 0 and t not in by_output]
    f_left = [(op.index, op.op, t) for op in fs.operators if op.op not in SKIP_OPS
              for t in op.outputs[:1] if t >= 0 and t not in used]
    for (qo, op, qt), (fo, _, ft) in _align(q_left, f_left, qs, fs):
        by_output[qt] = TensorMatch(qt, ft, qo, op, qs.tensors[qt].name, "position", fo)
    for op in qs.operators:
        for t in op.outputs:
            if t in by_output:
                matches.append(by_output[t])
    unmatched = [t for op in qs.operators if op.op not in SKIP_OPS for t in op.outputs
                 if t >= 0 and t not in by_output]
    return matches, unmatched


def _align(q_left, f_left, qs, fs) -> list[tuple]:
    """Pairs of the longest common subsequence by (op type, output element count)."""
    def key(item, sg):
        return item[1], sg.tensors[item[2]].num_elements

    a = [key(x, qs) for x in q_left]
    b = [key(x, fs) for x in f_left]
    if not a or not b:
        return []
    if len(a) * len(b) > 4_000_000:  # huge graphs: greedy in order
        pairs, j = [], 0
        for i, k in enumerate(a):
            while j < len(b) and b[j] != k:
                j += 1
            if j == len(b):
                break
            pairs.append((q_left[i], f_left[j]))
            j += 1
        return pairs
    n, m = len(a), len(b)
    table = np.zeros((n + 1, m + 1), np.int32)
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            table[i, j] = table[i + 1, j + 1] + 1 if a[i] == b[j] else max(table[i + 1, j], table[i, j + 1])
    pairs, i, j = [], 0, 0
    while i < n and j < m:
        if a[i] == b[j]:
            pairs.append((q_left[i], f_left[j]))
            i, j = i + 1, j + 1
        elif table[i + 1, j] >= table[i, j + 1]:
            i += 1
        else:
            j += 1
    return pairs


# -- results ---------------------------------------------------------------------------------------
@dataclass
class LayerError:
    """One matched tensor's error over every sample."""

    match: TensorMatch
    elements: int
    rmse: float
    mae: float
    max_abs: float
    snr_db: float
    cosine: float
    step: float | None  # the quantized tensor's scale (one quantization step); None when float
    db_lost: float | None  # its operator's inputs' SNR minus this SNR
    jump: bool = False
    rank: int = 0

    @property
    def rmse_steps(self) -> float | None:
        return None if not self.step else self.rmse / self.step

    @property
    def max_steps(self) -> float | None:
        return None if not self.step else self.max_abs / self.step

    def to_dict(self) -> dict:
        m = self.match
        return {"rank": self.rank, "op_index": m.op_index, "op": m.op, "tensor": m.quant_tensor, "name": m.name,
                "float_tensor": m.float_tensor, "float_op_index": m.float_op_index, "matched_by": m.how,
                "elements": self.elements, "rmse": _num(self.rmse), "mae": _num(self.mae),
                "max_abs_error": _num(self.max_abs), "snr_db": _num(self.snr_db), "cosine": _num(self.cosine),
                "quantization_step": self.step, "rmse_in_steps": _num(self.rmse_steps),
                "max_error_in_steps": _num(self.max_steps), "db_lost": _num(self.db_lost), "jump": self.jump}


@dataclass
class Accuracy:
    """Top-1 accuracy of both models against labels, and how often they agree."""

    samples: int
    classes: int
    quantized: float
    float: float
    agreement: float  # share of samples where both predict the same class
    confusion_quantized: np.ndarray  # [label, predicted]
    confusion_float: np.ndarray
    confusion_agreement: np.ndarray  # [float's prediction, quantized prediction]

    def to_dict(self) -> dict:
        return {"samples": self.samples, "classes": self.classes, "quantized": self.quantized, "float": self.float,
                "agreement": self.agreement, "confusion_quantized": self.confusion_quantized.tolist(),
                "confusion_float": self.confusion_float.tolist(),
                "confusion_agreement": self.confusion_agreement.tolist()}


@dataclass
class LayerErrorReport:
    samples: int
    layers: list[LayerError]  # in the quantized model's order
    unmatched: list[int]  # quantized op outputs without a float counterpart
    float_engine: str
    backend: str
    seconds: float = 0.0
    jobs: int = 1
    agreement: float | None = None  # top-1 agreement without labels (classifiers)
    accuracy: Accuracy | None = None
    quantized_model: str = ""
    float_model: str = ""

    @property
    def ranked(self) -> list[LayerError]:
        """Operator outputs, the one that loses most SNR first (model inputs left out)."""
        return sorted((layer for layer in self.layers if layer.match.op_index is not None),
                      key=lambda layer: layer.rank)

    @property
    def matched_by(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for layer in self.layers:
            counts[layer.match.how] = counts.get(layer.match.how, 0) + 1
        return counts

    def to_dict(self) -> dict:
        return {"samples": self.samples, "float_engine": self.float_engine, "backend": self.backend,
                "seconds": round(self.seconds, 3), "jobs": self.jobs, "matched_by": self.matched_by,
                "unmatched_tensors": self.unmatched, "layers": [layer.to_dict() for layer in self.layers],
                "ranking": [layer.match.quant_tensor for layer in self.ranked],
                "top1_agreement": self.agreement,
                "accuracy": None if self.accuracy is None else self.accuracy.to_dict()}

    def to_csv(self) -> str:
        import csv
        import io

        buffer = io.StringIO()
        fields = ["rank", "op_index", "op", "tensor", "name", "matched_by", "float_tensor", "elements", "rmse", "mae",
                  "max_abs_error", "snr_db", "db_lost", "jump", "cosine", "quantization_step", "rmse_in_steps",
                  "max_error_in_steps"]
        writer = csv.DictWriter(buffer, fields, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for layer in self.layers:
            writer.writerow(layer.to_dict())
        return buffer.getvalue()

    def _repr_html_(self) -> str:
        from .report import layer_error_html

        return layer_error_html(self)


def _num(value):
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else (None if math.isnan(value) else ("inf" if value > 0 else "-inf"))


# -- running ---------------------------------------------------------------------------------------
class _Runner:
    """Both models, prepared once per process: one sample in, the matched tensors' sums out."""

    def __init__(self, quant_bytes: bytes, float_bytes: bytes, pairs, reference: str, backend: str, engine: str):
        from .interpreter import Interpreter

        self.quantized = Interpreter(quant_bytes, backend=backend, reference=reference)
        self.engine = engine
        if engine == "litert":
            self.original = _litert(float_bytes)
        else:
            self.original = Interpreter(float_bytes)
        sg = self.quantized.subgraph
        self.pairs = pairs
        self.dequantizers = [_Dequantizer(sg.tensors[q]) for q, _ in pairs]
        self.error_sums = _c_error_sums()
        self.output = sg.outputs[0]
        original = load(float_bytes).main
        self.float_output = original.outputs[0]
        self.stateful = any(t.is_variable for t in (*sg.tensors, *original.tensors))

    def run(self, q_set, f_set, stats: np.ndarray) -> tuple[int, int]:
        """Run one sample (from fresh recurrent state, as each reference run starts), add its
        sums to ``stats``; the top-1 class of both models."""
        q = self.quantized
        if self.stateful:
            q.reset_variables()
            reset = getattr(self.original, "reset_all_variables", None) or self.original.reset_variables
            reset()
        for i, x in enumerate(q_set):
            q.set_input(i, x)
        q.invoke()
        if self.engine == "litert":
            li = self.original
            for detail, x in zip(li.get_input_details(), f_set):
                li.set_tensor(detail["index"], x)
            li.invoke()
            get_float = li.get_tensor
        else:
            self.original.run(f_set)
            get_float = self.original.get_tensor
        for (qt, ft), dequantizer, row in zip(self.pairs, self.dequantizers, stats):
            qv = np.ascontiguousarray(q.get_tensor(qt)).reshape(-1)
            fv = np.ascontiguousarray(get_float(ft), np.float32).reshape(-1)
            if fv.size != qv.size:
                raise InputError(f"tensor {qt} has {qv.size} elements, its float counterpart {ft} {fv.size}")
            if self.error_sums is not None and dequantizer.table is not None:
                self.error_sums(qv.ctypes.data, qv.itemsize, dequantizer.table.ctypes.data, fv.ctypes.data, qv.size,
                                row.ctypes.data)
            else:
                _add_error_sums(dequantizer.real(qv), fv, row)
        return _top1(q.get_tensor(self.output)), _top1(get_float(self.float_output))


def _add_error_sums(real: np.ndarray, reference: np.ndarray, row: np.ndarray) -> None:
    """NumPy's version of the C library's ``mi_error_sums``, in float64 as it is (sums of products,
    not BLAS dot products: OpenBLAS's float64 dot goes multi-threaded even for short vectors)."""
    q, f = real.astype(np.float64), reference.astype(np.float64)
    error = q - f
    absolute = np.abs(error)
    row[0] += error.size
    row[1] += float((error * error).sum())
    row[2] += float(absolute.sum())
    row[3] += float((f * f).sum())
    row[4] += float((q * q).sum())
    row[5] += float((q * f).sum())
    if error.size:
        row[6] = max(row[6], float(absolute.max()))


def _c_error_sums():
    """The C library's ``mi_error_sums`` with its argument types, or None without the library."""
    import ctypes

    from .c_backend.loader import load_library
    from .errors import MissingDependencyError

    try:
        function = load_library().mi_error_sums
    except (MissingDependencyError, AttributeError):
        return None
    function.argtypes = [ctypes.c_void_p, ctypes.c_int32, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int32,
                         ctypes.c_void_p]
    function.restype = None
    return function


def _top1(values) -> int:
    """The class of the first row of a classifier's output (0 for a scalar)."""
    values = np.asarray(values)
    return int(np.argmax(values.reshape(-1, values.shape[-1])[0])) if values.ndim and values.size else 0


def _litert(model_bytes: bytes):
    import warnings

    from ai_edge_litert.interpreter import Interpreter as LiteRT

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        interpreter = LiteRT(model_content=model_bytes, experimental_preserve_all_tensors=True, num_threads=1)
    interpreter.allocate_tensors()
    return interpreter


class _Dequantizer:
    """A quantized tensor's real values, as float32 computes them: ``real(values)``, and for 8-
    and 16-bit types ``table``, the real value of every code (the values read as unsigned)."""

    def __init__(self, tensor):
        scale, zero = _affine(tensor)
        self.identity = scale == 1.0 and zero == 0.0
        self.scale, self.zero = np.float32(scale), np.float32(zero)
        dtype = np.dtype(tensor.type.numpy_dtype)
        self.table = None
        if dtype.kind in "iu" and dtype.itemsize <= 2:
            codes = np.arange(1 << (8 * dtype.itemsize), dtype=f"u{dtype.itemsize}").view(dtype)
            self.table = np.ascontiguousarray(self.real(codes))

    def real(self, values: np.ndarray) -> np.ndarray:
        out = values.astype(np.float32)
        if not self.identity:
            out -= self.zero
            out *= self.scale
        return out


def _affine(tensor) -> tuple[float, float]:
    q = tensor.quantization
    if q is None or q.scale is None or len(q.scale) == 0 or not np.issubdtype(tensor.type.numpy_dtype, np.integer):
        return 1.0, 0.0
    zero = float(q.zero_point[0]) if q.zero_point is not None and len(q.zero_point) else 0.0
    return float(q.scale[0]), zero


_WORKER: _Runner | None = None
_SAMPLES: list | None = None  # the samples, inherited by forked workers (nothing to pickle)


def _init_worker(*args) -> None:
    global _WORKER
    _WORKER = _Runner(*args)


def _run_chunk(chunk) -> tuple[np.ndarray, list]:
    """``chunk``: (first, last) indices into the inherited samples, or the samples themselves."""
    samples = _SAMPLES[chunk[0]:chunk[1]] if isinstance(chunk, tuple) else chunk
    stats = np.zeros((len(_WORKER.pairs), STAT_FIELDS))
    predictions = [_WORKER.run(q, f, stats) for q, f in samples]
    return stats, predictions


def resolve_engine(engine: str) -> str:
    if engine not in FLOAT_ENGINES:
        raise ValueError(f"float_engine must be one of {FLOAT_ENGINES}, not {engine!r}")
    if engine != "auto":
        return engine
    try:
        import ai_edge_litert.interpreter  # noqa: F401
    except ImportError:
        return "microinfer"
    return "litert"


def layer_errors(
    quant_bytes: bytes,
    float_bytes: bytes,
    inputs: Sequence[Sequence[np.ndarray]],
    *,
    labels: Sequence[int] | None = None,
    reference: str = "tflm",
    backend: str = "auto",
    float_engine: str = "auto",
    jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> LayerErrorReport:
    """The per-layer quantization error of ``quant_bytes`` against its float original.

    ``inputs``: input sets (float arrays are quantized with the quantized model's input
    parameters, integer ones dequantized for the float model). ``labels``: one class per set, for
    accuracy and confusion matrices. ``jobs``: worker processes (default: every core; 1 runs here).
    ``progress(done, total)`` is called as samples complete.
    """
    import time

    from .compare import split_inputs

    start = time.perf_counter()
    quant_bytes, float_bytes = bytes(quant_bytes), bytes(float_bytes)
    q_sets, f_sets = split_inputs(quant_bytes, float_bytes, inputs)
    if not q_sets:
        raise InputError("the per-layer error needs at least one input set")
    total = len(q_sets)
    if labels is not None:
        labels = np.asarray(labels, np.int64).reshape(-1)
        if labels.size != total:
            raise InputError(f"{labels.size} labels for {total} input sets")
    quantized, original = load(quant_bytes), load(float_bytes)
    matches, unmatched = match_tensors(quantized, original)
    pairs = [(m.quant_tensor, m.float_tensor) for m in matches]
    engine = resolve_engine(float_engine)
    from .interpreter import _resolve_backend

    backend = _resolve_backend(backend)
    args = (quant_bytes, float_bytes, pairs, reference, backend, engine)
    jobs = max(1, min(jobs or os.cpu_count() or 1, total))
    samples = list(zip(q_sets, f_sets))
    stats = np.zeros((len(pairs), STAT_FIELDS))
    predictions: list = [None] * total
    done = 0
    if progress:
        progress(0, total)
    if jobs == 1:
        runner = _Runner(*args)
        for i, (q, f) in enumerate(samples):
            predictions[i] = runner.run(q, f, stats)
            done += 1
            if progress and (done == total or done % max(1, total // 100) == 0):
                progress(done, total)
    else:
        import multiprocessing

        global _SAMPLES
        size = max(1, min(50, total // (jobs * 4)))
        fork = "fork" in multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork") if fork else None
        chunks = [(k, (k, k + size) if fork else samples[k:k + size]) for k in range(0, total, size)]
        _SAMPLES = samples if fork else None
        try:
            with ProcessPoolExecutor(jobs, mp_context=context, initializer=_init_worker, initargs=args) as pool:
                futures = {pool.submit(_run_chunk, chunk): k for k, chunk in chunks}
                for future in as_completed(futures):
                    part, preds = future.result()
                    k = futures[future]
                    predictions[k:k + len(preds)] = preds
                    _merge(stats, part)
                    done += len(preds)
                    if progress:
                        progress(done, total)
        finally:
            _SAMPLES = None
    layers = _layers(quantized, matches, stats, total)
    q_pred = np.array([p[0] for p in predictions], np.int64)
    f_pred = np.array([p[1] for p in predictions], np.int64)
    out = quantized.main.tensors[quantized.main.outputs[0]]
    classifier = bool(out.shape) and out.shape[-1] > 1
    report = LayerErrorReport(total, layers, unmatched, engine, backend, time.perf_counter() - start, jobs,
                              agreement=float(np.mean(q_pred == f_pred)) if classifier else None)
    if labels is not None:
        if not classifier:
            raise InputError("labels need a classifier: an output whose last axis holds the classes")
        report.accuracy = _accuracy(labels, q_pred, f_pred, int(out.shape[-1]))
    return report


def _merge(stats: np.ndarray, part: np.ndarray) -> None:
    stats[:, :6] += part[:, :6]
    stats[:, 6] = np.maximum(stats[:, 6], part[:, 6])


def _layers(quantized: Model, matches: list[TensorMatch], stats: np.ndarray, samples: int) -> list[LayerError]:
    sg = quantized.main
    layers = []
    snr_of: dict[int, float] = {}
    for m, row in zip(matches, stats):
        n, sse, sae, ff, qq, qf, worst = row
        rmse = math.sqrt(sse / n) if n else 0.0
        snr = math.inf if sse == 0 else (10 * math.log10(ff / sse) if ff > 0 else -math.inf)
        cosine = qf / math.sqrt(qq * ff) if qq > 0 and ff > 0 else (1.0 if qq == ff == 0 else 0.0)
        scale, _ = _affine(sg.tensors[m.quant_tensor])
        step = scale if np.issubdtype(sg.tensors[m.quant_tensor].type.numpy_dtype, np.integer) else None
        lost = None
        if m.op_index is not None:
            op = sg.operators[m.op_index]
            inherited = [snr_of[t] for t in op.inputs if t in snr_of]
            # exact inputs (integer model inputs given as such) count as EXACT_DB
            worst_input = min(min(inherited), EXACT_DB) if inherited else EXACT_DB
            lost = 0.0 if worst_input == snr else worst_input - min(snr, EXACT_DB)
        snr_of[m.quant_tensor] = snr
        layers.append(LayerError(m, int(n) // max(1, samples), rmse, sae / n if n else 0.0, worst, snr, cosine, step,
                                 lost))
    ranked = sorted((layer for layer in layers if layer.match.op_index is not None),
                    key=lambda layer: (-layer.db_lost, layer.snr_db, layer.match.op_index))
    for rank, layer in enumerate(ranked, 1):
        layer.rank = rank
        layer.jump = layer.db_lost is not None and layer.db_lost >= JUMP_DB
    return layers


def _accuracy(labels: np.ndarray, q_pred: np.ndarray, f_pred: np.ndarray, classes: int) -> Accuracy:
    classes = max(classes, int(labels.max()) + 1 if labels.size else 0)
    if labels.size and labels.min() < 0:
        raise InputError("labels must be non-negative class indices")

    def confusion(a, b):
        matrix = np.zeros((classes, classes), np.int64)
        np.add.at(matrix, (a, b), 1)
        return matrix

    return Accuracy(int(labels.size), classes, float(np.mean(q_pred == labels)), float(np.mean(f_pred == labels)),
                    float(np.mean(q_pred == f_pred)), confusion(labels, q_pred), confusion(labels, f_pred),
                    confusion(f_pred, q_pred))


# -- text ------------------------------------------------------------------------------------------
def format_report(report: LayerErrorReport, quantized_name: str, float_name: str, top: int | None = None,
                  per_layer: bool = True) -> str:
    """The ranked per-layer table, the matching summary and the accuracy, for people."""
    from .render import counted, table

    engine = "LiteRT" if report.float_engine == "litert" else "microinfer's float32 kernels"
    backend = "C backend" if report.backend == "c" else "NumPy kernels"
    lines = [f"{quantized_name} against its float model {float_name}, {counted(report.samples, 'input')} "
             f"(quantized model on microinfer's {backend}, float model on {engine}):"]
    counts = report.matched_by
    how = ", ".join(f"{counts[k]} {label}" for k, label in (("input", "input" if counts.get("input") == 1 else "inputs"),
                                                          ("name", "by name"), ("position", "by graph position"))
                    if counts.get(k))
    lines.append(f"tensors matched: {sum(counts.values())} ({how}); "
                 f"unmatched operator outputs: {', '.join(map(str, report.unmatched)) or 'none'}")
    if per_layer:
        ranked = report.ranked
        shown = ranked if top is None or len(ranked) <= top else ranked[:top]
        rows = [(layer.rank, layer.match.op_index, layer.match.op, _short(layer.match.name), layer.match.how,
                 _g(layer.rmse), _g(layer.max_abs), _db(layer.snr_db),
                 _db(layer.db_lost) + (" <<" if layer.jump else "   "), f"{layer.cosine:.5f}",
                 "-" if layer.rmse_steps is None else f"{layer.rmse_steps:.2f}")
                for layer in shown]
        lines += ["", table(("rank", "#", "op", "tensor", "matched", "RMSE", "max err", "SNR dB", "dB lost   ",
                             "cosine", "RMSE/step"), rows, right=(0, 1, 5, 6, 7, 8, 9, 10))]
        if len(shown) < len(ranked):
            lines.append(f"... {len(ranked) - len(shown)} more layers (--json or --csv lists them all)")
        lines += ["", f"Ranked by dB lost: the SNR of an operator's worst input minus that of its output (an exact "
                      f"input counts as {EXACT_DB:g} dB), the error it adds itself; '<<' marks a jump of "
                      f"{JUMP_DB:g} dB or more."]
        inputs = [layer for layer in report.layers if layer.match.op_index is None]
        if inputs:
            lines.append("inputs as quantized: " + ", ".join(f"{_short(i.match.name, 30)} SNR {_db(i.snr_db)} dB"
                                                             for i in inputs))
    if report.accuracy is not None:
        lines += ["", *format_accuracy(report.accuracy)]
    elif report.agreement is not None:
        lines += ["", f"top-1 agreement of the two models: {report.agreement:.1%}"]
    return "\n".join(lines)


def format_accuracy(accuracy: Accuracy, max_classes: int = 20) -> list[str]:
    from .render import counted

    lines = [f"accuracy over {counted(accuracy.samples, 'labelled input')}: quantized {accuracy.quantized:.2%}, "
             f"float {accuracy.float:.2%}, agreement {accuracy.agreement:.2%}"]
    if accuracy.classes > max_classes:
        lines.append(f"({accuracy.classes} classes: confusion matrices in --json)")
        return lines
    for title, matrix, rows, columns in (
            ("quantized model", accuracy.confusion_quantized, "label", "predicted"),
            ("float model", accuracy.confusion_float, "label", "predicted"),
            ("agreement", accuracy.confusion_agreement, "float predicts", "quantized predicts")):
        lines += ["", f"confusion matrix, {title} (rows: {rows}, columns: {columns}):", *_matrix(matrix)]
    return lines


def _matrix(matrix: np.ndarray) -> list[str]:
    width = max(3, *(len(f"{v:,}") for v in matrix.reshape(-1)))
    head = " " * 4 + " ".join(f"{c:>{width}}" for c in range(matrix.shape[1]))
    return [head] + [f"{r:>3} " + " ".join(f"{v:>{width},}" for v in row) for r, row in enumerate(matrix)]


def _short(text: str, width: int = 36) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _g(value: float) -> str:
    return f"{value:.4g}"


def _db(value: float | None) -> str:
    if value is None:
        return "-"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:.1f}"
