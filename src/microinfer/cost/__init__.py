"""Cost model: RAM, flash, cycles, energy of a model on a microcontroller (every figure an estimate
except the arena). Hardware comes from ``targets/`` (TOML), kernel loops from ``loops.py``."""

from .estimate import KERNEL_LIBRARIES, FitResult, estimate, estimate_all_boards
from .value import Cost

__all__ = ["KERNEL_LIBRARIES", "Cost", "FitResult", "estimate", "estimate_all_boards"]
