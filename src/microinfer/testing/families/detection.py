"""Strategies of TFLite_Detection_PostProcess models (SSD post-processing), float32 and uint8.

The drawn models write every entry of their outputs for any input (the references leave entries
past the detections found unwritten): regular NMS with one class per detection, or fast NMS that
keeps every score (threshold far below any) and suppresses nothing (IoU threshold 1) over at
least max_detections anchors. Suppression, thresholds and short results are covered by hand in
tests/kernels/test_detection_postprocess.py. float32 models take box sizes in steps of
exp(h / h_scale) with h_scale of at least 200, so that inputs up to 1000 still decode to boxes of
nonzero size (TFLite Micro fails on an empty box).
"""

from __future__ import annotations

import flatbuffers.flexbuffers as flexbuffers
import numpy as np
from hypothesis import strategies as st

from ...tflite import ModelBuilder
from .._draw import SEEDS

OP = "TFLite_Detection_PostProcess"


def detection_model(dtype: str, anchors: np.ndarray, options: dict, num_classes_with_background: int,
                    box_q: dict | None = None, score_q: dict | None = None, anchor_q: dict | None = None,
                    box_size: int = 4, output_shapes: bool = True, raw_options: bytes | None = None) -> bytes:
    """A one-operator model: box encodings (1, boxes, box_size) and scores as inputs, constant
    ``anchors``, the four float32 outputs (shaped, or unshaped for LiteRT to size them); the
    custom options are ``options`` as FlexBuffers, or ``raw_options`` as given."""
    boxes = anchors.shape[0]
    b = ModelBuilder()
    g = b.main
    box_input = g.add_input("box_encodings", (1, boxes, box_size), dtype, **(box_q or {}))
    score_input = g.add_input("class_predictions", (1, boxes, num_classes_with_background), dtype,
                              **(score_q or {}))
    anchor_tensor = g.add_constant("anchors", anchors, **(anchor_q or {}))
    n = options["max_detections"] * options.get("max_classes_per_detection", 1)
    shapes = [(1, n, 4), (1, n), (1, n), (1,)] if output_shapes else [()] * 4
    names = ("detection_boxes", "detection_classes", "detection_scores", "num_detections")
    outputs = [g.add_output(name, shape, "float32") for name, shape in zip(names, shapes)]
    g.add_operator("CUSTOM", [box_input, score_input, anchor_tensor], outputs, custom_code=OP,
                   custom_options=flexbuffers.Dumps(options) if raw_options is None else raw_options)
    return b.build()


def float_anchors(rng: np.random.Generator, boxes: int) -> np.ndarray:
    """(y, x, h, w) centre-size anchors inside the unit square."""
    centres = rng.uniform(0.1, 0.9, (boxes, 2))
    sizes = rng.uniform(0.05, 0.5, (boxes, 2))
    return np.concatenate([centres, sizes], axis=1).astype(np.float32)


@st.composite
def detection_case(draw, dtype: str) -> bytes:
    rng = np.random.default_rng(draw(SEEDS))
    num_classes = draw(st.integers(1, 5))
    background = draw(st.integers(0, 1))
    max_detections = draw(st.integers(1, 6))
    boxes = draw(st.integers(max_detections, 24))
    regular = draw(st.booleans())
    options = dict(max_detections=max_detections, num_classes=num_classes, use_regular_nms=regular,
                   max_classes_per_detection=1)
    size_scale = 5.0 if dtype == "uint8" else float(draw(st.sampled_from([200.0, 500.0, 1000.0])))
    options.update(y_scale=float(draw(st.sampled_from([1.0, 10.0]))), x_scale=float(draw(st.sampled_from([1.0, 10.0]))),
                   h_scale=size_scale, w_scale=size_scale)
    if regular:
        options.update(nms_iou_threshold=float(draw(st.sampled_from([0.3, 0.5, 0.6, 1.0]) | st.floats(0.05, 1.0))),
                       nms_score_threshold=float(draw(st.sampled_from([-1e30, 0.0, 0.3]))),
                       detections_per_class=draw(st.integers(1, 8)))
    else:
        options.update(nms_iou_threshold=1.0, nms_score_threshold=-1e30,
                       max_classes_per_detection=draw(st.integers(1, num_classes)))
    anchors = float_anchors(rng, boxes)
    if dtype == "float32":
        return detection_model("float32", anchors, options, num_classes + background)
    anchor_q = dict(scale=1 / 255, zero_point=0)
    quantized_anchors = np.clip(np.round(anchors * 255), 0, 255).astype(np.uint8)
    box_q = dict(scale=float(draw(st.sampled_from([0.05, 0.08, 0.1]))), zero_point=draw(st.sampled_from([0, 128, 191])))
    score_q = dict(scale=float(draw(st.sampled_from([1 / 256, 0.01]))), zero_point=draw(st.sampled_from([0, 10])))
    return detection_model("uint8", quantized_anchors, options, num_classes + background, box_q, score_q, anchor_q)


GENERATED = {OP: (("float32", "uint8"), detection_case)}
