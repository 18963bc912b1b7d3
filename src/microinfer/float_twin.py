"""The float32 twin of a quantized model: same graph, same tensor names, dequantized weights.

When the float original of a quantized model is not at hand, its twin stands in for it: every
quantized constant is dequantized (per channel where it is quantized per channel), every quantized
activation becomes float32, and QUANTIZE/DEQUANTIZE become identities. Compared against the twin,
:func:`microinfer.layer_error.layer_errors` measures the error of quantizing the *activations*
(and of integer arithmetic); the weights' rounding error is not in it, since the twin's weights
are the rounded ones.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .tflite import Model, load, serialize
from .tflite.model import Buffer, OperatorCode
from .tflite.schema_codes import BUILTIN_OPERATOR_CODES
from .tflite.types import TensorType

QUANTIZED_TYPES = (TensorType.INT8, TensorType.UINT8, TensorType.INT16, TensorType.INT32)


def float_twin(model: Model | bytes) -> bytes:
    """The .tflite bytes of ``model`` with float32 activations and dequantized weights."""
    model = model if isinstance(model, Model) else load(model)
    buffers = list(model.buffers)
    subgraphs = []
    for sg in model.subgraphs:
        tensors = []
        for t in sg.tensors:
            q = t.quantization
            if t.type not in QUANTIZED_TYPES or q is None or q.scale is None or len(q.scale) == 0:
                tensors.append(t)
                continue
            data = None
            buffer = t.buffer
            if t.data is not None:
                data = _dequantize(np.asarray(t.data), q, t.shape).astype(np.float32)
                buffers.append(Buffer(np.frombuffer(data.tobytes(), np.uint8)))
                buffer = len(buffers) - 1
            tensors.append(replace(t, type=TensorType.FLOAT32, quantization=None, data=data, buffer=buffer))
        subgraphs.append(replace(sg, tensors=tuple(tensors)))
    codes = []
    identity = BUILTIN_OPERATOR_CODES["RESHAPE"]
    for code in model.operator_codes:
        if code.name in ("QUANTIZE", "DEQUANTIZE"):
            code = OperatorCode(builtin_code=int(identity), version=1,
                                deprecated_builtin_code=min(int(identity), 127))
        else:
            code = replace(code, version=1)
        codes.append(code)
    subgraphs = [replace(sg, operators=tuple(replace(op, opcode=codes[op.opcode_index],
                                                     options=None if op.opcode.name in ("QUANTIZE", "DEQUANTIZE")
                                                     else op.options)
                                             for op in sg.operators)) for sg in subgraphs]
    twin = replace(model, buffers=tuple(buffers), subgraphs=tuple(subgraphs), operator_codes=tuple(codes),
                   description=f"float32 twin of: {model.description}")
    return serialize(twin)


def _dequantize(values: np.ndarray, q, shape) -> np.ndarray:
    scale = np.asarray(q.scale, np.float64)
    zero = np.asarray(q.zero_point if q.zero_point is not None and len(q.zero_point) else [0], np.float64)
    values = values.astype(np.float64).reshape(shape)
    if scale.size > 1:
        axis = q.quantized_dimension
        view = [1] * values.ndim
        view[axis] = scale.size
        scale = scale.reshape(view)
        zero = np.broadcast_to(zero, (scale.size,)).reshape(view) if zero.size > 1 else zero
    return (values - zero) * scale
