"""Check microinfer's kernels against the reference interpreters, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from microinfer.errors import UnsupportedOpError
from microinfer.interpreter import Interpreter
from microinfer.reference import ReferenceCrash, ReferenceFailure, ReferenceWorker
from microinfer.testing import random_inputs  # noqa: F401  (re-exported for the tests)

REFERENCES = ("tflm", "tflite")


def accepted_references(model_bytes: bytes) -> list[str]:
    """The references microinfer builds an interpreter for ``model_bytes`` in."""
    accepted = []
    for ref in REFERENCES:
        try:
            Interpreter(model_bytes, reference=ref)
        except UnsupportedOpError:
            continue
        accepted.append(ref)
    return accepted


def assert_bit_exact(
    worker: ReferenceWorker,
    model_bytes: bytes,
    inputs: list[np.ndarray],
    references=REFERENCES,
    float_rtol: float = 1e-5,
) -> None:
    """microinfer (reference=R) equals reference R on every output, for each R.

    Integer outputs must be identical; float32 outputs within ``float_rtol`` relative error
    (summation order may differ).
    """
    for ref in references:
        expected = worker.run(ref, model_bytes, inputs).outputs
        got = Interpreter(model_bytes, reference=ref).run(inputs)
        assert len(got) == len(expected)
        for i, (g, e) in enumerate(zip(got, expected)):
            assert g.shape == e.shape, f"{ref}: output {i} shape {g.shape} != {e.shape}"
            assert g.dtype == e.dtype, f"{ref}: output {i} dtype {g.dtype} != {e.dtype}"
            if np.issubdtype(e.dtype, np.floating):
                np.testing.assert_allclose(g, e, rtol=float_rtol, atol=float_rtol, err_msg=f"{ref}: output {i}")
            else:
                diff = np.flatnonzero(g.reshape(-1) != e.reshape(-1))
                assert diff.size == 0, (
                    f"{ref}: output {i} differs in {diff.size} of {e.size} elements; first at flat "
                    f"index {diff[0]}: microinfer {g.reshape(-1)[diff[0]]} vs reference {e.reshape(-1)[diff[0]]}"
                )


def assert_each_reference_gives(worker: ReferenceWorker, model_bytes: bytes, inputs: list[np.ndarray],
                                expected: dict) -> None:
    """For each reference R in ``expected``: the live reference R and microinfer (reference=R)
    both give ``expected[R]`` (a hand-worked first output)."""
    for ref, value in expected.items():
        live = worker.run(ref, model_bytes, inputs).outputs[0]
        ours = Interpreter(model_bytes, reference=ref).run(inputs)[0]
        np.testing.assert_array_equal(live, value, err_msg=f"live {ref}")
        np.testing.assert_array_equal(ours, value, err_msg=f"microinfer reference={ref!r}")


def assert_bit_exact_or_refused(worker: ReferenceWorker, model_bytes: bytes, inputs: list[np.ndarray],
                                undefined_in_reference: tuple[str, ...] = (), references=REFERENCES) -> int:
    """Bit-exact against each reference microinfer accepts the model for; where microinfer refuses
    it for a reference, that reference refuses it too, unless every reason given contains one of
    ``undefined_in_reference`` (constraints guarding parameters where the reference's C code is
    undefined: it may run the model and return arbitrary numbers). Returns how many references
    were compared bit for bit."""
    compared = 0
    for ref in references:
        try:
            Interpreter(model_bytes, reference=ref)
        except UnsupportedOpError as error:
            reasons = str(error).splitlines()[1:]
            if all(any(u in r for u in undefined_in_reference) for r in reasons):
                continue
            with pytest.raises((ReferenceFailure, ReferenceCrash)):
                worker.run(ref, model_bytes, inputs)
            continue
        assert_bit_exact(worker, model_bytes, inputs, references=(ref,))
        compared += 1
    return compared
