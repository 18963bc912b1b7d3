"""TFLite_Detection_PostProcess against both live references: drawn models (float32 for both,
uint8 for LiteRT), suppression and short results, the order of tied scores, the FlexBuffers
options reader, and what each reference refuses."""

from __future__ import annotations

import flatbuffers.flexbuffers as flexbuffers
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microinfer import MicroinferError, ModelError, UnsupportedOpError
from microinfer.interpreter import Interpreter
from microinfer.reference import ReferenceCrash, ReferenceFailure
from microinfer.testing import random_inputs
from microinfer.testing.families.detection import detection_case, detection_model, float_anchors
from microinfer.tflite import load
from microinfer.tflite.flexbuffers import as_bool, as_float32, as_int32, decode_map

from kernel_check import assert_bit_exact

SETTINGS = dict(deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
OPTIONS = dict(max_detections=4, max_classes_per_detection=1, num_classes=3, nms_iou_threshold=0.5,
               nms_score_threshold=0.3, y_scale=10.0, x_scale=10.0, h_scale=5.0, w_scale=5.0)


def options(**changes) -> dict:
    return {**OPTIONS, **changes}


def overlapping_inputs(rng, boxes: int, classes: int, dtype="float32"):
    """Box encodings near zero (boxes close to their anchors, so neighbours overlap) and scores."""
    if dtype == "uint8":
        return [rng.integers(120, 136, (1, boxes, 4)).astype(np.uint8),
                rng.integers(0, 256, (1, boxes, classes)).astype(np.uint8)]
    return [rng.normal(0, 0.5, (1, boxes, 4)).astype(np.float32),
            rng.uniform(0, 1, (1, boxes, classes)).astype(np.float32)]


def assert_detections_equal(worker, model: bytes, inputs, references=("tflm", "tflite")) -> None:
    """Every entry up to num_detections (the references leave the rest unwritten) equal, and the
    counts equal."""
    for ref in references:
        live = worker.run(ref, model, inputs).outputs
        ours = Interpreter(model, reference=ref).run(inputs)
        assert [o.shape for o in ours] == [o.shape for o in live]
        np.testing.assert_array_equal(ours[3], live[3], err_msg=ref)
        found = int(live[3][0])
        for got, expected in zip(ours[:3], live[:3]):
            np.testing.assert_array_equal(got[0, :found], expected[0, :found], err_msg=ref)


# -- drawn models -----------------------------------------------------------------------------------

def accepting(model: bytes) -> tuple[str, ...]:
    """The references microinfer runs ``model`` for."""
    refs = []
    for ref in ("tflm", "tflite"):
        try:
            Interpreter(model, reference=ref)
            refs.append(ref)
        except UnsupportedOpError:
            pass
    return tuple(refs)


@settings(max_examples=25, **SETTINGS)
@given(model=detection_case("float32"), seed=st.integers(0, 2**16), spread=st.sampled_from([1.0, 30.0, 1e3]))
def test_float32_models(reference_worker, model, seed, spread):
    """Both references (TFLite Micro only with one class a detection in fast NMS)."""
    inputs = [x * np.float32(spread) for x in random_inputs(model, np.random.default_rng(seed))]
    references = accepting(model)
    assert "tflite" in references
    assert_bit_exact(reference_worker, model, inputs, references=references)


@settings(max_examples=20, **SETTINGS)
@given(model=detection_case("uint8"), seed=st.integers(0, 2**16))
def test_uint8_models_litert(reference_worker, model, seed):
    inputs = random_inputs(model, np.random.default_rng(seed))
    assert_bit_exact(reference_worker, model, inputs, references=("tflite",))
    with pytest.raises(UnsupportedOpError, match="float32 inputs"):
        Interpreter(model, reference="tflm")


# -- suppression, thresholds, ties ------------------------------------------------------------------

@pytest.mark.parametrize("regular", [False, True])
@pytest.mark.parametrize("seed", range(4))
def test_suppression_and_short_results(reference_worker, regular, seed):
    """Overlapping boxes, a score threshold that drops some: fewer detections than places."""
    rng = np.random.default_rng(seed)
    boxes, classes = 16, 4
    model = detection_model("float32", float_anchors(rng, boxes),
                            options(use_regular_nms=regular, detections_per_class=2), classes)
    assert_detections_equal(reference_worker, model, overlapping_inputs(rng, boxes, classes))


@pytest.mark.parametrize("regular", [False, True])
def test_tied_uint8_scores(reference_worker, regular):
    """Few distinct uint8 scores over many boxes and classes: the order of equal scores (stable
    within a class, earlier classes first across classes) decides which detections are kept."""
    rng = np.random.default_rng(5)
    boxes, classes = 30, 6
    anchors = np.clip(np.round(float_anchors(rng, boxes) * 255), 0, 255).astype(np.uint8)
    model = detection_model("uint8", anchors, options(use_regular_nms=regular, num_classes=classes - 1,
                                                      max_detections=8, nms_score_threshold=0.0),
                            classes, dict(scale=0.05, zero_point=128), dict(scale=0.25, zero_point=0),
                            dict(scale=1 / 255, zero_point=0))
    inputs = overlapping_inputs(rng, boxes, classes, "uint8")
    inputs[1] = rng.integers(0, 4, inputs[1].shape).astype(np.uint8)  # scores 0, 0.25, 0.5, 0.75
    assert_detections_equal(reference_worker, model, inputs, references=("tflite",))


def test_several_classes_per_detection(reference_worker):
    """LiteRT's fast NMS with three classes a detection: ties among a box's classes come out in
    libstdc++'s partial_sort order. TFLite Micro writes such detections out of place: refused."""
    rng = np.random.default_rng(11)
    boxes, classes = 12, 5
    model = detection_model("float32", float_anchors(rng, boxes),
                            options(max_classes_per_detection=3, num_classes=classes, nms_score_threshold=0.0), classes)
    inputs = overlapping_inputs(rng, boxes, classes)
    inputs[1] = np.round(inputs[1] * 3) / 3  # ties
    assert_detections_equal(reference_worker, model, inputs, references=("tflite",))
    with pytest.raises(UnsupportedOpError, match="out of place"):
        Interpreter(model, reference="tflm")


def test_decoding_by_hand(reference_worker):
    """One anchor (y 0.5, x 0.5, h 0.2, w 0.4), encoding (1, -2, 0, 5 ln 2) with scales
    10/10/5/5: centre (0.52, 0.42), half sizes 0.1 and 0.4 -> (0.42, 0.02, 0.62, 0.82)."""
    anchors = np.array([[0.5, 0.5, 0.2, 0.4]], np.float32)
    model = detection_model("float32", anchors, options(max_detections=1, num_classes=1), 2)
    inputs = [np.array([[[1.0, -2.0, 0.0, 5 * np.log(2.0)]]], np.float32), np.array([[[0.1, 0.9]]], np.float32)]
    for ref in ("tflm", "tflite"):
        live = reference_worker.run(ref, model, inputs).outputs
        ours = Interpreter(model, reference=ref).run(inputs)
        expected_box = np.array([0.42, 0.02, 0.62, 0.82], np.float32)
        np.testing.assert_allclose(live[0][0, 0], expected_box, rtol=1e-6)
        for got, want in zip(ours, live):
            np.testing.assert_array_equal(got, want)
        assert live[1][0, 0] == 0 and np.float32(live[2][0, 0]) == np.float32(0.9) and live[3][0] == 1


def test_empty_box_fails_when_run(reference_worker):
    """A decoded box of zero height: TFLite Micro fails when it runs (it wants ymin < ymax),
    and so does microinfer for that reference; LiteRT accepts ymin == ymax."""
    anchors = np.array([[0.5, 0.5, 0.0, 0.4], [0.2, 0.2, 0.1, 0.1]], np.float32)
    model = detection_model("float32", anchors, options(max_detections=2, num_classes=1), 1)
    inputs = [np.zeros((1, 2, 4), np.float32), np.array([[[0.9], [0.8]]], np.float32)]
    with pytest.raises(MicroinferError, match="reference fails"):
        Interpreter(model, reference="tflm").run(inputs)
    with pytest.raises(ReferenceFailure):
        reference_worker.run("tflm", model, inputs)
    assert_bit_exact(reference_worker, model, inputs, references=("tflite",))


# -- what the references refuse ---------------------------------------------------------------------

def test_refusals(reference_worker):
    """Refused where the reference fails (or crashes); unshaped outputs (TFLite Micro writes past
    their end) and no class count (TFLite Micro reads garbage) are refused for both although TFLite
    Micro runs them."""
    rng = np.random.default_rng(0)
    anchors = float_anchors(rng, 6)
    cases = {
        "int8 inputs": (detection_model("int8", np.round(anchors * 100).astype(np.int8), options(), 3,
                                        dict(scale=0.1, zero_point=0), dict(scale=0.01, zero_point=0),
                                        dict(scale=0.01, zero_point=0)), ("tflm", "tflite"), "both float32"),
        "IoU threshold 0": (detection_model("float32", anchors, options(nms_iou_threshold=0.0), 3),
                            ("tflm", "tflite"), "nms_iou_threshold"),
        "unshaped outputs": (detection_model("float32", anchors, options(), 3, output_shapes=False),
                             ("tflm",), "writes into them as they are"),
        "no class count": (detection_model("float32", anchors, options(num_classes=0), 1), ("tflm", "tflite"),
                           "num_classes >= 1"),
    }
    reference_fails = {("int8 inputs", "tflm"), ("int8 inputs", "tflite"), ("IoU threshold 0", "tflm"),
                       ("IoU threshold 0", "tflite"), ("no class count", "tflite")}
    for name, (model, references, message) in cases.items():
        inputs = random_inputs(model, np.random.default_rng(1))
        for ref in references:
            with pytest.raises(UnsupportedOpError, match=message):
                Interpreter(model, reference=ref)
            if (name, ref) in reference_fails:
                with pytest.raises((ReferenceFailure, ReferenceCrash)):
                    reference_worker.run(ref, model, inputs)


def test_unshaped_outputs_take_litert_shapes(reference_worker):
    """Converters leave these outputs unshaped: LiteRT sizes them, and so does microinfer."""
    rng = np.random.default_rng(3)
    model = detection_model("float32", float_anchors(rng, 8), options(nms_score_threshold=-1e30, nms_iou_threshold=1.0),
                            3, output_shapes=False)
    assert_bit_exact(reference_worker, model, random_inputs(model, rng), references=("tflite",))


# -- the FlexBuffers reader -------------------------------------------------------------------------

def test_flexbuffers_values():
    blob = flexbuffers.Dumps({"a": 3, "big": 2**40 + 5, "f": 0.1, "t": True, "neg": -7, "none": None, "u8": 255})
    m = decode_map(blob)
    assert as_int32(m["a"]) == 3 and as_int32(m["neg"]) == -7 and as_int32(m["u8"]) == 255
    assert as_int32(m["big"]) == 5  # AsInt32 keeps the low 32 bits
    assert as_float32(m["f"]) == np.float32(0.1) and as_int32(m["f"]) == 0
    assert as_bool(m["t"]) and as_int32(m["t"]) == 1
    assert m["none"] is None and "missing" not in m and as_float32(m.get("missing")) == 0
    with pytest.raises(ModelError, match="where a number is read"):
        as_int32(decode_map(flexbuffers.Dumps({"s": "text"}))["s"])


def test_malformed_options_are_refused_never_a_crash():
    """Truncated or corrupted custom options: a ModelError from the reader, a refusal from the
    kernel, never another exception."""
    rng = np.random.default_rng(0)
    model = detection_model("float32", float_anchors(rng, 6), options(), 3)
    blob = bytearray(load(model).main.operators[0].custom_options)
    assert as_int32(decode_map(bytes(blob))["max_detections"]) == 4
    for trial in range(400):
        mutated = bytearray(blob)
        for _ in range(rng.integers(1, 5)):
            mutated[rng.integers(len(mutated))] = rng.integers(256)
        if trial % 3 == 0:
            mutated = mutated[: rng.integers(len(mutated))]
        try:
            decode_map(bytes(mutated))
        except ModelError:
            pass
    for raw in (b"", b"\x01", blob[:-3] + b"\x2a\x01", flexbuffers.Dumps([1, 2, 3]), bytes(blob[:20]) + bytes(blob[-2:])):
        broken = detection_model("float32", float_anchors(rng, 6), options(), 3, raw_options=bytes(raw))
        for ref in ("tflm", "tflite"):
            with pytest.raises(UnsupportedOpError, match="well-formed FlexBuffers"):
                Interpreter(broken, reference=ref)
