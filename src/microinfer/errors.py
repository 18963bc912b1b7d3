"""Exceptions raised by microinfer. Every message says what is wrong and where."""


class MicroinferError(Exception):
    """Base class of every error microinfer raises on purpose."""


class ModelError(MicroinferError, ValueError):
    """The model file is not a valid TFLite model, or is inconsistent.

    The message names the table path (``subgraphs[0].tensors[3].shape``) and, where it helps,
    the byte offset in the file.
    """


class UnsupportedOpError(MicroinferError, NotImplementedError):
    """The model uses an operator, version or type combination microinfer cannot run."""


class InvalidInputError(MicroinferError, ValueError):
    """The input values are ones the reference fails on when it runs (an integer division by
    zero, say); the message names the operator and what the reference does."""


class MissingDependencyError(MicroinferError, ImportError):
    """An optional dependency a feature needs is not installed; the message says what to install."""


class UnsupportedTargetError(MicroinferError, ValueError):
    """The target (ABI, kernel library, core) is one microinfer has no figures for."""
