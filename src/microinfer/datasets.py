"""Input sets and labels from files: what ``--inputs`` and ``--labels`` read.

An *input set* is one list of arrays in model input order. Accepted layouts:

- one ``.npz`` with many samples: per model input, an array keyed by the input's name, by
  ``input_<i>`` or (one input) by any single key, whose leading axis is the sample axis; a
  ``labels`` (or ``y``) array in the same file gives the labels;
- a folder of ``.npy``/``.npz`` files, in name order, each one sample or many (leading axis);
- the older layout: ``DIR/input_<i>.npy`` (one set), or one subfolder of such files per set.

A sample's array may carry the model's batch dimension of 1 or leave it out: ``(96, 96, 3)`` and
``(1, 96, 96, 3)`` are both one sample of a ``1x96x96x3`` input; ``(N, 96, 96, 3)`` is N samples.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .errors import MicroinferError
from .tflite import Model, load

LABEL_KEYS = ("labels", "label", "y")


class InputError(MicroinferError, ValueError):
    """Input or label files are missing or do not fit the model."""


def read_inputs(path: str | os.PathLike, model: bytes | Model) -> list[list[np.ndarray]]:
    """Every input set in ``path`` (a folder or one ``.npz``), for ``model``."""
    path = Path(path)
    model = model if isinstance(model, Model) else load(model)
    tensors = model.main.input_tensors()
    if path.is_file():
        if path.suffix not in (".npz", ".npy"):
            raise InputError(f"{path}: expected a folder, a .npz or a .npy file")
        return _samples_of_file(path, tensors)
    if not path.is_dir():
        raise InputError(f"{path}: no such file or folder")
    if any(path.glob("input_*.npy")):
        return [_read_set(path, tensors)]
    files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix in (".npy", ".npz"))
    if files:
        sets = []
        for file in files:
            sets.extend(_samples_of_file(file, tensors))
        return sets
    folders = sorted(p for p in path.iterdir() if p.is_dir())
    if not folders:
        raise InputError(f"{path}: no .npy/.npz files, no input_<i>.npy files and no subfolders of them")
    return [_read_set(folder, tensors) for folder in folders]


def read_labels(path: str | os.PathLike, count: int | None = None) -> np.ndarray:
    """Integer class labels, one per sample: a ``.npy``, a ``.npz`` (key ``labels``/``label``/``y``
    or its only array) or a text file of one integer per line (or comma/space separated)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        if path.suffix == ".npy":
            labels = np.load(path, allow_pickle=False)
        elif path.suffix == ".npz":
            with np.load(path, allow_pickle=False) as archive:
                keys = [k for k in LABEL_KEYS if k in archive.files] or (archive.files if len(archive.files) == 1 else [])
                if not keys:
                    raise InputError(f"{path}: no labels array (keys {', '.join(LABEL_KEYS)})")
                labels = archive[keys[0]]
        else:
            text = path.read_text().replace(",", " ").split()
            labels = np.array([int(float(v)) for v in text], np.int64)
    except (OSError, ValueError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(f"{path}: not a labels file ({exc})") from None
    labels = np.asarray(labels)
    if labels.ndim == 2 and labels.shape[1] > 1:  # one-hot
        labels = labels.argmax(axis=1)
    labels = labels.reshape(-1)
    if not np.issubdtype(labels.dtype, np.integer):
        if not np.all(np.equal(np.mod(labels, 1), 0)):
            raise InputError(f"{path}: labels must be integer class indices")
        labels = labels.astype(np.int64)
    if count is not None and labels.size != count:
        raise InputError(f"{path}: {labels.size} labels for {count} input sets")
    return labels.astype(np.int64)


def labels_in(path: str | os.PathLike) -> np.ndarray | None:
    """The labels stored in an inputs ``.npz`` (key ``labels``/``label``/``y``), if any."""
    path = Path(path)
    if path.suffix != ".npz" or not path.is_file():
        return None
    with np.load(path, allow_pickle=False) as archive:
        for key in LABEL_KEYS:
            if key in archive.files:
                return read_labels_array(archive[key])
    return None


def read_labels_array(values) -> np.ndarray:
    labels = np.asarray(values)
    if labels.ndim == 2 and labels.shape[1] > 1:
        labels = labels.argmax(axis=1)
    return labels.reshape(-1).astype(np.int64)


def _samples_of_file(path: Path, tensors) -> list[list[np.ndarray]]:
    try:
        if path.suffix == ".npy":
            arrays = {"": np.load(path, allow_pickle=False)}
        else:
            with np.load(path, allow_pickle=False) as archive:
                arrays = {k: archive[k] for k in archive.files if k not in LABEL_KEYS}
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not a NumPy file ({exc})") from None
    per_input = []
    for i, tensor in enumerate(tensors):
        array = _pick(arrays, tensor, i, len(tensors), path)
        per_input.append(_split_samples(array, tensor, path))
    counts = {len(s) for s in per_input}
    if len(counts) != 1:
        raise InputError(f"{path}: the inputs have different sample counts {sorted(counts)}")
    return [list(sample) for sample in zip(*per_input)]


def _pick(arrays: dict, tensor, i: int, count: int, path: Path) -> np.ndarray:
    for key in (tensor.name, f"input_{i}", f"arr_{i}"):
        if key in arrays:
            return arrays[key]
    if count == 1 and len(arrays) == 1:
        return next(iter(arrays.values()))
    raise InputError(f"{path}: no array for input {i} {tensor.name!r} (keys: {', '.join(arrays) or 'none'}; "
                     f"name arrays by input name or input_<i>)")


def _split_samples(array: np.ndarray, tensor, path: Path) -> list[np.ndarray]:
    """One sample per entry of the leading axis, each shaped as the model input."""
    shape = tuple(tensor.shape)
    array = np.asarray(array)
    if array.shape == shape:
        return [array]
    if shape and shape[0] == 1 and array.shape == shape[1:]:
        return [array.reshape(shape)]
    if array.ndim == len(shape) + 1 and array.shape[1:] == shape:
        return list(array)
    if shape and shape[0] == 1 and array.ndim == len(shape) and array.shape[1:] == shape[1:]:
        return [a.reshape(shape) for a in array]
    raise InputError(f"{path}: array of shape {list(array.shape)} holds neither one sample nor a leading "
                     f"sample axis of input {tensor.name!r} {list(shape)}")


def _read_set(folder: Path, tensors) -> list[np.ndarray]:
    count = len(tensors)
    inputs = []
    for i in range(count):
        path = folder / f"input_{i}.npy"
        if not path.is_file():
            raise InputError(f"{path}: missing (the model takes {count} input{'s' if count > 1 else ''})")
        try:
            inputs.append(np.load(path, allow_pickle=False))
        except (OSError, ValueError) as exc:
            raise InputError(f"{path}: not a .npy array ({exc})") from None
    extra = sorted(p.name for p in folder.glob("input_*.npy") if p.name not in {f"input_{i}.npy" for i in range(count)})
    if extra:
        raise InputError(f"{folder}: the model takes {count} input(s), but found also {', '.join(extra)}")
    return inputs
