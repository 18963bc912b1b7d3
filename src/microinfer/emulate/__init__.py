"""Run the C kernels on emulated Cortex-M cores (QEMU) and count their instructions.

``emulate(model, core)`` builds each layer the C kernels cover as a bare-metal program for
``cortex-m0plus`` (plain C), ``cortex-m4f`` (DSP extension) or ``cortex-m55`` (Helium/MVE), runs it
under ``qemu-system-arm -icount``, checks its output bit for bit against the NumPy kernels and
reports its exact instruction count and a cycle estimate. Needs ``arm-none-eabi-gcc`` and
``qemu-system-arm`` (see ``INSTALL_HINT``).
"""

from .machine import INSTALL_HINT, EmulatedCore, EmulationError, check_toolchain, core_named, load_cores, run_layer
from .run import EmulatedLayer, EmulationResult, emulate

__all__ = ["INSTALL_HINT", "EmulatedCore", "EmulatedLayer", "EmulationError", "EmulationResult", "check_toolchain",
           "core_named", "emulate", "load_cores", "run_layer"]
