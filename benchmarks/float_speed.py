"""Wall time of the NumPy backend on a few float (and one int8) models of the corpus.

    python benchmarks/float_speed.py [--repeats 5] [MODEL ...]

Prints the median and the fastest of ``--repeats`` runs per model and reference, after one warm-up
run. The machine's load moves these figures a lot; so does BLAS threading (the integer kernels
multiply with BLAS: set OPENBLAS_NUM_THREADS=1 on a busy machine for steadier figures). The float32
kernels sum in the references' order in NumPy, with no BLAS.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from shared_paths import SHARED_MODELS

from microinfer import Interpreter, load
from microinfer.errors import MicroinferError
from microinfer.testing import random_inputs

MODELS = ["mlonmcu__MobileNetV2.tflite", "tinymaix__vww96_f.tflite", "mlonmcu__mobilenet_v1_0_25_128.tflite",
          "tinymaix__mbnet128_0.25_f.tflite", "tflm__dp_net.tflite"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="*", default=MODELS)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    for name in args.models:
        data = (SHARED_MODELS / "wild" / name).read_bytes()
        inputs = random_inputs(load(data), np.random.default_rng(1))
        for ref in ("tflm", "tflite"):
            try:
                interpreter = Interpreter(data, reference=ref)
            except MicroinferError as exc:
                print(f"{name:40s} {ref:6s} refused: {str(exc).splitlines()[-1].strip()[:80]}")
                continue
            interpreter.run(inputs)
            times = []
            for _ in range(args.repeats):
                start = time.perf_counter()
                interpreter.run(inputs)
                times.append(time.perf_counter() - start)
            print(f"{name:40s} {ref:6s} median {statistics.median(times) * 1e3:8.1f} ms   "
                  f"fastest {min(times) * 1e3:8.1f} ms", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
