"""How fast microinfer.load reads the largest shared model, against the ``tflite`` package.

    pytest benchmarks/test_bench_load.py --benchmark-columns=min,mean,median,rounds

``microinfer.load`` checks every offset, index, shape and quantization parameter and returns
constant data as read-only views into the file bytes; the ``tflite`` package (flatc-generated
accessors) checks nothing. Both are timed in the same process on the same bytes, the tflite side
with a full walk that touches what the loader decodes, so the ratio is meaningful.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

import microinfer
from shared_paths import SHARED_MODELS

LARGEST = "vww_96_int8.tflite"


@pytest.fixture(scope="module")
def model_bytes() -> bytes:
    path = SHARED_MODELS / LARGEST
    if not path.is_file():
        pytest.skip(f"shared model {LARGEST} not found in {SHARED_MODELS} (set MICROINFER_SHARED_MODELS)")
    return path.read_bytes()


def test_bench_microinfer_load(benchmark, model_bytes):
    model = benchmark(microinfer.load, model_bytes)
    assert model.size_bytes == len(model_bytes)
    # Well under 50 ms even on a slow CI machine (it takes a few ms).
    best = min(_timings(lambda: microinfer.load(model_bytes), 5))
    assert best < 0.050, f"loading {LARGEST} took {best * 1e3:.1f} ms"


def test_constant_data_are_read_only_views(model_bytes):
    model = microinfer.load(model_bytes)
    file_bytes = np.frombuffer(model_bytes, dtype=np.uint8)
    constants = [t for sg in model.subgraphs for t in sg.tensors if t.data is not None]
    assert constants, "the model has no constant tensors"
    weight_bytes = 0
    for tensor in constants:
        assert not tensor.data.flags.owndata, f"{tensor.name}: data were copied"
        assert not tensor.data.flags.writeable, f"{tensor.name}: data are writeable"
        assert np.shares_memory(tensor.data, file_bytes), f"{tensor.name}: not a view of the file"
        weight_bytes += tensor.data.nbytes
    assert weight_bytes > len(model_bytes) // 2  # the weights are most of the file, and none copied


def _walk_tflite(data: bytes) -> int:
    """Parse with the ``tflite`` package and touch everything microinfer.load decodes."""
    import tflite

    m = tflite.Model.GetRootAs(data, 0)
    touched = m.Version() + len(m.Description() or b"")
    for i in range(m.OperatorCodesLength()):
        oc = m.OperatorCodes(i)
        touched += max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode()) + oc.Version()
    for i in range(m.BuffersLength()):
        buf = m.Buffers(i)
        if not buf.DataIsNone():
            touched += len(buf.DataAsNumpy())
    for s in range(m.SubgraphsLength()):
        sg = m.Subgraphs(s)
        touched += len(sg.InputsAsNumpy()) + len(sg.OutputsAsNumpy()) + len(sg.Name() or b"")
        for t in range(sg.TensorsLength()):
            tensor = sg.Tensors(t)
            touched += len(tensor.ShapeAsNumpy()) if not tensor.ShapeIsNone() else 0
            touched += tensor.Type() + tensor.Buffer() + len(tensor.Name() or b"")
            q = tensor.Quantization()
            if q is not None:
                if not q.ScaleIsNone():
                    touched += len(q.ScaleAsNumpy())
                if not q.ZeroPointIsNone():
                    touched += len(q.ZeroPointAsNumpy())
                touched += q.QuantizedDimension()
        for o in range(sg.OperatorsLength()):
            op = sg.Operators(o)
            touched += op.OpcodeIndex() + len(op.InputsAsNumpy()) + len(op.OutputsAsNumpy())
            touched += op.BuiltinOptionsType()
            options = op.BuiltinOptions()
            if options is not None:  # a generic table: read its vtable like a typed accessor would
                touched += options.Offset(4)
    return touched


def test_bench_tflite_package_walk(benchmark, model_bytes):
    pytest.importorskip("tflite")
    assert benchmark(_walk_tflite, model_bytes) > 0


def test_load_vs_tflite_package_ratio(model_bytes):
    """For context only: microinfer.load (checked, views) / tflite full walk (unchecked)."""
    pytest.importorskip("tflite")
    ours = min(_timings(lambda: microinfer.load(model_bytes), 20))
    theirs = min(_timings(lambda: _walk_tflite(model_bytes), 20))
    print(
        f"\n{LARGEST}: microinfer.load {ours * 1e3:.2f} ms, tflite walk {theirs * 1e3:.2f} ms, "
        f"ratio {ours / theirs:.2f}"
    )
    assert ours < 0.050


def _timings(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out
