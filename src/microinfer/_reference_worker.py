"""Worker process for :mod:`microinfer.reference`: reads pickled requests, runs a reference.

Its stdout carries the replies, so everything the reference libraries print from C is redirected
away from file descriptor 1 first.
"""

from __future__ import annotations

import os
import pickle
import re
import struct
import sys
import tempfile


def _serve() -> None:
    reply_fd = os.dup(1)
    capture = tempfile.TemporaryFile()
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    os.dup2(capture.fileno(), 2)  # C-level prints (print_allocations) land in `capture`
    sys.stdout = open(os.devnull, "w")
    replies = os.fdopen(reply_fd, "wb")
    requests = sys.stdin.buffer
    while True:
        header = requests.read(8)
        if len(header) < 8:
            return
        (length,) = struct.unpack("<Q", header)
        request = pickle.loads(requests.read(length))
        try:
            reply = _handle(request, capture)
        except Exception as exc:  # the reference's own error, reported to the caller
            reply = {"error": f"{type(exc).__name__}: {exc}"}
        payload = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
        replies.write(struct.pack("<Q", len(payload)) + payload)
        replies.flush()


def _handle(request: dict, capture) -> dict:
    if request.get("isolated") and "input_sets" in request:
        return _in_child(lambda: {"runs": _run_many(request)})
    if "input_sets" in request:
        return {"runs": _run_many(request)}
    if "steps" in request:
        return _run_steps(request)
    if request["reference"] == "tflm":
        if "min_arena" in request:
            isolated = request.get("isolated", False)
            return {"min_arena": _tflm_min_arena(request["model"], *request["min_arena"],
                                                 isolated=isolated)}
        return _run_tflm(request, capture)
    return _run_litert(request)


def _tflm_interpreter(model: bytes, arena_size: int, preserve_all_tensors: bool = False):
    from tflite_micro.python.tflite_micro import runtime

    config = runtime.InterpreterConfig
    mode = config.kPreserveAllTensors if preserve_all_tensors else config.kAllocationRecording
    # (sic: the keyword is spelled "intrepreter_config" in tflite-micro's Python API)
    return runtime.Interpreter.from_bytes(model, arena_size=arena_size, intrepreter_config=mode)


def _run_tflm(request: dict, capture) -> dict:
    interpreter = _tflm_interpreter(request["model"], request["arena_size"])
    for i, x in enumerate(request["inputs"]):
        interpreter.set_input(x, i)
    interpreter.invoke()
    outputs = [interpreter.get_output(i).copy() for i in range(_count_outputs(interpreter))]
    reply = {"outputs": outputs, "arena": _tflm_allocations(interpreter, capture)}
    reply["arena_categories"] = _tflm_allocation_categories(capture)
    if request["all_tensors"]:
        reply["tensors"] = _tflm_all_tensors(request)
    return reply


def _tflm_all_tensors(request: dict) -> dict:
    """Every tensor of subgraph 0, from a second interpreter that keeps them all."""
    interpreter = _tflm_interpreter(request["model"], request["arena_size"], preserve_all_tensors=True)
    for i, x in enumerate(request["inputs"]):
        interpreter.set_input(x, i)
    interpreter.invoke()
    return _tflm_tensors(interpreter, _main_tensors(request["model"]))


CHILD_SECONDS = 30  # a reference stuck in a model's endless WHILE loop is stopped after this


def _in_child(work) -> dict:
    """``work()`` in a forked child, so that a reference crashing on a malformed model costs a
    fork instead of a new worker (and its imports). A child killed by a signal is reported, and
    one that runs past CHILD_SECONDS is killed and reported."""
    import select
    import signal
    import time

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        try:
            reply = work()
        except Exception as exc:  # the reference's own error, reported to the caller
            reply = {"error": f"{type(exc).__name__}: {exc}"}
        with os.fdopen(write_end, "wb") as out:
            out.write(pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL))
        os._exit(0)
    os.close(write_end)
    chunks, deadline = [], time.monotonic() + CHILD_SECONDS
    with os.fdopen(read_end, "rb", buffering=0) as source:
        while True:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([source], [], [], max(left, 0))
            if not ready:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                return {"error": f"TimeoutError: no result after {CHILD_SECONDS} s (an endless loop?)"}
            chunk = source.read(1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    if chunks:
        return pickle.loads(b"".join(chunks))
    return {"crash": os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)}


def _run_many(request: dict) -> list[dict]:
    """One interpreter for every input set, state reset before each run."""
    all_tensors = request["all_tensors"]
    reset = request.get("reset", True)
    if request["reference"] == "tflm":
        interpreter = _tflm_interpreter(request["model"], request["arena_size"], preserve_all_tensors=all_tensors)
        count = _count_outputs(interpreter)
        tensor_indices = _main_tensors(request["model"]) if all_tensors else []
        runs = []
        for inputs in request["input_sets"]:
            if reset:
                interpreter.reset()
            for i, x in enumerate(inputs):
                interpreter.set_input(x, i)
            interpreter.invoke()
            run = {"outputs": [interpreter.get_output(i).copy() for i in range(count)]}
            if all_tensors:
                run["tensors"] = _tflm_tensors(interpreter, tensor_indices)
            runs.append(run)
        return runs
    interpreter = _litert_interpreter(request["model"], all_tensors)
    runs = []
    for inputs in request["input_sets"]:
        if reset:
            interpreter.reset_all_variables()
        runs.append(_litert_invoke(interpreter, inputs, all_tensors))
    return runs


def _main_tensors(model_bytes: bytes) -> list[int]:
    """The tensors of subgraph 0 the wheel can give as arrays (it crashes converting a RESOURCE
    handle)."""
    from microinfer.tflite import load

    return [t.index for t in load(model_bytes).main.tensors if t.type.numpy_dtype is not None]


def _tflm_tensors(interpreter, indices: list[int]) -> dict:
    """Every tensor of subgraph 0 of an interpreter that keeps them all."""
    tensors = {}
    for index in indices:
        raw = interpreter.GetTensor(index, 0)
        tensors[index] = raw["tensor_data"].copy().reshape(raw["shape"])
    return tensors


def _count_outputs(interpreter) -> int:
    count = 0
    while True:
        try:
            interpreter.get_output_details(count)
        except Exception:
            return count
        count += 1


def _tflm_allocations(interpreter, capture) -> dict:
    sys.stdout.flush()
    capture.seek(0)
    capture.truncate()
    interpreter.print_allocations()
    _flush_c_stdout()
    capture.seek(0)
    text = capture.read().decode(errors="replace")
    arena = {}
    for key in ("total", "head", "tail"):
        match = re.search(rf"Arena allocation {key} (\d+) bytes", text)
        if match:
            arena[key] = int(match.group(1))
    return arena


def _tflm_allocation_categories(capture) -> dict:
    """print_allocations()' per-category lines, from the text `_tflm_allocations` captured:
    {category: (used bytes, requested bytes, count)}."""
    capture.seek(0)
    text = capture.read().decode(errors="replace")
    pattern = r"'([^']+)' used (\d+) bytes with alignment overhead \(requested (\d+) bytes for (\d+) "
    return {m.group(1): (int(m.group(2)), int(m.group(3)), int(m.group(4)))
            for m in re.finditer(pattern, text)}


def _flush_c_stdout() -> None:
    import ctypes

    ctypes.CDLL(None).fflush(None)


def _tflm_min_arena(model: bytes, low: int, high: int, isolated: bool = False) -> int:
    import numpy as np

    def works_isolated(size: int) -> bool:
        # Some models crash TFLM (a kernel dereferencing a failed allocation) when the arena is
        # too small: probe in a forked child, a crash counting as "does not work".
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            ok = False
            try:
                ok = works_here(size)
            finally:
                os._exit(0 if ok else 1)
        _, status = os.waitpid(pid, 0)
        return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0

    def works(size: int) -> bool:
        return works_isolated(size) if isolated else works_here(size)

    def works_here(size: int) -> bool:
        try:
            interpreter = _tflm_interpreter(model, size)
            for i in range(_count_inputs(interpreter)):
                d = interpreter.get_input_details(i)
                interpreter.set_input(np.zeros(d["shape"], dtype=d["dtype"]), i)
            interpreter.invoke()
            return True
        except Exception:
            return False

    if not works(high):
        raise RuntimeError(f"the model does not run even with a {high}-byte arena")
    low = max(16, low // 16 * 16)
    while low < high:
        mid = (low + high) // 32 * 16
        if works(mid):
            high = mid
        else:
            low = mid + 16
    return high


def _count_inputs(interpreter) -> int:
    count = 0
    while True:
        try:
            interpreter.get_input_details(count)
        except Exception:
            return count
        count += 1


def _run_steps(request: dict) -> dict:
    """Several invokes on one interpreter, each step ("invoke", inputs) or ("reset",): the state
    (variable tensors, resource variables, CALL_ONCE) carries over as an application sees it."""
    if request["reference"] == "tflm":
        interpreter = _tflm_interpreter(request["model"], request["arena_size"])
        count = _count_outputs(interpreter)

        def invoke(inputs):
            for i, x in enumerate(inputs):
                interpreter.set_input(x, i)
            interpreter.invoke()
            return [interpreter.get_output(i).copy() for i in range(count)]
        reset = interpreter.reset
    else:
        interpreter = _litert_interpreter(request["model"], all_tensors=False)

        def invoke(inputs):
            return _litert_invoke(interpreter, inputs, all_tensors=False)["outputs"]
        reset = interpreter.reset_all_variables
    outputs = []
    for step in request["steps"]:
        if step[0] == "reset":
            reset()
        else:
            outputs.append(invoke(step[1]))
    return {"outputs": outputs}


def _litert_interpreter(model: bytes, all_tensors: bool):
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    interpreter = Interpreter(
        model_content=model,
        experimental_op_resolver_type=OpResolverType.BUILTIN_REF,
        experimental_preserve_all_tensors=all_tensors,
    )
    interpreter.allocate_tensors()
    return interpreter


def _run_litert(request: dict) -> dict:
    return _litert_invoke(_litert_interpreter(request["model"], request["all_tensors"]),
                          request["inputs"], request["all_tensors"])


def _litert_invoke(interpreter, inputs, all_tensors: bool) -> dict:
    for detail, x in zip(interpreter.get_input_details(), inputs):
        interpreter.set_tensor(detail["index"], x)
    interpreter.invoke()
    outputs = [interpreter.get_tensor(d["index"]).copy() for d in interpreter.get_output_details()]
    reply = {"outputs": outputs}
    if all_tensors:
        tensors = {}
        for detail in interpreter.get_tensor_details():
            try:
                tensors[detail["index"]] = interpreter.get_tensor(detail["index"]).copy()
            except ValueError:
                pass
        reply["tensors"] = tensors
    return reply


if __name__ == "__main__":
    _serve()
