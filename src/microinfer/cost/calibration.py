"""Predicted against published latencies (``anchors/latency_published.csv``).

Each published row names a benchmark model, a board (or MCU and clock) and a kernel library. A row
is predicted when its model is one microinfer can load (a file in the shared models directory, or
the person-detection model the ``examples`` build) and its core is described in ``targets/``;
other rows (Andes and ESP32-P4 RISC-V cores, Renesas RX, accelerators) are listed as skipped, with
the reason.
"""

from __future__ import annotations

import csv
import statistics
from dataclasses import dataclass
from pathlib import Path

from ..tflite import load
from .estimate import estimate

# benchmark name prefix -> model file in the shared models directory
SHARED_MODELS = {
    "KWS DS-CNN": "kws_ref_model.tflite",
    "VWW MobileNetV1-0.25 96x96": "vww_96_int8.tflite",
    "IC ResNet-8": "pretrainedResnet_quant.tflite",
    "AD FC-autoencoder": "ad01_int8.tflite",
}
BUILT_MODELS = {"TFLM person_detect": "person-detect"}  # prefix -> microinfer example

# published board or MCU -> board file
BOARDS = {
    "NUCLEO-L4R5ZI": "nucleo-l4r5zi",
    "EK-RA6M4": "ek-ra6m4",
    "NUMAKER-M467HJ": "numaker-m467hj",
    "Arduino Giga R1": "arduino-giga-r1",
    "STM32H743": "nucleo-h743zi2",
    "ESP32-S3": "esp32-s3-eye",
    "ESP32": "esp32-devkitc",
    "ESP32-C3": "esp32-c3-devkitm-1",
    "EK-RA8D1": "ek-ra8d1",
}
# published core -> core file, for rows on boards not described (predicted with core and clock)
CORES = {"Cortex-M4F": "cortex-m4f", "Cortex-M7": "cortex-m7", "Cortex-M33": "cortex-m33", "Cortex-M85": "cortex-m85"}


@dataclass(frozen=True)
class Prediction:
    row: dict
    model: str
    target: str
    kernels: str
    arena_in: str | None
    predicted_ms: float | None
    skipped: str = ""  # why a row was not predicted
    predicted_uj: float | None = None

    @property
    def measured_ms(self) -> float:
        return float(self.row["latency_ms"])

    @property
    def error(self) -> float | None:
        """(predicted - measured) / measured."""
        return None if self.predicted_ms is None else self.predicted_ms / self.measured_ms - 1

    @property
    def energy_error(self) -> float | None:
        measured = self.row.get("energy_uj")
        if not measured or self.predicted_uj is None:
            return None
        return self.predicted_uj / float(measured) - 1

    @property
    def shared_model(self) -> bool:
        return self.model in SHARED_MODELS.values()


def read_rows(csv_path: Path) -> list[dict]:
    with open(csv_path, newline="") as f:
        return list(csv.DictReader(f))


def _kernels(framework: str) -> str | None:
    text = framework.lower()
    if "reference kernels" in text:
        return "tflm-reference"
    if "esp-nn" in text:
        return "esp-nn"
    if "cmsis-nn" in text or "cmsis_nn" in text:
        return "cmsis-nn"
    return None


def _model(benchmark: str) -> str | None:
    for prefix, name in {**SHARED_MODELS, **BUILT_MODELS}.items():
        if benchmark.startswith(prefix):
            return name
    return None


def _board(row: dict) -> str | None:
    board = BOARDS.get(row["board"]) or BOARDS.get(row["mcu"])
    if board is None and row["mcu"].startswith("STM32H743"):
        board = BOARDS["STM32H743"]
    return board


def _arena_region(row: dict) -> str | None:
    framework = row["framework"].lower()
    if "sdram" in framework:
        return "sdram"
    if "spiram" in framework:
        return "psram"
    return None


def plan_row(row: dict) -> Prediction:
    """What to predict for one published row (or why not)."""
    model, kernels = _model(row["benchmark"]), _kernels(row["framework"])
    board = _board(row)
    arena_in = _arena_region(row)
    skip = ""
    if model is None:
        skip = "model not available"
    elif kernels is None:
        skip = f"kernel library not modelled ({row['framework']})"
    elif "accelerator" in row["core"].lower() or "accel" in row["framework"].lower():
        skip = "accelerator not modelled"
    elif board is None and row["core"] not in CORES:
        skip = f"core not modelled ({row['core']})"
    elif board is None and not row["clock_mhz"]:
        skip = f"no board file for {row['mcu']} and no clock given"
    if not skip and board is None and arena_in:
        skip = "arena in external RAM on a board not described in targets/"
    target = board or f"{CORES.get(row['core'], row['core'])}@{row['clock_mhz']}"
    return Prediction(row, model or "-", target, kernels or "-", arena_in, None, skip)


def predict(row: dict, models_dir: Path, cache: dict | None = None) -> Prediction:
    planned = plan_row(row)
    if planned.skipped:
        return planned
    cache = {} if cache is None else cache
    model = cache.get(planned.model)
    if model is None:
        model = cache[planned.model] = _load(planned.model, models_dir)
    if "@" in planned.target:
        core, clock = planned.target.split("@")
        result = estimate(model, core=core, clock_mhz=float(clock), kernels=planned.kernels)
    else:
        clock = float(row["clock_mhz"]) if row["clock_mhz"] else None
        result = estimate(model, planned.target, clock_mhz=clock, kernels=planned.kernels, arena_in=planned.arena_in)
    return Prediction(row, planned.model, planned.target, planned.kernels, planned.arena_in, result.latency_ms,
                      predicted_uj=result.energy_uj)


def _load(name: str, models_dir: Path):
    if name in BUILT_MODELS.values():
        from ..examples import EXAMPLES

        return load(EXAMPLES[name]())
    return load(Path(models_dir) / name)


def predict_all(csv_path: Path, models_dir: Path) -> list[Prediction]:
    cache: dict = {}
    return [predict(row, models_dir, cache) for row in read_rows(csv_path)]


def median_abs_error(predictions: list[Prediction]) -> float:
    errors = [abs(p.error) for p in predictions if p.error is not None]
    return statistics.median(errors)
