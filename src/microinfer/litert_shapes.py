"""The tensor shapes LiteRT runs a model with.

LiteRT's Prepare functions resize each output to the shape they compute, whatever the model
declares; TFLite Micro keeps the declared shapes and refuses a mismatch. Converters rely on the
former: a QUANTIZE of a constant may declare a scalar output that LiteRT resizes to the
constant's shape before a FULLY_CONNECTED reads it as weights. Under ``reference="tflite"``
microinfer takes the shapes LiteRT would, for the operators whose output shape is their first
input's.
"""

from __future__ import annotations

import dataclasses

from .tflite.model import Model, Subgraph

# LiteRT resizes these operators' single output to the shape of their first input.
OUTPUT_TAKES_INPUT_SHAPE = frozenset({
    "QUANTIZE", "DEQUANTIZE", "CAST", "ABS", "NEG", "SQRT", "RSQRT", "SQUARE", "SIN", "COS", "LOG",
    "EXP", "CEIL", "FLOOR", "ROUND", "LOGICAL_NOT", "RELU", "RELU6", "RELU_N1_TO_1", "RELU_0_TO_1",
    "LOGISTIC", "TANH", "HARD_SWISH", "LEAKY_RELU", "ELU", "ZEROS_LIKE",
})


def litert_shapes(model: Model) -> Model:
    """``model`` with the output shapes LiteRT's Prepare gives the operators above (the model
    itself when nothing changes)."""
    subgraphs = tuple(_resized(sg) for sg in model.subgraphs)
    if all(new is old for new, old in zip(subgraphs, model.subgraphs)):
        return model
    return dataclasses.replace(model, subgraphs=subgraphs)


def _resized(subgraph: Subgraph) -> Subgraph:
    tensors = list(subgraph.tensors)
    changed = False
    for op in subgraph.operators:
        if op.op not in OUTPUT_TAKES_INPUT_SHAPE or len(op.outputs) != 1 or not op.inputs:
            continue
        source, target = op.inputs[0], op.outputs[0]
        if not (0 <= source < len(tensors) and 0 <= target < len(tensors)) or tensors[target].is_constant:
            continue
        shape = tensors[source].shape
        if tensors[target].shape != shape:
            tensors[target] = dataclasses.replace(tensors[target], shape=shape, shape_signature=None)
            changed = True
    return dataclasses.replace(subgraph, tensors=tuple(tensors)) if changed else subgraph
