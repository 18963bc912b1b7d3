"""TFLite_Detection_PostProcess (custom operator): SSD box decoding and non-maximum suppression.

Inputs: box encodings (1, boxes, >=4) as (y, x, h, w) relative to anchors, class scores
(1, boxes, classes [+1 background]), anchors (boxes, 4) as (y, x, h, w). Outputs: boxes
(1, N, 4) as (ymin, xmin, ymax, xmax), classes (1, N), scores (1, N), the number of detections
(1,); N = max_detections * max_classes_per_detection. Options come as a FlexBuffers map.

Arithmetic, as both references do it: uint8 inputs (LiteRT) dequantize in float32; each box
decodes in double (``y / y_scale * anchor_h + anchor_y``, ``0.5 * exp(h / h_scale) * anchor_h``)
then rounds to float32, and the corners are float32 sums. Non-maximum suppression keeps scores
``>=`` the threshold, orders them by a stable descending sort and drops later boxes whose float32
IoU with a selected one is ``>`` the IoU threshold. Fast NMS ranks each anchor by its best class
(ties: the lower class index first in TFLite Micro; LiteRT's ``std::partial_sort`` order when
more than one class is kept); regular NMS runs per class and merges the per-class results stably
by score, at most ``max_detections``.

Entries past the detections found are left unwritten by the references (whatever their memory
held): microinfer writes 0 there. Regular NMS with one class per detection writes every entry.
A decoded box with ymin above ymax (TFLite Micro: not below) makes both references fail when they
run; microinfer raises :class:`~microinfer.MicroinferError` on such an input.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import MicroinferError, ModelError
from ..tflite import flexbuffers
from ..tflite.types import TensorType
from . import common
from ._libm import exp
from .registry import TFLITE, TFLM, Kernel, Node, register

F32, U8 = TensorType.FLOAT32, TensorType.UINT8
DEFAULT_DETECTIONS_PER_CLASS = 100
MAX_DETECTIONS = 1 << 16  # microinfer's bound on the outputs it allocates


@dataclass(frozen=True)
class DetectionOptions:
    max_detections: int
    max_classes_per_detection: int
    detections_per_class: int
    use_regular_nms: bool
    score_threshold: np.float32
    iou_threshold: np.float32
    num_classes: int
    scales: tuple[np.float32, np.float32, np.float32, np.float32]  # y, x, h, w

    @property
    def detections(self) -> int:
        """N: the rows of the box, class and score outputs."""
        return self.max_detections * self.max_classes_per_detection

    @classmethod
    def parse(cls, blob: bytes | None) -> "DetectionOptions":
        """The options as both references' Init reads them (ModelError for a malformed blob)."""
        where = "TFLite_Detection_PostProcess custom options"
        if not blob:  # both references' Init read the root from the blob's last bytes
            raise ModelError(f"{where}: none (the kernel reads a FlexBuffers map)")
        m = flexbuffers.decode_map(blob, where)

        def int32(key: str) -> int:  # null and absent keys read as 0
            return flexbuffers.as_int32(m.get(key), where)

        def float32(key: str) -> np.float32:
            return flexbuffers.as_float32(m.get(key), where)

        per_class, regular = m.get("detections_per_class"), m.get("use_regular_nms")
        return cls(
            max_detections=int32("max_detections"),
            max_classes_per_detection=int32("max_classes_per_detection"),
            detections_per_class=DEFAULT_DETECTIONS_PER_CLASS if per_class is None else int32("detections_per_class"),
            use_regular_nms=False if regular is None else flexbuffers.as_bool(regular, where),
            score_threshold=float32("nms_score_threshold"),
            iou_threshold=float32("nms_iou_threshold"),
            num_classes=int32("num_classes"),
            scales=tuple(float32(k) for k in ("y_scale", "x_scale", "h_scale", "w_scale")),
        )


@dataclass(frozen=True)
class DetectionData:
    options: DetectionOptions
    reference: str
    boxes: int
    label_offset: int  # 1 when the scores have a background class first
    box_params: tuple[np.float32, np.float32] | None  # uint8 (zero point, scale) as float32
    anchor_params: tuple[np.float32, np.float32] | None
    score_params: tuple[float, int] | None  # uint8 (scale as double, zero point)


def _options(node: Node) -> DetectionOptions | None:
    try:
        return DetectionOptions.parse(node.op.custom_options)
    except ModelError:
        return None


# -- constraints (docstrings are user-facing) ---------------------------------------------------

def _options_readable(node: Node) -> bool:
    """The custom options are a well-formed FlexBuffers map whose parameters are numbers"""
    return _options(node) is not None


def _types(node: Node) -> bool:
    """Box encodings and anchors both float32 or (LiteRT) both uint8; scores float32 or (LiteRT) uint8; float32 outputs"""
    boxes, scores, anchors = node.inputs
    if boxes.type not in (F32, U8) or anchors.type is not boxes.type or scores.type not in (F32, U8):
        return False
    return all(t.type is F32 for t in node.outputs)


def _tflm_float32(node: Node) -> bool:
    """With reference='tflm': float32 inputs (TFLite Micro decodes and scores float32 only)"""
    return node.reference != TFLM or all(t.type is F32 for t in node.inputs)


def _litert_version(node: Node) -> bool:
    """With reference='tflite': operator version 1 (LiteRT's resolver)"""
    return node.reference != TFLITE or node.op.version == 1


def _shapes(node: Node) -> bool:
    """Box encodings (1, boxes, >=4), scores (1, boxes, num_classes or num_classes + 1), anchors (boxes, 4)"""
    boxes, scores, anchors = (tuple(t.shape) for t in node.inputs)
    o = _options(node)
    if o is None or len(boxes) != 3 or len(scores) != 3 or len(anchors) != 2:
        return False
    if boxes[0] != 1 or boxes[2] < 4 or scores[:2] != boxes[:2] or anchors != (boxes[1], 4):
        return False
    return 0 <= scores[2] - o.num_classes <= 1


def _counts(node: Node) -> bool:
    """num_classes >= 1, max_detections >= 0, max_classes_per_detection >= 1 (fast NMS) or detections_per_class >= 1 (regular NMS), and at most 65536 detection places (max_detections x max_classes_per_detection)"""
    o = _options(node)
    if o is None or o.num_classes < 1 or o.max_detections < 0 or o.max_classes_per_detection < 0:
        return False
    if o.detections > MAX_DETECTIONS:
        return False
    if o.use_regular_nms:
        per_class = min(o.detections_per_class, o.max_detections) if node.reference == TFLITE else o.detections_per_class
        return per_class >= 1
    return o.max_classes_per_detection >= 1


def _iou_threshold(node: Node) -> bool:
    """0 < nms_iou_threshold <= 1"""
    o = _options(node)
    return o is not None and 0 < o.iou_threshold <= 1


def _scales(node: Node) -> bool:
    """y_scale, x_scale, h_scale and w_scale are nonzero and finite"""
    o = _options(node)
    return o is not None and all(s != 0 and np.isfinite(s) for s in o.scales)


def _uint8_parameters(node: Node) -> bool:
    """uint8 inputs carry quantization parameters with a positive scale"""
    return all(t.quantization is not None and len(t.quantization.scale) >= 1 and float(common.scale_of(t)) > 0
               for t in node.inputs if t.type is U8)


def _tflm_output_shapes(node: Node) -> bool:
    """With reference='tflm': the outputs are shaped (1, N, 4), (1, N), (1, N) and (1,), N = max_detections x max_classes_per_detection (TFLite Micro writes into them as they are)"""
    o = _options(node)
    if node.reference != TFLM:
        return True
    if o is None:
        return False
    n = o.detections
    return [tuple(t.shape) for t in node.outputs] == [(1, n, 4), (1, n), (1, n), (1,)]


def _litert_output_shapes(node: Node) -> bool:
    """With reference='tflite': each output is unshaped (LiteRT sizes it) or has the shape LiteRT gives it"""
    o = _options(node)
    if node.reference != TFLITE:
        return True
    if o is None:
        return False
    expected = _output_shapes(o)
    return all(tuple(t.shape) in ((), shape) for t, shape in zip(node.outputs, expected))


def _tflm_one_class_per_detection(node: Node) -> bool:
    """With reference='tflm', fast NMS: max_classes_per_detection or num_classes is 1 (TFLite Micro writes further classes of a detection out of place)"""
    o = _options(node)
    if node.reference != TFLM or o is None or o.use_regular_nms:
        return True
    return min(o.max_classes_per_detection, o.num_classes) <= 1


def _output_shapes(o: DetectionOptions) -> list[tuple[int, ...]]:
    n = o.detections
    return [(1, n, 4), (1, n), (1, n), (1,)]


@register("TFLite_Detection_PostProcess", versions=range(1, 2), types=("float32", "uint8"),
          inputs=3, outputs=4)
class DetectionPostProcess(Kernel):
    constraints = (
        _options_readable,
        _types,
        _tflm_float32,
        _litert_version,
        _shapes,
        _counts,
        _iou_threshold,
        _scales,
        _uint8_parameters,
        _tflm_output_shapes,
        _litert_output_shapes,
        _tflm_one_class_per_detection,
    )

    def prepare(self, node: Node) -> DetectionData:
        boxes, scores, anchors = node.inputs
        o = DetectionOptions.parse(node.op.custom_options)

        def float_params(t):
            # The Dequantizer takes the zero point as float (from an int) and the scale as float.
            return (np.float32(common.zero_point_of(t)), common.scale_of(t)) if t.type is U8 else None

        return DetectionData(
            options=o,
            reference=node.reference,
            boxes=boxes.shape[1],
            label_offset=scores.shape[2] - o.num_classes,
            box_params=float_params(boxes),
            anchor_params=float_params(anchors),
            score_params=(float(common.scale_of(scores)), common.zero_point_of(scores)) if scores.type is U8 else None,
        )

    def eval(self, data: DetectionData, inputs):
        boxes_in, scores_in, anchors_in = inputs
        decoded = decode_boxes(_dequantize_boxes(boxes_in[0, :, :4], data.box_params),
                               _dequantize_boxes(anchors_in, data.anchor_params), data.options.scales)
        _check_boxes(decoded, data.reference)
        scores = _dequantize_scores(scores_in[0], data.score_params)
        if np.isnan(scores).any():
            raise MicroinferError("TFLite_Detection_PostProcess: NaN class scores (the references' sort "
                                  "order is undefined for them)")
        class_scores = scores[:, data.label_offset:]
        if data.options.use_regular_nms:
            return _regular_nms(decoded, class_scores, data)
        return _fast_nms(decoded, class_scores, data)


# -- decoding ---------------------------------------------------------------------------------------

def _dequantize_boxes(x: np.ndarray, params) -> np.ndarray:
    """float32 values; uint8 as ``(float(x) - zero_point) * scale`` in float32."""
    if params is None:
        return x.astype(np.float32)
    zero_point, scale = params
    return ((x.astype(np.float32) - zero_point) * scale).astype(np.float32)


def _dequantize_scores(x: np.ndarray, params) -> np.ndarray:
    if params is None:
        return x.astype(np.float32)
    scale, zero_point = params
    return (scale * (x.astype(np.int64) - zero_point)).astype(np.float32)


def decode_boxes(encodings: np.ndarray, anchors: np.ndarray, scales) -> np.ndarray:
    """(boxes, 4) float32 corners (ymin, xmin, ymax, xmax) from centre-size encodings and anchors."""
    y, x, h, w = (encodings[:, i].astype(np.float64) for i in range(4))
    ay, ax, ah, aw = (anchors[:, i].astype(np.float64) for i in range(4))
    sy, sx, sh, sw = (float(s) for s in scales)
    with np.errstate(all="ignore"):
        ycenter = (y / sy * ah + ay).astype(np.float32)
        xcenter = (x / sx * aw + ax).astype(np.float32)
        half_h = (0.5 * _exp(h / sh) * ah).astype(np.float32)
        half_w = (0.5 * _exp(w / sw) * aw).astype(np.float32)
        corners = [ycenter - half_h, xcenter - half_w, ycenter + half_h, xcenter + half_w]
    return np.stack(corners, axis=1).astype(np.float32)


def _exp(values: np.ndarray) -> np.ndarray:
    """The C library's exp of each value (NumPy's may differ in the last place)."""
    unique, inverse = np.unique(values, return_inverse=True)
    return np.array([exp(v) for v in unique], np.float64)[inverse].reshape(values.shape)


def _check_boxes(decoded: np.ndarray, reference: str) -> None:
    ymin, xmin, ymax, xmax = decoded.T
    if reference == TFLM:
        bad = (ymin >= ymax) | (xmin >= xmax)
    else:
        bad = (ymin > ymax) | (xmin > xmax)
    if bad.any():
        rule = "not below" if reference == TFLM else "above"
        raise MicroinferError(f"TFLite_Detection_PostProcess: decoded box {int(np.flatnonzero(bad)[0])} has a "
                              f"minimum {rule} its maximum, on which the reference fails when it runs")


# -- non-maximum suppression -----------------------------------------------------------------------

def _iou_with(decoded: np.ndarray, i: int, others: np.ndarray) -> np.ndarray:
    """ComputeIntersectionOverUnion(i, j) for each j of ``others``, in float32."""
    box = decoded[i]
    rest = decoded[others]
    area_i = np.float32((box[2] - box[0]) * (box[3] - box[1]))
    area_j = ((rest[:, 2] - rest[:, 0]) * (rest[:, 3] - rest[:, 1])).astype(np.float32)

    def c_max(a, b):  # std::max<float>(a, b)
        return np.where(a < b, b, a).astype(np.float32)

    def c_min(a, b):  # std::min<float>(a, b)
        return np.where(b < a, b, a).astype(np.float32)

    with np.errstate(all="ignore"):
        height = (c_min(box[2], rest[:, 2]) - c_max(box[0], rest[:, 0])).astype(np.float32)
        width = (c_min(box[3], rest[:, 3]) - c_max(box[1], rest[:, 1])).astype(np.float32)
        zero = np.float32(0)
        intersection = (c_max(height, zero) * c_max(width, zero)).astype(np.float32)
        iou = (intersection / ((area_i + area_j).astype(np.float32) - intersection)).astype(np.float32)
    return np.where((area_i <= 0) | (area_j <= 0), np.float32(0), iou)


def _nms_single_class(decoded: np.ndarray, scores: np.ndarray, limit: int, o: DetectionOptions) -> list[int]:
    """NonMaxSuppressionSingleClassHelper: the selected anchors, best first."""
    kept = np.flatnonzero(scores >= o.score_threshold)
    order = kept[np.argsort(-scores[kept], kind="stable")]
    output_size = min(len(order), limit)
    active = np.ones(len(order), bool)
    remaining = len(order)
    selected: list[int] = []
    for i in range(len(order)):
        if remaining == 0 or len(selected) >= output_size:
            break
        if not active[i]:
            continue
        selected.append(int(order[i]))
        active[i] = False
        later = np.flatnonzero(active[i + 1:]) + i + 1
        overlapping = later[_iou_with(decoded, int(order[i]), order[later]) > o.iou_threshold] if later.size else later
        active[overlapping] = False
        remaining -= 1 + overlapping.size
    return selected


def _fast_nms(decoded: np.ndarray, class_scores: np.ndarray, data: DetectionData):
    o = data.options
    per_anchor = min(o.max_classes_per_detection, o.num_classes)
    ranked = [_best_classes(row, per_anchor, data.reference) for row in class_scores]
    max_scores = np.array([row[ranks[0]] for row, ranks in zip(class_scores, ranked)], np.float32)
    outputs = _empty_outputs(o)
    selected = _nms_single_class(decoded, max_scores, o.max_detections, o)
    boxes, classes, scores, count = outputs
    # LiteRT leaves room for max_classes_per_detection rows a detection; TFLite Micro (one class
    # a detection, see _tflm_one_class_per_detection) writes them one after another.
    stride = o.max_classes_per_detection if data.reference == TFLITE else per_anchor
    for k, anchor in enumerate(selected):
        for col in range(per_anchor):
            row = stride * k + col
            boxes[0, row] = decoded[anchor]
            classes[0, row] = ranked[anchor][col]
            scores[0, row] = class_scores[anchor, ranked[anchor][col]]
    count[0] = len(selected)
    return outputs


def _best_classes(values: np.ndarray, how_many: int, reference: str) -> list[int]:
    """DecreasingPartialArgSort: the indices of the ``how_many`` best scores, best first."""
    if reference == TFLM or how_many == 1:
        # TFLite Micro breaks ties by index; LiteRT's ArgMaxVector takes the first maximum.
        return [int(i) for i in np.argsort(-values, kind="stable")[:how_many]]
    return libstdcxx_partial_sort(list(range(len(values))), how_many, lambda i, j: values[i] > values[j])


def _regular_nms(decoded: np.ndarray, class_scores: np.ndarray, data: DetectionData):
    o = data.options
    per_class = o.detections_per_class
    if data.reference == TFLITE:
        per_class = min(per_class, o.max_detections)
    best: list[tuple[np.float32, int, int]] = []  # (score, anchor, class), best first
    for col in range(o.num_classes):
        column = class_scores[:, col]
        found = [(column[a], a, col) for a in _nms_single_class(decoded, column, per_class, o)]
        best = _stable_merge(best, found)[:o.max_detections]
    outputs = _empty_outputs(o)
    boxes, classes, scores, count = outputs
    for row, (score, anchor, col) in enumerate(best):
        boxes[0, row] = decoded[anchor]
        classes[0, row] = col
        scores[0, row] = score
    count[0] = len(best)
    return outputs


def _stable_merge(first: list, second: list) -> list:
    """Merge two lists sorted by descending score; on equal scores ``first``'s entries lead."""
    merged, i, j = [], 0, 0
    while i < len(first) and j < len(second):
        if second[j][0] > first[i][0]:
            merged.append(second[j])
            j += 1
        else:
            merged.append(first[i])
            i += 1
    return merged + first[i:] + second[j:]


def _empty_outputs(o: DetectionOptions) -> list[np.ndarray]:
    return [np.zeros(shape, np.float32) for shape in _output_shapes(o)]


# -- libstdc++'s std::partial_sort, whose order of equal elements LiteRT's output shows ------------

def libstdcxx_partial_sort(items: list, middle: int, less) -> list:
    """The first ``middle`` items after ``std::partial_sort(first, first + middle, last, less)``
    as libstdc++ implements it (heap select, then heap sort)."""
    a = list(items)
    _make_heap(a, middle, less)
    for i in range(middle, len(a)):
        if less(a[i], a[0]):
            value = a[i]
            a[i] = a[0]
            _adjust_heap(a, 0, middle, value, less)
    for last in range(middle - 1, 0, -1):  # __sort_heap
        value = a[last]
        a[last] = a[0]
        _adjust_heap(a, 0, last, value, less)
    return a[:middle]


def _make_heap(a: list, length: int, less) -> None:
    if length < 2:
        return
    for parent in range((length - 2) // 2, -1, -1):
        _adjust_heap(a, parent, length, a[parent], less)


def _adjust_heap(a: list, hole: int, length: int, value, less) -> None:
    top = hole
    child = hole
    while child < (length - 1) // 2:
        child = 2 * (child + 1)
        if less(a[child], a[child - 1]):
            child -= 1
        a[hole] = a[child]
        hole = child
    if length % 2 == 0 and child == (length - 2) // 2:
        child = 2 * (child + 1)
        a[hole] = a[child - 1]
        hole = child - 1
    parent = (hole - 1) // 2
    while hole > top and less(a[parent], value):
        a[hole] = a[parent]
        hole = parent
        parent = (hole - 1) // 2
    a[hole] = value
