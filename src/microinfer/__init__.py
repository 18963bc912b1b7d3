"""microinfer: run quantized TFLite models the way a microcontroller does, and predict their cost."""

from .cost import estimate
from .errors import InvalidInputError, MicroinferError, ModelError, UnsupportedOpError
from .interpreter import Interpreter
from .planner import ArenaPlan, plan, reordered_model
from .tflite import Model, ModelBuilder, load

__version__ = "0.1.0"

__all__ = ["ArenaPlan", "InvalidInputError", "Interpreter", "MicroinferError", "Model", "ModelBuilder", "ModelError", "UnsupportedOpError", "estimate", "load", "plan", "reordered_model"]
